"""Running a server process until it is told to stop (SIGINT, SIGTERM)."""

from __future__ import annotations

import asyncio
import signal


async def until_stopped() -> None:
    """Wait for SIGINT or SIGTERM; the caller then shuts down gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
