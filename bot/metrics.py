"""Aggregate counters for operators, in the Prometheus text format (``GET /metrics``).

Every metric lives in a :class:`Metrics` object with its own ``CollectorRegistry``, so
two bots in one process (tests, benchmarks) never share numbers. What may become a
label is closed: update types and reply kinds are fixed words, handoffs and engine
counts use ids from the content, errors use exception class names. Anything else
becomes ``other``. No label ever carries a user id, a chat id, a text or a time.

Metrics (all names start with ``baken_``):

- ``updates_total{type}``            updates received, by kind (see ``UPDATE_TYPES``)
- ``replies_total{kind}``            messages sent, edited or deleted, and notes added
- ``handoffs_total{service}``        services shown at a handoff
- ``crisis_interrupts_total{kind}``  crisis sentences answered (suicide, danger)
- ``conversation_events_total{metric,label}``  the engine's own ``Count`` outputs
- ``errors_total{type,where}``       errors, by exception class and place
- ``step_seconds``                   time of one engine step, store included (histogram)
- ``webhook_requests_total{status}`` answers of ``POST /telegram`` (403: wrong secret, …)
- ``web_connections``                open web chat connections (a gauge)
- ``web_refused_total{reason}``      web chat connections or frames refused (``WEB_REFUSALS``)
- ``web_resumed_total{how}``         web chat reconnects: ``outbox`` (resent), ``lost``

and the figures an organisation can publish (``FIGURES``; their label values are checked
against closed lists in :mod:`bot.figures`).
"""

from __future__ import annotations

import re
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

UPDATE_TYPES = frozenset(
    {
        "text",
        "command",
        "button",
        "non_text",
        "shared",
        "edited",
        "service",
        "group",
        "channel",
        "member",
        "duplicate",
        "other",
    }
)
REPLY_KINDS = frozenset({"sent", "edited", "deleted", "left"})
WEB_REFUSALS = frozenset(
    {"origin", "full", "bad_frame", "too_fast", "too_long", "no_conversation", "host"}
)
WEB_RESUMED = frozenset({"outbox", "lost"})
WHERE = frozenset({"step", "remember", "without_session", "api", "update", "store", "webhook"})

# The published figures: name (without ``_total``) -> (help, label names). bot/figures.py
# decides and checks their label values; here they are only registered and increased.
FIGURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "baken_conversations_started": (
        "Conversations started, by channel, language and way in (deep link, campaign code).",
        ("channel", "lang", "way"),
    ),
    "baken_funnel": (
        "Questions of the flow: reached, answered, skipped, or left (erased) there.",
        ("channel", "question", "step"),
    ),
    "baken_handoff_services": (
        "Services shown at a handoff, by the handoff's audience (its state in the flow).",
        ("channel", "service", "audience"),
    ),
    "baken_crisis_screens": (
        "Crisis screens (sure) and checks (possible), and the answers to a check (yes, no).",
        ("channel", "kind", "outcome"),
    ),
    "baken_leaving": (
        "Conversations erased: by stop or the safe word (erase), or by quick exit.",
        ("channel", "how"),
    ),
    "baken_answers": (
        "Answers the flow counts (count: true), such as 'did this help'.",
        ("channel", "question", "option"),
    ),
    "baken_links_opened": (
        "Service links opened through GET /go/<service>.",
        ("service",),
    ),
}

_LABEL = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_TYPE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def _label(value: str, allowed: frozenset[str] | None = None) -> str:
    if allowed is not None:
        return value if value in allowed else "other"
    return value if _LABEL.match(value) else "other"


