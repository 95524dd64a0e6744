"""The engine stays sans-I/O: flows/ imports nothing that touches the world."""

from __future__ import annotations

import ast
from pathlib import Path

FLOWS = Path(__file__).parents[2] / "flows"
FORBIDDEN = {
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
}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_flows_imports_no_io() -> None:
    """No module in flows/ imports the bot, Telegram, networking, storage or logging."""
    for path in FLOWS.glob("*.py"):
        assert not imports(path) & FORBIDDEN, f"{path.name} imports {imports(path) & FORBIDDEN}"


def test_only_the_machine_module_imports_transitions() -> None:
    """transitions is an implementation detail of flows/machine.py."""
    users = sorted(p.name for p in FLOWS.glob("*.py") if "transitions" in imports(p))
    assert users == ["machine.py"]
