"""The dialogue engine: one pure step, ``(session, event) -> (session, outputs)``.

Everything that decides what the conversation does next lives in this module:
crisis detection first, then global intents (help, stop, privacy, language),
then the current state's question. It reads no clock (events carry the time),
does no I/O and never raises for anything a person can send: a stale, forged or
garbled button, an unknown command or odd text all get a gentle answer and the
current question again.

Callback data of answer buttons is ``<option id>.<tag>``: the tag is a short hash
of the flow, the state, the option and its Dutch label, so a press counts exactly
when the person is still at that question and the button still means what it said
(a content reload that leaves the question alone keeps open buttons valid). Global
buttons (help, stop, resume, language, privacy, restart, and the crisis check's
``!crisis.<kind>`` / ``!crisis.no``) start with ``!`` and work from any message, old
or new, with or without a session.

Besides messages, a press yields :class:`~flows.events.Answered` (what was chosen,
as labels) or :class:`~flows.events.Stale` (nothing was chosen), so that channels
never decode callback data to show what happened.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError

from flows.content import DEFAULT_LANG, Content
from flows.events import (
    Answered,
    Button,
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
from flows.hours import is_open, local, next_opening
from flows.machine import ADVANCE, FlowMachine, holds
from flows.match import Candidates, Typed, WholeMessage, match_option
from flows.schema import Flow, HandoffSpec, Option, Screen, Service, ServiceRef, State
from flows.session import Session
from flows.texts import DAYS
from flows.understanding.crisis import Verdict
from flows.understanding.readers import Readers
from flows.understanding.situation import Reading, band

COMMANDS_HELP = frozenset({"help", "hulp"})
COMMANDS_STOP = frozenset({"stop", "wis"})
COMMANDS_PRIVACY = frozenset({"privacy"})
COMMANDS_LANGUAGE = frozenset({"taal", "lang", "language"})
MAX_CHAIN = 64  # states passed through in one step; lint forbids cycles, this is a backstop
PRESET = "_preset"  # answers key: questions answered by a deep link, not asked yet
NOTED = "_noted"  # answers key: options a typed story stated, for questions still to come
MISSED = "_missed"  # answers key: a typed message just now was not understood
CRISIS = "_crisis"  # answers key: the kinds of crisis screen shown (suicide, danger)
# Answers keys that are no question of the flow (kept across content reloads).
OWN_KEYS = frozenset({PRESET, NOTED, MISSED, CRISIS})
NONE_OF_THESE = "!none"  # "none of these" under "did you mean": ask the question again
SKIP = "skip"  # the option id of "Sla over" (a multiple-choice question skipped counts nothing)
SHORT_ANSWER = "a short answer"  # a reading's reason when the message was only the answer
SHORT_AGE_WORDS = 4  # "ik ben 15 jaar": short enough to be an answer to "Hoe oud ben je?"
# Labels of global buttons, for Answered: the text key per callback data.
GLOBAL_LABELS = {
    "!help": "button.help",
    "!resume": "button.resume",
    "!keep": "button.erase_no",
    "!restart": "button.restart",
    NONE_OF_THESE: "system.none_of_these",
    "!crisis.no": "button.check_no",
}


def button_data(flow: str, state: str, option: str, label: str) -> str:
    """Callback data of an answer button: the option id and a tag of what it means."""
    meaning = "\0".join((flow, state, option, label)).encode("utf-8")
    return f"{option}.{hashlib.blake2s(meaning, digest_size=4).hexdigest()}"


@dataclass(frozen=True)
class _CompiledFlow:
    name: str
    flow: Flow
    machine: FlowMachine
    data: Mapping[tuple[str, str], str]  # (state, option id) -> callback data
    candidates: Mapping[tuple[str, str], Candidates]  # (state, lang) -> names of options


def _confirms_crisis(data: str) -> bool:
    """Callback data of "yes" at the crisis check: ``!crisis.<kind>``."""
    return data.startswith("!crisis.") and data != "!crisis.no"


def _crisis_shown(session: Session, kind: str) -> Session:
    """Remember (as codes) which crisis screens were shown, for the handoff."""
    kinds = ("suicide", "danger") if kind not in ("suicide", "danger") else (kind,)
    shown = session.answer(CRISIS)
    new = tuple(k for k in kinds if k not in shown)
    return session.with_answer(CRISIS, (*shown, *new)) if new else session


def _bare_age(norm: str) -> str | None:
    """The age band of a message that is only a plausible age ("34", "15"), else None."""
    if norm.isdigit() and len(norm) <= 2 and 8 <= int(norm) <= 99:
        return band(int(norm))
    return None


def _option(state: State, option_id: str) -> Option | None:
    for option in state.options:
        if option.id == option_id:
            return option
    return None


class Engine:
    """Runs conversations on one loaded :class:`Content`. Safe to share; holds no sessions."""

    #: The channel this view of the engine speaks on ("" for none): a text key may have a
    #: variant for one channel, ``key@channel`` (``privacy.channel@telegram``), used there
    #: instead of ``key``. An empty text is left out.
    channel: str = ""

    def __init__(self, content: Content, readers: Readers | None = None) -> None:
        """``readers``: the crisis detector and situation reader built for this content
        (the content holder builds them once, from a cache when it can); without them they
        are built here, which trains the classifiers (seconds)."""
        self.content = content
        self.version = content.version
        self._views: dict[str, Engine] = {}
        # Languages written right to left: numbers and addresses in them are isolated.
        self._rtl = frozenset(
            lang for lang, meta in content.reviews.items() if meta.direction == "rtl"
        )
        self._flows = {name: self._compile(name, flow) for name, flow in content.flows.items()}
        # Buttons are immutable values; a question's rows are built once per language.
        self._row_cache: dict[tuple[str, str, str], tuple[tuple[Button, ...], ...]] = {}
        self.readers = readers if readers is not None else Readers.build(content)
        self._detector = self.readers.crisis
        # Typing a language's name ("English", "Nederlands") switches to it at once.
        self._language_names = {
            Typed.of(content.text(lang, f"language.{code}")).norm: code
            for code in content.languages
            for lang in content.languages
            if f"language.{code}" in content.texts.get(lang, {})
        }
        self._intents = {
            name: WholeMessage.build(
                phrase for phrases in getattr(content.intents, name).values() for phrase in phrases
            )
            for name in ("stop", "stop_maybe", "help", "privacy", "language")
        }

    # ------------------------------------------------------------ public API

    def on(self, channel: str) -> Engine:
        """This engine as it speaks on ``channel``: the same flows, sessions and detector,
        with the channel's text variants (``key@channel``). Views are made once."""
        if channel == self.channel:
            return self
        view = self._views.get(channel)
        if view is None:
            view = copy.copy(self)
            view.channel = channel
            view._row_cache = {}
            view._views = self._views
            self._views[channel] = view
        return view

    def step(
        self, session: Session | None, event: Event
    ) -> tuple[Session | None, tuple[Output, ...]]:
        """Apply one event. Returns the new session (None when it ended) and the outputs.

        Never raises for any event; the session returned is always valid for
        this content. The texts of one turn come as few messages as can be
        (see :func:`one_message_per_turn`).
        """
        new, outputs = self._step(session, event)
        return new, one_message_per_turn(outputs)

    def _step(
        self, session: Session | None, event: Event
    ) -> tuple[Session | None, tuple[Output, ...]]:
        if isinstance(event, Timeout):
            return None, (End(),)
        typed = Typed.of(event.text) if isinstance(event, Text) else None
        if isinstance(event, Text) and not self._names_an_option(session, typed):
            verdict = self.crisis(event.text)
            if verdict.outcome != "no":
                current = self._touch(session, event.at) if session else self._fresh(event.at)
                if verdict.outcome == "possible" and current.version == self.version:
                    # Only a check: "Nee, ga verder" returns to the conversation, which then
                    # knows what the story said (as codes), as it would without the check.
                    story = self.readers.situation.read(event.text)
                    current = self._keep_story(current, story.options)[0]
                if verdict.outcome == "sure":
                    current = _crisis_shown(current, verdict.kind or "both")
                return current, self._crisis_answer(verdict, current.lang)
        elif isinstance(event, Choice) and _confirms_crisis(event.data):
            # Before anything else (a content reload, say): "yes" at the check is a crisis.
            current = self._touch(session, event.at) if session else self._fresh(event.at)
            said = Answered((self._t(current.lang, "button.check_yes"),))
            current = _crisis_shown(current, event.data.removeprefix("!crisis."))
            return current, (said, *self._crisis_confirmed(event.data, current.lang))
        if isinstance(event, Start):
            return self._start(session, event)
        wanted = self._global_for(event, typed)
        pressed = isinstance(event, Choice)
        if session is None:
            if wanted is not None:
                return self._global(self._fresh(event.at), wanted, event.at, pressed=pressed)
            fresh, outputs = self._start(None, Start(at=event.at))
            if isinstance(event, Text):  # a story as the first message: kept, as codes
                fresh, thanks = self._first_story(fresh, event.text)
                outputs = (*thanks, *outputs)
            return fresh, ((Stale(), *outputs) if pressed else outputs)
        session, notice = self._refresh(session, event.at)
        if notice is not None:
            restarted, outputs = notice
            return restarted, ((Stale(), *outputs) if pressed else outputs)
        session = self._touch(session, event.at)
        if wanted is not None:
            return self._global(session, wanted, event.at, pressed=pressed)
        if isinstance(event, Choice):
            return self._choice(session, event)
        if isinstance(event, Command):
            return session, (self._say(session.lang, "system.unknown_command"), *self._ask(session))
        if typed is None or not isinstance(event, Text):  # every other kind was handled above
            return session, tuple(self._ask(session))
        return self._typed(session, typed, event.text, event.at)

    def without_session(self, event: Event) -> tuple[Output, ...]:
        """Answer when no session can be loaded or saved (storage down).

        Crisis, help, privacy and stop still work; everything else gets the
        emergency screen: something went wrong, and here is how to get help now.
        """
        return one_message_per_turn(self._without_session(event))

    def _without_session(self, event: Event) -> tuple[Output, ...]:
        lang = DEFAULT_LANG
        if isinstance(event, Text):
            verdict = self.crisis(event.text)
            if verdict.outcome != "no":
                return self._crisis_answer(verdict, lang, resume=False)
        if isinstance(event, Choice) and _confirms_crisis(event.data):
            return self._crisis_confirmed(event.data, lang, resume=False)
        wanted = self._global_for(event)
        if wanted == "!stop":
            return (Count("erase", "no_session"), Wipe(self._t(lang, "system.erased")), End())
        if wanted == "!stop_maybe":
            return (self._erase_question(lang),)
        if wanted == "!help":
            return self._screen(self.content.screens.help, lang, resume=False)
        if wanted == "!privacy":
            return self._screen(self.content.screens.privacy, lang, resume=False)
        return (
            Count("error", "no_session"),
            *self._screen(self.content.screens.emergency, lang, resume=False),
        )

    def urgent(self, event: Event) -> bool:
        """True for a crisis sentence (sure or possible), a "yes" to the crisis check, or a
        request to erase: its answer must not wait behind others."""
        if isinstance(event, Text) and self.crisis_kind(event.text) is not None:
            return True
        if isinstance(event, Choice) and _confirms_crisis(event.data):
            return True
        return self._global_for(event) == "!stop"

    def crisis(self, text: str) -> Verdict:
        """What the crisis detector makes of ``text``: sure, possible or no, and the kind."""
        return self._detector.assess(text)

    def crisis_kind(self, text: str) -> str | None:
        """'suicide', 'danger', 'both' or None: the kind when the text is a sure *or possible*
        crisis (a channel answers an edited message or a caption as text when it is one)."""
        verdict = self._detector.assess(text)
        return verdict.kind if verdict.outcome != "no" else None

    def new_session(self, at: int, lang: str = DEFAULT_LANG) -> Session:
        """A session at the default flow's start, without running it."""
        return self._fresh(at, lang)

    # ------------------------------------------------------------ compile

    def _compile(self, name: str, flow: Flow) -> _CompiledFlow:
        content = self.content
        candidates: dict[tuple[str, str], Candidates] = {}
        for state_name, state in flow.states.items():
            for lang in content.languages:
                synonyms = content.synonyms.get(lang, {})
                candidates[(state_name, lang)] = Candidates.build(
                    [
                        (o.id, [content.text(lang, o.label_key), *synonyms.get(o.id, [])])
                        for o in state.options
                    ]
                )
        data = {
            (state_name, o.id): button_data(
                name, state_name, o.id, content.text(DEFAULT_LANG, o.label_key)
            )
            for state_name, state in flow.states.items()
            for o in state.options
        }
        return _CompiledFlow(
            name=name,
            flow=flow,
            machine=FlowMachine(flow),
            data=data,
            candidates=candidates,
        )

    # ------------------------------------------------------------ sessions

    def _fresh(self, at: int, lang: str = DEFAULT_LANG) -> Session:
        flow = self._flows[self.content.default_flow]
        return Session(
            flow=flow.name,
            state=flow.flow.start,
            lang=lang,
            version=self.version,
            started=at,
            updated=at,
        )

    @staticmethod
    def _touch(session: Session, at: int) -> Session:
        return session.evolve(updated=max(at, session.updated))

    def _refresh(
        self, session: Session, at: int
    ) -> tuple[Session, tuple[Session | None, tuple[Output, ...]] | None]:
        """Carry a session over new content, or restart it gracefully when it no longer fits."""
        if session.version == self.version:
            return session, None
        compiled = self._flows.get(session.flow)
        fits = (
            compiled is not None
            and session.state in compiled.flow.states
            and session.lang in self.content.texts
            and all(k in OWN_KEYS or k in compiled.flow.states for k in session.answers)
        )
        if fits:
            return session.evolve(version=self.version), None
        lang = session.lang if session.lang in self.content.texts else DEFAULT_LANG
        restarted, outputs = self._start(dataclasses.replace(session, lang=lang), Start(at=at))
        return session, (restarted, (self._say(lang, "system.content_updated"), *outputs))

    def _flow(self, session: Session) -> _CompiledFlow:
        return self._flows[session.flow]

    # ------------------------------------------------------------ start

    def _start(self, session: Session | None, event: Start) -> tuple[Session, tuple[Output, ...]]:
        if event.lang in self.content.texts:
            lang = event.lang or DEFAULT_LANG
        elif session and session.lang in self.content.texts:
            lang = session.lang
        else:
            lang = DEFAULT_LANG
        fresh = self._fresh(event.at, lang)
        if session is not None:
            fresh = fresh.evolve(messages=session.messages)
        flow = self._flow(fresh).flow
        outputs: list[Output] = []
        payload = event.payload
        if payload and payload in flow.deep_links:
            presets = flow.deep_links[payload]
            for state, option in presets.items():
                fresh = fresh.with_answer(state, (option,))
            fresh = fresh.with_answer(PRESET, tuple(presets))
            outputs.append(Count("entry", payload))
        elif payload and payload in flow.campaigns:
            outputs.append(Count("campaign", payload))
        elif payload:
            outputs.append(Count("campaign", "other"))
        else:
            outputs.append(Count("entry", "direct"))
        session_out = self._enter(fresh, flow.start, outputs, event.at)
        suggest = event.suggest
        if suggest is not None and suggest in self.content.texts and suggest != session_out.lang:
            self._offer_language(outputs, suggest)
        return session_out, tuple(outputs)

    def _offer_language(self, outputs: list[Output], code: str) -> None:
        """Put a button in the language ``code`` (in its own name) first on the question."""
        offer = (Button(self._t(code, f"language.{code}"), f"!lang.{code}"),)
        for i in range(len(outputs) - 1, -1, -1):
            last = outputs[i]
            if isinstance(last, Message) and last.buttons:
                outputs[i] = dataclasses.replace(last, buttons=(offer, *last.buttons))
                return

    # ------------------------------------------------------------ states

    def _enter(self, session: Session, name: str, outputs: list[Output], at: int) -> Session:
        """Enter ``name`` and run on through states without a question."""
        compiled = self._flow(session)
        for _ in range(MAX_CHAIN):
            state = compiled.flow.states[name]
            session = session.evolve(state=name)
            presets = session.answer(PRESET)
            if state.options and name in presets:
                # Answered by the deep link: take that answer without asking.
                session = session.with_answer(PRESET, tuple(p for p in presets if p != name))
                chosen = session.answer(name)[0]
                target = compiled.machine.fire(name, chosen, session.answers)
                if target is None:
                    break
                name = target
                continue
            if state.handoff is not None:
                # Intro first, then the services and the summary; the buttons go last.
                outputs.extend(self._bubbles(session.lang, state.say, state.links))
                outputs.extend(self._handoff(session, state.handoff, at))
                if state.options or state.end:
                    self._attach_buttons(session, state, outputs)
                    return session
            elif state.options or state.end:
                if state.multi:  # a question asked again starts without ticks
                    session = session.with_answer(name, ())
                session, said = self._recall_story(session, state)
                asked = self._question(session, state)
                # What the story pointed to comes just before the question, after its intro.
                outputs.extend([*asked[:-1], *said, asked[-1]])
                return session
            else:
                outputs.extend(self._bubbles(session.lang, state.say, state.links))
            target = compiled.machine.fire(name, ADVANCE, session.answers)
            if target is None:
                break
            name = target
        # Only reachable with content that lint rejects; stay put and offer help.
        outputs.append(
            self._say(session.lang, "system.not_understood", (self._global_row(session.lang),))
        )
        return session

    def _rows(self, session: Session, state: State) -> tuple[tuple[Button, ...], ...]:
        """Answer buttons, one per row, then the help/stop row."""
        chosen = set(session.answer(session.state)) if state.multi else set()
        cache_key = (session.flow, session.state, session.lang)
        if not chosen:
            cached = self._row_cache.get(cache_key)
            if cached is not None:
                return cached
        lang = session.lang
        data = self._flow(session).data
        rows: list[tuple[Button, ...]] = []
        for option in state.options:
            label = self._t(lang, option.label_key)
            button = Button(label, data[(session.state, option.id)])
            if option.id in chosen:
                ticked = self._t(lang, "button.selected").replace("{label}", label)
                button = dataclasses.replace(button, selected=True, ticked=ticked)
            rows.append((button,))
        rows.append(self._global_row(lang))
        result = tuple(rows)
        if not chosen:
            self._row_cache[cache_key] = result
        return result

    def _question(
        self, session: Session, state: State, *, replaces: bool = False, only_last: bool = False
    ) -> list[Output]:
        """The state's bubbles; the last carries the answer buttons and the help/stop row."""
        keys = state.say[-1:] if only_last else state.say
        outputs: list[Output] = list(self._bubbles(session.lang, keys, state.links))
        if not outputs:
            outputs.append(Message(self._t(session.lang, "system.not_understood")))
        self._attach_buttons(session, state, outputs, replaces=replaces)
        return outputs

    def _attach_buttons(
        self, session: Session, state: State, outputs: list[Output], *, replaces: bool = False
    ) -> None:
        """Put the state's buttons on the last message in ``outputs``."""
        for i in range(len(outputs) - 1, -1, -1):
            last = outputs[i]
            if isinstance(last, Message):
                outputs[i] = Message(
                    last.text, self._rows(session, state), last.links, replaces, last.copyable
                )
                return
        outputs.append(
            Message(
                self._t(session.lang, "system.not_understood"),
                self._rows(session, state),
                replaces=replaces,
            )
        )

    def _ask(self, session: Session) -> list[Output]:
        """Ask the current question again (its last bubble, with buttons)."""
        state = self._flow(session).flow.states[session.state]
        return self._question(session, state, only_last=True)

    def _bubbles(
        self, lang: str, keys: Iterable[str], links: Iterable[str], *, required: bool = False
    ) -> list[Message]:
        """A text per paragraph (empty texts left out). ``required``: a screen that must say
        something (crisis, help): when every text is empty on this channel, the plain texts,
        and when those are empty too, the help text with 112 and 113."""
        keys = tuple(keys)
        said = (self._t(lang, key) for key in keys)
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
            Button(self._t(lang, "button.help"), "!help"),
            Button(self._t(lang, "button.stop"), "!stop"),
        )

    # ------------------------------------------------------------ answers

    def _choice(self, session: Session, event: Choice) -> tuple[Session, tuple[Output, ...]]:
        compiled = self._flow(session)
        option_id = event.data.rpartition(".")[0]
        state = compiled.flow.states[session.state]
        option = _option(state, option_id)
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
        current = session.answer(session.state)
        if pressed and not (state.multi and not option.submit):
            # What was chosen, as the person saw it: the ticks, then the button pressed.
            ticked = tuple(o for o in current if o != option.id) if state.multi else ()
            chosen = (*ticked, option.id)
            outputs.append(
                Answered(tuple(self._t(session.lang, self._label(state, o)) for o in chosen))
            )
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
        target = self._flow(session).machine.fire(session.state, option.id, session.answers)
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
            option = _option(state, found.sure)
            assert option is not None
            return self._choose(session, state, option, at, pressed=False)
        reading = self.readers.situation.read(text)
        age = _bare_age(typed.norm)
        if age is not None and _option(state, age) is not None:
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
            o for o in reading.maybe if state.multi and _option(state, o) is not None
        )
        if maybe:
            rows = [
                (Button(self._t(lang, self._label(state, o)), compiled.data[(session.state, o)]),)
                for o in maybe[:3]
            ]
            rows.append((Button(self._t(lang, "system.none_of_these"), NONE_OF_THESE),))
            return session, (
                Count("typed", "unsure"),
                self._say(lang, "system.did_you_mean", tuple(rows)),
            )
        return self._not_understood(session, at)

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
            label = self._t(lang, here[0].label_key)
            if reading.reasons.get(here[0].id) == SHORT_ANSWER:
                # "15", "ik ben 15": an answer, chosen and said.
                chosen_text = self._t(lang, "understand.chosen").replace("{option}", label)
                outputs.append(Message(chosen_text))
                session, chosen = self._choose(session, state, here[0], at, pressed=False)
                return session, (*outputs, *chosen)
            # Read from a sentence: said, and the person presses (a story may name others).
            outputs.append(Message(self._t(lang, "understand.confirm").replace("{option}", label)))
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
        self, session: Session, codes: Iterable[str]
    ) -> tuple[Session, bool, list[str]]:
        """Codes of a story that belong to other questions: those still to come are noted;
        those of a multiple-choice question already answered are ticked there (so they
        reach the summary). Codes no question can use are dropped. Returns the session,
        whether anything was noted, and the label keys ticked earlier."""
        flow = self._flow(session).flow
        ahead: list[str] = []
        earlier: list[str] = []
        for code in codes:
            for name, state in flow.states.items():
                option = _option(state, code)
                if option is None or option.submit or name == session.state:
                    continue
                answered = session.answer(name)
                if name not in session.answers:
                    ahead.append(code)
                    break
                if state.multi and code not in answered:
                    order = [o.id for o in state.options]
                    picked = tuple(sorted({*answered, code}, key=order.index))
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
        label = self._t(lang, mine[0].label_key)
        return session, [Message(self._t(lang, "understand.confirm").replace("{option}", label))]

    def _listed(self, lang: str, key: str, label_keys: Iterable[str]) -> Message:
        """A text with ``{options}`` filled in as a list of option labels, one per line."""
        lines = "\n".join(f"• {self._t(lang, k)}" for k in label_keys)
        return Message(self._t(lang, key).replace("{options}", lines))

    @staticmethod
    def _label(state: State, option_id: str) -> str:
        option = _option(state, option_id)
        return option.label_key if option else "system.none_of_these"

    # ------------------------------------------------------------ globals

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
            for name in ("stop", "stop_maybe", "help", "privacy", "language"):
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
            return self._t(lang, key)
        code = action.removeprefix("!lang.")
        if code != action and code in self.content.texts:
            return self._t(code, f"language.{code}")
        return None

    def _global_action(
        self, session: Session, action: str, at: int
    ) -> tuple[Session | None, tuple[Output, ...]]:
        lang = session.lang
        if action == "!stop":
            return None, (Count("erase", "stop"), Wipe(self._t(lang, "system.erased")), End())
        if action == "!stop_maybe":  # "kappen", "stoppen": may mean something else; ask once
            return session, (self._erase_question(lang),)
        if action == "!help":
            return session, (Count("help", "asked"), *self._screen(self.content.screens.help, lang))
        if action == "!privacy":
            return session, self._screen(self.content.screens.privacy, lang)
        if action in ("!resume", "!keep", NONE_OF_THESE):
            return session, tuple(self._ask(session))
        if action == "!crisis.no":  # "not a crisis": back to the question, answers kept
            return session, (Count("crisis_check", "no"), *_urgent(self._ask(session)))
        if action == "!restart":
            return self._start(session, Start(at=at))
        if action == "!lang":
            rows = tuple(
                (Button(self._t(code, f"language.{code}"), f"!lang.{code}"),)
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
            Button(self._t(lang, "button.erase_yes"), "!stop"),
            Button(self._t(lang, "button.erase_no"), "!keep"),
        )
        return Message(self._t(lang, "system.erase_question"), (row,))

    def _screen(self, screen: Screen, lang: str, *, resume: bool = True) -> tuple[Output, ...]:
        bubbles = self._bubbles(lang, screen.say, screen.links, required=True)
        row: tuple[Button, ...] = (
            (Button(self._t(lang, "button.resume"), "!resume"),) if resume else ()
        ) + (Button(self._t(lang, "button.stop"), "!stop"),)
        bubbles[-1] = dataclasses.replace(bubbles[-1], buttons=(row,))
        return tuple(bubbles)

    def _names_an_option(self, session: Session | None, typed: Typed | None) -> bool:
        """Typed exactly a button of the current question ("Iemand bedreigt mij of mijn
        familie"): an answer, which the flow handles, not a message to judge."""
        if session is None or typed is None or session.version != self.version:
            return False
        found = self._flows[session.flow].candidates.get((session.state, session.lang))
        return found is not None and typed.norm in found.choices

    def _crisis(self, kind: str, lang: str, *, resume: bool = True) -> tuple[Output, ...]:
        screens = self.content.screens
        screen = {"suicide": screens.crisis_suicide, "danger": screens.crisis_danger}.get(
            kind, screens.crisis_both
        )
        return (Count("crisis", kind), *_urgent(self._screen(screen, lang, resume=resume)))

    def _crisis_answer(
        self, verdict: Verdict, lang: str, *, resume: bool = True
    ) -> tuple[Output, ...]:
        """Sure: the crisis screen. Possible: one short check with the number already in it,
        and yes/no buttons that work from anywhere (``!crisis.<kind>``, ``!crisis.no``)."""
        kind = verdict.kind or "both"
        if verdict.outcome == "sure":
            return self._crisis(kind, lang, resume=resume)
        screens = self.content.screens
        screen = {"suicide": screens.check_suicide, "danger": screens.check_danger}.get(
            kind, screens.check_both
        )
        bubbles = self._bubbles(lang, screen.say, screen.links, required=True)
        rows = (
            (
                Button(self._t(lang, "button.check_yes"), f"!crisis.{kind}"),
                Button(self._t(lang, "button.check_no"), "!crisis.no"),
            ),
            (Button(self._t(lang, "button.stop"), "!stop"),),
        )
        bubbles[-1] = dataclasses.replace(bubbles[-1], buttons=rows)
        return (Count("crisis_check", kind), *_urgent(bubbles))

    def _crisis_confirmed(
        self, action: str, lang: str, *, resume: bool = True
    ) -> tuple[Output, ...]:
        """Yes at the check: the crisis screen of that kind (both when the data is odd)."""
        kind = action.removeprefix("!crisis.")
        return self._crisis(kind if kind in ("suicide", "danger") else "both", lang, resume=resume)

    # ------------------------------------------------------------ handoff

    def _handoff(self, session: Session, spec: HandoffSpec, at: int) -> list[Output]:
        lang = session.lang
        refs: list[ServiceRef] = []
        for ref in spec.refs():
            if holds(ref.when, session.answers) and all(r.id != ref.id for r in refs):
                refs.append(ref)
        flow = self._flow(session).flow
        first: list[ServiceRef] = []
        for kind in session.answer(CRISIS):  # after a crisis screen: its number first
            service = flow.crisis_services.get(kind)  # type: ignore[call-overload]
            if service in self.content.services and all(r.id != service for r in first):
                first.append(ServiceRef(id=service, why=f"why.after_crisis.{kind}"))
        refs = [*first, *(r for r in refs if all(f.id != r.id for f in first))][: spec.max]
        outputs: list[Output] = [
            self._card(lang, self.content.services[ref.id], ref.why, at) for ref in refs
        ]
        shown = [self.content.services[ref.id] for ref in refs]
        if shown and lang != DEFAULT_LANG and not any(lang in s.languages for s in shown):
            outputs.append(self._say(lang, "service.other_language"))
        summary = self._summary(session) if spec.summary else ""
        if summary and lang != DEFAULT_LANG:
            # The services read Dutch: the same sentences in Dutch under the person's own.
            dutch = self._summary(session, DEFAULT_LANG)
            summary = f"{summary}\n\n{self._t(lang, 'system.summary_dutch')}\n{dutch}"
        outputs.append(Handoff(tuple(r.id for r in refs), summary))
        if summary:
            outputs.append(self._say(lang, "system.summary_intro"))
            outputs.append(Message(summary, copyable=True))
        return outputs

    def _card(self, lang: str, service: Service, why: str | None, at: int) -> Message:
        """One service: name, purpose, why it fits, open now or when, phone, e-mail,
        languages, and its web link as a button."""
        lines = [self._name(lang, service), self._pick(lang, service.purpose)]
        if why:
            lines.append(self._t(lang, why))
        status = self._status(lang, service, at)
        if status:
            lines.append(status)
        if service.phone:
            key = "service.phone_free" if service.phone_free else "service.phone"
            lines.append(self._t(lang, key).replace("{phone}", self._ltr(lang, service.phone)))
        if service.email:
            email = self._ltr(lang, service.email)
            lines.append(self._t(lang, "service.email").replace("{email}", email))
        if service.languages:
            names = ", ".join(self._language_name(code) for code in service.languages)
            lines.append(self._t(lang, "service.languages").replace("{languages}", names))
        if service.interpreter:
            lines.append(self._t(lang, "service.interpreter"))
        link = self._link(lang, service)
        return Message("\n".join(lines), links=(link,) if link else ())

    def _status(self, lang: str, service: Service, at: int) -> str:
        hours = service.hours
        if hours is None or not service.hours_verified:
            # "See the website for opening hours" only makes sense when there is one.
            has_site = service.url or service.chat_url or service.report_url
            return self._t(lang, "service.hours_unknown") if has_site else ""
        if hours.always:
            return self._t(lang, "service.always_open")
        if is_open(hours, at):
            return self._t(lang, "service.open_now")
        opens = next_opening(hours, at)
        if opens is None:
            return self._t(lang, "service.hours_unknown")
        today = local(at).date()
        days = (opens.date() - today).days
        if days == 0:
            day = self._t(lang, "day.today")
        elif days == 1:
            day = self._t(lang, "day.tomorrow")
        else:
            day = self._t(lang, f"day.{DAYS[opens.weekday()]}")
        when = f"{day} {opens:%H:%M}"
        return self._t(lang, "service.closed_now").replace("{when}", when)

    def _summary(self, session: Session, lang: str | None = None) -> str:
        """Sentences from the chosen options, in flow order, in ``lang`` (default: the
        conversation's). Nothing the person typed."""
        lang = lang or session.lang
        flow = self._flow(session).flow
        sentences = []
        for name, state in flow.states.items():
            for option_id in session.answer(name):
                option = _option(state, option_id)
                if option is not None and option.summary:
                    sentences.append(self._t(lang, option.summary))
        return " ".join(sentences)

    # ------------------------------------------------------------ texts

    def _t(self, lang: str, key: str) -> str:
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
        return Message(self._t(lang, key), buttons)

    def _name(self, lang: str, service: Service) -> str:
        return self._pick(lang, service.name)

    @staticmethod
    def _pick(lang: str, texts: Mapping[str, str]) -> str:
        return texts.get(lang) or texts.get(DEFAULT_LANG) or next(iter(texts.values()), "")

    def _link(self, lang: str, service: Service) -> Link | None:
        url = service.chat_url or service.url or service.report_url
        return Link(self._name(lang, service), url) if url else None


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
            out.append(Message(text, last.buttons, tuple(links.values()), urgent=urgent))
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


def _urgent(outputs: Iterable[Output]) -> tuple[Output, ...]:
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
