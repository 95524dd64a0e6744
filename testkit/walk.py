"""Walking a flow through the engine: every reachable situation, found by pressing buttons.

Used by the property tests and the CLI tests. A situation is deduplicated by its
state and which of the flow's conditions hold, so multi-choice questions do not
blow the search up.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from flows import Choice, Engine, Handoff, Message, Output, Session, Start
from flows.machine import holds
from flows.schema import Condition, Flow
from flows.session import CRISIS_SHOWN

AT = 1_764_000_000  # 2025-11-24, a Monday afternoon in Amsterdam


def answer_buttons(outputs: tuple[Output, ...]) -> list[tuple[str, str]]:
    """(label, data) of the answer buttons (not the global ones) of the last message."""
    buttons: list[tuple[str, str]] = []
    for output in outputs:
        if isinstance(output, Message) and output.buttons:
            buttons = [(b.shown, b.data) for row in output.buttons for b in row]
    return [(label, data) for label, data in buttons if not data.startswith("!")]


def conditions(flow: Flow) -> tuple[Condition, ...]:
    """Every condition in the flow: on branches, on handoff services, and deep-link presets."""
    found: list[Condition] = []
    for state in flow.states.values():
        nexts = [o.next for o in state.options] + [state.next]
        for value in nexts:
            if isinstance(value, list):
                found.extend(branch.when for branch in value if branch.when)
        if state.handoff:
            found.extend(ref.when for ref in state.handoff.refs() if ref.when)
    for presets in flow.deep_links.values():
        found.append({question: [option] for question, option in presets.items()})
    unique: list[Condition] = []
    for condition in found:
        if condition not in unique:
            unique.append(condition)
    return tuple(unique)


@dataclass(frozen=True)
class Situation:
    """A session reached by a list of button presses (labels) after a /start."""

    session: Session
    payload: str | None
    presses: tuple[str, ...]
    outputs: tuple[Output, ...]


def situations(
    engine: Engine, limit: int = 20_000, payloads: list[str | None] | None = None
) -> Iterator[Situation]:
    """Breadth-first: every distinct situation reachable by buttons, from /start and deep links."""
    flow = engine.content.flows[engine.content.default_flow]
    starts = [None, *flow.deep_links] if payloads is None else payloads
    watched = conditions(flow)
    seen: set[tuple[str, bool, tuple[bool, ...]]] = set()
    todo: deque[Situation] = deque()
    for payload in starts:
        session, outputs = engine.step(None, Start(at=AT, payload=payload))
        assert session is not None
        todo.append(Situation(session, payload, (), outputs))
        # The same conversation after a crisis screen: the states only it reaches.
        after = session.with_answer(CRISIS_SHOWN, ("suicide",))
        todo.append(Situation(after, payload, (), outputs))
    count = 0
    while todo and count < limit:
        here = todo.popleft()
        # Two sessions in the same state for which the same conditions hold can
        # go the same ways: keep one. (Keying on raw answers grows as 2^options.)
        key = (
            here.session.state,
            bool(here.session.answer(here.session.state)),
            tuple(holds(c, here.session.facts()) for c in watched),
        )
        if key in seen:
            continue
        seen.add(key)
        count += 1
        yield here
        for label, data in answer_buttons(here.outputs):
            if _one_tick_is_enough(flow, here.session, data):
                continue
            session, outputs = engine.step(here.session, Choice(at=AT, data=data))
            if session is not None:
                todo.append(Situation(session, here.payload, (*here.presses, label), outputs))


def _one_tick_is_enough(flow: Flow, session: Session, data: str) -> bool:
    """True for a second tick in a multi question: the walk only ticks one option at a time.

    Conditions hold when *any* listed option was chosen, so one tick per option
    reaches every branch; every combination of ticks would grow as 2^options.
    """
    state = flow.states[session.state]
    if not state.multi or not session.answer(session.state):
        return False
    option_id = data.rpartition(".")[0]
    return any(o.id == option_id and not o.submit for o in state.options)


def path_to_handoff(engine: Engine, service: str) -> Situation:
    """The shortest button path from a plain /start to a handoff that offers ``service``."""
    flow = engine.content.flows[engine.content.default_flow]
    for found in situations(engine, payloads=[None]):
        if any(isinstance(o, Handoff) and service in o.services for o in found.outputs):
            return found
    raise AssertionError(f"no path to a handoff offering {service} in {flow.start}")
