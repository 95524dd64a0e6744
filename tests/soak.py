"""Soak run: many simulated people against the real `baken webhook`, with Bot API faults.

Run the long form with ``make soak`` (120 people, ten minutes) or::

    .venv/bin/python -m tests.soak --minutes 10 --users 120

Everything runs on 127.0.0.1: the stand-in Bot API (testkit/botapi/) and one
`baken webhook` subprocess on the pinned e2e dialogue, with a short session TTL so that
sessions expire during the run. Each simulated person starts a conversation in a new
private chat, presses buttons, types (sometimes a crisis sentence), asks for help,
sometimes stops, and waits for each answer. A fault injector sprinkles 429s, 5xx,
resets, malformed answers, slow answers and timeouts over the Bot API calls.

Counted: updates sent, faults injected, turns answered, lost (no answer within
``ANSWER_TIMEOUT``), duplicated (one update answered twice with the same message),
crisis sentences not answered with 113, crashes (the process ended), error log lines,
and the resident memory of the baken process over time. The short form runs in
``make test`` (tests/e2e/test_soak.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from testkit.botapi import Call, StandinBotAPI
from testkit.processes import rss_kib
from tests.e2e.conftest import WEBHOOK_SECRET, Baken, new_chat_id

ANSWER_TIMEOUT = 30.0  # longer than a timed-out send (10 s read timeout) plus retries
QUIET = 2.0  # seconds without a call about the chat: the turn has ended (and then some)
RETRY_QUIET = 3.0  # the same after a fault: longer than the longest backoff (2 s + 25 %)
ANSWERING = ("sendMessage", "editMessageText", "editMessageReplyMarkup")
TEXTS = (
    "hallo",
    "wat moet ik doen?",
    "ik weet het niet zo goed 🙁",
    "<b>{0}</b> %s",
    "​‮ abc",
    "mijn vriend wil dat ik geld verdien",
    "ok",
)
CRISIS = ("ik wil dood", "ik wil niet meer leven", "zelfmoord")
COMMANDS = ("/help", "/start")
# (method, fault, weight): faults that leave the answer to the retry layer.
FAULTS: tuple[tuple[str, str, int], ...] = (
    ("sendMessage", "429", 2),
    ("sendMessage", "500", 2),
    ("sendMessage", "502", 2),
    ("sendMessage", "503", 1),
    ("sendMessage", "reset", 2),
    ("sendMessage", "malformed", 1),
    ("sendMessage", "slow", 2),
    ("sendMessage", "timeout", 1),
    ("editMessageText", "500", 2),
    ("editMessageText", "reset", 1),
    ("editMessageText", "timeout", 1),
    ("answerCallbackQuery", "503", 2),
    ("answerCallbackQuery", "timeout", 1),
    ("deleteMessages", "500", 1),
    ("*", "502", 2),
    ("*", "slow", 1),
)


@dataclass
class Figures:
    """What a soak run counted."""

    seconds: float = 0.0
    users: int = 0
    conversations: int = 0
    updates_sent: int = 0
    faults_injected: int = 0
    faults_served: int = 0
    answered: int = 0
    lost: int = 0
    duplicated: int = 0
    crisis_sent: int = 0
    crisis_without_113: int = 0
    webhook_not_200: int = 0
    crashes: int = 0
    error_log_lines: int = 0
    exit_status: int | None = None
    rss_kib: list[tuple[int, int]] = field(default_factory=list)  # (second, KiB)
    problems: list[str] = field(default_factory=list)

    def ok(self) -> bool:
        return (
            self.lost == 0
            and self.duplicated == 0
            and self.crisis_without_113 == 0
            and self.webhook_not_200 == 0
            and self.crashes == 0
            and self.error_log_lines == 0
            and self.exit_status == 0
        )


def _rss_kib(pid: int) -> int:
    with contextlib.suppress(OSError):
        return rss_kib(pid) or 0
    return 0


def repeated_sends(sends: list[tuple[float, str]], marks: list[float]) -> list[int]:
    """The sends that repeat the one before for the same update (their indices).

    ``sends`` are one chat's messages (time, content) in the order the stand-in carried
    them out; ``marks`` the times the person posted each update, in order. The bot
    handles one chat's updates one after another, so the sends fall into consecutive
    runs, one per update, each run after its update was posted. A person may well see
    one text twice (pressing the same button again), but that takes another update. So
    two equal sends in a row are a duplicate only when no such split puts them in
    different runs: when no update after the one the first send answers was posted
    before the second. This does not depend on how fast the bot was: an update that
    overtook the end of a slow turn is still counted as the next run.
    """
    repeated: list[int] = []
    run = -1  # the update the previous send answers, as early as the times allow
    previous: str | None = None
    for index, (at, key) in enumerate(sends):
        if previous is None or key == previous:
            if run + 1 < len(marks) and marks[run + 1] <= at:
                run += 1
            elif previous is not None:
                repeated.append(index)
        previous = key
    return repeated


class Person:
    """One simulated person; starts a fresh chat for each conversation."""

    def __init__(
        self,
        api: StandinBotAPI,
        baken: Baken,
        figures: Figures,
        rng: random.Random,
        sends: dict[int, list[tuple[float, str]]],
    ) -> None:
        self.sends = sends
        self.api = api
        self.baken = baken
        self.figures = figures
        self.rng = rng
        self.chat_id = 0
        self.user: dict[str, Any] = {}

    def _new_chat(self) -> None:
        self.chat_id = new_chat_id()
        self.marks: list[float] = []
        self.user = self.api.user(self.chat_id, language_code="nl")
        self.figures.conversations += 1

    def _answers(self, mark: float, *, crisis: bool) -> Callable[[Call], bool]:
        chat_id = self.chat_id

        def predicate(call: Call) -> bool:
            return (
                call.at >= mark
                and call.method in ANSWERING
                and call.fault in (None, "slow", "timeout")
                and call.params.get("chat_id") == chat_id
                and (not crisis or "113" in str(call.params.get("text", "")))
            )

        return predicate

    def _buttons(self) -> list[tuple[str, int]]:
        for message in reversed(self.api.messages(self.chat_id)):
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            found = [
                (b["callback_data"], message["message_id"])
                for row in rows
                for b in row
                if "callback_data" in b
            ]
            if found:
                return found
        return []

    async def turn(self, update: dict[str, Any], *, crisis: bool = False) -> None:
        figures = self.figures
        mark = time.monotonic()
        self.marks.append(mark)
        status = await self.api.post_webhook(
            f"{self.baken.url}/telegram", update, secret=WEBHOOK_SECRET
        )
        figures.updates_sent += 1
        if status != 200:
            figures.webhook_not_200 += 1
            figures.problems.append(f"webhook status {status}")
            return
        if crisis:
            figures.crisis_sent += 1
        try:
            await self.api.wait_for(self._answers(mark, crisis=crisis), 1, timeout=ANSWER_TIMEOUT)
        except TimeoutError:
            if crisis:
                figures.crisis_without_113 += 1
            figures.lost += 1
            kind = "press" if "callback_query" in update else "text"
            data = update.get("callback_query", {}).get("data") or update.get("message", {}).get(
                "text"
            )
            recent = [
                (c.method, c.fault, str(c.params.get("text", ""))[:40])
                for c in self.api.calls
                if c.at >= mark
                and (
                    c.params.get("chat_id") == self.chat_id
                    or str(c.params.get("callback_query_id", "")).startswith(str(self.chat_id))
                )
            ]
            figures.problems.append(f"lost {kind} {data!r}: {recent}")
            return
        figures.answered += 1
        await self._settled()

    async def _settled(self) -> None:
        """Wait until the bot has finished this turn, so that its last messages are not
        taken for the next turn's answers.

        Finished means: no call about this chat is in flight at the stand-in (a slow or
        timed-out answer still pending), and the last one was answered ``QUIET`` seconds
        ago, or ``RETRY_QUIET`` after a fault (a retry comes after a backoff; a timed-out
        edit is retried too). Between two calls of one turn the bot needs milliseconds;
        ``QUIET`` leaves room for a loaded machine that stalls the bot for a moment. This
        is an inference from outside: a stall longer than ``QUIET`` inside one turn would
        let the next update overtake it, and its tail would count as a duplicate.
        """
        api, chat_id = self.api, self.chat_id
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            if api.in_flight(chat_id):
                continue
            last, ended = api.last_call(chat_id), api.last_activity(chat_id)
            if last is None or ended is None:
                return
            quiet = QUIET if last.fault in (None, "slow") else RETRY_QUIET
            if time.monotonic() - ended >= quiet:
                return

    def count_duplicates(self) -> None:
        """Count the messages of this chat that were sent twice for one update."""
        sends = self.sends.pop(self.chat_id, [])
        for index in repeated_sends(sends, self.marks):
            at_1, key = sends[index - 1]
            at_2 = sends[index][0]
            self.figures.duplicated += 1
            calls = [
                (round(c.at - at_1, 2), c.method, c.fault)
                for c in self.api.calls
                if at_1 - 15 <= c.at <= at_2 and self.api.chat_of_call(c.params) == self.chat_id
            ]
            near = [round(mark - at_1, 2) for mark in self.marks if at_1 - 15 <= mark <= at_2 + 5]
            self.figures.problems.append(
                f"duplicate: {key[:120]} calls: {calls} updates posted: {near}"
            )

    async def conversation(self, until: float) -> None:
        self._new_chat()
        api, rng = self.api, self.rng
        await self.turn(api.command_update(self.chat_id, "/start", user=self.user))
        for _ in range(rng.randint(4, 12)):
            if time.monotonic() >= until:
                break
            roll = rng.random()
            buttons = self._buttons()
            if roll < 0.65 and buttons:
                data, message_id = rng.choice(buttons)
                update = api.callback_update(
                    self.chat_id, data, message_id=message_id, user=self.user
                )
                await self.turn(update)
            elif roll < 0.72:
                sentence = rng.choice(CRISIS)
                await self.turn(
                    api.text_update(self.chat_id, sentence, user=self.user), crisis=True
                )
            elif roll < 0.9:
                text = rng.choice(TEXTS)
                await self.turn(api.text_update(self.chat_id, text, user=self.user))
            else:
                command = rng.choice(COMMANDS)
                await self.turn(api.command_update(self.chat_id, command, user=self.user))
            await asyncio.sleep(rng.uniform(0.2, 1.5))
        if rng.random() < 0.3:
            await self.turn(api.command_update(self.chat_id, "/stop", user=self.user))
        await asyncio.sleep(2.0)  # the last turn's retries
        self.count_duplicates()

    async def run(self, until: float) -> None:
        while time.monotonic() < until:
            await self.conversation(until)


async def _collect_sends(
    api: StandinBotAPI, sends: dict[int, list[tuple[float, str]]], seconds: float
) -> None:
    """Record every sendMessage the stand-in carried out, per chat, as it happens."""

    def collect(call: Call) -> bool:
        if call.method == "sendMessage" and call.fault in (None, "slow", "timeout"):
            key = json.dumps([call.params.get("text"), call.params.get("reply_markup")])
            sends.setdefault(call.params.get("chat_id", 0), []).append((call.at, key))
        return False

    with contextlib.suppress(TimeoutError):
        await api.wait_for(collect, 1, timeout=seconds + 3 * ANSWER_TIMEOUT)


async def _inject_faults(
    api: StandinBotAPI, figures: Figures, rng: random.Random, every: float, until: float
) -> None:
    weights = [w for _, _, w in FAULTS]
    while time.monotonic() < until:
        await asyncio.sleep(rng.expovariate(1 / every))
        method, fault, _ = rng.choices(FAULTS, weights)[0]
        if api.pending_faults(method):
            # Faults do not pile up while the bot is quiet: each one meets a call that
            # could have succeeded, as on a flaky network, not a wall of failures.
            continue
        delay = 12.0 if fault == "timeout" else 1.5 if fault == "slow" else None
        api.inject(method, fault, 1, retry_after=1, delay=delay)
        figures.faults_injected += 1


async def _sample_memory(baken: Baken, figures: Figures, start: float, until: float) -> None:
    proc = baken.proc
    assert proc is not None
    while time.monotonic() < until + ANSWER_TIMEOUT:
        if proc.returncode is not None:
            figures.crashes += 1
            figures.problems.append(f"baken ended with {proc.returncode}")
            return
        figures.rss_kib.append((round(time.monotonic() - start), _rss_kib(proc.pid)))
        await asyncio.sleep(5)


async def soak(
    seconds: float,
    users: int,
    *,
    fault_every: float = 0.5,
    ttl: int = 60,
    seed: int = 8,
    workdir: Path | None = None,
) -> Figures:
    """Run a soak for ``seconds`` with ``users`` simulated people; return the figures."""
    figures = Figures(users=users)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        cwd = workdir or Path(tmp)
        async with StandinBotAPI(history=20_000) as api:
            baken = Baken("webhook", api, cwd, BAKEN_SESSION_TTL=str(ttl))
            await baken.start()
            start = time.monotonic()
            until = start + seconds
            sampler = asyncio.create_task(_sample_memory(baken, figures, start, until))
            try:
                sends: dict[int, list[tuple[float, str]]] = {}
                collector = asyncio.create_task(_collect_sends(api, sends, seconds))
                people = [
                    Person(api, baken, figures, random.Random(rng.random()), sends)
                    for _ in range(users)
                ]

                async def staggered(person: Person, index: int) -> None:
                    await asyncio.sleep(index * min(2.0, seconds / 10) / users)
                    await person.run(until)

                injector = asyncio.create_task(
                    _inject_faults(api, figures, rng, fault_every, until)
                )
                await asyncio.gather(*(staggered(p, i) for i, p in enumerate(people)))
                for task in (injector, collector):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            finally:
                figures.seconds = round(time.monotonic() - start, 1)
                sampler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampler
                figures.faults_served = api.faults_served
                figures.exit_status = await baken.stop()
            figures.error_log_lines = len(baken.problems())
            figures.problems.extend(json.dumps(p)[:300] for p in baken.problems()[:20])
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=120)
    parser.add_argument("--fault-every", type=float, default=0.5, help="mean seconds between")
    parser.add_argument("--ttl", type=int, default=60, help="BAKEN_SESSION_TTL (>= 60)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    figures = asyncio.run(
        soak(
            args.minutes * 60,
            args.users,
            fault_every=args.fault_every,
            ttl=args.ttl,
            seed=args.seed,
        )
    )
    report = asdict(figures)
    report["problems"] = report["problems"][:50]
    text = json.dumps(report, indent=1, ensure_ascii=False)
    sys.stdout.write(text + "\n")
    if args.json:
        args.json.write_text(text + "\n")
    sys.stderr.write("OK\n" if figures.ok() else "FAILED\n")
    return 0 if figures.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
