"""`make bench`: every benchmark, written to BENCHMARKS.md.

    .venv/bin/python -m bench.run            # full: about ten minutes
    .venv/bin/python -m bench.run --quick    # tiny numbers, < 60 s, no peak

All processes listen on 127.0.0.1 only; every load is bounded (a number of users
and turns, and a timeout).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.metadata
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import (
    crisis,
    e2e,
    footprint,
    memory,
    messages,
    scenarios,
    situation,
    startup,
    step,
    web,
    webkill,
)

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Sizes:
    """How much load each benchmark gets."""

    e2e_users: int
    e2e_turns: int
    e2e_rounds: int
    step_rounds: int
    memory_sessions: int
    redis_sample: int
    rss_conversations: int
    startup_runs: int
    reload_users: int
    webhook_users: int
    webhook_rounds: int
    peak_users: int  # 0: skipped
    messages_before: bool  # also count messages per conversation on the old commit


FULL = Sizes(300, 8, 3, 5, 100_000, 500, 2000, 3, 200, 200, 2, 1000, True)
QUICK = Sizes(30, 2, 1, 1, 5_000, 50, 200, 1, 30, 30, 1, 0, False)
TINY = Sizes(3, 2, 1, 1, 200, 5, 10, 1, 3, 3, 1, 0, False)  # the CI smoke test
# The web chat (bench/web.py): open connections, presses each, think time in seconds
# (each person presses every 0.5-1.5 × think s); bench/webkill.py: pages, presses each.
WEB_SIZES = {FULL: (10_000, 6, 10.0), QUICK: (100, 3, 1.0), TINY: (5, 2, 0.2)}
WEBKILL_SIZES = {FULL: (300, 12), QUICK: (30, 4), TINY: (6, 3)}


def collect(sizes: Sizes, log: Any = print) -> dict[str, Any]:
    """Run every benchmark with these sizes; the figures by name."""
    out: dict[str, Any] = {}
    started = time.monotonic()

    def note(name: str) -> None:
        log(f"[{time.monotonic() - started:6.1f} s] {name}", file=sys.stderr, flush=True)

    note("end-to-end throughput, baken vs bare PTB (A B C A B C)")
    out["e2e"] = e2e.measure(sizes.e2e_users, sizes.e2e_turns, sizes.e2e_rounds)
    note("engine step")
    out["step"] = step.measure(sizes.step_rounds)
    note("crisis detector")
    out["crisis"] = crisis.measure(sizes.step_rounds)
    note("situation reader")
    out["situation"] = situation.measure(sizes.step_rounds)
    note("memory store")
    out["memory"] = memory.measure(sizes.memory_sessions)
    note("memory per live conversation, per structure")
    out["footprint"] = footprint.measure(20_000 if sizes == FULL else 2_000)
    note("start-up, warm and cold cache, and RSS after start-up")
    out["startup"] = asyncio.run(startup.startup_async(sizes.startup_runs))
    out["content_load_ms"] = scenarios.content_load_ms()
    note("reload under load (an edit and SIGHUP every 2 s, and without)")
    out["reload"] = asyncio.run(
        startup.reload_async(sizes.reload_users, 12, max(1, sizes.startup_runs))
    )
    note("RSS per live conversation")
    out["rss"] = asyncio.run(scenarios.rss_async(sizes.rss_conversations, 1))
    if shutil.which("redis-server"):

        def with_url(url: str) -> None:
            note("Redis bytes per key")
            out["redis"] = asyncio.run(scenarios.redis_bytes_async(url, sizes.redis_sample))
            for workers in (1, 2):
                note(f"webhook, {workers} worker(s) sharing Redis")
                out[f"webhook{workers}"] = asyncio.run(
                    scenarios.webhook_async(
                        url, workers, sizes.webhook_users, 3, sizes.webhook_rounds
                    )
                )

        scenarios.with_redis(with_url)
    note("messages per conversation" + (" (now and before)" if sizes.messages_before else ""))
    out["messages"] = messages.measure(before=sizes.messages_before)
    if sizes.peak_users:
        note(f"peak: {sizes.peak_users} users at once, 20 crisis sentences, rate limiter on")
        out["peak"] = asyncio.run(scenarios.peak_async(sizes.peak_users, 20, 5.0))
    connections, presses, think = WEB_SIZES.get(sizes, WEB_SIZES[QUICK])
    note(f"web chat: {connections} conversations on one worker")
    out["web"] = web.measure(connections, presses, think)
    if shutil.which("redis-server") and webkill.caddy() is not None:
        pages, each = WEBKILL_SIZES.get(sizes, WEBKILL_SIZES[QUICK])
        note(f"web chat: two workers behind Caddy, {pages} pages, one worker killed")
        out["webkill"] = webkill.measure(pages, each)
    note("done")
    return out


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _redis_version() -> str:
    exe = shutil.which("redis-server")
    if not exe:
        return "not installed"
    text = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout
    return next((w[2:] for w in text.split() if w.startswith("v=")), text.strip())


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def web_rows(out: dict[str, Any]) -> list[str]:
    """The web chat's rows of the summary table (bench/web.py, bench/webkill.py)."""
    rows = []
    if "web" in out:
        w = out["web"]
        echo = w.echo
        p99 = w.p99_ms / echo.p99_ms if echo and echo.p99_ms else 0.0
        rss = w.baken.rss_bytes_per_connection
        rss_ratio = (
            rss / echo.rss_bytes_per_connection if echo and echo.rss_bytes_per_connection else 0.0
        )
        rows += [
            f"| web chat: {w.connections:,} open conversations on one worker, each pressing "
            f"every {0.5 * w.think_s:.0f}-{1.5 * w.think_s:.0f} s: reply p99 (÷ a bare aiohttp "
            f"echo under the same load) | **{w.p99_ms:.0f} ms** ({p99:.1f}×) | p99 < 100 ms "
            f"| {_mark(w.p99_ms < 100 and w.incomplete == 0)} |",
            f"| same, RSS per open connection (÷ the echo's) | {rss / 1024:.1f} KiB "
            f"({rss_ratio:.1f}×) | ≤ 10 KiB | {_mark(rss <= 10 * 1024)} |",
        ]
    if "webkill" in out:
        k = out["webkill"]
        rows.append(
            f"| web chat, two workers behind Caddy, one killed mid-run ({k.conversations} "
            f"pages): lost, twice | **{k.lost}, {k.twice}** | 0, 0 "
            f"| {_mark(k.lost == k.twice == k.stuck == 0)} |"
        )
    return rows


