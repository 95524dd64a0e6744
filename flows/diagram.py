"""The flow as a diagram: Mermaid state diagram text, or Graphviz DOT (for SVG)."""

from __future__ import annotations

from flows.machine import ADVANCE, FlowMachine
from flows.schema import Flow


def _edges(flow: Flow) -> list[tuple[str, str, str]]:
    return sorted(set(FlowMachine(flow).edges()))


def mermaid(flow: Flow) -> str:
    """A Mermaid ``stateDiagram-v2`` of the flow: states, answers as edge labels, ends."""
    lines = ["stateDiagram-v2", f"    [*] --> {flow.start}"]
    for source, trigger, dest in _edges(flow):
        label = "" if trigger == ADVANCE else f" : {trigger}"
        lines.append(f"    {source} --> {dest}{label}")
    for name, state in flow.states.items():
        if state.handoff is not None:
            lines.append(f"    note right of {name} : handoff")
        if state.end:
            lines.append(f"    {name} --> [*]")
    return "\n".join(lines) + "\n"


def dot(flow: Flow) -> str:
    """The same graph in Graphviz DOT, for ``dot -Tsvg``."""
    lines = [
        "digraph flow {",
        "  rankdir=TB;",
        '  node [shape=box, style=rounded, fontname="sans"];',
        "  __start [shape=point];",
        f'  __start -> "{flow.start}";',
    ]
    for name, state in flow.states.items():
        shape = "doubleoctagon" if state.handoff else ("box" if not state.end else "Msquare")
        lines.append(f'  "{name}" [shape={shape}];')
    for source, trigger, dest in _edges(flow):
        label = "" if trigger == ADVANCE else f' [label="{trigger}"]'
        lines.append(f'  "{source}" -> "{dest}"{label};')
    lines.append("}")
    return "\n".join(lines) + "\n"
