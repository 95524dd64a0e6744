"""Reading a bot subprocess from outside: its JSON log lines and its resident memory.

Shared by the e2e tests (tests/e2e/conftest.py), the soak run and the benchmarks.
"""

from __future__ import annotations

import json
from typing import Any

JSON = dict[str, Any]
PROBLEM_LEVELS = ("error", "critical", "raw")


def log_entry(raw: bytes) -> JSON:
    """One line of stderr as a log entry; a line that is not a JSON object is level "raw"."""
    line = raw.decode(errors="replace").rstrip()
    try:
        entry = json.loads(line)
    except ValueError:
        return {"event": line, "level": "raw"}
    return entry if isinstance(entry, dict) else {"event": line}


def problem_entries(logs: list[JSON]) -> list[JSON]:
    """Logged errors, and anything that was not one of the bot's JSON lines."""
    return [e for e in logs if e.get("level") in PROBLEM_LEVELS]


def rss_kib(pid: int) -> int | None:
    """Resident memory of a process in KiB (Linux ``/proc``); None without a VmRSS line."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None