def render(out: dict[str, Any], sizes: Sizes, seconds: float) -> str:
    t = out["e2e"]
    s = out["step"]
    m = out["memory"]
    up = out["startup"]
    rl = out["reload"]
    rss = out["rss"]
    fp = out["footprint"]
    up_ms = out["content_load_ms"]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`python -m bench.run`{' --quick' if sizes != FULL else ''})"
        f" on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC in {seconds:.0f} s.",
        "",
        f"- Machine: {_cpu()}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}. **A shared 2-core machine**: other engineers ran test "
        "suites at the same time, so absolute figures are noisy; runs are interleaved "
        "(A B A B) and medians are reported, and the ratios are the figures to trust.",
        f"- Python {platform.python_version()}; python-telegram-bot "
        f"{_version('python-telegram-bot')}, httpx {_version('httpx')}, aiohttp "
        f"{_version('aiohttp')}, transitions {_version('transitions')}, pydantic "
        f"{_version('pydantic')}, redis-py {_version('redis')}, redis-server {_redis_version()}.",
        "",
        "## Ratios and targets",
        "",
        "| figure | result | target | |",
        "|---|---|---|---|",
        f"| Bot API calls per second, baken ÷ bare PTB (baken makes "
        f"{t.baken_calls_per_update:.2f} calls per update, the bare app "
        f"{t.bare_calls_per_update:.2f}) | **{t.call_ratio:.2f}** | ≥ 0.85 "
        f"| {_mark(t.call_ratio >= 0.85)} |",
        f"| the same against a bare app on baken's own HTTP transport (baken's own cost) "
        f"| {t.same_transport_call_ratio:.2f} | | |",
        f"| updates per second, baken ÷ bare PTB | {t.ratio:.2f} | | |",
        f"| engine step, median (press) | {s.press_median_us:.0f} µs "
        f"({s.press_median_us / s.bare_median_us:.0f}× a bare `transitions` trigger) "
        f"| ≤ 50 µs | {_mark(s.press_median_us <= 50)} |",
        f"| crisis detector, median per message ({out['crisis'].messages:,} example messages) "
        f"| {out['crisis'].median_us:.0f} µs (p99 {out['crisis'].p99_us:.0f} µs) | ≤ 1000 µs "
        f"| {_mark(out['crisis'].median_us <= 1000 and out['crisis'].p99_us <= 1000)} |",
        f"| both readers on a typed message, median ({out['situation'].messages:,} stories) "
        f"| {out['situation'].both_median_us:.0f} µs (p99 {out['situation'].both_p99_us:.0f} µs) "
        f"| well under 1000 µs | {_mark(out['situation'].both_median_us <= 500)} |",
        f"| memory store, RSS per session ({m.sessions:,} sessions) | "
        f"{m.rss_bytes_per_session:.0f} B | ≤ 1024 B | "
        f"{_mark(m.rss_bytes_per_session <= 1024)} |",
        f"| `baken run` RSS growth per live conversation ({rss.conversations:,}) | "
        f"{rss.bytes_per_conversation:.0f} B | ≤ 2048 B | "
        f"{_mark(rss.bytes_per_conversation <= 2048)} |",
        f"| heap per live Telegram conversation, by structure ({fp.updates} updates kept) | "
        f"{fp.total:.0f} B | ≤ 2048 B | {_mark(fp.total <= 2048)} |",
        f"| `baken chat` start to its first line, warm cache (cold) | {up.warm.chat_s:.2f} s "
        f"({up.cold.chat_s:.1f} s) | < 1 s | {_mark(up.warm.chat_s < 1)} |",
        f"| `baken run` start to the first reply, warm cache (cold) | {up.warm.run_s:.2f} s "
        f"({up.cold.run_s:.1f} s) | < 1 s | {_mark(up.warm.run_s < 1)} |",
        f"| `baken run` / `baken web` resident after start-up, warm cache | "
        f"{up.warm.run_rss / 2**20:.0f} / {up.warm.web_rss / 2**20:.0f} MiB | ≤ 100 MB | "
        f"{_mark(max(up.warm.run_rss, up.warm.web_rss) <= 100 * 2**20)} |",
        f"| updates/s during reloads ÷ without | {rl.ratio:.2f} | ≥ 0.80 | "
        f"{_mark(rl.ratio >= 0.8)} |",
        f"| reload under load: reloads done, errors, unanswered updates | "
        f"{rl.loaded}, {rl.errors}, {rl.incomplete} | ≥ 1, 0, 0 "
        f"| {_mark(rl.loaded >= 1 and rl.errors == 0 and rl.incomplete == 0)} |",
    ]
    lines += web_rows(out)
    if "peak" in out:
        k = out["peak"]
        lines += [
            f"| peak of {k.users:,} /start: the last first reply | {k.last_first_reply_s:.1f} s "
            f"| ≤ 40 s | {_mark(k.last_first_reply_s <= 40)} |",
            f"| same, crisis reply p50 / p99 ({k.crisis} crisis sentences 5 s in) | "
            f"{k.crisis_p50:.2f} / **{k.crisis_p99:.2f} s** | p99 < 2 s | "
            f"{_mark(k.crisis_p99 < 2 and len(k.crisis_latencies_s) == k.crisis)} |",
            f"| same, most messages in any one second | {k.peak_1s} | ≤ 30 "
            f"| {_mark(k.peak_1s <= 30)} |",
            f"| same, every reply exactly once | {k.delivered:,} of {k.users:,} first replies, "
            f"{len(k.crisis_latencies_s)} of {k.crisis} crisis replies, {k.duplicates} twice "
            f"| all, 0 | {_mark(k.delivered == k.users and k.duplicates == 0)} |",
        ]
    lines += [
        "",
        "## 1. End-to-end throughput",
        "",
        "The stand-in Bot API (`testkit/botapi/`) runs in its own process on "
        "127.0.0.1. Against it, in turn, the real `baken run` (`BAKEN_RATE_LIMIT=off`, "
        "memory store, shipped content) and `bench/bare_bot.py` (a bare PTB Application, "
        "256 concurrent updates, no logic: one `sendMessage` with a two-button keyboard "
        "for a text, `answerCallbackQuery` + `sendMessage` for a press), once on PTB's own "
        "HTTP transport (httpx) and once on baken's (aiohttp, "
        "`bot/channels/telegram/transport.py`). A fresh bot process per run, order "
        "A B C A B C..., after a short warm-up. baken answers a press with one more call "
        "than the bare app (it marks the pressed question), so the figure compared is "
        "Bot API calls per second.",
        "",
        f"Load (`bench/harness.py: drive`), closed loop: {t.users} simulated users each "
        f"send /start and then press an answer button of the latest question, "
        f"{t.turns} updates each; a user's next update is queued (control API) only "
        "after the reply that ends the previous turn arrived (the message with "
        "buttons); a last screen without answers is followed by a new /start. An "
        "update is done when the stand-in records that reply; throughput is updates "
        "done ÷ time from the first /start to the last reply.",
        "",
        "| bot | updates/s (median) | runs | calls/update | calls/s | p99 latency |",
        "|---|---|---|---|---|---|",
        f"| baken (aiohttp) | {t.baken_rate:.1f} | "
        f"{', '.join(f'{r:.1f}' for r in t.baken_rates)} | {t.baken_calls_per_update:.2f} "
        f"| {t.baken_calls:.0f} | {t.baken_p99_ms:.0f} ms |",
        f"| bare PTB (httpx) | {t.bare_rate:.1f} | "
        f"{', '.join(f'{r:.1f}' for r in t.bare_rates)} | {t.bare_calls_per_update:.2f} "
        f"| {t.bare_calls:.0f} | {t.bare_p99_ms:.0f} ms |",
        f"| bare PTB (aiohttp) | {statistics.median(t.same_transport_rates):.1f} | "
        f"{', '.join(f'{r:.1f}' for r in t.same_transport_rates)} | "
        f"{t.same_transport_calls_per_update:.2f} | {t.same_transport_calls:.0f} | |",
        "",
        f"Every update answered: {'yes' if t.incomplete == 0 else f'no, {t.incomplete} not'}; "
        f"errors logged by baken: {t.problems}. Latencies are long because the load is "
        "closed-loop with hundreds of users in flight at once: it measures capacity.",
        "",
        "PROFILE_PLACEHOLDER",
        "",
        "## 2. Engine step",
        "",
        f"`bench/step.py`: every button of every reachable situation of the shipped flow "
        f"({s.presses} presses) × {sizes.step_rounds} rounds.",
        "",
        "| step | median | p99 |",
        "|---|---|---|",
        f"| press (Choice) | {s.press_median_us:.1f} µs | {s.press_p99_us:.1f} µs |",
        f"| typed answer (Text) | {s.typed_median_us:.1f} µs | {s.typed_p99_us:.1f} µs |",
        f"| bare `transitions` trigger | {s.bare_median_us:.1f} µs | |",
        "",
        "## 2b. Crisis detector",
        "",
        f"`bench/crisis.py`: every example message in `content/phrases/crisis-examples/` and "
        f"every phrase of `phrases/crisis.yaml` ({out['crisis'].messages:,} messages, "
        "training and held-out, crisis and ordinary) judged one at a time, "
        f"{sizes.step_rounds} rounds, on one core (`Detector.assess`: phrases, "
        f"{out['crisis'].rules} concept rules and the classifier). Long: messages of about "
        "4,096 characters, the most Telegram allows in one message.",
        "",
        "| messages | median | p99 | mean |",
        "|---|---|---|---|",
        f"| examples | {out['crisis'].median_us:.0f} µs | {out['crisis'].p99_us:.0f} µs "
        f"| {out['crisis'].mean_us:.0f} µs |",
        f"| 4,096 characters | {out['crisis'].long_median_us / 1000:.1f} ms "
        f"| {out['crisis'].long_p99_us / 1000:.1f} ms | |",
        "",
        f"Size in memory: **{out['crisis'].size_bytes / 1e6:.1f} MB** (tracemalloc: what "
        "building the detector leaves allocated, scikit-learn already imported), of which "
        f"{out['crisis'].weights:,} classifier weights; the rest is mostly the typo index "
        "of the concept words. Training when the content loads: "
        f"{out['crisis'].training_s:.1f} s (once per content; reloads with the same examples "
        "reuse it).",
        "",
        "## 2c. Situation reader",
        "",
        f"`bench/situation.py`: every example story in `content/phrases/situation-examples/` "
        f"({out['situation'].messages:,} stories, training and held-out) read one at a time, "
        f"{sizes.step_rounds} rounds, on one core: the situation reader alone "
        f"(`Reader.read`: {out['situation'].rules} concept patterns, the classifier, ages), "
        "and both readers as the engine runs them on a typed message (crisis first).",
        "",
        "| messages | median | p99 |",
        "|---|---|---|",
        f"| situation reader | {out['situation'].median_us:.0f} µs "
        f"| {out['situation'].p99_us:.0f} µs |",
        f"| crisis detector + situation reader | {out['situation'].both_median_us:.0f} µs "
        f"| {out['situation'].both_p99_us:.0f} µs |",
        f"| 4,096 characters (reader alone) | {out['situation'].long_median_us / 1000:.1f} ms | |",
        "",
        f"Size in memory: **{out['situation'].size_bytes / 1e6:.1f} MB**, of which "
        f"{out['situation'].weights:,} classifier features. Training: "
        f"{out['situation'].training_s:.1f} s, once per version of the examples and concepts "
        "(kept in `BAKEN_CACHE_DIR` as JSON; a change of texts alone trains nothing).",
        "",
        "## 3. Memory per conversation",
        "",
        f"- Memory store (`bench/memory.py`): {m.sessions:,} realistic sessions: "
        f"**{m.rss_bytes_per_session:.0f} B RSS** each ({m.heap_bytes_per_session:.0f} B of "
        f"Python heap by tracemalloc); session JSON median {m.json_bytes_median} B, max "
        f"{m.json_bytes_max} B.",
    ]
    if "redis" in out:
        r = out["redis"]
        lines.append(
            f"- Redis: `MEMORY USAGE` of {r.sample} realistic sessions written by `RedisStore`: "
            f"median **{r.bytes_per_key_median:.0f} B** per key, max {r.bytes_per_key_max} B."
        )
    lines += [
        f"- From outside: `baken run`'s VmRSS (`/proc/<pid>/status`) before and after "
        f"{rss.conversations:,} new conversations (each a /start: a session and three "
        f"messages), after a warm-up of 200: **{rss.bytes_per_conversation:.0f} B** per "
        "conversation. This includes allocator slack and PTB's per-update garbage, so "
        "it is an upper bound.",
        f"- By structure (`bench/footprint.py`, tracemalloc, {fp.conversations:,} "
        f"conversations, the real classes): session {fp.session:.0f} B, delivery ids of "
        f"{fp.updates} updates kept ten minutes {fp.deliveries:.0f} B, the chat's send "
        f"bucket {fp.bucket:.0f} B (only while active), lane {fp.lane:.0f} B: "
        f"**{fp.total:.0f} B** per live conversation (tested in "
        "`tests/bot/test_footprint.py`).",
        "",
        "## 4. Start-up and reload",
        "",
        f"- Content load + validation + engine build (`ContentHolder`, in-process, "
        f"the cache of `~/.cache/baken`): **{up_ms:.0f} ms** (median of 5).",
        "",
    ]
    lines += startup.render(up, rl, 4)[2:]
    if "webhook1" in out:
        w1, w2 = out["webhook1"], out["webhook2"]
        lines += [
            "## 5. Webhook workers sharing Redis",
            "",
            f"`baken webhook` × 1 and × 2, `BAKEN_REDIS_URL` to one private redis-server, "
            "the same `BAKEN_SESSION_SECRET`. Telegram's side is played by a relay "
            "(`bench/scenarios.py: Relay`) that takes the updates queued at the stand-in "
            "and POSTs them round-robin to the workers with the secret header, "
            f"concurrently. Same closed-loop load as section 1 ({sizes.webhook_users} "
            "users, 3 turns).",
            "",
            "| workers | updates/s (median) | runs | p99 latency | unanswered | errors |",
            "|---|---|---|---|---|---|",
        ]
        for w in (w1, w2):
            lines.append(
                f"| {w.workers} | {w.rate:.1f} | {', '.join(f'{r:.1f}' for r in w.rates)} | "
                f"{w.p99_ms:.0f} ms | {w.incomplete} | {w.errors} |"
            )
        lines += [
            "",
            f"Two workers ÷ one: {w2.rate / w1.rate:.2f}. On two cores shared with the "
            "stand-in, the relay and the load, a second worker has little spare CPU to "
            "use; the figure shows the shared Redis costs no correctness.",
            "",
        ]
    now, before = out["messages"]
    lines += [
        "## 6. Telegram messages per conversation",
        "",
        "`bench/messages.py`: one complete conversation per way in (always the first "
        "answer; at a multiple-choice question the first option, then done), pressed "
        "label by label against the real `baken run`; the stand-in counts what was sent "
        "to that chat. *Before* is commit `026f391` (a message per text, a card per "
        "service), measured the same way from a temporary git worktree.",
        "",
        "| path | turns | `sendMessage` now | before | edits now | before |",
        "|---|---|---|---|---|---|",
    ]
    old = {c.path: c for c in before} if before else {}
    for c in now:
        b = old.get(c.path)
        lines.append(
            f"| {c.path} | {c.turns} | **{c.send}** | {b.send if b else '–'} | {c.edit} "
            f"| {b.edit if b else '–'} |"
        )
    lines.append("")
    if "peak" in out:
        k = out["peak"]
        lines += [
            "## 7. A peak under Telegram's limits, crisis first",
            "",
            f"`baken run` with the rate limiter **on** (`bot/channels/telegram/scheduler.py`: "
            f"28 calls/s overall, 1/s per chat after a burst of 3, crisis and erase first, "
            f"then someone new, then the rest). {k.users:,} users send /start at the same "
            f"moment (one control-API request); 5 s later {k.crisis} of them type a crisis "
            'sentence ("ik wil dood", "ik wil er een eind aan maken", "ik word '
            'bedreigd"). Times from when the stand-in got the updates to when it got the reply.',
            "",
            f"- First reply delivered to {k.delivered:,} of {k.users:,} users; the last after "
            f"**{k.last_first_reply_s:.1f} s** (the floor at 30 messages/s is "
            f"{k.users / 30:.0f} s; at 28/s {k.users / 28:.0f} s).",
            f"- Crisis replies (112/113): {len(k.crisis_latencies_s)} of {k.crisis}; "
            f"p50 **{k.crisis_p50:.2f} s**, p99 **{k.crisis_p99:.2f} s**. A crisis sentence "
            "first hurries that person's own queued welcome, then its reply goes first.",
            f"- {k.messages:,} messages; the most in any one second: **{k.peak_1s}** "
            f"(all calls to chats: {k.peak_calls_1s}). Sent twice: {k.duplicates}.",
            "",
        ]
    if "web" in out:
        lines += web.render(out["web"], 8)
    if "webkill" in out:
        lines += webkill.render(out["webkill"], 9)
    lines += [
        "## How to run",
        "",
        "`make bench` (about ten minutes) or `make bench-quick` (tiny numbers, < 60 s, no "
        "peak). Each part runs on its own too: `python -m bench.e2e`, `bench.step`, "
        "`bench.memory`, `bench.messages`, `bench.flood`, `bench.web`, `bench.webkill`; "
        "`bench/run.py` lists "
        "the sizes.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny numbers, no peak")
    parser.add_argument("--out", default=str(REPO / "BENCHMARKS.md"))
    parser.add_argument("--profile", default=str(REPO / "bench" / "PROFILE.md"))
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    started = time.monotonic()
    out = collect(sizes)
    text = render(out, sizes, time.monotonic() - started)
    profile = Path(args.profile)
    note = profile.read_text() if profile.exists() else ""
    text = text.replace("PROFILE_PLACEHOLDER", note.strip())
    # What a run cannot measure again (earlier runs, before/after comparisons, the
    # WhatsApp bench) is kept by hand in bench/NOTES.md and follows the run's figures.
    notes = REPO / "bench" / "NOTES.md"
    if notes.exists() and not args.quick:
        text = text.rstrip() + "\n\n" + notes.read_text().strip() + "\n"
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
