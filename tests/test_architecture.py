"""The layout holds: no import cycles, a sans-I/O engine without clocks, thin channels.

These read the source (``ast``), so they see imports inside functions too: an
import hidden in a function to dodge a cycle still counts as the cycle it is.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "flows")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def imported(path: Path, name: str, known: set[str]) -> Iterator[str]:
    """Our modules that ``path`` imports, anywhere in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: set(imported(path, name, known)) for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary cycle's first sighting, by depth-first search."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    """No module imports another that (directly or not) imports it back."""
    edges = graph()
    # A package's __init__ may re-export from its own modules; that is not a cycle of design.
    for name in list(edges):
        edges[name] = {t for t in edges[name] if not name.startswith(f"{t}.")}
    assert cycles(edges) == []


def test_a_cycle_is_noticed() -> None:
    """The cycle finder finds a cycle (so the test above can fail)."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


CLOCKS = {"time", "monotonic", "perf_counter", "now", "utcnow", "today", "time_ns"}


def test_flows_reads_no_clock() -> None:
    """The engine gets the time from events: no clock is read anywhere in flows/."""
    for path in sorted((ROOT / "flows").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in CLOCKS, f"{path.name}:{node.lineno} reads a clock"


def test_telegram_stays_in_its_package() -> None:
    """Only the Telegram channel imports python-telegram-bot; the core knows no channel."""
    edges = graph()
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        third = {
            (n.module or "").split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and not n.level
        } | {
            a.name.split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.Import)
            for a in n.names
        }
        if "telegram" in third:
            assert name.startswith("bot.channels.telegram") or name == "bot.cli", name
    core = {"bot.conversation", "bot.serving", "bot.stores", "bot.keys", "bot.metrics"}
    for name in core:
        assert not any(t.startswith("bot.channels.telegram") for t in edges[name]), name


FORBIDDEN_IN_FLOWS = {
    "bot",
    "telegram",
    "aiohttp",
    "redis",
    "structlog",
    "logging",
    "httpx",
    "socket",
    "asyncio",
    "prometheus_client",
    "requests",
    "subprocess",
    "time",
}


def top_level_imports(path: Path) -> set[str]:
    """Every package a module imports (anywhere in the file), by its first name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_flows_imports_no_io() -> None:
    """No module in flows/ imports the bot, Telegram, networking, storage, logging or clocks."""
    for path in sorted((ROOT / "flows").glob("*.py")):
        wrong = top_level_imports(path) & FORBIDDEN_IN_FLOWS
        assert not wrong, f"{path.name} imports {wrong}"


def test_only_the_machine_module_imports_transitions() -> None:
    """transitions is an implementation detail of flows/machine.py."""
    users = sorted(
        p.name for p in (ROOT / "flows").glob("*.py") if "transitions" in top_level_imports(p)
    )
    assert users == ["machine.py"]


def test_every_channel_is_one_that_texts_may_name() -> None:
    """Text variants name a channel (``key@web``); the check knows the channels' names."""
    from bot.channels.channel_texts import CHANNELS
    from bot.channels.console import ConsoleChat
    from bot.channels.telegram.channel import TelegramChannel
    from bot.channels.web.channel import WebChannel
    from bot.channels.whatsapp.channel import WhatsAppChannel

    names = {ConsoleChat.name, TelegramChannel.name, WebChannel.name, WhatsAppChannel.name}
    assert names == set(CHANNELS)
