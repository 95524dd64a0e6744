"""The web chat under load: many open conversations on one `baken web` worker, against a
bare aiohttp WebSocket server under the same load.

    .venv/bin/python -m bench.web [--connections 10000] [--turns 6] [--think 5.0]
                                  [--loaders 2] [--no-echo]

Two servers in turn, each its own process on 127.0.0.1: the real ``baken web`` (memory
store, shipped content), then ``bench/echo_web.py`` (a bare aiohttp WebSocket server that
answers every press at once with the same three frames, no engine, no store). The load is
the same for both: ``loaders`` processes (aiohttp's WebSocket client; one process holds at
most ~10,000 sockets under the 20,000 file limit) open every connection and start every
conversation, then every person presses an answer button of the newest question ``turns``
times, waiting a random think time (uniform, 0.5-1.5 × ``think`` seconds) before each
press, all at once. A reply's latency is the time from sending the press to receiving the
frame that ends the turn (the next question, with its buttons) in the load process; the
load processes share the two cores with the server, so they are in both figures, and the
ratio baken ÷ echo is the figure that means something on another machine. Frames are
checked: every numbered frame arrives once, in order, and every turn is answered.

Memory per open connection: the server's VmRSS (``/proc/<pid>/status``) after a warm-up,
and again with every connection open and its conversation started, divided by the number
of connections (allocator slack included): for the echo asyncio's transport and aiohttp's
objects of an open WebSocket (request, parser, reader, writer, tasks, timers); for baken
asyncio's transport and its own lean socket (``bot/channels/web/sockets.py``; aiohttp
serves only the page and its files), the tab, the outbox and the session. Room that a
server's heap already has free (baken's start-up leaves some) is filled first, so few
connections show less than they cost; 10,000 is the figure to read. CPU per press: the
server's user + system time (``/proc/<pid>/stat``) over the pressing phase, divided by the
presses answered.
:func:`structures` measures, in this process with tracemalloc, what baken's chat objects
of one open conversation take (tab, outbox, session), apart from the socket's.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import json
import multiprocessing
import os
import random
import resource
import statistics
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp

from flows.loader import default_content_dir
from testkit.processes import LoggedProcess, clean_environment, rss_kib
from testkit.web import WebProcess, new_token

JSON = dict[str, Any]
BATCH = 100  # connections opened at once by one load process
TURN_TIMEOUT = 30.0


@dataclass(frozen=True)
class Load:
    """One server under the load."""

    server: str  # "baken" or "echo"
    connections: int
    turns: int  # presses answered
    seconds: float  # from the first press to the last reply
    rate: float  # presses answered per second
    p50_ms: float
    p99_ms: float
    max_ms: float
    rss_bytes_per_connection: float
    cpu_us_per_press: float  # the server's CPU time over the pressing phase, per press
    cpu_share: float  # of one core, over the pressing phase
    load_cpu_us_per_press: float  # the load processes' CPU time, per press
    open_seconds: float  # opening every connection and starting every conversation
    incomplete: int  # presses (and starts) never answered
    out_of_order: int  # numbered frames missing, repeated or out of order
    problems: int  # errors logged by the server


@dataclass(frozen=True)
class WebFigures:
    baken: Load
    echo: Load | None
    connections: int
    turns_each: int
    think_s: float
    loaders: int
    structure: dict[str, float]  # bytes per conversation by baken structure (tracemalloc)
    load_before: str  # /proc/loadavg when the run began
    load_after: str

    # Kept under their old names for the summary table of bench/run.py.
    @property
    def p50_ms(self) -> float:
        return self.baken.p50_ms

    @property
    def p99_ms(self) -> float:
        return self.baken.p99_ms

    @property
    def incomplete(self) -> int:
        return self.baken.incomplete

    @property
    def out_of_order(self) -> int:
        return self.baken.out_of_order

    @property
    def problems(self) -> int:
        return self.baken.problems


class Person:
    """One page, lean: hello, start, presses; acknowledges once per turn like the page.

    Kept cheap (one future and one timer per press, frames written as text): the load
    processes share the cores with the server, and their own delay is in every latency.
    """

    __slots__ = (
        "bad",
        "buttons",
        "have",
        "http",
        "ids",
        "reader",
        "rng",
        "token",
        "url",
        "waiter",
        "ws",
    )

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
        self.waiter: asyncio.Future[bool] | None = None
        self.reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self.ws = await self.http.ws_connect(
            f"{self.url}/ws", headers={"Origin": self.url}, autoping=True
        )
        self.reader = asyncio.create_task(self._read())
        await self.ws.send_str(f'{{"v":1,"t":"hello","token":"{self.token}","have":0}}')

    async def _read(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            frame = json.loads(message.data)
            n = frame.get("n")
            if n is None:
                continue
            if n != self.have + 1:
                self.bad += 1
            self.have = max(self.have, n)
            if frame["t"] == "msg" and frame["buttons"]:
                answers = [b["data"] for row in frame["buttons"] for b in row]
                self.buttons = [d for d in answers if not d.startswith("!")]
                if self.waiter is not None and not self.waiter.done():
                    self.waiter.set_result(True)
                await self.ws.send_str(f'{{"v":1,"t":"ack","n":{self.have}}}')

    async def act(self, text: str, timeout: float = TURN_TIMEOUT) -> float | None:  # noqa: ASYNC109
        """Send an action (a frame without its id); seconds until the turn's question
        arrived (None: never)."""
        assert self.ws is not None
        loop = asyncio.get_running_loop()
        self.ids += 1
        self.waiter = waiter = loop.create_future()
        timer = loop.call_later(timeout, _give_up, waiter)
        started = time.perf_counter()
        await self.ws.send_str(f'{{"v":1,"id":"b.{self.ids}",{text}}}')
        try:
            answered = await waiter
        finally:
            timer.cancel()
        return time.perf_counter() - started if answered else None

    async def start(self) -> float | None:
        return await self.act('"t":"start","payload":null')

    async def press(self) -> float | None:
        if not self.buttons:  # the end of the flow: begin again
            return await self.start()
        return await self.act(f'"t":"press","data":{json.dumps(self.rng.choice(self.buttons))}')

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await self.reader


def _give_up(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _raise_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, wanted), hard))


# ---------------------------------------------------------------- the load processes


def _loader(conn: Connection, url: str, count: int, seed: int, turns: int, think: float) -> None:
    """One load process: ``count`` people, driven in phases by the parent over ``conn``."""
    _raise_file_limit(count + 256)
    asyncio.run(_load(conn, url, count, seed, turns, think))


async def _load(
    conn: Connection, url: str, count: int, seed: int, turns: int, think: float
) -> None:
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        people = [Person(url, http, rng) for _ in range(count)]
        incomplete = 0
        for i in range(0, count, BATCH):
            batch = people[i : i + BATCH]
            await asyncio.gather(*(p.open() for p in batch))
            started = await asyncio.gather(*(p.start() for p in batch))
            incomplete += sum(s is None for s in started)
        conn.send(("opened", incomplete))
        await loop.run_in_executor(None, conn.recv)  # go
        latencies = array.array("d")
        cpu_before = time.process_time()

        async def live(person: Person) -> None:
            nonlocal incomplete
            for _ in range(turns):
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
                took = await person.press()
                if took is None:
                    incomplete += 1
                else:
                    latencies.append(took)

        await asyncio.gather(*(live(p) for p in people))
        cpu = time.process_time() - cpu_before
        conn.send(("done", latencies.tobytes(), incomplete, sum(p.bad for p in people), cpu))
        await loop.run_in_executor(None, conn.recv)  # close
        for person in people:
            await person.close()
    conn.send(("closed",))


# ---------------------------------------------------------------- the servers


class EchoProcess(LoggedProcess):
    """``bench/echo_web.py`` as a subprocess on a free port of 127.0.0.1."""

    def __init__(self, cwd: Path) -> None:
        super().__init__("echo")
        self.cwd = cwd

    async def start(self) -> None:
        await self.spawn(
            ("-m", "bench.echo_web", "--port", "0"), cwd=self.cwd, env=clean_environment()
        )
        line = await self.wait_output("listening ")
        self.port = int(line.split()[1])


async def _warm_up(url: str, rng: random.Random) -> None:
    """Imports, first sessions, allocator arenas: 50 conversations, opened and closed."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        warm = [Person(url, http, rng) for _ in range(50)]
        for person in warm:
            await person.open()
            await person.start()
            await person.press()
        for person in warm:
            await person.close()
    await asyncio.sleep(0.5)


