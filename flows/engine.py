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

from flows.answers import Answers
from flows.compiled import (
    OWN_KEYS,
    PRESET,
    CompiledFlow,
    compile_flow,
)
from flows.content import DEFAULT_LANG, Content
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
    Stale,
    Start,
    Text,
    Timeout,
    Wipe,
)
from flows.handoff import Handoffs
from flows.interrupts import Interrupts, confirms_crisis, crisis_seen, crisis_shown
from flows.machine import ADVANCE, said_now
from flows.match import Typed, WholeMessage
from flows.schema import State
from flows.session import Session
from flows.stories import Stories
from flows.understanding.crisis import Verdict
from flows.understanding.readers import Readers
from flows.wording import one_message_per_turn

MAX_CHAIN = 64  # states passed through in one step; lint forbids cycles, this is a backstop


class Engine(Answers, Stories, Handoffs, Interrupts):
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
        self._flows = {
            name: compile_flow(content, name, flow) for name, flow in content.flows.items()
        }
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
        # Place names ("Westland", "Delfzijl") to the option they answer, in every language.
        self._places = {
            Typed.of(name).norm: option
            for option, names in content.places.items()
            for name in names
        }
        self._intents = {
            name: WholeMessage.build(
                phrase for phrases in getattr(content.intents, name).values() for phrase in phrases
            )
            for name in ("stop", "stop_maybe", "help", "privacy", "language", "restart")
        }

    # ------------------------------------------------------------ public API

    def speaking_on(self, channel: str) -> Engine:
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
        self, session: Session | None, event: Event, *, verdict: Verdict | None = None
    ) -> tuple[Session | None, tuple[Output, ...]]:
        """Apply one event. Returns the new session (None when it ended) and the outputs.

        Never raises for any event; the session returned is always valid for
        this content. The texts of one turn come as few messages as can be
        (see :func:`one_message_per_turn`). ``verdict``: :meth:`crisis` of the event's
        text, when the caller asked this engine's detector already (see :meth:`urgent`);
        without it the text is judged here when the step needs it.
        """
        new, outputs = self._step(session, event, verdict)
        return new, one_message_per_turn(outputs)

    # The order in which a step looks at an event: the first that answers, answers.
    # (As h11 keeps its transitions: one small table, read top to bottom.)
    #   1. crisis    a crisis sentence, or "yes" at the crisis check: 112/113 at once
    #   2. start     /start (with a deep link or campaign code)
    #   3. commands  help, stop, privacy, language, resume ... from any message
    #   4. question  the current question: a press, or typed words (label, story, ...)
    ORDER = ("_by_crisis", "_by_start", "_by_command", "_by_question")

    def _step(
        self, session: Session | None, event: Event, verdict: Verdict | None = None
    ) -> tuple[Session | None, tuple[Output, ...]]:
        if isinstance(event, Timeout):
            return None, (End(),)
        typed = Typed.of(event.text) if isinstance(event, Text) else None
        for name in self.ORDER:
            answer = getattr(self, name)(session, event, typed, verdict)
            if answer is not None:
                return answer  # type: ignore[no-any-return]
        return session, ()  # not reached: the question answers everything

    def _by_crisis(
        self, session: Session | None, event: Event, typed: Typed | None, verdict: Verdict | None
    ) -> tuple[Session | None, tuple[Output, ...]] | None:
        if isinstance(event, Text) and not self._names_an_option(session, typed):
            verdict = verdict if verdict is not None else self.crisis(event.text)
            if verdict.outcome != "no":
                current = self._touch(session, event.at) if session else self._fresh(event.at)
                if verdict.outcome == "possible" and current.version == self.version:
                    # Only a check: "Nee, ga verder" returns to the conversation, which then
                    # knows what the story said (as codes), as it would without the check.
                    story = self.readers.situation.read(event.text)
                    current = self._keep_story(current, story.options, tick_earlier=False)[0]
                again = False
                if verdict.outcome == "sure":
                    again = crisis_seen(current, verdict.kind or "both")
                    current = crisis_shown(current, verdict.kind or "both")
                return current, self._crisis_answer(verdict, current.lang, again=again)
        elif isinstance(event, Choice) and confirms_crisis(event.data):
            # Before anything else (a content reload, say): "yes" at the check is a crisis.
            current = self._touch(session, event.at) if session else self._fresh(event.at)
            said = Answered((self._text(current.lang, "button.check_yes"),))
            kind = event.data.removeprefix("!crisis.")
            again = crisis_seen(current, kind)
            current = crisis_shown(current, kind)
            confirmed = self._crisis_confirmed(event.data, current.lang, again=again)
            return current, (said, *confirmed)
        return None

    def _by_start(
        self, session: Session | None, event: Event, typed: Typed | None, verdict: Verdict | None
    ) -> tuple[Session | None, tuple[Output, ...]] | None:
        return self._start(session, event) if isinstance(event, Start) else None

    def _by_command(
        self, session: Session | None, event: Event, typed: Typed | None, verdict: Verdict | None
    ) -> tuple[Session | None, tuple[Output, ...]] | None:
        wanted = self._global_for(event, typed)
        if wanted is None:
            return None
        pressed = isinstance(event, Choice)
        if session is None:
            return self._global(self._fresh(event.at), wanted, event.at, pressed=pressed)
        session, notice = self._refresh(session, event.at)
        if notice is not None:
            restarted, outputs = notice
            return restarted, ((Stale(), *outputs) if pressed else outputs)
        return self._global(self._touch(session, event.at), wanted, event.at, pressed=pressed)

    def _by_question(
        self, session: Session | None, event: Event, typed: Typed | None, verdict: Verdict | None
    ) -> tuple[Session | None, tuple[Output, ...]] | None:
        pressed = isinstance(event, Choice)
        if session is None:
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
        if isinstance(event, Choice):
            return self._choice(session, event)
        if isinstance(event, Command):
            return session, (self._say(session.lang, "system.unknown_command"), *self._ask(session))
        if typed is None or not isinstance(event, Text):  # every other kind was handled above
            return session, tuple(self._ask(session))
        return self._typed(session, typed, event.text, event.at)

    def without_session(
        self, event: Event, *, verdict: Verdict | None = None
    ) -> tuple[Output, ...]:
        """Answer when no session can be loaded or saved (storage down).

        Crisis, help, privacy and stop still work; everything else gets the
        emergency screen: something went wrong, and here is how to get help now.
        ``verdict``: as for :meth:`step`.
        """
        return one_message_per_turn(self._without_session(event, verdict))

    def _without_session(self, event: Event, verdict: Verdict | None = None) -> tuple[Output, ...]:
        lang = DEFAULT_LANG
        if isinstance(event, Text):
            verdict = verdict if verdict is not None else self.crisis(event.text)
            if verdict.outcome != "no":
                return self._crisis_answer(verdict, lang, resume=False)
        if isinstance(event, Choice) and confirms_crisis(event.data):
            return self._crisis_confirmed(event.data, lang, resume=False)
        wanted = self._global_for(event)
        if wanted == "!stop":
            return (Count("erase", "no_session"), Wipe(self._text(lang, "system.erased")), End())
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

    def urgent(self, event: Event, *, verdict: Verdict | None = None) -> bool:
        """True for a crisis sentence (sure or possible), a "yes" to the crisis check, or a
        request to erase: its answer must not wait behind others. ``verdict``: as for
        :meth:`step` (a caller that will step the event asks :meth:`crisis` once, and hands
        the verdict to both)."""
        if isinstance(event, Text):
            verdict = verdict if verdict is not None else self.crisis(event.text)
            if verdict.outcome != "no" and verdict.kind is not None:  # as crisis_kind says
                return True
        if isinstance(event, Choice) and confirms_crisis(event.data):
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

    def _flow(self, session: Session) -> CompiledFlow:
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
        offer = (Button(self._text(code, f"language.{code}"), f"!lang.{code}"),)
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
                target = compiled.machine.fire(name, chosen, session.facts())
                if target is None:
                    break
                name = target
                continue
            if state.options or state.end:  # a question (or an end) reached: the funnel
                outputs.append(Count("reached", name))
            if state.handoff is not None:
                # Intro first, then the services and the summary; the buttons go last.
                outputs.extend(
                    self._bubbles(session.lang, said_now(state.say, session.facts()), state.links)
                )
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
                outputs.extend(
                    self._bubbles(session.lang, said_now(state.say, session.facts()), state.links)
                )
            target = compiled.machine.fire(name, ADVANCE, session.facts())
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
            label = self._text(lang, option.label_key)
            button = Button(
                label,
                data[(session.state, option.id)],
                tickable=state.multi and not option.submit,
                submit=state.multi and option.submit,
            )
            if option.id in chosen:
                ticked = self._text(lang, "button.selected").replace("{label}", label)
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
        keys = said_now(state.say, session.facts())
        keys = keys[-1:] if only_last else keys
        outputs: list[Output] = list(self._bubbles(session.lang, keys, state.links))
        if not outputs:
            outputs.append(Message(self._text(session.lang, "system.not_understood")))
        self._attach_buttons(session, state, outputs, replaces=replaces)
        return outputs

    def _attach_buttons(
        self, session: Session, state: State, outputs: list[Output], *, replaces: bool = False
    ) -> None:
        """Put the state's buttons on the last message in ``outputs``."""
        for i in range(len(outputs) - 1, -1, -1):
            last = outputs[i]
            if isinstance(last, Message):
                outputs[i] = dataclasses.replace(
                    last, buttons=self._rows(session, state), replaces=replaces, urgent=False
                )
                return
        outputs.append(
            Message(
                self._text(session.lang, "system.not_understood"),
                self._rows(session, state),
                replaces=replaces,
            )
        )

    def _ask(self, session: Session) -> list[Output]:
        """Ask the current question again (its last bubble, with buttons)."""
        state = self._flow(session).flow.states[session.state]
        return self._question(session, state, only_last=True)
