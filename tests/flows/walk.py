"""Walking a flow through the engine: every reachable situation, found by pressing buttons.

Used by the property tests and the CLI tests. A situation is deduplicated by its
state and the answers that conditions look at, so multi-choice questions do not
blow the search up.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from flows import Choice, Engine, Handoff, Message, Output, Session, Start
from flows.schema import Flow

AT = 1_764_000_000  # 2025-11-24, a Monday afternoon in Amsterdam


def answer_buttons(outputs: tuple[Output, ...]) -> list[tuple[str, str]]:
    """(label, data) of the answer buttons (not the global ones) of the last message."""
    buttons: list[tuple[str, str]] = []
    for output in outputs:
        if isinstance(output, Message) and output.buttons:
            buttons = [(b.label, b.data) for row in output.buttons for b in row]
    return [(label, data) for label, data in buttons if not data.startswith("!")]


def condition_states(flow: Flow) -> frozenset[str]:
    """Questions whose answers some condition or deep link looks at."""
    names: set[str] = set()
    for state in flow.states.values():
        nexts = [o.next for o in state.options] + [state.next]
        for value in nexts:
            if isinstance(value, list):
                for branch in value:
                    names.update((branch.when or {}).keys())
        if state.handoff:
            for ref in state.handoff.refs():
                names.update((ref.when or {}).keys())
    for presets in flow.deep_links.values():
        names.update(presets)
    return frozenset(names)


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
    watched = condition_states(flow)
    seen: set[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]] = set()
    todo: deque[Situation] = deque()
    for payload in starts:
        session, outputs = engine.step(None, Start(at=AT, payload=payload))
        assert session is not None
        todo.append(Situation(session, payload, (), outputs))
    count = 0
    while todo and count < limit:
        here = todo.popleft()
        key = (
            here.session.state,
            tuple(sorted((k, v) for k, v in here.session.answers.items() if k in watched)),
        )
        if key in seen:
            continue
        seen.add(key)
        count += 1
        yield here
        for label, data in answer_buttons(here.outputs):
            session, outputs = engine.step(here.session, Choice(at=AT, data=data))
            if session is not None:
                todo.append(Situation(session, here.payload, (*here.presses, label), outputs))


def path_to_handoff(engine: Engine, service: str) -> Situation:
    """The shortest button path from a plain /start to a handoff that offers ``service``."""
    flow = engine.content.flows[engine.content.default_flow]
    for found in situations(engine, payloads=[None]):
        if any(isinstance(o, Handoff) and service in o.services for o in found.outputs):
            return found
    raise AssertionError(f"no path to a handoff offering {service} in {flow.start}")
