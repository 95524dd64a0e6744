"""The web chat under load: many open conversations on one `baken web` worker.

    .venv/bin/python -m bench.web [--connections 1000] [--turns 10] [--think 2.0]

The real ``baken web`` (memory store, shipped content) runs as a subprocess on
127.0.0.1. One load process (aiohttp's WebSocket client) opens every connection,
starts every conversation, and then has each person press an answer button of the
newest question ``turns`` times, waiting a random think time (uniform around
``think`` seconds) between presses, all at once. A reply's latency is the time from
sending the press to receiving the frame that ends the turn (the next question, with
its buttons) in the load process. Frames are checked: every numbered frame arrives
once, in order, and every turn is answered.

Memory per open connection: the worker's VmRSS (``/proc/<pid>/status``) after a
warm-up, and again with every connection open and its conversation started,
divided by the number of connections. It includes the socket, aiohttp's buffers,
the tab, the outbox and the session; it is an upper bound (allocator slack).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from flows.loader import default_content_dir
from testkit.processes import rss_kib
from testkit.web import WebProcess, new_token

JSON = dict[str, Any]


@dataclass(frozen=True)
class WebFigures:
    connections: int
    turns: int  # presses answered
    seconds: float  # from the first press to the last reply
    rate: float  # presses answered per second
    p50_ms: float
    p99_ms: float
    max_ms: float
    rss_bytes_per_connection: float
    incomplete: int  # presses never answered
    out_of_order: int  # numbered frames missing, repeated or out of order
    problems: int  # errors logged by the worker
    think_s: float
    load_before: str  # /proc/loadavg when the run began


class Person:
    """One page, lean: hello, start, presses; acknowledges once per turn like the page."""

    def __init__(self, url: str, http: aiohttp.ClientSession, rng: random.Random) -> None:
        self.url = url
        self.http = http
        self.rng = rng
        self.token = new_token()
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.have = 0
        self.bad = 0
        self.ids = 0
        self.buttons: list[str] = []
        self.turn_done: asyncio.Event = asyncio.Event()
        self.reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self.ws = await self.http.ws_connect(
            f"{self.url}/ws", headers={"Origin": self.url}, autoping=True
        )
        self.reader = asyncio.create_task(self._read())
        await self._send({"t": "hello", "token": self.token, "have": 0})

    async def _send(self, frame: JSON) -> None:
        assert self.ws is not None
        await self.ws.send_json({"v": 1, **frame})

    async def _read(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            frame = message.json()
            n = frame.get("n")
            if n is None:
                continue
            if n != self.have + 1:
                self.bad += 1
            self.have = max(self.have, n)
            if frame["t"] == "msg" and frame["buttons"]:
                answers = [b["data"] for row in frame["buttons"] for b in row]
                self.buttons = [d for d in answers if not d.startswith("!")]
                self.turn_done.set()
                await self._send({"t": "ack", "n": self.have})

    async def act(self, frame: JSON, timeout: float = 30.0) -> float | None:  # noqa: ASYNC109
        """Send an action; seconds until the turn's question arrived (None: never)."""
        self.ids += 1
        self.turn_done.clear()
        started = time.perf_counter()
        await self._send({**frame, "id": f"b.{self.ids}"})
        try:
            await asyncio.wait_for(self.turn_done.wait(), timeout)
        except TimeoutError:
            return None
        return time.perf_counter() - started

    async def start(self) -> float | None:
        return await self.act({"t": "start", "payload": None})

    async def press(self) -> float | None:
        if not self.buttons:  # the end of the flow: begin again
            return await self.start()
        return await self.act({"t": "press", "data": self.rng.choice(self.buttons)})

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await self.reader


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


