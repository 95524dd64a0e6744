"""A flow as the engine runs it, and the small things every part of the engine shares.

The compiled flow (its state machine, the callback data of each button, the names that may
be typed for each option), an option looked up by id, and the session's own answer keys:
codes the engine keeps next to the answers of the flow's questions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from flows.machine import FlowMachine
from flows.match import Candidates
from flows.schema import Flow, Option, State
from flows.session import CRISIS_SHOWN

PRESET = "_preset"  # answers key: questions answered by a deep link, not asked yet
NOTED = "_noted"  # answers key: options a typed story stated, for questions still to come
MISSED = "_missed"  # answers key: a typed message just now was not understood
CRISIS = CRISIS_SHOWN  # answers key: the kinds of crisis screen shown (suicide, danger)
# Answers keys that are no question of the flow (kept across content reloads).
OWN_KEYS = frozenset({PRESET, NOTED, MISSED, CRISIS})
NONE_OF_THESE = "!none"  # "none of these" under "did you mean": ask the question again
SKIP = "skip"  # the option id of "Sla over" (a multiple-choice question skipped counts nothing)


def button_data(flow: str, state: str, option: str, label: str) -> str:
    """Callback data of an answer button: the option id and a tag of what it means."""
    meaning = "\0".join((flow, state, option, label)).encode("utf-8")
    return f"{option}.{hashlib.blake2s(meaning, digest_size=4).hexdigest()}"


@dataclass(frozen=True)
class CompiledFlow:
    """A flow with what the engine needs at every step, built once per content."""

    name: str
    flow: Flow
    machine: FlowMachine
    data: Mapping[tuple[str, str], str]  # (state, option id) -> callback data
    candidates: Mapping[tuple[str, str], Candidates]  # (state, lang) -> names of options


def option_of(state: State, option_id: str) -> Option | None:
    """The option of ``state`` with this id, or None."""
    for option in state.options:
        if option.id == option_id:
            return option
    return None
