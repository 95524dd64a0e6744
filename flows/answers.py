"""Answers: a button pressed or words typed at the current question.

A press counts when its callback data still belongs to this question (else a gentle "that
button is old"); a multiple-choice press ticks or unticks in place; typed words are a
button's label or synonym, else a story (see :mod:`flows.stories`), else "did you mean",
else an honest "I do not understand".
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from flows.compiled import MISSED, NONE_OF_THESE, SKIP, option_of
from flows.events import Answered, Button, Choice, Count, Output, Stale, Start
from flows.match import Typed, match_option
from flows.schema import Option, State
from flows.session import Session
from flows.stories import SHORT_AGE_WORDS, SHORT_ANSWER, Stories, bare_age
from flows.understanding.situation import Reading


class Answers(Stories):
    """Answering the current question; mixed into :class:`~flows.engine.Engine`."""

    if TYPE_CHECKING:  # provided by the Engine this is mixed into
        _places: dict[str, str]

        def _start(
            self, session: Session | None, event: Start
        ) -> tuple[Session, tuple[Output, ...]]: ...
        def _enter(
            self, session: Session, name: str, outputs: list[Output], at: int
        ) -> Session: ...
        def _rows(self, session: Session, state: State) -> tuple[tuple[Button, ...], ...]: ...

    def _choice(self, session: Session, event: Choice) -> tuple[Session, tuple[Output, ...]]:
        compiled = self._flow(session)
        option_id = event.data.rpartition(".")[0]
        state = compiled.flow.states[session.state]
        option = option_of(state, option_id)
        if option is None or compiled.data.get((session.state, option_id)) != event.data:
            return session, (
                Count("stale", "button"),
                Stale(),
                self._say(session.lang, "system.stale"),
                *self._ask(session),
            )
        return self._choose(session, state, option, event.at, pressed=True)

    def _choose(
        self, session: Session, state: State, option: Option, at: int, *, pressed: bool
    ) -> tuple[Session, tuple[Output, ...]]:
        outputs: list[Output] = []
        if session.answer(MISSED):
            session = session.with_answer(MISSED, ())
        if option.count:
            outputs.append(Count("answer", f"{session.state}.{option.id}"))
            outputs.append(Count("chosen", session.state, option.id))
        current = session.answer(session.state)
        if pressed and not (state.multi and not option.submit):
            # What was chosen, as the person saw it: the ticks, then the button pressed.
            ticked = tuple(o for o in current if o != option.id) if state.multi else ()
            chosen = (*ticked, option.id)
            outputs.append(
                Answered(tuple(self._text(session.lang, self._label(state, o)) for o in chosen))
            )
        if not state.multi or option.submit:  # the question is done with: the funnel
            outputs.append(Count("skipped" if option.id == SKIP else "answered", session.state))
        if state.multi and not option.submit:
            picked = tuple(o for o in current if o != option.id)
            if option.id not in current:
                picked = (*picked, option.id)
            order = [o.id for o in state.options]
            picked = tuple(sorted(picked, key=order.index))
            session = session.with_answer(session.state, picked)
            outputs.extend(self._question(session, state, replaces=pressed, only_last=True))
            return session, tuple(outputs)
        if option.restart:
            restarted, started = self._start(session, Start(at=at))
            return restarted, (*outputs, *(o for o in started if not isinstance(o, Count)))
        if state.multi and option.id == SKIP:
            current = ()  # "Sla over": nothing of this question counts, not even ticks baken set
        picks = (*current, option.id) if state.multi else (option.id,)
        session = session.with_answer(session.state, picks)
        if option.set_lang and option.set_lang in self.content.texts:
            session = session.evolve(lang=option.set_lang)
        target = self._flow(session).machine.fire(session.state, option.id, session.facts())
        if target is None:
            outputs.extend(self._ask(session))
            return session, tuple(outputs)
        session = self._enter(session, target, outputs, at)
        return session, tuple(outputs)

    def _typed(
        self, session: Session, typed: Typed, text: str, at: int
    ) -> tuple[Session, tuple[Output, ...]]:
        """Typed text at a question: an option's label or synonym, else a story read into
        option codes, else "did you mean", else an honest "I do not understand"."""
        compiled = self._flow(session)
        state = compiled.flow.states[session.state]
        lang = session.lang
        if not state.options:
            return session, (self._say(lang, "system.not_understood"), *self._ask(session))
        ordered = [o.id for o in state.options]
        found = match_option(typed, compiled.candidates[(session.state, lang)], ordered)
        if found.sure is not None:
            option = option_of(state, found.sure)
            assert option is not None
            return self._choose(session, state, option, at, pressed=False)
        place = self._place(typed, state)
        if place is not None:  # "ik woon in Westland" at "Waar woon je?"
            return self._choose(session, state, place, at, pressed=False)
        reading = self.readers.situation.read(text)
        age = bare_age(typed.norm)
        if age is not None and option_of(state, age) is not None:
            # "34" at "Hoe oud ben je?": no button has that number, but it is an age.
            reading = Reading((age,), (), {age: SHORT_ANSWER})
        elif reading.age and len(typed.tokens) <= SHORT_AGE_WORDS:
            # "ik ben 15", "mam 17 lat": an answer too; a longer story is only confirmed.
            reading = dataclasses.replace(
                reading, reasons={**reading.reasons, reading.age: SHORT_ANSWER}
            )
        if reading.options:
            return self._story(session, state, reading, at)
        maybe = found.maybe or tuple(
            o for o in reading.maybe if state.multi and option_of(state, o) is not None
        )
        if maybe:
            rows = [
                (
                    Button(
                        self._text(lang, self._label(state, o)), compiled.data[(session.state, o)]
                    ),
                )
                for o in maybe[:3]
            ]
            rows.append((Button(self._text(lang, "system.none_of_these"), NONE_OF_THESE),))
            return session, (
                Count("typed", "unsure"),
                self._say(lang, "system.did_you_mean", tuple(rows)),
            )
        return self._not_understood(session, at)

    def _place(self, typed: Typed, state: State) -> Option | None:
        """The option a place name in the message answers, when it names exactly one of
        this question's options (phrases/places.yaml)."""
        if not self._places:
            return None
        words = typed.norm.split()
        named = {
            self._places[phrase]
            for size in (1, 2, 3)
            for i in range(len(words) - size + 1)
            if (phrase := " ".join(words[i : i + size])) in self._places
        }
        options = [o for o in state.options if o.id in named]
        return options[0] if len(options) == 1 else None

    @staticmethod
    def _label(state: State, option_id: str) -> str:
        option = option_of(state, option_id)
        return option.label_key if option else "system.none_of_these"