async def _under_load(
    server: WebProcess | EchoProcess, connections: int, turns: int, think: float, loaders: int
) -> Load:
    """Start ``server``, load it, stop it."""
    _raise_file_limit(connections + 1024)  # the server inherits it
    await server.start()
    pid = server.pid
    ctx = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    pipes: list[Connection] = []
    processes = []
    try:
        await _warm_up(server.url, random.Random(1))
        before = rss_kib(pid) or 0
        began_open = time.perf_counter()
        shares = [connections // loaders + (i < connections % loaders) for i in range(loaders)]
        for i, share in enumerate(shares):
            mine, theirs = ctx.Pipe()
            process = ctx.Process(
                target=_loader, args=(theirs, server.url, share, 15 + i, turns, think)
            )
            process.start()
            pipes.append(mine)
            processes.append(process)

        async def each(message: Any = None) -> list[Any]:
            if message is not None:
                for pipe in pipes:
                    pipe.send(message)
            return list(await asyncio.gather(*(loop.run_in_executor(None, p.recv) for p in pipes)))

        opened = await each()
        open_seconds = time.perf_counter() - began_open
        incomplete = sum(o[1] for o in opened)
        await asyncio.sleep(1.0)
        after = rss_kib(pid) or 0
        cpu_before = _cpu_seconds(pid)
        began = time.perf_counter()
        done = await each("go")
        seconds = time.perf_counter() - began
        cpu = _cpu_seconds(pid) - cpu_before
        latencies: list[float] = []
        out_of_order = 0
        load_cpu = sum(d[4] for d in done)
        for _, raw, missed, bad, _ in done:
            got = array.array("d")
            got.frombytes(raw)
            latencies += got
            incomplete += missed
            out_of_order += bad
        await each("close")
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
        await server.stop()
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    return Load(
        server=server.name,
        connections=connections,
        turns=len(latencies),
        seconds=seconds,
        rate=len(latencies) / seconds if seconds else 0.0,
        p50_ms=statistics.median(latencies) * 1000 if latencies else 0.0,
        p99_ms=pct(0.99) if latencies else 0.0,
        max_ms=latencies[-1] * 1000 if latencies else 0.0,
        rss_bytes_per_connection=(after - before) * 1024 / connections,
        cpu_us_per_press=cpu / len(latencies) * 1e6 if latencies else 0.0,
        cpu_share=cpu / seconds if seconds else 0.0,
        load_cpu_us_per_press=load_cpu / len(latencies) * 1e6 if latencies else 0.0,
        open_seconds=open_seconds,
        incomplete=incomplete,
        out_of_order=out_of_order,
        problems=len(server.problems()),
    )


# ---------------------------------------------------------------- baken's own structures


async def structures_async(conversations: int = 2000) -> dict[str, float]:
    """Bytes per open conversation of baken's own objects, by structure (tracemalloc).

    The real web channel and memory store on the shipped content, in this process; each
    conversation a tab on a sink that drops frames (the socket's side is not in these), said
    hello and started. Grouped by the file that allocated: the tab and its two token
    buckets, the outbox and its kept frames, the session in the store, everything else.
    """
    from bot.channels.web.app import build
    from bot.settings import Settings
    from bot.stores import MemoryStore

    class Drop:
        def send(self, text: str) -> None:
            pass

        def close(self, code: int) -> None:
            pass

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        BAKEN_CONTENT_DIR=default_content_dir(),
        BAKEN_SESSION_SECRET="bench-web-structures-0123456789abcdef",  # noqa: S106 - a bench
    )
    chat = build(settings, store=MemoryStore(settings.BAKEN_SESSION_TTL))
    channel = chat.channel

    def open_one() -> Any:
        tab = channel.open(Drop())
        token = new_token()
        tab.receive(f'{{"v":1,"t":"hello","token":"{token}","have":0}}')
        tab.receive('{"v":1,"t":"start","id":"b.1","payload":null}')
        return tab

    warm = [open_one() for _ in range(50)]  # first turns fill caches: not per conversation
    await channel.finish()
    del warm
    tracemalloc.start(4)
    first = tracemalloc.take_snapshot()
    tabs = [open_one() for _ in range(conversations)]
    await channel.finish()
    for tab in tabs:  # the page acknowledges, as a live page does
        if tab.box is not None:
            channel.acked(tab.box, tab.box.next - 1)
    second = tracemalloc.take_snapshot()
    tracemalloc.stop()
    groups = {
        "tab (and its two token buckets)": ("channel/tab.py", "tokenbucket.py"),
        "outbox (and frames kept)": ("channel/outbox.py", "channel/protocol.py"),
        "session in the memory store": ("stores/memory.py", "flows/session"),
        "channel's tables (tabs, outboxes by key)": ("channel/channel.py",),
    }
    found = dict.fromkeys([*groups, "other"], 0.0)
    for stat in second.compare_to(first, "traceback"):
        frames = [f.filename for f in stat.traceback]
        name = next(
            (g for g, files in groups.items() for f in frames if f.endswith(files)), "other"
        )
        found[name] += stat.size_diff
    found = {k: v / conversations for k, v in found.items()}
    found["total"] = sum(found.values())
    del tabs
    return found


