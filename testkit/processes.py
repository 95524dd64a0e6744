"""A bot subprocess from outside: starting and stopping it, its JSON log lines, its memory.

Shared by the e2e and web tests (tests/e2e/conftest.py, testkit/web.py), the soak run and
the benchmarks (bench/harness.py): one :class:`LoggedProcess` for all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

JSON = dict[str, Any]
PROBLEM_LEVELS = ("error", "critical", "raw")
T = TypeVar("T")


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


def clean_environment(**env: str) -> dict[str, str]:
    """This process's environment without any TELEGRAM_, BAKEN_ or PTB_ setting, plus ``env``:
    a child sees only the settings its test or benchmark gives it."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BAKEN_", "PTB_"))
    }
    clean.update(env)
    return clean


class ProcessEndedError(AssertionError):
    """The process ended (or closed its stderr) while something waited for its log."""


class LoggedProcess:
    """``python ARGS`` as a child process: every byte of its stdout and stderr kept, and its
    stderr read as the bot's JSON log lines, to wait for (:meth:`wait_log`) and to check
    (:meth:`problems`). Used for ``baken run|webhook|web``, the bare bot and the stand-in."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.logs: list[JSON] = []
        self.stdout = bytearray()  # everything the process wrote, byte for byte
        self.stderr = bytearray()
        self.proc: asyncio.subprocess.Process | None = None
        self.port: int | None = None  # where it listens on 127.0.0.1, once it does
        self._readers: list[asyncio.Task[None]] = []
        self._new_line = asyncio.Event()

    @property
    def url(self) -> str:
        """Its root URL on 127.0.0.1 (once :attr:`port` is known)."""
        assert self.port is not None
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def spawn(self, args: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> None:
        """Start ``python *args`` in ``cwd`` with exactly ``env``, reading both outputs."""
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *args,
            cwd=cwd,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        self._readers = [
            asyncio.create_task(self._read(self.proc.stderr, self.stderr, logs=True)),
            asyncio.create_task(self._read(self.proc.stdout, self.stdout, logs=False)),
        ]

    async def _read(
        self, stream: asyncio.StreamReader | None, into: bytearray, *, logs: bool
    ) -> None:
        assert stream is not None
        async for raw in stream:
            into += raw
            if logs:
                self.logs.append(log_entry(raw))
            self._new_line.set()

    async def wait_log(self, event: str, timeout: float = 20.0) -> JSON:  # noqa: ASYNC109
        """The first log entry with this event (waiting for it); fails if the process ends."""

        def found() -> JSON | None:
            return next((e for e in self.logs if e.get("event") == event), None)

        return await self._wait(found, timeout)

    async def wait_output(self, prefix: str, timeout: float = 20.0) -> str:  # noqa: ASYNC109
        """The first line of stdout starting with ``prefix`` (waiting for it)."""

        def found() -> str | None:
            lines = self.stdout.decode(errors="replace").splitlines(keepends=True)
            return next(
                (ln.strip() for ln in lines if ln.startswith(prefix) and ln.endswith("\n")), None
            )

        return await self._wait(found, timeout)

    async def _wait(self, found: Callable[[], T | None], timeout: float) -> T:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while True:
                result = found()
                if result is not None:
                    return result
                assert self.proc is not None
                if self.proc.returncode is not None or all(r.done() for r in self._readers):
                    raise ProcessEndedError(f"{self.name} ended: {self.logs[-10:]}")
                self._new_line.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_line.wait(), 0.5)

    def problems(self) -> list[JSON]:
        """Logged errors, and anything that was not one of the bot's JSON lines."""
        return problem_entries(self.logs)

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    async def stop(self, timeout: float = 15.0) -> int:  # noqa: ASYNC109
        """SIGTERM, then the exit status (killed after ``timeout`` seconds); 0 if never started."""
        proc = self.proc
        if proc is None:
            return 0
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        for reader in self._readers:
            await reader
        assert proc.returncode is not None
        return proc.returncode
