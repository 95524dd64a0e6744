"""WhatsApp <-> engine, as pure functions: a webhook body becomes incomings, outputs become
Cloud API messages. Nothing here does I/O; :mod:`bot.channels.whatsapp.channel` sends.

Decisions, deliberately made:

**What comes in.** Only ``messages`` changes for our own phone number id are read;
statuses (sent, delivered, read, failed) are ignored, and so is everything about the
person but the ``from`` field: the profile name in ``contacts`` is never read. Text is
typed text (``/start`` and the typed commands work as everywhere); a pressed reply
button or list row carries our button data in its ``id``; ``request_welcome`` (the person
opened the chat for the first time) is a start. A caption with a crisis sentence is read
like text. Anything else (a photo, a voice message, a shared contact or place) asks the
current question again with "I only read text and buttons"; WhatsApp does not let a
business delete it, so baken does not pretend to. A reaction is ignored.

**What goes out, within WhatsApp's limits** (:mod:`.limits`):

- answers that fit as **reply buttons** (at most 3, titles of at most 20 characters) go
  as buttons; when help and stop make it more than three, the answers go as buttons and a
  line says to type "hulp" or "stop" (both always work as typed words);
- otherwise a **list** (at most 10 rows; a title longer than 24 characters is shortened
  and given whole as the row's description, up to 72); with more than 10 rows, help and
  stop leave the list for the typed line, and what is still too many goes as a second
  list;
- a multiple-choice question is sent again with its ticks after every press (WhatsApp
  cannot edit a sent message), until the person presses the button that ends it;
- a text longer than an interactive body (1,024) goes first as text messages (4,096 each,
  cut at paragraphs), its last part as the body; link previews are off;
- each link (a service card) becomes its own **URL button** message (``cta_url``), whose
  body names the service and whose button says "open" when the name is too long for it;
- a copyable summary goes alone as a text message, so one long press copies just it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.channels import channel_texts as texts
from bot.channels.whatsapp import limits
from flows import Button, Choice, Event, Link, Message, Resume, Start, Text
from flows.commands import typed_event
from flows.wording import PARAGRAPH

JSON = dict[str, Any]

# The channel's own texts in content/texts/*.yaml (section `whatsapp:`).
CHOOSE = texts.WHATSAPP_CHOOSE
MORE = texts.WHATSAPP_MORE
TYPED = texts.WHATSAPP_TYPED
OPEN = texts.WHATSAPP_OPEN
ONLY_TEXT = texts.TELEGRAM_ONLY_TEXT  # "I only read text and buttons": true here too

# The engine's help and stop buttons: reachable by typing when they do not fit.
TYPABLE = frozenset({"!help", "!stop"})
_CAPTIONED = ("image", "video", "document")

# ---------------------------------------------------------------- incoming


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a person: who (``wa_id``, used for the key and the reply only),
    what it means to the engine, its kind for the metrics, its delivery id, a note."""

    wa_id: str = field(repr=False)
    message_id: str = field(repr=False)
    event: Event
    kind: str
    note: str | None = None


def _dicts(value: object) -> Iterator[JSON]:
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                yield item


