"""Two ``baken web`` workers behind Caddy with one Redis; one is killed mid-run.

    .venv/bin/python -m bench.webkill [--conversations 300] [--presses 12] [--think 1.0]

The deployment of ``deploy/``: Debian's caddy running the shipped Caddyfile (site address
and upstream ports changed only, :mod:`testkit.caddy`), two real ``baken web`` workers
(shipped content) sharing one private redis-server, all on 127.0.0.1. ``conversations``
pages (aiohttp's WebSocket client, speaking the frames as ``static/socket.js`` does:
hello with the token and the last numbered frame shown, actions kept until ``got`` and
sent again after a reconnect, frames acknowledged, a reconnect with the page's back-off
when the socket closes) talk to Caddy. Each starts and presses an answer of its newest
question ``presses`` times, waiting 0.5-1.5 × ``think`` s before each press. When 40 % of
all presses are answered, the worker holding the most sockets is killed (SIGKILL: a crash,
nothing said to anyone), and every page on it reconnects through Caddy to the other.

Counted, from what the pages were shown:

- **lost**: a press that no question answered within 20 s, or that left the page at the
  very question it was pressed on (not taken); a conversation that could not go on.
- **twice**: a press whose choice was shown twice (``chosen``), a press taken on a question
  no longer current (``stale``: applied twice), a question shown again without a press or
  reconnect to explain it, or a numbered frame out of order.
- also: the questions asked again after a reconnect (expected: one per page that was on the
  killed worker), the presses that were in flight when it died and were sent again, and the
  choices not shown because the worker died between saving the step and sending it.

``WEBKILL_DEBUG=1`` prints what a page saw around each lost press (frame kinds and
numbers, the first words of the bot's own questions; never a token).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from flows.loader import default_content_dir
from testkit.caddy import CaddyProcess, caddy
from testkit.redisserver import free_port, start_server
from testkit.web import WebProcess, new_token

JSON = dict[str, Any]
TURN_TIMEOUT = 20.0


@dataclass(frozen=True)
class KillFigures:
    conversations: int
    presses: int  # answered
    planned: int
    seconds: float
    lost: int  # presses not taken or never answered
    stuck: int  # conversations that could not go on
    twice: int  # shown or applied twice
    asked_again: int  # questions asked again after a reconnect
    pages_moved: int  # pages that were on the killed worker
    resent: int  # presses sent again after a reconnect
    choice_not_shown: int  # applied, but the dead worker never sent the "chosen" frame
    reconnect_p50_ms: float  # the socket's close to the question asked again
    reconnect_max_ms: float
    problems: int  # errors logged by the surviving worker
    load_before: str
    load_after: str


class Page:
    """One page through the proxy, as socket.js behaves (see the module docstring)."""

    def __init__(self, url: str, http: aiohttp.ClientSession, rng: random.Random) -> None:
        self.url = url
        self.http = http
        self.rng = rng
        self.token = new_token()
        self.have = 0
        self.pending: dict[str, JSON] = {}
        self.ids = 0
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.shown: list[JSON] = []  # numbered frames once each, in order
        self.events: list[tuple[str, Any]] = []  # ("got", id) and ("shown", index), in order
        self.changed = asyncio.Event()
        self.retries = 0
        self.closed_at: float | None = None
        self.reconnects: list[float] = []  # seconds from a close to the next question
        self.out_of_order = 0
        self.done = False
        self.runner: asyncio.Task[None] | None = None

    # ------------------------------------------------------------ the socket

    async def run(self) -> None:
        """Keep a socket open until the conversation is done, reconnecting as the page does."""
        while not self.done:
            try:
                ws = await self.http.ws_connect(
                    f"{self.url}/ws", headers={"Origin": self.url}, autoping=True
                )
            except (aiohttp.ClientError, OSError):
                await self._back_off()
                continue
            self.ws = ws
            self.events.append(("open", self.have))
            try:
                await self._send({"t": "hello", "token": self.token, "have": self.have})
                for frame in list(self.pending.values()):
                    await self._send(frame)
                await self._read(ws)
            except (aiohttp.ClientError, ConnectionError, RuntimeError):
                pass
            self.ws = None
            self.events.append(("closed", ws.close_code))
            if not self.done:
                self.closed_at = time.perf_counter()
                await self._back_off()

    async def _back_off(self) -> None:
        wait = min(10.0, 0.5 * 2**self.retries) * (0.75 + self.rng.random() / 2)
        self.retries += 1
        await asyncio.sleep(wait)

    async def _send(self, frame: JSON) -> None:
        """Send on the open socket; on a closing one nothing (an action goes again after the
        reconnect, as on the page)."""
        if self.ws is not None and not self.ws.closed:
            if frame.get("t") != "ack":
                self.events.append(("sent", frame.get("id") or frame.get("t")))
            with contextlib.suppress(ConnectionError, aiohttp.ClientError):
                await self.ws.send_str(json.dumps({"v": 1, **frame}))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            frame = json.loads(message.data)
            n = frame.get("n")
            if isinstance(n, int):
                if n <= self.have:
                    continue  # already shown: sent again after a reconnect
                if n != self.have + 1:
                    self.out_of_order += 1
                self.have = n
                self.shown.append(frame)
                self.events.append(("shown", len(self.shown) - 1))
                if self.closed_at is not None and _question(frame):
                    self.reconnects.append(time.perf_counter() - self.closed_at)
                    self.closed_at = None
                await self._send({"t": "ack", "n": n})
            elif frame.get("t") == "ready":
                self.retries = 0
                if frame.get("next") is not None:
                    self.have = frame["next"] - 1
            elif frame.get("t") in ("got", "error"):
                self.pending.pop(frame.get("id"), None)
                self.events.append((frame["t"], frame.get("id")))
            self.changed.set()

    # ------------------------------------------------------------ actions

    async def act(self, frame: JSON) -> str:
        self.ids += 1
        action = f"k.{self.ids}"
        frame = {**frame, "id": action}
        self.pending[action] = frame
        await self._send(frame)
        return action

    async def settled(self, action: str, timeout: float = TURN_TIMEOUT) -> JSON | None:  # noqa: ASYNC109
        """The question that answers ``action``: the newest one shown when its ``got`` came
        (the server sends ``got`` after the turn's frames; after a reconnect, after the
        question asked again too). None: no ``got`` in time."""
        deadline = time.perf_counter() + timeout
        while True:
            if any(kind in ("got", "error") and value == action for kind, value in self.events):
                return self.question()
            if time.perf_counter() > deadline:
                return None
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), 0.5)

    def question(self) -> JSON | None:
        return next((f for f in reversed(self.shown) if _question(f)), None)


def _question(frame: JSON) -> bool:
    return frame.get("t") == "msg" and bool(frame.get("buttons"))


def _answers(frame: JSON) -> list[str]:
    data = [b["data"] for row in frame["buttons"] for b in row]
    return [d for d in data if not d.startswith("!")]


def _same(a: JSON | None, b: JSON | None) -> bool:
    return (
        a is not None and b is not None and (a["text"], a["buttons"]) == (b["text"], b["buttons"])
    )


@dataclass
class Tally:
    answered: int = 0
    lost: int = 0
    stuck: int = 0
    twice: int = 0
    resent: int = 0
    choice_not_shown: int = 0


async def converse(page: Page, presses: int, think: float, tally: Tally, moved: set[Page]) -> None:
    """One person: start, then ``presses`` presses on the newest question."""
    page.runner = asyncio.create_task(page.run())
    try:
        action = await page.act({"t": "start", "payload": None})
        question = await page.settled(action)
        if question is None:
            tally.stuck += 1
            return
        for _ in range(presses):
            await asyncio.sleep(page.rng.uniform(0.5 * think, 1.5 * think))
            answers = _answers(question)
            shown_before = len(page.shown)
            reconnects_before = len(page.reconnects) + (page.closed_at is not None)
            if not answers:  # the end of the flow: begin again
                action = await page.act({"t": "start", "payload": None})
            else:
                action = await page.act({"t": "press", "data": page.rng.choice(answers)})
            answer = await page.settled(action)
            reconnected = len(page.reconnects) + (page.closed_at is not None) > reconnects_before
            if reconnected:
                tally.resent += 1  # this press was in flight while its worker died
            if answer is None or (answers and _same(answer, question) and not _tick(question)):
                if os.environ.get("WEBKILL_DEBUG"):
                    print(
                        "LOST",
                        reconnected,
                        question["text"][:60],
                        page.events[-8:],
                        [
                            (f["n"], f["t"], f.get("text", "")[:40])
                            for f in page.shown[shown_before - 2 :]
                        ],
                        file=sys.stderr,
                    )
                tally.lost += 1
                tally.stuck += 1
                return
            tally.answered += 1
            new = page.shown[shown_before:]
            chosen = sum(f["t"] == "chosen" for f in new)
            stale = sum(f["t"] == "stale" for f in new)
            if reconnected and answers and chosen == 0 and not _tick(question):
                tally.choice_not_shown += 1
            tally.twice += max(0, chosen - 1) + stale
            question = answer
    finally:
        page.done = True
        if page.ws is not None:
            await page.ws.close()
        if page.runner is not None:
            await page.runner


def _tick(question: JSON) -> bool:
    """A multiple-choice question: a press answers with the same question, ticked."""
    return any(b.get("box") for row in question["buttons"] for b in row)


def _twice_shown(page: Page) -> int:
    """Questions shown again with no press and no reconnect between to explain it."""
    extra = 0
    allowed = len(page.reconnects)
    previous: JSON | None = None
    for frame in page.shown:
        if frame["t"] == "chosen" or frame["t"] == "erased":
            previous = None
        elif _question(frame):
            if _same(frame, previous):
                if allowed:
                    allowed -= 1
                else:
                    extra += 1
            previous = frame
    return extra


async def _connections(worker: WebProcess, http: aiohttp.ClientSession) -> float:
    async with http.get(f"{worker.url}/metrics") as response:
        text = await response.text()
    for line in text.splitlines():
        if line.startswith("baken_web_connections "):
            return float(line.split()[1])
    return 0.0


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


async def measure_async(
    conversations: int = 300, presses: int = 12, think: float = 1.0, seed: int = 23
) -> KillFigures:
    if caddy() is None or shutil.which("redis-server") is None:
        raise RuntimeError("bench.webkill needs caddy and redis-server")
    load_before = _loadavg()
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        redis = start_server(workdir)
        port = free_port()
        public = f"http://127.0.0.1:{port}"
        env = {
            "BAKEN_CONTENT_DIR": str(default_content_dir()),
            "BAKEN_REDIS_URL": redis.url,
            "BAKEN_WEB_PUBLIC_URL": public,
            "BAKEN_WEB_EXIT_URL": "https://www.example.org/",
            "BAKEN_WEB_FRAME_ANCESTORS": "none",
        }
        workers = [WebProcess(workdir, **env) for _ in range(2)]
        proxy: CaddyProcess | None = None
        try:
            for worker in workers:
                await worker.start()
            ports = {"web1": workers[0].port, "web2": workers[1].port, "bot1": 9, "bot2": 9}
            proxy = CaddyProcess(workdir, ports, port)  # type: ignore[arg-type]
            proxy.start()
            tally = Tally()
            moved: set[Page] = set()
            planned = conversations * presses
            connector = aiohttp.TCPConnector(limit=0)
            timeout = aiohttp.ClientTimeout(total=None)
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
                pages = [
                    Page(public, http, random.Random(rng.random())) for _ in range(conversations)
                ]
                began = time.perf_counter()
                talks = [
                    asyncio.create_task(converse(p, presses, think, tally, moved)) for p in pages
                ]
                while tally.answered < 0.4 * planned and not all(t.done() for t in talks):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
                counts = [await _connections(w, http) for w in workers]
                victim = workers[counts.index(max(counts))]
                survivor = workers[1 - workers.index(victim)]
                # The pages whose socket is on the victim: those that close when it dies.
                open_before = {p for p in pages if p.ws is not None and not p.ws.closed}
                assert victim.proc is not None
                victim.proc.kill()
                await victim.proc.wait()
                await asyncio.sleep(0.3)
                moved |= {p for p in open_before if p.ws is None or p.ws.closed or p.reconnects}
                await asyncio.gather(*talks)
                seconds = time.perf_counter() - began
            tally.twice += sum(_twice_shown(p) for p in pages)
            tally.twice += sum(p.out_of_order for p in pages)
            asked_again = sum(len(p.reconnects) for p in pages)
            gaps = sorted(r for p in pages for r in p.reconnects)
            problems = len(survivor.problems())
        finally:
            if proxy is not None:
                proxy.stop()
            for worker in workers:
                if worker.proc is not None and worker.proc.returncode is None:
                    await worker.stop()
                else:
                    await worker.stop()
            redis.stop()
    return KillFigures(
        conversations=conversations,
        presses=tally.answered,
        planned=planned,
        seconds=seconds,
        lost=tally.lost,
        stuck=tally.stuck,
        twice=tally.twice,
        asked_again=asked_again,
        pages_moved=len(moved),
        resent=tally.resent,
        choice_not_shown=tally.choice_not_shown,
        reconnect_p50_ms=statistics.median(gaps) * 1000 if gaps else 0.0,
        reconnect_max_ms=gaps[-1] * 1000 if gaps else 0.0,
        problems=problems,
        load_before=load_before,
        load_after=_loadavg(),
    )


def measure(conversations: int = 300, presses: int = 12, think: float = 1.0) -> KillFigures:
    return asyncio.run(measure_async(conversations, presses, think))


def render(k: KillFigures, number: int) -> list[str]:
    """The section of BENCHMARKS.md about a worker killed mid-conversation."""
    ok = k.lost == k.stuck == k.twice == 0
    return [
        f"## {number}. Web chat: two workers behind Caddy, one killed mid-conversation",
        "",
        "`bench/webkill.py`: Debian's caddy running the shipped `deploy/Caddyfile` (site "
        "address and upstream ports changed only), two real `baken web` workers sharing one "
        f"redis-server, all on 127.0.0.1. {k.conversations} pages (aiohttp, speaking the "
        "frames as `static/socket.js` does: hello with the last frame shown, actions kept "
        "until confirmed and sent again after a reconnect) start and press an answer "
        f"{k.planned // max(1, k.conversations)} times each. When 40 % of the presses are "
        "answered, the worker holding the most sockets gets SIGKILL; its pages reconnect "
        "through Caddy to the other.",
        "",
        "| figure | result | target | |",
        "|---|---|---|---|",
        f"| presses answered | {k.presses:,} of {k.planned:,} in {k.seconds:.0f} s | all | "
        f"{'met' if k.presses == k.planned else '**missed**'} |",
        f"| lost (presses not taken or unanswered), conversations that could not go on "
        f"| **{k.lost}**, {k.stuck} | 0, 0 | {'met' if k.lost == k.stuck == 0 else '**missed**'} |",
        f"| shown or applied twice | **{k.twice}** | 0 | "
        f"{'met' if k.twice == 0 else '**missed**'} |",
        f"| pages on the killed worker; questions asked again after the reconnect | "
        f"{k.pages_moved}; {k.asked_again} | one each | "
        f"{'met' if k.asked_again == k.pages_moved else '**missed**'} |",
        f"| presses in flight when it died or made while the page reconnected (sent on the "
        f"new socket, taken once) | {k.resent} | | |",
        f"| of those, taken but their choice bubble never sent (the worker died between "
        f"saving and sending) | {k.choice_not_shown} | | |",
        f"| socket closed → question asked again, p50 / max | {k.reconnect_p50_ms:.0f} / "
        f"{k.reconnect_max_ms:.0f} ms | | |",
        f"| errors logged by the surviving worker | {k.problems} | 0 | |",
        "",
        f"Load average when the run began: {k.load_before}; when it ended: {k.load_after}."
        + ("" if ok else " **Target missed.**"),
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=300)
    parser.add_argument("--presses", type=int, default=12)
    parser.add_argument("--think", type=float, default=1.0)
    args = parser.parse_args()
    print("\n".join(render(measure(args.conversations, args.presses, args.think), 9)))


if __name__ == "__main__":
    main()
