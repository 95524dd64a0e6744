"""What works from every step: crisis answers and global commands.

The crisis detector's verdict becomes the crisis screen (sure) or a short check with the
number in it (possible); help, privacy, stop (and the question before erasing on words that
may mean something else), the language menu, resume and restart are global buttons whose
callback data starts with ``!``: they work from any message, old or new, with or without a
session.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING

from flows.compiled import (
    CRISIS,
    NONE_OF_THESE,
    CompiledFlow,
)
from flows.events import (
    Answered,
    Button,
    Choice,
    Command,
    Count,
    End,
    Event,
    Message,
    Output,
    Resume,
    Stale,
    Start,
    Text,
    Wipe,
)
from flows.match import Typed, WholeMessage
from flows.schema import Screen, State
from flows.session import Session
from flows.understanding.crisis import Verdict
from flows.wording import Wording, marked_urgent

COMMANDS_HELP = frozenset({"help", "hulp"})
COMMANDS_STOP = frozenset({"stop", "wis"})
COMMANDS_PRIVACY = frozenset({"privacy"})
COMMANDS_LANGUAGE = frozenset({"taal", "lang", "language"})
# Labels of global buttons, for Answered: the text key per callback data.
GLOBAL_LABELS = {
    "!help": "button.help",
    "!resume": "button.resume",
    "!keep": "button.erase_no",
    "!restart": "button.restart",
    NONE_OF_THESE: "system.none_of_these",
    "!crisis.no": "button.check_no",
}


def confirms_crisis(data: str) -> bool:
    """Callback data of "yes" at the crisis check: ``!crisis.<kind>``."""
    return data.startswith("!crisis.") and data != "!crisis.no"


def crisis_seen(session: Session, kind: str) -> bool:
    """True when a crisis screen of this kind (both kinds for "both") was shown before."""
    kinds = ("suicide", "danger") if kind not in ("suicide", "danger") else (kind,)
    return all(k in session.answer(CRISIS) for k in kinds)


def crisis_shown(session: Session, kind: str) -> Session:
    """Remember (as codes) which crisis screens were shown, for the handoff."""
    kinds = ("suicide", "danger") if kind not in ("suicide", "danger") else (kind,)
    shown = session.answer(CRISIS)
    new = tuple(k for k in kinds if k not in shown)
    return session.with_answer(CRISIS, (*shown, *new)) if new else session


class Interrupts(Wording):
    """Crisis answers and global commands; mixed into :class:`~flows.engine.Engine`."""

    if TYPE_CHECKING:  # provided by the Engine this is mixed into
        version: str
        _flows: Mapping[str, CompiledFlow]
        _intents: Mapping[str, WholeMessage]
        _language_names: Mapping[str, str]

        def _flow(self, session: Session) -> CompiledFlow: ...
        def _ask(self, session: Session) -> list[Output]: ...
        def _question(
            self, session: Session, state: State, *, replaces: bool = False, only_last: bool = False
        ) -> list[Output]: ...
        def _start(
            self, session: Session | None, event: Start
        ) -> tuple[Session, tuple[Output, ...]]: ...

    def _global_for(self, event: Event, typed: Typed | None = None) -> str | None:
        """The global action an event asks for ('!help', '!stop', …), if any."""
        if isinstance(event, Choice):
            return event.data if event.data.startswith("!") else None
        if isinstance(event, Resume):
            return "!resume"
        if isinstance(event, Command):
            name = event.name.lower()
            if name in COMMANDS_HELP:
                return "!help"
            if name in COMMANDS_STOP:
                return "!stop"
            if name in COMMANDS_PRIVACY:
                return "!privacy"
            if name in COMMANDS_LANGUAGE:
                arg = (event.arg or "").strip().lower()
                return f"!lang.{arg}" if arg in self.content.texts else "!lang"
            return None
        if isinstance(event, Text):
            typed = typed or Typed.of(event.text)
            code = self._language_names.get(typed.norm)
            if code is not None:
                return f"!lang.{code}"
            for name in ("stop", "stop_maybe", "help", "privacy", "language", "restart"):
                if self._intents[name].matches(typed):
                    return "!lang" if name == "language" else f"!{name}"
        return None

    def _global(
        self, session: Session, action: str, at: int, *, pressed: bool = False
    ) -> tuple[Session | None, tuple[Output, ...]]:
        new, outputs = self._global_action(session, action, at)
        if not pressed or any(isinstance(o, Stale | Wipe) for o in outputs):
            return new, outputs
        label = self._global_label(session.lang, action)
        return new, ((Answered((label,)), *outputs) if label else outputs)

    def _global_label(self, lang: str, action: str) -> str | None:
        """The label of the global button with this callback data, as the person saw it."""
        key = GLOBAL_LABELS.get(action)
        if key is not None:
            return self._text(lang, key)
        code = action.removeprefix("!lang.")
        if code != action and code in self.content.texts:
            return self._text(code, f"language.{code}")
        return None

    def _global_action(
        self, session: Session, action: str, at: int
    ) -> tuple[Session | None, tuple[Output, ...]]:
        lang = session.lang
        if action == "!stop":
            return None, (
                Count("erase", "stop"),
                Count("left", session.state),  # the funnel: erased at this question
                Wipe(self._text(lang, "system.erased")),
                End(),
            )
        if action == "!stop_maybe":  # "kappen", "stoppen": may mean something else; ask once
            return session, (self._erase_question(lang),)
        if action == "!help":
            return session, (Count("help", "asked"), *self._screen(self.content.screens.help, lang))
        if action == "!privacy":
            return session, self._screen(self.content.screens.privacy, lang)
        if action in ("!resume", "!keep", NONE_OF_THESE):
            return session, tuple(self._ask(session))
        if action == "!crisis.no":  # "not a crisis": back to the question, answers kept
            return session, (
                Count("crisis_check", "no"),
                Count("crisis_screen", "any", "no"),
                *marked_urgent(self._ask(session)),
            )
        if action == "!restart":
            return self._start(session, Start(at=at))
        if action == "!lang":
            rows = tuple(
                (Button(self._text(code, f"language.{code}"), f"!lang.{code}"),)
                for code in self.content.languages
            )
            return session, (self._say(lang, "system.choose_language", rows),)
        if action.startswith("!lang."):
            code = action.removeprefix("!lang.")
            if code in self.content.texts:
                session = session.evolve(lang=code)
                if session.state == self._flow(session).flow.start:  # the opening, all of it
                    state = self._flow(session).flow.states[session.state]
                    return session, (Count("language", code), *self._question(session, state))
                return session, (Count("language", code), *self._ask(session))
        return session, (
            Count("stale", "global"),
            Stale(),
            self._say(lang, "system.stale"),
            *self._ask(session),
        )

    def _erase_question(self, lang: str) -> Message:
        """ "Everything erased?" with yes (the global stop) and no (back to the question)."""
        row = (
            Button(self._text(lang, "button.erase_yes"), "!stop"),
            Button(self._text(lang, "button.erase_no"), "!keep"),
        )
        return Message(self._text(lang, "system.erase_question"), (row,))

    def _screen(self, screen: Screen, lang: str, *, resume: bool = True) -> tuple[Output, ...]:
        bubbles = self._bubbles(lang, screen.say, screen.links, required=True)
        row: tuple[Button, ...] = (
            (Button(self._text(lang, "button.resume"), "!resume"),) if resume else ()
        ) + (Button(self._text(lang, "button.stop"), "!stop"),)
        bubbles[-1] = dataclasses.replace(bubbles[-1], buttons=(row,))
        return tuple(bubbles)

    def _names_an_option(self, session: Session | None, typed: Typed | None) -> bool:
        """Typed exactly a button of the current question ("Iemand bedreigt mij of mijn
        familie"): an answer, which the flow handles, not a message to judge."""
        if session is None or typed is None or session.version != self.version:
            return False
        found = self._flows[session.flow].candidates.get((session.state, session.lang))
        return found is not None and typed.norm in found.choices

    def _crisis(
        self,
        kind: str,
        lang: str,
        *,
        resume: bool = True,
        again: bool = False,
        outcome: str = "sure",
    ) -> tuple[Output, ...]:
        """The crisis screen of ``kind`` (shorter when ``again``); ``outcome``: ``sure`` (the
        detector) or ``yes`` (confirmed at the check)."""
        screens = self.content.screens
        screen = {"suicide": screens.crisis_suicide, "danger": screens.crisis_danger}.get(
            kind, screens.crisis_both
        )
        if again and screens.crisis_again is not None:
            screen = screens.crisis_again  # the same words twice read as a machine: shorter
        return (
            Count("crisis", kind),
            Count("crisis_screen", kind, outcome),
            *marked_urgent(self._screen(screen, lang, resume=resume)),
        )

    def _crisis_answer(
        self, verdict: Verdict, lang: str, *, resume: bool = True, again: bool = False
    ) -> tuple[Output, ...]:
        """Sure: the crisis screen (shorter when ``again``). Possible: one short check with
        the number already in it, and yes/no buttons that work from anywhere
        (``!crisis.<kind>``, ``!crisis.no``)."""
        kind = verdict.kind or "both"
        if verdict.outcome == "sure":
            return self._crisis(kind, lang, resume=resume, again=again)
        screens = self.content.screens
        screen = {"suicide": screens.check_suicide, "danger": screens.check_danger}.get(
            kind, screens.check_both
        )
        bubbles = self._bubbles(lang, screen.say, screen.links, required=True)
        rows = (
            (
                Button(self._text(lang, "button.check_yes"), f"!crisis.{kind}"),
                Button(self._text(lang, "button.check_no"), "!crisis.no"),
            ),
            (Button(self._text(lang, "button.stop"), "!stop"),),
        )
        bubbles[-1] = dataclasses.replace(bubbles[-1], buttons=rows)
        return (
            Count("crisis_check", kind),
            Count("crisis_screen", kind, "possible"),
            *marked_urgent(bubbles),
        )

    def _crisis_confirmed(
        self, action: str, lang: str, *, resume: bool = True, again: bool = False
    ) -> tuple[Output, ...]:
        """Yes at the check: the crisis screen of that kind (both when the data is odd)."""
        kind = action.removeprefix("!crisis.")
        kind = kind if kind in ("suicide", "danger") else "both"
        return self._crisis(kind, lang, resume=resume, again=again, outcome="yes")
