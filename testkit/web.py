"""The web chat from outside: a real ``baken web`` process, and a page speaking its frames.

- :class:`WebProcess`: ``python -m bot web --port 0`` as a subprocess, its JSON log lines.
- :class:`PageSocket`: what chat.js does, in Python (aiohttp's WebSocket client): hello,
  actions with ids, acknowledgements, reconnects. For server tests and the benchmark;
  the browser tests drive the real page instead.

Shared by tests/web and bench/web.py. Never imported by the bot itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from testkit.processes import LoggedProcess, clean_environment

JSON = dict[str, Any]
REPO = Path(__file__).resolve().parents[1]
E2E_CONTENT = REPO / "tests" / "e2e" / "content"
PROTOCOL = 1


class WebProcess(LoggedProcess):
    """One ``baken web`` subprocess on a free port of 127.0.0.1, and what it logged."""

    def __init__(self, cwd: Path, *args: str, **env: str) -> None:
        super().__init__("baken web")
        self.cwd = cwd
        self.args = args
        self.env = env

    def environment(self) -> dict[str, str]:
        env = clean_environment(
            BAKEN_LOG_LEVEL="INFO",
            BAKEN_CONTENT_DIR=str(E2E_CONTENT),
            BAKEN_SESSION_SECRET="web-test-session-secret-0123456789abcdef",
        )
        env.update(self.env)
        return env

    async def start(self) -> None:
        args = ("-m", "bot", "web", "--port", "0", *self.args)
        await self.spawn(args, cwd=self.cwd, env=self.environment())
        try:
            ready = await self.wait_log("web_listening")
        except BaseException:
            await self.stop()
            raise
        self.port = int(ready["port"])


def new_token() -> str:
    """A conversation token as the page makes one: 144 random bits, base64url."""
    return secrets.token_urlsafe(18)


_pages = itertools.count(1)


class PageSocket:
    """The page's side of the WebSocket, as chat.js speaks it (see bot/channels/web/channel/).

    Keeps every frame received; numbered frames are acknowledged (unless ``auto_ack`` is
    off) and shown once, in order, like the page does. ``pending`` holds actions sent and
    not yet confirmed; :meth:`reconnect` sends them again, as the page does.
    """

    def __init__(
        self,
        url: str,
        *,
        origin: str | None = None,
        token: str | None = None,
        session: aiohttp.ClientSession | None = None,
        auto_ack: bool = True,
    ) -> None:
        self.base = url.rstrip("/")
        self.origin = origin if origin is not None else self.base
        self.token = token
        self.auto_ack = auto_ack
        self._own_session = session is None
        self.session = session
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.frames: list[JSON] = []  # every frame, as received
        self.shown: list[JSON] = []  # numbered frames once each, in order
        self.have = 0
        self.pending: dict[str, JSON] = {}
        self.page = f"p{next(_pages)}"
        self._ids = itertools.count(1)
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self.close_code: int | None = None

    async def connect(self, *, have: int | str | None = "mine", lang: str | None = None) -> JSON:
        """Open a socket and say hello (when there is a token); the ``ready`` frame."""
        if self.session is None:
            self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(
            f"{self.base}/ws", headers={"Origin": self.origin}, autoping=True
        )
        self.close_code = None
        self._reader = asyncio.create_task(self._read(self.ws))
        mark = len(self.frames)
        await self.hello(have=have, lang=lang)
        ready = await self.wait(lambda f: f.get("t") in ("ready", "busy"), after=mark)
        if self.token is not None:
            for frame in list(self.pending.values()):
                await self.send(frame)
        return ready

    async def hello(self, *, have: int | str | None = "mine", lang: str | None = None) -> None:
        frame: JSON = {"v": PROTOCOL, "t": "hello", "token": self.token}
        frame["have"] = (self.have if have == "mine" else have) if self.token else None
        if lang is not None:
            frame["lang"] = lang
        await self.send(frame)

    async def send(self, frame: JSON) -> None:
        assert self.ws is not None
        await self.ws.send_str(json.dumps(frame))

    async def send_raw(self, data: str | bytes) -> None:
        assert self.ws is not None
        if isinstance(data, bytes):
            await self.ws.send_bytes(data)
        else:
            await self.ws.send_str(data)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                frame = json.loads(message.data)
                self.frames.append(frame)
                n = frame.get("n")
                if isinstance(n, int):
                    if n > self.have:
                        self.have = n
                        self.shown.append(frame)
                    if self.auto_ack and not ws.closed:
                        with contextlib.suppress(ConnectionError, RuntimeError):
                            await ws.send_str(json.dumps({"v": PROTOCOL, "t": "ack", "n": n}))
                elif frame.get("t") == "ready" and frame.get("next") is not None:
                    self.have = frame["next"] - 1
                elif frame.get("t") in ("got", "error") and "id" in frame:
                    self.pending.pop(frame["id"], None)
                self._changed.set()
        finally:
            self.close_code = ws.close_code
            self._changed.set()

    # ------------------------------------------------------------ actions

    async def act(self, kind: str, **fields: Any) -> str:
        """Send an action like the page: a token is made first when there is none."""
        if self.token is None:
            self.token = new_token()
            self.have = 0
            await self.hello()
        action = f"{self.page}.{next(self._ids)}"
        frame = {"v": PROTOCOL, "t": kind, "id": action, **fields}
        self.pending[action] = frame
        await self.send(frame)
        return action

    async def start(
        self, payload: str | None = None, lang: str | None = None, suggest: str | None = None
    ) -> str:
        return await self.act("start", payload=payload, lang=lang, suggest=suggest)

    async def say(self, text: str) -> str:
        return await self.act("text", text=text)

    async def press(self, label: str) -> str:
        return await self.act("press", data=self.button(label))

    async def exit(self) -> str:
        return await self.act("exit")

    # ------------------------------------------------------------ reading

    async def wait(
        self,
        predicate: Callable[[JSON], bool],
        *,
        after: int = 0,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> JSON:
        """The first frame received (from index ``after``) that matches; waits for it."""
        async with asyncio.timeout(timeout):
            while True:
                for frame in self.frames[after:]:
                    if predicate(frame):
                        return frame
                if self._reader is not None and self._reader.done():
                    raise AssertionError(f"socket closed ({self.close_code}): {self.frames[-5:]}")
                self._changed.clear()
                await self._changed.wait()

    async def turn(self, action: Any, *, timeout: float = 10.0) -> list[JSON]:  # noqa: ASYNC109
        """Do an action (a coroutine) and wait for the reply's question (a message with
        buttons) or an erase; the numbered frames of the reply."""
        mark = len(self.shown)
        await action
        await self.wait_shown(
            lambda f: (f["t"] == "msg" and bool(f["buttons"])) or f["t"] == "erased",
            after=mark,
            timeout=timeout,
        )
        return self.shown[mark:]

    async def wait_shown(
        self,
        predicate: Callable[[JSON], bool],
        *,
        after: int = 0,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> JSON:
        async with asyncio.timeout(timeout):
            while True:
                for frame in self.shown[after:]:
                    if predicate(frame):
                        return frame
                if self._reader is not None and self._reader.done():
                    raise AssertionError(f"socket closed ({self.close_code}): {self.frames[-5:]}")
                self._changed.clear()
                await self._changed.wait()

    def messages(self) -> list[JSON]:
        return [f for f in self.shown if f["t"] == "msg"]

    def texts(self) -> list[str]:
        return [f["text"] for f in self.messages()]

    def button(self, label: str) -> str:
        """The data of the newest button with this label."""
        for frame in reversed(self.messages()):
            for row in frame["buttons"]:
                for button in row:
                    if button["label"] == label:
                        return str(button["data"])
        raise AssertionError(f"no button {label!r}; last: {self.texts()[-1:]}")

    def labels(self) -> list[str]:
        """Labels of the newest message with buttons."""
        for frame in reversed(self.messages()):
            if frame["buttons"]:
                return [b["label"] for row in frame["buttons"] for b in row]
        return []

    # ------------------------------------------------------------ the end

    async def closed(self, timeout: float = 5.0) -> int | None:  # noqa: ASYNC109
        """Wait until the server closed this socket; its close code."""
        if self._reader is not None:
            await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        return self.close_code

    async def drop(self) -> None:
        """The connection goes (the network, not the person): no close frame is awaited."""
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await self._reader

    async def close(self, code: int = 1000) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close(code=code)
        if self._reader is not None:
            await self._reader
        if self._own_session and self.session is not None:
            await self.session.close()
            self.session = None