async def measure_async(connections: int = 1000, turns: int = 10, think: float = 2.0) -> WebFigures:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, 2 * connections + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    load_before = _loadavg()
    rng = random.Random(15)
    with tempfile.TemporaryDirectory() as tmp:
        server = WebProcess(
            Path(tmp),
            BAKEN_CONTENT_DIR=str(default_content_dir()),
            BAKEN_WEB_MAX_CONNECTIONS=str(connections + 100),
        )
        await server.start()
        assert server.proc is not None
        pid = server.proc.pid
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=None)
        latencies: list[float] = []
        incomplete = 0
        people: list[Person] = []
        try:
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
                # Warm up: imports, first sessions, allocator arenas.
                warm = [Person(server.url, http, rng) for _ in range(min(50, connections))]
                for person in warm:
                    await person.open()
                    await person.start()
                    await person.press()
                for person in warm:
                    await person.close()
                await asyncio.sleep(0.5)
                before = rss_kib(pid) or 0
                people = [Person(server.url, http, rng) for _ in range(connections)]
                for i in range(0, connections, 100):
                    batch = people[i : i + 100]
                    await asyncio.gather(*(p.open() for p in batch))
                    started = await asyncio.gather(*(p.start() for p in batch))
                    incomplete += sum(s is None for s in started)
                await asyncio.sleep(0.5)
                after = rss_kib(pid) or 0

                async def live(person: Person) -> None:
                    nonlocal incomplete
                    for _ in range(turns):
                        await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
                        took = await person.press()
                        if took is None:
                            incomplete += 1
                        else:
                            latencies.append(took)

                began = time.perf_counter()
                await asyncio.gather(*(live(p) for p in people))
                seconds = time.perf_counter() - began
                for person in people:
                    await person.close()
        finally:
            await server.stop()
    latencies.sort()

    def pct(q: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0
        )

    return WebFigures(
        connections=connections,
        turns=len(latencies),
        seconds=seconds,
        rate=len(latencies) / seconds if seconds else 0.0,
        p50_ms=statistics.median(latencies) * 1000 if latencies else 0.0,
        p99_ms=pct(0.99),
        max_ms=latencies[-1] * 1000 if latencies else 0.0,
        rss_bytes_per_connection=(after - before) * 1024 / connections,
        incomplete=incomplete,
        out_of_order=sum(p.bad for p in people),
        problems=len(server.problems()),
        think_s=think,
        load_before=load_before,
    )


def measure(connections: int = 1000, turns: int = 10, think: float = 2.0) -> WebFigures:
    return asyncio.run(measure_async(connections, turns, think))


def render(w: WebFigures, number: int) -> list[str]:
    """The section of BENCHMARKS.md about the web chat."""
    ok = w.p99_ms < 100 and w.incomplete == 0 and w.out_of_order == 0
    return [
        f"## {number}. Web chat: concurrent conversations on one worker",
        "",
        f"`bench/web.py`: the real `baken web` (memory store, shipped content) and one load "
        f"process with aiohttp's WebSocket client, both on this machine. {w.connections:,} "
        "connections are opened and their conversations started; then every person presses "
        f"an answer button of the newest question, {w.turns // max(1, w.connections)} times, "
        f"waiting {0.5 * w.think_s:.1f}-{1.5 * w.think_s:.1f} s (uniform) before each press, "
        "all at once. Latency: sending the press to receiving the next question, in the load "
        "process (which shares the two cores).",
        "",
        "| figure | result | target | |",
        "|---|---|---|---|",
        f"| open connections, all stepping | {w.connections:,} | 1,000 | |",
        f"| reply latency p50 / p99 / max | {w.p50_ms:.1f} / **{w.p99_ms:.1f}** / "
        f"{w.max_ms:.0f} ms | p99 < 100 ms | {'met' if ok else '**missed**'} |",
        f"| presses answered, per second | {w.turns:,} in {w.seconds:.0f} s ({w.rate:.0f}/s) | | |",
        f"| RSS per open connection (socket, tab, outbox, session) | "
        f"{w.rss_bytes_per_connection / 1024:.1f} KiB | | |",
        f"| unanswered, out of order or twice, errors logged | {w.incomplete}, {w.out_of_order}, "
        f"{w.problems} | 0, 0, 0 | |",
        "",
        f"Load average when the run began: {w.load_before} (other engineers' work on the "
        "same two cores).",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--think", type=float, default=2.0)
    args = parser.parse_args()
    figures = measure(args.connections, args.turns, args.think)
    print("\n".join(render(figures, 7)))


if __name__ == "__main__":
    main()
