"""baken's dialogue engine: pure, synchronous, no I/O.

The host loads a :class:`Session`, calls :meth:`Engine.step` with an event and
gets back the new session and a tuple of outputs to render. Nothing in this
package touches the network, files (except :mod:`flows.loader`, which reads the
content folder once), logging frameworks or Telegram types.
"""

from flows.engine import Engine
from flows.events import (
    Answered,
    Button,
    Card,
    Choice,
    Command,
    Count,
    End,
    Event,
    Handoff,
    Link,
    Message,
    Output,
    Resume,
    Stale,
    Start,
    Text,
    Timeout,
    Wipe,
)
from flows.loader import Content, ContentError, Problem, load_content
from flows.session import Session

__all__ = [
    "Answered",
    "Button",
    "Card",
    "Choice",
    "Command",
    "Content",
    "ContentError",
    "Count",
    "End",
    "Engine",
    "Event",
    "Handoff",
    "Link",
    "Message",
    "Output",
    "Problem",
    "Resume",
    "Session",
    "Stale",
    "Start",
    "Text",
    "Timeout",
    "Wipe",
    "load_content",
]
