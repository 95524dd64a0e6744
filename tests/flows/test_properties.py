"""Properties of the shipped flows, over every state the engine can reach.

The walk presses every button from /start and from every deep link; hypothesis
then throws arbitrary events at arbitrary reachable situations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows import (
    Choice,
    Command,
    Content,
    Count,
    Engine,
    Event,
    Handoff,
    Message,
    Output,
    Start,
    Text,
    Timeout,
)
from flows.understanding.crisis_check import heldout
from testkit.walk import AT, Situation, answer_buttons, situations


@pytest.fixture(scope="module")
def reachable(engine: Engine) -> list[Situation]:
    return list(situations(engine))


def crisis_sentences(content: Content) -> list[tuple[str, str]]:
    """(sentence, number) pairs: each language's first phrase of each kind, and real sentences."""
    found = [("Ik wil gewoon dood.", "113"), ("i want to kill myself", "113")]
    for kind, number in (("suicide", "113"), ("danger", "112")):
        for phrases in getattr(content.crisis, kind).values():
            found.append((phrases[0], number))
    return found


def texts(outputs: tuple[Output, ...]) -> str:
    return "\n".join(o.text for o in outputs if isinstance(o, Message))


def test_every_state_is_reached(engine: Engine, reachable: list[Situation]) -> None:
    """Pressing buttons from /start and the deep links reaches every state of the flow."""
    flow = engine.content.flows[engine.content.default_flow]
    assert {s.session.state for s in reachable} == set(flow.states)


def test_every_state_can_reach_an_end_or_a_handoff(
    engine: Engine, reachable: list[Situation]
) -> None:
    """From every state some path of button presses leads to an end or a handoff."""
    flow = engine.content.flows[engine.content.default_flow]
    edges: dict[str, set[str]] = defaultdict(set)
    finals = {n for n, s in flow.states.items() if s.end or s.handoff is not None}
    for here in reachable:
        for _, data in answer_buttons(here.outputs):
            after, _ = engine.step(here.session, Choice(at=AT, data=data))
            if after is not None:
                edges[here.session.state].add(after.state)
    good = set(finals)
    while True:
        grown = {n for n, targets in edges.items() if targets & good} - good
        if not grown:
            break
        good |= grown
    assert set(flow.states) <= good, set(flow.states) - good


def test_crisis_is_answered_from_every_state(engine: Engine, reachable: list[Situation]) -> None:
    """A crisis sentence gets 113 or 112 from every reachable situation, in both languages."""
    sentences = crisis_sentences(engine.content)
    seen_states = set()
    for here in reachable:
        if here.session.state in seen_states:
            continue
        seen_states.add(here.session.state)
        for sentence, number in sentences:
            after, outputs = engine.step(here.session, Text(at=AT, text=sentence))
            assert number in texts(outputs), (here.session.state, sentence)
            assert any(isinstance(o, Count) and o.metric == "crisis" for o in outputs)
            assert after is not None
            assert after.state == here.session.state


def _crisis_counts(outputs: tuple[Output, ...]) -> list[Count]:
    return [o for o in outputs if isinstance(o, Count) and o.metric in ("crisis", "crisis_check")]


def test_every_held_out_crisis_sentence_gets_its_number_from_every_state(
    engine: Engine, reachable: list[Situation]
) -> None:
    """From every state of the shipped flow, every held-out crisis sentence (written blind,
    never trained on) is answered at once with 113 and/or 112, sure or as a check; the
    conversation stays where it was."""
    numbers = {"suicide": ("113",), "danger": ("112",), "both": ("113", "112")}
    examples = [e for e in heldout(engine.content) if e.kind != "none"]
    assert len(examples) >= 150
    seen: set[str] = set()
    for here in reachable:
        if here.session.state in seen:
            continue
        seen.add(here.session.state)
        for example in examples:
            after, outputs = engine.step(here.session, Text(at=AT, text=example.text))
            shown = texts(outputs)
            for number in numbers[example.kind]:
                assert number in shown, (here.session.state, example.text)
            assert _crisis_counts(outputs), example.text
            assert after is not None
            assert after.state == here.session.state
            # The questions' answers stay (the engine's own codes, such as which crisis
            # screen was shown, may be added).
            assert _questions(after.answers) == _questions(here.session.answers)