def read_notification(
    body: object, at: int, *, phone_number_id: str, is_crisis: Callable[[str], bool]
) -> list[Inbound]:
    """The messages of one webhook notification, in order; everything else is left unread.

    Raises nothing for any body: what cannot be read is skipped.
    """
    found: list[Inbound] = []
    if not isinstance(body, dict) or body.get("object") != "whatsapp_business_account":
        return found
    for entry in _dicts(body.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            if not isinstance(metadata, dict) or metadata.get("phone_number_id") != phone_number_id:
                continue  # another number of the same app: not ours to answer
            for message in _dicts(value.get("messages")):
                inbound = _read_message(message, at, is_crisis)
                if inbound is not None:
                    found.append(inbound)
    return found


def _read_message(message: JSON, at: int, is_crisis: Callable[[str], bool]) -> Inbound | None:
    wa_id = message.get("from")
    message_id = message.get("id")
    kind = message.get("type")
    if not (isinstance(wa_id, str) and wa_id and isinstance(message_id, str) and message_id):
        return None
    if kind == "reaction":
        return None
    if kind == "text":
        text = _str(_get(message, "text", "body"))
        if text.strip():
            event = typed_event(text, at)
            kind = "text" if isinstance(event, Text) else "command"
            return Inbound(wa_id, message_id, event, kind)
    elif kind == "interactive":
        interactive = message.get("interactive")
        if isinstance(interactive, dict):
            reply = interactive.get("button_reply") or interactive.get("list_reply")
            data = _str(reply.get("id")) if isinstance(reply, dict) else ""
            return Inbound(wa_id, message_id, Choice(at=at, data=data), "button")
    elif kind == "request_welcome":
        return Inbound(wa_id, message_id, Start(at=at), "command")
    elif kind in _CAPTIONED:
        caption = _str(_get(message, kind, "caption"))
        if caption and is_crisis(caption):
            return Inbound(wa_id, message_id, Text(at=at, text=caption), "non_text")
    shared = kind in ("contacts", "location")
    return Inbound(
        wa_id, message_id, Resume(at=at), "shared" if shared else "non_text", note=ONLY_TEXT
    )


def _get(message: JSON, part: str, name: str) -> object:
    inner = message.get(part)
    return inner.get(name) if isinstance(inner, dict) else None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


# ---------------------------------------------------------------- outgoing


@dataclass(frozen=True, slots=True)
class Words:
    """The channel's own words in the conversation's language."""

    choose: str  # the button that opens a list
    more: str  # the body of a second list
    typed: str  # "type hulp or stop"
    open: str  # a URL button whose label is too long


def split_text(text: str, limit: int = limits.MAX_TEXT) -> list[str]:
    """A text in pieces of at most ``limit`` characters, cut at paragraphs, lines or words."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind(PARAGRAPH, 0, limit)
        if cut <= 0:
            cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def text_message(text: str) -> JSON:
    return {"type": "text", "text": {"body": text, "preview_url": False}}


def _with_body(text: str, extra: str | None = None) -> tuple[list[JSON], str]:
    """Text messages for what does not fit an interactive body, and the body itself."""
    if extra:
        text = f"{text}{PARAGRAPH}{extra}" if text.strip() else extra
    if len(text) <= limits.MAX_BODY:
        return [], text.strip() or "…"
    pieces = split_text(text, limits.MAX_BODY)
    body = pieces[-1]
    before = PARAGRAPH.join(pieces[:-1])
    return [text_message(p) for p in split_text(before)], body


def _reply_buttons(body: str, buttons: Sequence[Button]) -> JSON:
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": b.data, "title": b.shown}} for b in buttons
                ]
            },
        },
    }


def _row(button: Button) -> JSON:
    label = button.shown
    row: JSON = {"id": button.data, "title": limits.shorten(label, limits.MAX_ROW_TITLE)}
    if not limits.fits_row(label):
        row["description"] = limits.shorten(label, limits.MAX_ROW_DESCRIPTION)
    return row


def _list(body: str, buttons: Sequence[Button], words: Words) -> JSON:
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": body},
            "action": {
                "button": limits.shorten(words.choose, limits.MAX_LIST_BUTTON),
                "sections": [{"rows": [_row(b) for b in buttons]}],
            },
        },
    }


def cta_url(link: Link, words: Words) -> JSON:
    """A URL button message for one link (a service card)."""
    label = link.label if limits.fits_button(link.label) else words.open
    return {
        "type": "interactive",
        "interactive": {
            "type": "cta_url",
            "body": {"text": limits.shorten(link.label, limits.MAX_BODY) or "…"},
            "action": {
                "name": "cta_url",
                "parameters": {
                    "display_text": limits.shorten(label, limits.MAX_CTA_TEXT),
                    "url": link.url,
                },
            },
        },
    }


def _usable(button: Button) -> bool:
    return 1 <= len(button.data) <= limits.MAX_ROW_ID and bool(button.shown.strip())


def render_message(message: Message, words: Words) -> tuple[list[JSON], int]:
    """One engine message as Cloud API messages (without ``to``), in the order to send.

    Returns them and the number of buttons left out (data too long: a content problem).
    """
    out: list[JSON] = []
    cards = [
        cta_url(link, words)
        for link in message.links
        if link.url.startswith(("https://", "http://"))
    ]
    every = [b for row in message.buttons for b in row]
    buttons = [b for b in every if _usable(b)]
    dropped = len(every) - len(buttons)
    text = message.text
    if not buttons:
        return [*plain(text), *cards], dropped
    if message.copyable:
        out += plain(text)
        text = ""
    after: list[JSON] = []
    if cards and PARAGRAPH in text.strip():  # the text, the cards, the question last
        lead, _, text = text.rpartition(PARAGRAPH)
        out += [*plain(lead), *cards]
    else:  # one paragraph (help, say): it comes first, the cards after it
        after = cards
    answers = [b for b in buttons if b.data not in TYPABLE]
    typed_away = len(answers) < len(buttons)
    if len(buttons) <= limits.MAX_BUTTONS and all(limits.fits_button(b.shown) for b in buttons):
        before, body = _with_body(text)
        question = [_reply_buttons(body, buttons)]
    elif (
        typed_away
        and 0 < len(answers) <= limits.MAX_BUTTONS
        and all(limits.fits_button(b.shown) for b in answers)
    ):
        before, body = _with_body(text, words.typed)
        question = [_reply_buttons(body, answers)]
    elif len(buttons) <= limits.MAX_ROWS:
        before, body = _with_body(text)
        question = [_list(body, buttons, words)]
    else:
        rows = answers or buttons
        before, body = _with_body(text, words.typed if typed_away and answers else None)
        question = [
            _list(body if start == 0 else words.more, rows[start : start + limits.MAX_ROWS], words)
            for start in range(0, len(rows), limits.MAX_ROWS)
        ]
    return [*out, *before, *question, *after], dropped


def plain(text: str) -> list[JSON]:
    """A channel text (a note, the erase notice) as text messages."""
    return [text_message(p) for p in split_text(text)]
