"""Telegram messages per complete conversation, on each path (about me, someone else, work).

The path is found with the engine of the checkout measured (always the first answer; at
a multiple-choice question the first option, then "done"), then pressed, label by label, against the
real `baken run` and the stand-in Bot API; the stand-in counts what the bot sent to
that chat. ``--repo DIR`` measures another checkout the same way, for example the
commit before "one message per turn"::

    .venv/bin/python -m bench.messages [--repo DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.harness import REPO, Bot, Standin, turn_over

PATHS = {"self": "zelf", "other": "iemand", "professional": "professional"}
BEFORE = "026f391"  # main before the conversation core and one message per turn
AT = 1_764_000_000


@dataclass(frozen=True)
class PathCount:
    path: str
    turns: int
    send: int  # sendMessage calls
    edit: int  # editMessageText / editMessageReplyMarkup
    other: int  # answerCallbackQuery and the rest


# Run in the measured checkout (an old commit's engine differs a little): the labels pressed
# on one complete conversation of each path given after the time, as JSON.
_LABELS = """
import json, sys
from flows import Choice, Message, Start, load_content
from flows.loader import default_content_dir
try:
    from bot.derived import build_engine
    engine = build_engine(load_content(default_content_dir()))
except ImportError:  # before the readers were cached
    from flows import Engine
    engine = Engine(load_content(default_content_dir()))
out = {}
at = int(sys.argv[1])
for payload in sys.argv[2:]:
    session, outputs = engine.step(None, Start(at=at, payload=payload))
    pressed = []
    while session is not None and len(pressed) < 60:
        buttons = [
            (getattr(b, "shown", None) or b.label, b.data)
            for o in outputs if isinstance(o, Message)
            for row in o.buttons for b in row if not b.data.startswith("!")
        ]
        if not buttons:
            break
        state = engine.content.flows[session.flow].states[session.state]
        if state.multi and not session.answer(session.state):
            label, data = buttons[0]  # tick the first option...
        elif state.multi:
            submit = next(o for o in state.options if o.submit)  # ...then "done"
            label = engine.content.text(session.lang, submit.label_key)
            data = next(d for lab, d in buttons if lab == label)
        else:
            label, data = buttons[0]
        pressed.append(label)
        session, outputs = engine.step(session, Choice(at=at, data=data))
    out[payload] = pressed
print(json.dumps(out))
"""


def labels(repo: Path = REPO) -> dict[str, list[str]]:
    """The labels pressed on one complete conversation of each path (always the first
    answer; at a multiple-choice question the first option, then "done"), as the engine
    of checkout ``repo`` shows them."""
    found = subprocess.run(
        [sys.executable, "-c", _LABELS, str(AT), *PATHS.values()],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo)},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(found.stdout))


async def _conversation(standin: Standin, chat: int, payload: str, presses: list[str]) -> None:
    seen = int((await standin.calls(0))["total"])
    await standin.queue(
        [
            {
                "build": "command_update",
                "args": {"chat_id": chat, "command": "/start", "payload": payload},
            }
        ]
    )
    for label in [*presses, None]:
        buttons: list[tuple[str, int, str]] | None = None
        for _ in range(2000):
            await asyncio.sleep(0.01)
            recent, seen = await standin.new_calls(seen)
            mine = [c for c in recent if c["params"].get("chat_id") == chat]
            if any(turn_over(c) is not None for c in mine):
                buttons = await _buttons(standin, chat)
                break
        if buttons is None:
            raise RuntimeError(f"no answer before pressing {label!r}")
        if label is None:
            return
        data, message_id = next((d, m) for lab, m, d in reversed(buttons) if lab == label)
        await standin.queue(
            [
                {
                    "build": "callback_update",
                    "args": {"chat_id": chat, "data": data, "message_id": message_id},
                }
            ]
        )


async def _buttons(standin: Standin, chat: int) -> list[tuple[str, int, str]]:
    messages = (await standin.control("GET", "messages", chat_id=chat))["messages"]
    return [
        (b["text"], m["message_id"], b["callback_data"])
        for m in messages
        for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
        if "callback_data" in b
    ]


async def measure_async(repo: Path = REPO) -> list[PathCount]:
    """Messages per conversation for each path, with the bot of checkout ``repo``."""
    out = []
    async with Standin() as standin:
        bot = Bot("baken-run", standin, repo=repo)
        await bot.start()
        pressing = labels(repo)
        try:
            for n, (name, payload) in enumerate(PATHS.items()):
                presses = pressing[payload]
                chat = 5_500_000_001 + n
                before = (await standin.calls(0))["counts"]
                await _conversation(standin, chat, payload, presses)
                await asyncio.sleep(0.5)  # the last turn's tail
                calls = [
                    c
                    for c in (await standin.calls(2000))["recent"]
                    if c["params"].get("chat_id") == chat
                    or str(c["params"].get("callback_query_id", "")).startswith(str(chat))
                ]
                del before
                methods = [c["method"] for c in calls]
                out.append(
                    PathCount(
                        name,
                        len(presses) + 1,
                        methods.count("sendMessage"),
                        sum(m.startswith("editMessage") for m in methods),
                        sum(not m.startswith(("sendMessage", "editMessage")) for m in methods),
                    )
                )
        finally:
            await bot.stop()
    return out


@contextlib.contextmanager
def checkout(commit: str) -> Iterator[Path | None]:
    """A temporary worktree of ``commit`` (None when git or the commit is not there)."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "before"
        made = subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(target), commit],
            capture_output=True,
            check=False,
        )
        if made.returncode != 0:
            yield None
            return
        try:
            yield target
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(target)],
                capture_output=True,
                check=False,
            )


def measure(before: bool = True) -> tuple[list[PathCount], list[PathCount] | None]:
    """Now, and (when the old commit is at hand) before."""
    now = asyncio.run(measure_async())
    if not before:
        return now, None
    with checkout(BEFORE) as old:
        then = asyncio.run(measure_async(old)) if old is not None else None
    return now, then


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=REPO)
    args = parser.parse_args()
    for count in asyncio.run(measure_async(args.repo)):
        print(count)
