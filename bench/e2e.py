"""End-to-end throughput: the real `baken run` against bare PTB apps, interleaved A B C A B C.

The stand-in Bot API runs in its own process; each bot process (baken or
:mod:`bench.bare_bot`) long-polls it, and the same closed-loop load
(:func:`bench.harness.drive`) is run against each in turn, a fresh process per run.
Run::

    .venv/bin/python -m bench.e2e [--users 300] [--turns 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
from dataclasses import dataclass, field

from bench.harness import Bot, LoadResult, Standin, drive

_chats = itertools.count(700_000_001, 100_000)


@dataclass(frozen=True)
class ThroughputFigures:
    users: int
    turns: int
    rounds: int
    baken_rates: list[float]
    bare_rates: list[float]
    baken_p99_ms: float
    bare_p99_ms: float
    baken_calls_per_update: float
    bare_calls_per_update: float
    incomplete: int
    problems: int
    same_transport_rates: list[float] = field(default_factory=list)  # bare on aiohttp
    same_transport_calls_per_update: float = 0.0

    @property
    def baken_rate(self) -> float:
        return statistics.median(self.baken_rates)

    @property
    def bare_rate(self) -> float:
        return statistics.median(self.bare_rates)

    @property
    def ratio(self) -> float:
        return self.baken_rate / self.bare_rate if self.bare_rate else float("nan")

    @property
    def baken_calls(self) -> float:
        """baken's Bot API calls per second (median rate × calls per update)."""
        return self.baken_rate * self.baken_calls_per_update

    @property
    def bare_calls(self) -> float:
        return self.bare_rate * self.bare_calls_per_update

    @property
    def call_ratio(self) -> float:
        """Bot API calls per second, baken ÷ the bare app on PTB's own transport."""
        return self.baken_calls / self.bare_calls if self.bare_calls else float("nan")

    @property
    def same_transport_calls(self) -> float:
        if not self.same_transport_rates:
            return float("nan")
        return statistics.median(self.same_transport_rates) * self.same_transport_calls_per_update

    @property
    def same_transport_call_ratio(self) -> float:
        """The same, against a bare app on baken's transport: baken's own overhead."""
        return self.baken_calls / self.same_transport_calls


async def one_run(standin: Standin, kind: str, users: int, turns: int) -> tuple[LoadResult, int]:
    bot = Bot(kind, standin)
    await bot.start()
    try:
        # A warm-up conversation, so imports and first connections are not timed.
        await drive(standin, users=5, turns=2, first_chat=next(_chats))
        result = await drive(standin, users=users, turns=turns, first_chat=next(_chats))
    finally:
        await bot.stop()
    return result, len(bot.problems())


async def measure_async(users: int = 300, turns: int = 8, rounds: int = 3) -> ThroughputFigures:
    kinds = ("baken-run", "bare", "bare-aiohttp")
    rates: dict[str, list[float]] = {kind: [] for kind in kinds}
    p99: dict[str, list[float]] = {kind: [] for kind in kinds}
    per_update: dict[str, list[float]] = {kind: [] for kind in kinds}
    incomplete = problems = 0
    async with Standin() as standin:
        for _ in range(rounds):
            for kind in kinds:
                await standin.reset()
                result, bad = await one_run(standin, kind, users, turns)
                rates[kind].append(result.rate)
                p99[kind].append(result.p99_ms)
                calls = sum(n for m, n in result.calls.items() if m not in ("getUpdates", "getMe"))
                per_update[kind].append(calls / max(result.updates, 1))
                incomplete += result.incomplete
                problems += bad
    return ThroughputFigures(
        users,
        turns,
        rounds,
        rates["baken-run"],
        rates["bare"],
        statistics.median(p99["baken-run"]),
        statistics.median(p99["bare"]),
        statistics.median(per_update["baken-run"]),
        statistics.median(per_update["bare"]),
        incomplete,
        problems,
        rates["bare-aiohttp"],
        statistics.median(per_update["bare-aiohttp"]),
    )


def measure(users: int = 300, turns: int = 8, rounds: int = 3) -> ThroughputFigures:
    return asyncio.run(measure_async(users, turns, rounds))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--turns", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    figures = measure(args.users, args.turns, args.rounds)
    print(figures)
    print(
        f"per update {figures.ratio:.2f}; per call {figures.call_ratio:.2f} "
        f"(same transport {figures.same_transport_call_ratio:.2f})"
    )
