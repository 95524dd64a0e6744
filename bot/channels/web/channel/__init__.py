"""The web chat adapter: frames from the page in, the core's outputs out as numbered frames.

By concern: :mod:`.protocol` (the frames, close codes and limits), :mod:`.outbox` (the
frames kept for a page), :mod:`.tab` (one open WebSocket) and :mod:`.channel` (the core's
channel for every page of this process).
"""

from bot.channels.web.channel.channel import WebChannel
from bot.channels.web.channel.outbox import Outbox, Page
from bot.channels.web.channel.protocol import (
    CHANNEL,
    CLOSE_BUSY,
    CLOSE_EXIT,
    CLOSE_GOING_AWAY,
    CLOSE_POLICY,
    CLOSE_TAKEN_OVER,
    MAX_DATA,
    MAX_FRAME_BYTES,
    MAX_TEXT,
    OUTBOX_FRAMES,
    OUTBOX_SECONDS,
    PROTOCOL,
    Limits,
    Sink,
    dumps,
)
from bot.channels.web.channel.tab import Tab

__all__ = [
    "CHANNEL",
    "CLOSE_BUSY",
    "CLOSE_EXIT",
    "CLOSE_GOING_AWAY",
    "CLOSE_POLICY",
    "CLOSE_TAKEN_OVER",
    "MAX_DATA",
    "MAX_FRAME_BYTES",
    "MAX_TEXT",
    "OUTBOX_FRAMES",
    "OUTBOX_SECONDS",
    "PROTOCOL",
    "Limits",
    "Outbox",
    "Page",
    "Sink",
    "Tab",
    "WebChannel",
    "dumps",
]
