"""How many messages per second N workers send to Telegram: per-process vs shared limit.

Measures, against a real Redis, the total send rate of N simulated workers (each its
own connection pool and its own send scheduler at 28/s, bot.channels.telegram.scheduler)
with and without the shared budget (bot.stores.redis.SharedBudget), and what one shared
token costs (a Redis round trip). Run:

    .venv/bin/python -m bench.flood [--url redis://127.0.0.1:6379/0] [--workers 2] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from telegram.ext import BaseRateLimiter

from bot.channels.telegram.scheduler import RATE, SendScheduler
from bot.stores.redis import SharedBudget, connect

TELEGRAM_RATE = RATE

KEY = "baken-bench:flood"


async def sent() -> bool:
    return True


async def steady_rate(limiters: list[BaseRateLimiter[int]], seconds: float) -> float:
    """Messages per second from all limiters together, after the first second's burst."""
    done: list[float] = []
    each = int(TELEGRAM_RATE * (seconds + 3))  # enough to stay busy through the window

    async def send(limiter: BaseRateLimiter[int], chat: int) -> None:
        await limiter.process_request(sent, (), {}, "sendMessage", {"chat_id": chat}, None)
        done.append(time.monotonic())

    started = time.monotonic()
    tasks = [asyncio.ensure_future(send(lim, 10 + i)) for i in range(each) for lim in limiters]
    await asyncio.sleep(1.0 + seconds + 0.1)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    window = [t for t in done if started + 1.0 <= t <= started + 1.0 + seconds]
    return len(window) / seconds


async def main(url: str, workers: int, seconds: float) -> None:
    clients = [connect(url) for _ in range(workers)]
    try:
        local: list[BaseRateLimiter[int]] = [SendScheduler(chat_rate=1000) for _ in range(workers)]
        per_process = await steady_rate(local, seconds)
        await clients[0].delete(KEY)
        shared: list[BaseRateLimiter[int]] = [
            SendScheduler(
                chat_rate=1000, budget=SharedBudget(c, rate=TELEGRAM_RATE, burst=1, key=KEY)
            )
            for c in clients
        ]
        together = await steady_rate(shared, seconds)

        fast = SharedBudget(clients[0], rate=1e6, burst=1_000_000, key=KEY + ":latency")
        costs = []
        for _ in range(2000):
            started = time.perf_counter()
            await fast.reserve()
            costs.append((time.perf_counter() - started) * 1000)
        costs.sort()
        print(f"workers: {workers}, Telegram limit: {TELEGRAM_RATE:.0f}/s per bot")
        print(f"per-process schedulers only:     {per_process:6.1f} messages/s in total")
        print(f"with the shared Redis budget:    {together:6.1f} messages/s in total")
        print(
            f"one shared token: median {statistics.median(costs):.3f} ms, "
            f"p99 {costs[int(len(costs) * 0.99)]:.3f} ms (Redis round trip)"
        )
    finally:
        for client in clients:
            await client.delete(KEY, KEY + ":latency")
            await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    asyncio.run(main(args.url, args.workers, args.seconds))