# ---------------------------------------------------------------- the whole measurement


async def measure_async(
    connections: int = 10_000,
    turns: int = 6,
    think: float = 5.0,
    loaders: int = 2,
    echo: bool = True,
) -> WebFigures:
    load_before = _loadavg()
    loaders = max(1, min(loaders, connections // 1000))
    with tempfile.TemporaryDirectory() as tmp:
        baken = WebProcess(
            Path(tmp),
            BAKEN_CONTENT_DIR=str(default_content_dir()),
            BAKEN_WEB_MAX_CONNECTIONS=str(connections + 100),
        )
        baken_load = await _under_load(baken, connections, turns, think, loaders)
        echo_load = None
        if echo:
            echo_load = await _under_load(
                EchoProcess(Path(tmp)), connections, turns, think, loaders
            )
    structure = await structures_async(min(connections, 2000))
    return WebFigures(
        baken=baken_load,
        echo=echo_load,
        connections=connections,
        turns_each=turns,
        think_s=think,
        loaders=loaders,
        structure=structure,
        load_before=load_before,
        load_after=_loadavg(),
    )


def measure(
    connections: int = 10_000, turns: int = 6, think: float = 5.0, loaders: int = 2
) -> WebFigures:
    return asyncio.run(measure_async(connections, turns, think, loaders))


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def render(w: WebFigures, number: int) -> list[str]:
    """The section of BENCHMARKS.md about the web chat."""
    b, e = w.baken, w.echo
    ok = b.p99_ms < 100 and b.incomplete == 0 and b.out_of_order == 0
    small = b.rss_bytes_per_connection <= 10 * 1024
    lines = [
        f"## {number}. Web chat: {w.connections:,} conversations on one worker",
        "",
        f"`bench/web.py`: the real `baken web` (memory store, shipped content), and then a bare "
        "aiohttp WebSocket server (`bench/echo_web.py`: parses each frame and answers a press "
        "at once with the same three frames, no engine, no store), each its own process, under "
        f"the same load from {w.loaders} load processes (aiohttp's WebSocket client), all on "
        f"this machine's two cores. {w.connections:,} connections are opened and their "
        f"conversations started; then every person presses an answer button of the newest "
        f"question, {w.turns_each} times, waiting {0.5 * w.think_s:.1f}-{1.5 * w.think_s:.1f} s "
        "(uniform) before each press, all at once. Latency: sending the press to receiving "
        "the next question, in the load process.",
        "",
        "| figure | baken | bare echo | baken ÷ echo | target | |",
        "|---|---|---|---|---|---|",
    ]

    def row(
        name: str, ours: str, theirs: str, ratio: str, target: str = "", mark: str = ""
    ) -> None:
        lines.append(f"| {name} | {ours} | {theirs} | {ratio} | {target} | {mark} |")

    dash = "-"
    row(
        "open connections, all pressing",
        f"{b.connections:,}",
        f"{e.connections:,}" if e else dash,
        "",
        "10,000",
        "met" if b.connections >= 10_000 and ok else "",
    )
    row(
        "reply latency p50 / p99 / max",
        f"{b.p50_ms:.1f} / **{b.p99_ms:.1f}** / {b.max_ms:.0f} ms",
        f"{e.p50_ms:.1f} / {e.p99_ms:.1f} / {e.max_ms:.0f} ms" if e else dash,
        f"{_ratio(b.p50_ms, e.p50_ms)} / **{_ratio(b.p99_ms, e.p99_ms)}**" if e else dash,
        "p99 < 100 ms",
        "met" if ok else "**missed**",
    )
    row(
        "presses answered, per second",
        f"{b.turns:,} in {b.seconds:.0f} s ({b.rate:.0f}/s)",
        f"{e.turns:,} in {e.seconds:.0f} s ({e.rate:.0f}/s)" if e else dash,
        "",
    )
    row(
        "server CPU per press (share of one core while pressing)",
        f"{b.cpu_us_per_press:.0f} µs ({b.cpu_share:.0%})",
        f"{e.cpu_us_per_press:.0f} µs ({e.cpu_share:.0%})" if e else dash,
        _ratio(b.cpu_us_per_press, e.cpu_us_per_press) if e else dash,
    )
    row(
        "load processes' CPU per press (in every latency: they share the cores)",
        f"{b.load_cpu_us_per_press:.0f} µs",
        f"{e.load_cpu_us_per_press:.0f} µs" if e else dash,
        "",
    )
    row(
        "RSS per open connection",
        f"**{b.rss_bytes_per_connection / 1024:.1f} KiB**",
        f"{e.rss_bytes_per_connection / 1024:.1f} KiB" if e else dash,
        _ratio(b.rss_bytes_per_connection, e.rss_bytes_per_connection) if e else dash,
        "≤ 10 KiB",
        "met" if small else "**missed**",
    )
    row(
        "opening every connection and starting its conversation",
        f"{b.open_seconds:.0f} s",
        f"{e.open_seconds:.0f} s" if e else dash,
        "",
    )
    row(
        "unanswered, out of order or twice, errors logged",
        f"{b.incomplete}, {b.out_of_order}, {b.problems}",
        f"{e.incomplete}, {e.out_of_order}, {e.problems}" if e else dash,
        "",
        "0, 0, 0",
        "met" if b.incomplete == b.out_of_order == b.problems == 0 else "**missed**",
    )
    lines += [
        "",
        "baken's chat objects per open conversation (tracemalloc, in-process, the page "
        "having acknowledged every frame; the socket (asyncio's transport and baken's "
        "WebSocket object) and allocator slack are the rest of the RSS figure): "
        + ", ".join(f"{k} {v:.0f} B" for k, v in w.structure.items() if k != "total")
        + f"; total **{w.structure.get('total', 0):.0f} B**.",
        "",
        f"Load average when the run began: {w.load_before}; when it ended: {w.load_after} "
        "(the load processes, and other engineers' work on the same two cores).",
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--think", type=float, default=5.0)
    parser.add_argument("--loaders", type=int, default=2)
    parser.add_argument("--no-echo", action="store_true")
    args = parser.parse_args()
    figures = asyncio.run(
        measure_async(args.connections, args.turns, args.think, args.loaders, not args.no_echo)
    )
    print("\n".join(render(figures, 8)))


if __name__ == "__main__":
    main()
