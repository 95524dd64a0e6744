"""WhatsApp: webhook throughput of one ``baken whatsapp`` worker, and a peak under Meta's limits.

Everything on 127.0.0.1: the stand-in Cloud API and the load (signed notifications, as Meta
posts them) in this process, the real ``baken whatsapp`` in its own.

- **throughput**: ``people`` people at once, each ``turns`` turns (a greeting, then pressing
  the first answer of each question), the pacer lifted (``WHATSAPP_RATE=1000``) so that the
  worker itself is measured: turns a second, and the time from a notification's POST to
  the reply's question (p50, p95);
- **peak**: ``people`` people greet at once under the default pacing (75 messages a second,
  Meta's 80 per number); ``after`` seconds later ``crisis`` of them type a crisis sentence:
  when the last first reply came, and how long each crisis sentence waited for its 113/112.

Run: ``.venv/bin/python -m bench.whatsapp [--quick]``; prints a Markdown section.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from testkit.cloudapi import Call, StandinCloudAPI, notifications
from testkit.whatsapp import Person, WhatsAppBaken, is_question

CRISIS = ("ik wil dood", "ik wil er een eind aan maken", "ik word bedreigd")


@dataclass(frozen=True)
class Throughput:
    people: int
    turns: int
    seconds: float
    latencies: list[float]
    incomplete: int
    problems: int

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


@dataclass(frozen=True)
class Peak:
    people: int
    crisis: int
    delivered: int
    last_first_reply_s: float
    most_in_a_second: int
    crisis_waits: list[float]
    problems: int


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _worker(api: StandinCloudAPI, **env: str) -> WhatsAppBaken:
    baken = WhatsAppBaken(api, Path(tempfile.mkdtemp(prefix="bench-wa-")), **env)
    await baken.start()
    return baken


async def throughput(people: int = 200, turns: int = 5) -> Throughput:
    async with StandinCloudAPI(history=50) as api:
        baken = await _worker(api, WHATSAPP_RATE="1000")
        latencies: list[float] = []
        incomplete = 0

        async def converse(person: Person) -> None:
            nonlocal incomplete
            try:
                started = time.monotonic()
                await person.say("hoi")
                latencies.append(time.monotonic() - started)
                for _ in range(turns - 1):
                    question = person.question()
                    label = next(iter(question.options))
                    started = time.monotonic()
                    await person.press(label)
                    latencies.append(time.monotonic() - started)
            except AssertionError:
                incomplete += 1

        try:
            await asyncio.gather(*(converse(Person(baken)) for _ in range(5)))  # warm up
            latencies.clear()
            started = time.monotonic()
            await asyncio.gather(*(converse(Person(baken)) for _ in range(people)))
            seconds = time.monotonic() - started
        finally:
            await baken.stop()
        problems = len(baken.problems()) + len(api.violations())
        return Throughput(people, turns, seconds, latencies, incomplete, problems)


async def peak(people: int = 1000, crisis: int = 20, after: float = 3.0) -> Peak:
    async with StandinCloudAPI() as api:
        baken = await _worker(api)
        try:
            crowd = [Person(baken) for _ in range(people)]
            in_crisis = crowd[:: max(1, people // crisis)][:crisis]
            started = time.monotonic()

            async def greet(person: Person) -> None:
                body = api.notification(person.wa_id, notifications.text("hoi"))
                await api.post(baken.webhook, body)

            greeting = asyncio.gather(*(greet(p) for p in crowd))
            await asyncio.sleep(after)
            waits: list[float] = []

            async def despair(person: Person, sentence: str) -> None:
                sent = time.monotonic()
                await person.say(sentence, until=lambda c: "113" in c.text or "112" in c.text)
                waits.append(time.monotonic() - sent)

            await asyncio.gather(
                greeting,
                *(despair(p, CRISIS[i % len(CRISIS)]) for i, p in enumerate(in_crisis)),
            )
            wanted = {p.wa_id for p in crowd}

            def first_reply(call: Call) -> bool:
                return call.to in wanted and call.ok and is_question(call)

            await api.wait_for(first_reply, people, timeout=people / 10 + 60, since=0)
        finally:
            await baken.stop()
    firsts: dict[str, float] = {}
    times: list[float] = []
    for call in api.calls:
        if call.ok:
            times.append(call.at)
            if is_question(call):
                firsts.setdefault(call.to, call.at)
    most = 0
    times.sort()
    first = 0
    for last, at in enumerate(times):
        while times[first] <= at - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return Peak(
        people=people,
        crisis=len(in_crisis),
        delivered=len(firsts),
        last_first_reply_s=max(firsts.values()) - started if firsts else float("nan"),
        most_in_a_second=most,
        crisis_waits=waits,
        problems=len(baken.problems()) + len(api.violations()),
    )


def render(t: Throughput, p: Peak) -> str:
    return "\n".join(
        [
            "## WhatsApp: one `baken whatsapp` worker",
            "",
            "`python -m bench.whatsapp`: the stand-in Cloud API and signed notifications in the",
            "bench process, the real worker in its own (memory store). See bench/whatsapp.py.",
            "",
            "| throughput (pacing lifted) | |",
            "| --- | --- |",
            f"| people × turns | {t.people} × {t.turns} |",
            f"| turns a second | {t.rate:.0f} |",
            f"| POST → question, p50 / p95 | {1000 * quantile(t.latencies, 0.5):.0f} ms / "
            f"{1000 * quantile(t.latencies, 0.95):.0f} ms |",
            f"| incomplete conversations, problems | {t.incomplete}, {t.problems} |",
            "",
            "| peak under Meta's limits (75 messages/s) | |",
            "| --- | --- |",
            f"| people greeting at once | {p.people} ({p.delivered} answered) |",
            f"| last first reply after | {p.last_first_reply_s:.1f} s |",
            f"| most messages in one second | {p.most_in_a_second} |",
            f"| crisis sentences (sent {p.crisis}) → 113/112, p50 / max | "
            f"{1000 * quantile(p.crisis_waits, 0.5):.0f} ms / "
            f"{1000 * max(p.crisis_waits, default=float('nan')):.0f} ms |",
            f"| problems (errors logged, limits broken) | {p.problems} |",
        ]
    )


async def main(quick: bool) -> None:
    t = await throughput(*((30, 3) if quick else (200, 5)))
    p = await peak(*((150, 5) if quick else (1000, 20)))
    print(render(t, p))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