class Metrics:
    """The bot's counters; ``render()`` gives the scrape page."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self._updates = Counter(
            "baken_updates", "Telegram updates received, by type.", ["type"], registry=registry
        )
        self._replies = Counter(
            "baken_replies", "Bot API actions towards users, by kind.", ["kind"], registry=registry
        )
        self._handoffs = Counter(
            "baken_handoffs", "Services shown at a handoff.", ["service"], registry=registry
        )
        self._crisis = Counter(
            "baken_crisis_interrupts",
            "Crisis sentences answered with 112/113.",
            ["kind"],
            registry=registry,
        )
        self._events = Counter(
            "baken_conversation_events",
            "Aggregate conversation counts from the engine (ways in, answers, erase, ...).",
            ["metric", "label"],
            registry=registry,
        )
        self._errors = Counter(
            "baken_errors",
            "Errors, by exception type and place.",
            ["type", "where"],
            registry=registry,
        )
        self._webhook = Counter(
            "baken_webhook_requests",
            "Answers to POST /telegram, by HTTP status.",
            ["status"],
            registry=registry,
        )
        self._web_connections = Gauge(
            "baken_web_connections", "Open web chat connections.", registry=registry
        )
        self._web_refused = Counter(
            "baken_web_refused",
            "Web chat connections or frames refused, by reason.",
            ["reason"],
            registry=registry,
        )
        self._web_resumed = Counter(
            "baken_web_resumed",
            "Reconnects, by how the conversation went on (outbox: resent; lost: asked again).",
            ["how"],
            registry=registry,
        )
        self._figures = {
            f"{name}_total": Counter(name, text, list(labels), registry=registry)
            for name, (text, labels) in FIGURES.items()
        }
        self._children: dict[tuple[str, ...], Any] = {}  # a figure's series, by its labels
        self._step = Histogram(
            "baken_step_seconds",
            "Time of one conversation step (store included).",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=registry,
        )

    def update(self, kind: str) -> None:
        """An update of this kind arrived."""
        self._updates.labels(_label(kind, UPDATE_TYPES)).inc()

    def reply(self, kind: str, amount: int = 1) -> None:
        """Messages sent, edited, deleted, or a chat left."""
        self._replies.labels(_label(kind, REPLY_KINDS)).inc(amount)

    def count(self, metric: str, label: str) -> None:
        """A ``Count`` from the engine, or a handoff (counted by the conversation core)."""
        if metric == "handoff":
            self._handoffs.labels(_label(label)).inc()
            return
        if metric == "crisis":
            self._crisis.labels(_label(label)).inc()
        self._events.labels(_label(metric), _label(label)).inc()

    def figure(self, name: str, labels: dict[str, str]) -> None:
        """Increase a published figure (``FIGURES``); the labels come from bot.figures,
        checked against closed lists, so this cache of series is bounded too."""
        key = (name, *labels.values())
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._figures[name].labels(**labels)
        child.inc()

    def error(self, where: str, exc: BaseException) -> None:
        """An error; only the exception's class name is kept (``Conversations.error``)."""
        name = type(exc).__name__
        self._errors.labels(name if _TYPE_NAME.match(name) else "other", _label(where, WHERE)).inc()

    def step(self, seconds: float) -> None:
        """One engine step took this long."""
        self._step.observe(seconds)

    def webhook(self, status: int) -> None:
        """``POST /telegram`` was answered with this status."""
        self._webhook.labels(str(status) if 100 <= status <= 599 else "other").inc()

    def web_connection(self, change: int) -> None:
        """A web chat socket opened (+1) or closed (-1)."""
        self._web_connections.inc(change)

    def web_refused(self, reason: str) -> None:
        """A web chat connection or frame was refused (see ``WEB_REFUSALS``)."""
        self._web_refused.labels(_label(reason, WEB_REFUSALS)).inc()

    def web_resumed(self, how: str) -> None:
        """A page came back: its frames were resent (``outbox``), or it was asked again."""
        self._web_resumed.labels(_label(how, WEB_RESUMED)).inc()

    def render(self) -> tuple[bytes, str]:
        """The scrape page and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def value(self, name: str, **labels: str) -> float:
        """One sample's current value (0 when absent); for tests and the benchmark."""
        found = self.registry.get_sample_value(name, labels)
        return found or 0.0
