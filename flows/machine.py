"""The flow's state machine, built once per flow with ``transitions``.

This is the only module that imports ``transitions``. One Machine is built per
flow when content loads; each step applies it to a transient, throw-away model
(a tiny object with ``state`` and ``answers``). ``Machine.add_model`` costs about
1 ms and 15 KB per model, so a model or machine per conversation would not scale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from transitions import EventData, Machine

from flows.schema import Branch, Condition, Flow, Line, Next

# The trigger for a state without options: go on to the next state.
ADVANCE = "_next"


def holds(condition: Condition | None, answers: Mapping[str, tuple[str, ...]]) -> bool:
    """True when, for every question named, one of the listed options was chosen."""
    if not condition:
        return True
    return all(set(options) & set(answers.get(state, ())) for state, options in condition.items())


def said_now(say: Sequence[str | Line], answers: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The text keys of ``say`` to show now: each plain key, and each line whose ``when``
    holds for these answers."""
    return [
        line if isinstance(line, str) else line.text
        for line in say
        if isinstance(line, str) or holds(line.when, answers)
    ]


class _Step:
    """The transient model: lives for one step only."""

    __slots__ = ("answers", "state")

    def __init__(self, state: str, answers: Mapping[str, tuple[str, ...]]) -> None:
        self.state = state
        self.answers = answers


def branches(next_: Next | None, following: str | None) -> list[Branch]:
    """A `next` field as a list of branches; an omitted `next` means the following state."""
    if next_ is None:
        return [Branch(to=following)] if following else []
    if isinstance(next_, str):
        return [Branch(to=next_)]
    return list(next_)


class FlowMachine:
    """Transitions of one flow. ``fire`` is the only call made per step."""

    def __init__(self, flow: Flow) -> None:
        names = list(flow.states)
        self._machine = Machine(
            model=None,
            states=names,
            initial=flow.start,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        for position, (name, state) in enumerate(flow.states.items()):
            following = names[position + 1] if position + 1 < len(names) else None
            if state.options:
                for option in state.options:
                    self._add(option.id, name, branches(option.next, following))
            else:
                self._add(ADVANCE, name, branches(state.next, following))

    def _add(self, trigger: str, source: str, targets: list[Branch]) -> None:
        for branch in targets:
            conditions: list[Any] = []
            if branch.when:
                conditions.append(_condition(branch.when))
            self._machine.add_transition(trigger, source, branch.to, conditions=conditions)

    def fire(self, state: str, trigger: str, answers: Mapping[str, tuple[str, ...]]) -> str | None:
        """The state reached from ``state`` by ``trigger``; None when no branch applies."""
        event = self._machine.events.get(trigger)
        if event is None or state not in event.transitions:
            return None
        model = _Step(state, answers)
        if not event.trigger(model):
            return None
        return model.state

    def edges(self) -> list[tuple[str, str, str]]:
        """Every (source, trigger, destination), for diagrams and reachability."""
        out: list[tuple[str, str, str]] = []
        for trigger, event in self._machine.events.items():
            for source, transitions in event.transitions.items():
                out.extend((source, trigger, t.dest) for t in transitions if t.dest)
        return out


def _condition(condition: Condition) -> Any:
    def check(event: EventData) -> bool:
        model = event.model
        assert isinstance(model, _Step)
        return holds(condition, model.answers)

    return check
