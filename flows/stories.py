"""Stories typed in own words, at any question.

The situation reader's codes tick options here, are kept for questions still to come (as
codes, never words), tick a question already answered, or are confirmed rather than chosen;
a message understood twice in a row as nothing offers a person to chat with.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flows.compiled import (
    MISSED,
    NOTED,
    CompiledFlow,
    option_of,
)
from flows.events import (
    Count,
    Message,
    Output,
)
from flows.schema import Option, Service, State
from flows.session import Session
from flows.understanding.readers import Readers
from flows.understanding.situation import Reading, band
from flows.wording import Wording

SHORT_ANSWER = "a short answer"  # a reading's reason when the message was only the answer
SHORT_AGE_WORDS = 4  # "ik ben 15 jaar": short enough to be an answer to "Hoe oud ben je?"


def bare_age(norm: str) -> str | None:
    """The age band of a message that is only a plausible age ("34", "15"), else None."""
    if norm.isdigit() and len(norm) <= 2 and 8 <= int(norm) <= 99:
        return band(int(norm))
    return None


class Stories(Wording):
    """What a typed story does to the conversation; mixed into :class:`~flows.engine.Engine`."""

    if TYPE_CHECKING:  # provided by the Engine this is mixed into
        readers: Readers

        def _flow(self, session: Session) -> CompiledFlow: ...
        def _ask(self, session: Session) -> list[Output]: ...
        def _question(
            self, session: Session, state: State, *, replaces: bool = False, only_last: bool = False
        ) -> list[Output]: ...
        def _choose(
            self, session: Session, state: State, option: Option, at: int, *, pressed: bool
        ) -> tuple[Session, tuple[Output, ...]]: ...
        def _card(self, lang: str, service: Service, why: str | None, at: int) -> Message: ...

    def _not_understood(self, session: Session, at: int) -> tuple[Session, tuple[Output, ...]]:
        """The first time: say so and ask again. The second time in a row: say honestly that
        baken does not understand, and offer a person to chat with (open now or when)."""
        lang = session.lang
        flow = self._flow(session).flow
        human = self.content.services.get(flow.human) if flow.human else None
        if not session.answer(MISSED) or human is None:
            return session.with_answer(MISSED, ("1",)), (
                Count("typed", "not_understood"),
                self._say(lang, "system.not_understood"),
                *self._ask(session),
            )
        card = self._card(lang, human, None, at)
        return session.with_answer(MISSED, ()), (
            Count("typed", "not_understood_twice"),
            self._say(lang, "understand.human"),
            card,
            *self._ask(session),
        )

    # ------------------------------------------------------------ stories

    def _story(
        self, session: Session, state: State, reading: Reading, at: int
    ) -> tuple[Session, tuple[Output, ...]]:
        """A story typed at a question: tick or choose what it says here, keep the rest (as
        codes) for the questions still to come, and say what was done."""
        lang = session.lang
        if session.answer(MISSED):
            session = session.with_answer(MISSED, ())
        here = [o for o in state.options if o.id in reading.options and not o.submit]
        mine = {o.id for o in here}
        session, noted, earlier = self._keep_story(
            session, [c for c in reading.options if c not in mine]
        )
        outputs: list[Output] = [Count("typed", "story")]
        if earlier:  # signs of a question already answered: ticked there, and said
            outputs.append(self._listed(lang, "understand.ticked_earlier", earlier))
        if state.multi and here:
            current = session.answer(session.state)
            order = [o.id for o in state.options]
            picked = tuple(sorted({*current, *mine}, key=order.index))
            session = session.with_answer(session.state, picked)
            outputs.append(self._listed(lang, "understand.ticked", [o.label_key for o in here]))
            outputs.extend(self._question(session, state, only_last=True))
            return session, tuple(outputs)
        if not state.multi and len(here) == 1:
            label = self._text(lang, here[0].label_key)
            if reading.reasons.get(here[0].id) == SHORT_ANSWER:
                # "15", "ik ben 15": an answer, chosen and said.
                chosen_text = self._text(lang, "understand.chosen").replace("{option}", label)
                outputs.append(Message(chosen_text))
                session, chosen = self._choose(session, state, here[0], at, pressed=False)
                return session, (*outputs, *chosen)
            # Read from a sentence: said, and the person presses (a story may name others).
            outputs.append(
                Message(self._text(lang, "understand.confirm").replace("{option}", label))
            )
            outputs.extend(self._ask(session))
            return session, tuple(outputs)
        if not earlier:
            outputs.append(self._say(lang, "understand.noted" if noted else "understand.thanks"))
        outputs.extend(self._ask(session))
        return session, tuple(outputs)

    def _first_story(self, session: Session, text: str) -> tuple[Session, tuple[Output, ...]]:
        """A story as the very first message: thank for it and keep what it says, as codes,
        for the questions to come (the safety question is still asked first)."""
        reading = self.readers.situation.read(text)
        if not reading.options:
            return session, ()
        session, noted, _ = self._keep_story(session, reading.options)
        key = "understand.noted" if noted else "understand.thanks"
        return session, (Count("typed", "story"), self._say(session.lang, key))

    def _keep_story(
        self, session: Session, codes: Iterable[str], *, tick_earlier: bool = True
    ) -> tuple[Session, bool, list[str]]:
        """Codes of a story that belong to other questions: those still to come are noted;
        those of a multiple-choice question already answered are ticked there (so they
        reach the summary). Codes no question can use are dropped. Returns the session,
        whether anything was noted, and the label keys ticked earlier. ``tick_earlier=False``:
        only note (when nothing can say what was ticked, as under a crisis check)."""
        flow = self._flow(session).flow
        ahead: list[str] = []
        earlier: list[str] = []
        for code in codes:
            places = [
                (name, state, option)
                for name, state in flow.states.items()
                if (option := option_of(state, code)) is not None
                and not option.submit
                and name != session.state
            ]
            # A question of this kind already answered (on this path): the code is about
            # that one, not about the same question on another path ("19" after the age).
            answered = [p for p in places if p[0] in session.answers]
            if not answered:
                ahead.extend(code for _ in places[:1])
                continue
            for name, state, option in answered:
                chosen = session.answer(name)
                if tick_earlier and state.multi and code not in chosen:
                    order = [o.id for o in state.options]
                    picked = tuple(sorted({*chosen, code}, key=order.index))
                    session = session.with_answer(name, picked)
                    earlier.append(option.label_key)
                    break
        before = session.answer(NOTED)
        session = self._note(session, ahead)
        return session, session.answer(NOTED) != before or bool(set(ahead) & set(before)), earlier

    @staticmethod
    def _note(session: Session, codes: Iterable[str]) -> Session:
        """Remember option codes a story stated, for questions still to come."""
        noted = session.answer(NOTED)
        new = tuple(c for c in dict.fromkeys(codes) if c not in noted)
        return session.with_answer(NOTED, (*noted, *new)) if new else session

    def _recall_story(self, session: Session, state: State) -> tuple[Session, list[Output]]:
        """Entering a question that a story already answered: tick those options (multiple
        choice) or say which option the story pointed to (one choice); never silently."""
        noted = session.answer(NOTED)
        mine = [o for o in state.options if o.id in noted and not o.submit]
        if not mine or (not state.multi and len(mine) != 1):
            return session, []
        ids = {o.id for o in mine}
        session = session.with_answer(NOTED, tuple(c for c in noted if c not in ids))
        lang = session.lang
        if state.multi:
            session = session.with_answer(session.state, tuple(o.id for o in mine))
            keys = [o.label_key for o in mine]
            return session, [self._listed(lang, "understand.preticked", keys)]
        label = self._text(lang, mine[0].label_key)
        return session, [Message(self._text(lang, "understand.confirm").replace("{option}", label))]

    def _listed(self, lang: str, key: str, label_keys: Iterable[str]) -> Message:
        """A text with ``{options}`` filled in as a list of option labels, one per line."""
        lines = "\n".join(f"• {self._text(lang, k)}" for k in label_keys)
        return Message(self._text(lang, key).replace("{options}", lines))
