"""Wording: how the engine says things, on a channel, in a language.

Texts by key with their channel variants (``key@telegram``), numbers and addresses kept left
to right inside right-to-left text, service names and links, paragraphs as bubbles, and the
rule that joins one turn's texts into one message (:func:`one_message_per_turn`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping

from babel import Locale, UnknownLocaleError

from flows.content import DEFAULT_LANG, Content
from flows.events import (
    Button,
    Card,
    Link,
    Message,
    Output,
)
from flows.schema import Service


class Wording:
    """Texts as a person sees them; mixed into :class:`~flows.engine.Engine`."""

    content: Content
    channel: str
    _rtl: frozenset[str]

    def _text(self, lang: str, key: str) -> str:
        text = self.content.text(lang, key)
        if self.channel:
            # This language's variant, else its plain text, else the Dutch variant.
            variant = f"{key}@{self.channel}"
            own = self.content.texts.get(lang, {})
            if variant in own or (key not in own and variant in self.content.texts[DEFAULT_LANG]):
                text = self.content.text(lang, variant)
        if lang in self._rtl:
            text = _LTR_RUN.sub(lambda m: _isolated(m.group(0)), text)
        return text

    def _ltr(self, lang: str, value: str) -> str:
        """A number or address, isolated left to right inside a right-to-left text."""
        return _isolated(value) if lang in self._rtl else value

    def _language_name(self, code: str) -> str:
        """A language in its own name: the menu's name, else Babel's (CLDR) name."""
        name = self.content.texts.get(code, {}).get(f"language.{code}")
        if name is None:
            name = self.content.texts[DEFAULT_LANG].get(f"language.{code}")
        if name is None:
            name = language_name(code)
        return name

    def _say(self, lang: str, key: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> Message:
        return Message(self._text(lang, key), buttons)

    def _name(self, lang: str, service: Service) -> str:
        return self._in_language(lang, service.name)

    @staticmethod
    def _in_language(lang: str, texts: Mapping[str, str]) -> str:
        return texts.get(lang) or texts.get(DEFAULT_LANG) or next(iter(texts.values()), "")

    def _link(self, lang: str, service: Service) -> Link | None:
        url = service.link
        return Link(self._name(lang, service), url, service.id) if url else None

    def _bubbles(
        self, lang: str, keys: Iterable[str], links: Iterable[str], *, required: bool = False
    ) -> list[Message]:
        """A text per paragraph (empty texts left out). ``required``: a screen that must say
        something (crisis, help): when every text is empty on this channel, the plain texts,
        and when those are empty too, the help text with 112 and 113."""
        keys = tuple(keys)
        said = (self._text(lang, key) for key in keys)
        out = [Message(text) for text in said if text]
        if required and not out:
            plain = (self.content.text(lang, key) for key in keys)
            out = [Message(text) for text in plain if text] or [
                Message(self.content.text(lang, "help.now"))
            ]
        found = (self._link(lang, self.content.services[s]) for s in links)
        link_buttons = tuple(link for link in found if link is not None)
        if link_buttons and out:
            out[-1] = dataclasses.replace(out[-1], links=link_buttons)
        return out

    def _global_row(self, lang: str) -> tuple[Button, ...]:
        return (
            Button(self._text(lang, "button.help"), "!help"),
            Button(self._text(lang, "button.stop"), "!stop"),
        )


PARAGRAPH = "\n\n"


def one_message_per_turn(outputs: tuple[Output, ...]) -> tuple[Output, ...]:
    """Join a turn's consecutive texts into one message, as paragraphs, with its buttons.

    Each text of ``say:`` is a paragraph; every message a channel sends costs a place in
    its queue (Telegram: about 30 a second in all), so one turn is one message where one
    is enough. A message stays apart when it is to be copied (the summary, copied whole),
    when it replaces the pressed question (a multiple-choice tick), and after a message
    with answer buttons. Web links of the joined texts stay, each once. Other outputs
    (counts, the handoff, what was chosen) keep their order around the messages.
    """
    out: list[Output] = []
    group: list[Message] = []

    def close() -> None:
        if not group:
            return
        if len(group) == 1:
            out.append(group[0])
        else:
            links: dict[str, Link] = {}
            for message in group:
                for link in message.links:
                    links.setdefault(link.url, link)
            last = group[-1]
            text = PARAGRAPH.join(m.text for m in group if m.text)
            urgent = any(m.urgent for m in group)
            parts: tuple[str | Card, ...] = ()
            if any(m.parts for m in group):  # service cards: each text and card in order
                parts = tuple(p for m in group if m.text for p in (m.parts or (m.text,)))
            kept = tuple(links.values())
            out.append(Message(text, last.buttons, kept, urgent=urgent, parts=parts))
        group.clear()

    for output in outputs:
        if not isinstance(output, Message):
            out.append(output)
            continue
        alone = output.copyable or output.replaces
        if group and (alone or group[-1].buttons):
            close()
        group.append(output)
        if alone:
            close()
    close()
    return tuple(out)


# In a right-to-left text: phone numbers, web addresses and e-mail addresses, each read as
# one left-to-right run (Unicode isolates), so "113.nl" or "+31 70 333 44 44" stay intact.
_LTR_RUN = re.compile(
    r"(?:https?://)?[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail
    r"|(?:https?://)?(?:[A-Za-z0-9-]+\.)+(?:nl|com|org|eu|chat|net)\b"  # an address,
    r"(?:/[^\s]*[^\s.,;:!?)])?"  # its path without the sentence's full stop
    # a phone number of six or more digits, not part of a time ("9:00 - 17:00")
    r"|(?<!\d)(?<!\d[:.])\+?\d[\d ()-]{4,}\d(?!\d|[:.]\d)",
)


def marked_urgent(outputs: Iterable[Output]) -> tuple[Output, ...]:
    """``outputs`` with every message marked urgent (a crisis answer goes first)."""
    return tuple(
        dataclasses.replace(o, urgent=True) if isinstance(o, Message) else o for o in outputs
    )


def _isolated(run: str) -> str:
    """``run`` as a left-to-right isolate (U+2066 ... U+2069)."""
    return f"\u2066{run}\u2069"


def language_name(code: str) -> str:
    """The name of a language in that language, from CLDR (Babel), capitalised; the code
    itself when CLDR does not know it."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:]