def _questions(answers: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {k: v for k, v in answers.items() if not k.startswith("_")}


MISSED_BY_PHRASE_LISTS = {
    "ik wil er een eind aan maken": "113",
    "hij staat nu voor de deur en bedreigt me": "112",
    "ik ben bang dat hij me vermoordt": "112",
    "ik hou het niet meer vol": "113",
    "ze zeggen dat ze mijn moeder pijn doen": "112",
    "k wil er n eind aan maken": "113",
    "ik wil der een einde aan maaken": "113",
    "ik trek dit niet meer": "113",
}


def test_phrasings_a_phrase_list_missed_get_their_number_from_every_state(
    engine: Engine, reachable: list[Situation]
) -> None:
    """The phrasings a list of phrases missed get 113 or 112 from every reachable situation,
    in Dutch and in English conversations."""
    for here in reachable:
        for session in (here.session, here.session.evolve(lang="en")):
            for sentence, number in MISSED_BY_PHRASE_LISTS.items():
                after, outputs = engine.step(session, Text(at=AT, text=sentence))
                assert number in texts(outputs), (session.state, sentence)
                assert after is not None
                assert after.state == session.state


def test_no_held_out_ordinary_sentence_triggers_a_crisis_answer_from_any_state(
    engine: Engine, reachable: list[Situation]
) -> None:
    """Held-out ordinary sentences ("ik ben doodmoe", "ik moet drugs brengen") never get the
    crisis screen or the check: the conversation goes on as it would without the detector.
    The check allows 2 % false alarms; these tests name the ones there are."""
    examples = [e for e in heldout(engine.content) if e.kind == "none"]
    alarms = {e.text for e in examples if engine.crisis(e.text).outcome != "no"}
    assert len(alarms) <= 0.02 * len(examples)
    seen: set[str] = set()
    for here in reachable:
        if here.session.state in seen:
            continue
        seen.add(here.session.state)
        for example in examples:
            if example.text in alarms:
                continue
            _, outputs = engine.step(here.session, Text(at=AT, text=example.text))
            assert not _crisis_counts(outputs), (here.session.state, example.text)


def test_a_handoff_to_fier_is_reachable(reachable: list[Situation]) -> None:
    """Some path offers Chat met Fier, with its chat address."""
    assert any(
        isinstance(o, Handoff) and "fier" in o.services for s in reachable for o in s.outputs
    )
    assert any("chatmetfier.nl" in str(o) for s in reachable for o in s.outputs)


EVENTS = st.one_of(
    st.builds(Text, at=st.just(AT), text=st.text(max_size=300)),
    st.builds(
        Text,
        at=st.just(AT),
        text=st.sampled_from(
            ["ja", "nee", "1", "2", "weet ik niet", "stop", "help", "privacy", "taal", "english"]
        ),
    ),
    st.builds(Choice, at=st.just(AT), data=st.text(max_size=80)),
    st.builds(
        Choice,
        at=st.just(AT),
        data=st.sampled_from(
            [
                "!help",
                "!stop",
                "!resume",
                "!privacy",
                "!lang",
                "!lang.en",
                "!lang.nl",
                "!restart",
                "!lang.xx",
            ]
        ),
    ),
    st.builds(
        Command,
        at=st.just(AT),
        name=st.sampled_from(["help", "stop", "privacy", "taal", "lang", "start", "x"]),
        arg=st.one_of(st.none(), st.sampled_from(["en", "nl", "de", ""])),
    ),
    st.builds(
        Start,
        at=st.just(AT),
        payload=st.one_of(
            st.none(), st.sampled_from(["zelf", "iemand", "professional"]), st.text(max_size=64)
        ),
    ),
    st.builds(Timeout, at=st.just(AT)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.integers(min_value=0),
    events=st.lists(EVENTS, max_size=12),
    presses=st.lists(st.integers(min_value=0, max_value=20), max_size=12),
)
def test_no_event_sequence_breaks_a_conversation(
    engine: Engine,
    reachable: list[Situation],
    start: int,
    events: list[Event],
    presses: list[int],
) -> None:
    """From any reachable situation, any mix of events and presses: no exception escapes,
    the session stays valid, and nothing typed is echoed back."""
    flow = engine.content.flows[engine.content.default_flow]
    here = reachable[start % len(reachable)]
    session = here.session
    outputs: tuple[Output, ...] = here.outputs
    for i, event in enumerate(events):
        if presses and i < len(presses):
            buttons = answer_buttons(outputs)
            if buttons:
                _, data = buttons[presses[i] % len(buttons)]
                session, outputs = engine.step(session, Choice(at=AT, data=data))
        session, outputs = engine.step(session, event)
        if session is not None:
            assert session.state in flow.states
            assert session.lang in engine.content.texts
            assert len(session.to_json()) <= 1024
        if isinstance(event, Text) and len(event.text.strip()) > 12:
            assert event.text not in repr(outputs)


def test_button_data_fits_telegram(reachable: list[Situation]) -> None:
    """Every button's data fits Telegram's 64-byte callback_data limit."""
    for here in reachable:
        for output in here.outputs:
            if isinstance(output, Message):
                for row in output.buttons:
                    for button in row:
                        assert 1 <= len(button.data.encode()) <= 64, button
