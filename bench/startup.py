"""Start-up with a warm and a cold cache, resident memory after start-up, and reloads.

    .venv/bin/python -m bench.startup [--runs 3]

- ``baken chat`` from process start to its first line on stdout;
- ``baken run`` from process start to the first question delivered to a waiting /start
  (the stand-in Bot API), and its resident memory then;
- ``baken web`` from process start to listening, and its resident memory then;

each with a cold cache (an empty ``BAKEN_CACHE_DIR``: the readers are trained) and a warm
one (the same folder again), runs interleaved. Then updates per second under the closed
loop of section 1, without reloads and with a reload every 2 s, each reload after an edit
of a content file (a copy of the shipped content), runs interleaved (A B A B): the ratio
is the figure to trust on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import shutil
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import Bot, Standin, drive, turn_over
from flows.loader import default_content_dir
from testkit.processes import clean_environment, rss_kib
from testkit.web import WebProcess

REPO = Path(__file__).resolve().parents[1]
_chats = itertools.count(700_000_001, 100_000)


@dataclass(frozen=True)
class Start:
    chat_s: float  # baken chat: start -> first line (median)
    run_s: float  # baken run: start -> first question delivered (median)
    run_rss: int  # bytes, after that first reply (median)
    web_s: float  # baken web: start -> listening (median)
    web_rss: int  # bytes, once listening (median)


@dataclass(frozen=True)
class StartupFigures:
    runs: int
    warm: Start
    cold: Start


@dataclass(frozen=True)
class ReloadFigures:
    users: int
    turns: int
    plain: list[float]  # updates/s without reloads
    reloading: list[float]  # updates/s with a reload (after an edit) every 2 s
    reloads: int  # SIGHUPs sent in all reloading runs
    loaded: int  # content_loaded logged
    errors: int
    incomplete: int

    @property
    def ratio(self) -> float:
        return statistics.median(self.reloading) / statistics.median(self.plain)


async def _chat_first_line(cache: Path) -> float:
    env = clean_environment(BAKEN_CACHE_DIR=str(cache), BAKEN_LOG_LEVEL="WARNING")
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "chat",
        cwd=REPO,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 120)
        if not line:
            raise RuntimeError("baken chat printed nothing")
        return time.monotonic() - started
    finally:
        proc.stdin.close()
        proc.terminate()
        await proc.wait()


async def _run_first_reply(standin: Standin, cache: Path) -> tuple[float, int]:
    chat = next(_chats)
    await standin.queue(
        [{"build": "command_update", "args": {"chat_id": chat, "command": "/start"}}]
    )
    seen = int((await standin.calls(0))["total"])
    bot = Bot("baken-run", standin, env={"BAKEN_CACHE_DIR": str(cache)})
    started = time.monotonic()
    # Not bot.start(): a cold start trains the readers, longer than its wait for "polling".
    await bot.spawn(["-m", "bot", "run"], cwd=bot.repo, env=bot.environment())
    try:
        while time.monotonic() - started < 180:
            await asyncio.sleep(0.005)
            fresh, seen = await standin.new_calls(seen)
            for call in fresh:
                if call["params"].get("chat_id") == chat and turn_over(call) is not None:
                    took = time.monotonic() - started
                    await asyncio.sleep(0.3)  # let the reply's garbage settle
                    return took, bot.rss()
        raise TimeoutError("no first reply within 180 s")
    finally:
        await bot.stop()


async def _web_ready(cache: Path) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        server = WebProcess(
            Path(tmp), BAKEN_CONTENT_DIR=str(default_content_dir()), BAKEN_CACHE_DIR=str(cache)
        )
        started = time.monotonic()
        await server.spawn(
            ["-m", "bot", "web", "--port", "0"], cwd=Path(tmp), env=server.environment()
        )
        try:
            await server.wait_log("web_listening", timeout=180)
            took = time.monotonic() - started
            await asyncio.sleep(0.3)
            return took, (rss_kib(server.pid) or 0) * 1024
        finally:
            await server.stop()


async def startup_async(runs: int = 3) -> StartupFigures:
    samples: dict[str, dict[str, list[float]]] = {"warm": {}, "cold": {}}
    async with Standin() as standin:
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as tmp:
                cache = Path(tmp) / "cache"
                for state in ("cold", "warm"):  # cold fills the cache the warm run reads
                    got = samples[state]
                    if state == "cold":
                        shutil.rmtree(cache, ignore_errors=True)
                    await standin.reset()
                    took, rss = await _run_first_reply(standin, cache)
                    got.setdefault("run_s", []).append(took)
                    got.setdefault("run_rss", []).append(rss)
                    if state == "cold":
                        shutil.rmtree(cache, ignore_errors=True)
                    took, rss = await _web_ready(cache)
                    got.setdefault("web_s", []).append(took)
                    got.setdefault("web_rss", []).append(rss)
                    if state == "cold":
                        shutil.rmtree(cache, ignore_errors=True)
                    got.setdefault("chat_s", []).append(await _chat_first_line(cache))

    def start(got: dict[str, list[float]]) -> Start:
        med = {k: statistics.median(v) for k, v in got.items()}
        return Start(
            med["chat_s"], med["run_s"], int(med["run_rss"]), med["web_s"], int(med["web_rss"])
        )

    return StartupFigures(runs, start(samples["warm"]), start(samples["cold"]))


def _edit(content: Path, n: int) -> None:
    """An operator's edit: a line added to the English texts (a comment: the content stays
    valid and the same, but its version changes, so it is read, checked and swapped in)."""
    texts = content / "texts" / "en.yaml"
    with texts.open("a", encoding="utf-8") as out:
        out.write(f"# edit {n}\n")


async def _one_load(
    standin: Standin, content: Path, cache: Path, users: int, turns: int, every: float | None
) -> tuple[float, int, int, int, int]:
    env = {"BAKEN_CACHE_DIR": str(cache), "BAKEN_CONTENT_DIR": str(content)}
    bot = Bot("baken-run", standin, env=env)
    await bot.spawn(["-m", "bot", "run"], cwd=bot.repo, env=bot.environment())
    await bot.wait_log("polling", timeout=180)  # the first one trains: longer than start()
    sent = 0
    try:
        load = asyncio.create_task(
            drive(standin, users=users, turns=turns, first_chat=next(_chats))
        )
        while every is not None and not load.done():
            await asyncio.sleep(every)
            if not load.done():
                _edit(content, sent)
                bot.signal(signal.SIGHUP)
                sent += 1
        result = await load
        await asyncio.sleep(0.5)  # let the last reload log
    finally:
        await bot.stop()
    loaded = sum(1 for e in bot.logs if e.get("event") == "content_loaded")
    return result.rate, sent, loaded, len(bot.problems()), result.incomplete


async def reload_async(users: int = 200, turns: int = 12, rounds: int = 3) -> ReloadFigures:
    plain: list[float] = []
    reloading: list[float] = []
    reloads = loaded = errors = incomplete = 0
    with tempfile.TemporaryDirectory() as tmp:
        content = Path(tmp) / "content"
        shutil.copytree(default_content_dir(), content)
        cache = Path(tmp) / "cache"
        async with Standin() as standin:
            await _one_load(standin, content, cache, 20, 2, None)  # warm cache, warm-up
            for _ in range(rounds):
                for every in (None, 2.0):
                    await standin.reset()
                    rate, sent, got, errs, missing = await _one_load(
                        standin, content, cache, users, turns, every
                    )
                    (plain if every is None else reloading).append(rate)
                    reloads += sent
                    loaded += got
                    errors += errs
                    incomplete += missing
    return ReloadFigures(users, turns, plain, reloading, reloads, loaded, errors, incomplete)


def render(s: StartupFigures, r: ReloadFigures, number: int) -> list[str]:
    mib = 1024 * 1024
    return [
        f"## {number}. Start-up, memory after start-up, reload",
        "",
        f"Each a fresh process, median of {s.runs}; cold: an empty `BAKEN_CACHE_DIR` (the "
        "readers are trained, the content files parsed); warm: the same folder again "
        "(`bench/startup.py`).",
        "",
        "| | cold cache | warm cache | target (warm) | |",
        "|---|---|---|---|---|",
        f"| `baken chat`: start to its first line | {s.cold.chat_s:.2f} s | "
        f"**{s.warm.chat_s:.2f} s** | < 1 s | {_mark(s.warm.chat_s < 1)} |",
        f"| `baken run`: start to the first question delivered to a waiting /start | "
        f"{s.cold.run_s:.2f} s | **{s.warm.run_s:.2f} s** | < 1 s | "
        f"{_mark(s.warm.run_s < 1)} |",
        f"| `baken web`: start to listening | {s.cold.web_s:.2f} s | **{s.warm.web_s:.2f} s** "
        f"| < 1 s | {_mark(s.warm.web_s < 1)} |",
        f"| `baken run`: resident memory then | {s.cold.run_rss / mib:.0f} MiB | "
        f"**{s.warm.run_rss / mib:.0f} MiB** | ≤ 100 MB | {_mark(s.warm.run_rss <= 100 * mib)} |",
        f"| `baken web`: resident memory then | {s.cold.web_rss / mib:.0f} MiB | "
        f"**{s.warm.web_rss / mib:.0f} MiB** | ≤ 100 MB | {_mark(s.warm.web_rss <= 100 * mib)} |",
        "",
        f"Reload under load: `baken run` (warm cache, a copy of the content), {r.users} users "
        f"× {r.turns} turns closed-loop as in section 1; with reloads, one file of the copy "
        "is edited and SIGHUP sent every 2 s. Runs interleaved (without, with, ...).",
        "",
        "| | updates/s (median) | runs |",
        "|---|---|---|",
        f"| without reloads | {statistics.median(r.plain):.1f} | "
        f"{', '.join(f'{x:.1f}' for x in r.plain)} |",
        f"| a reload every 2 s | {statistics.median(r.reloading):.1f} | "
        f"{', '.join(f'{x:.1f}' for x in r.reloading)} |",
        "",
        f"- With ÷ without: **{r.ratio:.2f}** (target ≥ 0.80: {_mark(r.ratio >= 0.8)}).",
        f"- {r.reloads} edits + SIGHUPs, {r.loaded} `content_loaded` logged, {r.errors} "
        f"errors logged, {r.incomplete} updates unanswered.",
        "",
    ]


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--skip-reload", action="store_true")
    parser.add_argument("--skip-start", action="store_true")
    args = parser.parse_args()
    s = asyncio.run(startup_async(args.runs)) if not args.skip_start else None
    if s is not None:
        print(s)
    if not args.skip_reload:
        r = asyncio.run(reload_async(args.users, args.turns, args.runs))
        print(r, f"ratio {r.ratio:.2f}")
        if s is not None:
            print("\n".join(render(s, r, 4)))


if __name__ == "__main__":
    main()
