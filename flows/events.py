"""Events that go into the engine and outputs that come out of it.

All are small frozen values. Events carry ``at``: the time the host received
them, in whole seconds since the epoch (UTC), so the engine never reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------- events in


@dataclass(frozen=True, slots=True)
class Start:
    """The person opened the conversation (``/start``), maybe with a deep-link payload.

    ``lang``: the language asked for (the console's ``--lang``, the web page's ``?lang=``).
    ``suggest``: a language the person's app or browser prefers. It is only offered (a
    button in that language on the first question), never switched to, and not kept.
    """

    at: int
    payload: str | None = None
    lang: str | None = None
    suggest: str | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    """A button was pressed. ``data`` is untrusted: it may be stale, forged or garbage."""

    at: int
    data: str


@dataclass(frozen=True, slots=True)
class Text:
    """Free text. Used for this step only and never stored."""

    at: int
    text: str


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command other than /start: ``help``, ``stop``, ``privacy``, ``taal`` …"""

    at: int
    name: str
    arg: str | None = None


@dataclass(frozen=True, slots=True)
class Resume:
    """Ask the current question again: the channel could not take what the person did
    (a sticker, an edited message, a lost reply), so that they are never left stuck.

    Nothing was pressed, so nothing is marked as chosen or stale.
    """

    at: int


@dataclass(frozen=True, slots=True)
class Timeout:
    """The host decided the conversation has been idle too long."""

    at: int


Event = Start | Choice | Text | Command | Resume | Timeout

# ---------------------------------------------------------------- outputs


@dataclass(frozen=True, slots=True)
class Button:
    """An answer button. ``data`` is what comes back in :class:`Choice` (≤ 64 bytes).

    ``selected``: a ticked option of a multiple-choice question. A channel that draws its
    own tick (the web page) shows ``label`` with it; one that cannot (Telegram, the
    terminal) shows :attr:`shown`, the label with the content's tick (``button.selected``)
    in ``ticked``. ``tickable``: an option of a multiple-choice question, ticked or not (a
    channel that draws boxes draws an empty one); ``submit``: a button that ends a
    multiple-choice question ("Klaar", "Weet ik niet", "Overslaan"), never ticked.
    """

    label: str
    data: str
    selected: bool = False
    ticked: str = ""
    tickable: bool = False
    submit: bool = False

    @property
    def shown(self) -> str:
        """The label as shown where a channel draws no tick of its own."""
        return (self.ticked or self.label) if self.selected else self.label


@dataclass(frozen=True, slots=True)
class Link:
    """A button that opens a web address."""

    label: str
    url: str
    service: str = ""  # the service's id in the content, when the link is a service's


@dataclass(frozen=True, slots=True)
class Card:
    """One service at a handoff, its parts already worded in the conversation's language.

    ``status``: open now, closed (and when it opens), or "see the website"; ``open``: True
    when open now (or always), False when closed, None when not known. ``phone``: the
    number to call as written ("0800-0432"), ``free`` when calling costs nothing;
    ``phone_line`` says both in words.
    ``link``: the service's chat, else its website (as in the message's ``links``);
    ``chat``: True when ``link`` is a chat. ``details``: e-mail, languages, interpreter.
    """

    service: str
    name: str
    purpose: str
    why: str = ""
    status: str = ""
    open: bool | None = None
    phone: str = ""
    free: bool = False
    phone_line: str = ""
    link: Link | None = None
    chat: bool = False
    details: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Message:
    """One chat bubble.

    ``buttons`` are rows of answer buttons, ``links`` are web links shown as
    buttons. ``replaces`` is True when this message is the same question as the
    one whose button was just pressed, updated in place (a multiple-choice
    toggle); a channel may edit that message instead of sending a new one.
    ``copyable`` marks text meant to be copied (a summary): a channel may show it
    so that one tap copies it. ``urgent`` marks an answer to a (possible) crisis: a
    channel that has to queue sends it before anything else. ``parts``: when the message
    holds service cards, its texts and cards in order (``text`` says the same as plain
    text, for channels that show no cards); empty otherwise.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    links: tuple[Link, ...] = ()
    replaces: bool = False
    copyable: bool = False
    urgent: bool = False
    parts: tuple[str | Card, ...] = ()


@dataclass(frozen=True, slots=True)
class Handoff:
    """The conversation handed the person on to these services, best first."""

    services: tuple[str, ...]
    summary: str
    at: str = ""  # the handoff's state in the flow (which audience it serves)


@dataclass(frozen=True, slots=True)
class Wipe:
    """Erase every message of this conversation the channel can, then show ``notice``."""

    notice: str


@dataclass(frozen=True, slots=True)
class End:
    """The conversation is over; the host drops the session."""


@dataclass(frozen=True, slots=True)
class Answered:
    """The button press was taken as an answer; ``labels`` are what was chosen, as shown.

    For a multiple-choice question: the ticked options, then the button that ended it.
    Comes before the messages of the reply, so a channel can mark the pressed message
    first (Telegram appends "→ label"; the web page shows the choice as the person's).
    Only for presses: a typed answer is already in the person's own words.
    """

    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Stale:
    """The pressed button belongs to an older question (or is unknown): nothing was chosen.

    A channel may take the answer buttons off the pressed message.
    """


@dataclass(frozen=True, slots=True)
class Count:
    """An aggregate counter to increase: never carries anything about a person.

    ``label`` and ``detail`` are codes from the content or the engine (a state id, an option
    id, a crisis kind and outcome), never anything typed.
    """

    metric: str
    label: str
    detail: str = ""


Output = Message | Handoff | Answered | Stale | Wipe | End | Count
