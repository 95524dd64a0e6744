"""The WebSocket layer (bot/channels/web/sockets.py) frame by frame, over real sockets.

Each test starts the real web chat (as ``baken web`` serves it) on 127.0.0.1 and speaks
raw bytes to it: the opening handshake, masked frames built here from RFC 6455 (not
with the code under test), and reads the server's frames off the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from structlog.testing import capture_logs

from bot.channels.web.channel import Limits
from testkit.web import new_token
from tests.web.conftest import Serve, start_web

# RFC 6455 section 1.3: this key is answered with this accept value.
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


def client_frame(
    opcode: int, payload: bytes, *, fin: bool = True, masked: bool = True, rsv: int = 0
) -> bytes:
    """A frame as a browser sends it: masked with a random key."""
    first = (0x80 if fin else 0) | rsv << 4 | opcode
    n = len(payload)
    if n < 126:
        head = bytes((first, (0x80 if masked else 0) | n))
    elif n < 65536:
        head = bytes((first, (0x80 if masked else 0) | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((first, (0x80 if masked else 0) | 127)) + n.to_bytes(8, "big")
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def text(frame: dict[str, Any], **kwargs: Any) -> bytes:
    return client_frame(TEXT, json.dumps(frame).encode(), **kwargs)


def hello(token: str | None = None) -> dict[str, Any]:
    return {"v": 1, "t": "hello", "token": token or new_token(), "have": 0}


class Raw:
    """One TCP connection to the server, spoken to byte by byte."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, url: str) -> Raw:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        raw = cls(reader, writer)
        _open.append(raw)
        return raw

    async def request(self, head: str) -> tuple[int, dict[str, str], bytes]:
        """Send a request head; the response's status, headers and body."""
        self.writer.write(head.encode("latin-1"))
        raw = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 5)
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = b""
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        return status, headers, body

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    async def frame(self) -> tuple[int, bytes]:
        """The server's next frame: final, unmasked (or the test fails)."""
        first, second = await asyncio.wait_for(self.reader.readexactly(2), 5)
        assert first & 0x80, "the server sends no fragments"
        assert not first & 0x70, "no extension bits"
        assert not second & 0x80, "server frames are not masked"
        n = second & 0x7F
        if n == 126:
            n = int.from_bytes(await self.reader.readexactly(2), "big")
        elif n == 127:
            n = int.from_bytes(await self.reader.readexactly(8), "big")
        return first & 0x0F, await self.reader.readexactly(n)

    async def message(self) -> dict[str, Any]:
        """The next text frame, as JSON (pings are answered on the way)."""
        while True:
            opcode, payload = await self.frame()
            if opcode == PING:
                self.send(client_frame(PONG, payload))
                continue
            assert opcode == TEXT, (opcode, payload)
            found: dict[str, Any] = json.loads(payload)
            return found

    async def closed_with(self) -> int:
        """Skip text frames up to the server's close frame; its code. The server then
        ends the connection."""
        while True:
            opcode, payload = await self.frame()
            if opcode == CLOSE:
                break
        assert await asyncio.wait_for(self.reader.read(), 5) == b""  # then the TCP close
        return int.from_bytes(payload[:2], "big")

    async def ended(self) -> bool:
        return await asyncio.wait_for(self.reader.read(), 5) == b""

    def close(self) -> None:
        self.writer.close()


def opening(url: str, *, key: str = KEY, version: str = "13", origin: str | None = None,
            extra: str = "") -> str:  # fmt: skip
    host = url.removeprefix("http://")
    lines = [
        "GET /ws HTTP/1.1",
        f"Host: {host}",
        f"Origin: {origin or url}",
        "Upgrade: websocket",
        "Connection: keep-alive, Upgrade",
        f"Sec-WebSocket-Key: {key}",
        f"Sec-WebSocket-Version: {version}",
    ]
    return "\r\n".join(lines) + "\r\n" + extra + "\r\n"


_open: list[Raw] = []


@pytest.fixture(autouse=True)
async def _close_every_connection(serve: Serve) -> AsyncIterator[None]:
    """Closed before the server stops (which waits for open sockets a while)."""
    yield
    while _open:
        raw = _open.pop()
        raw.close()
        with contextlib.suppress(ConnectionError):
            await raw.writer.wait_closed()


async def connected(url: str) -> Raw:
    raw = await Raw.open(url)
    status, _, _ = await raw.request(opening(url))
    assert status == 101
    return raw


@pytest.fixture
def raws() -> Callable[[str], Awaitable[Raw]]:
    return connected


# ---------------------------------------------------------------- the opening handshake


async def test_the_handshake_follows_the_rfc_and_carries_the_headers(serve: Serve) -> None:
    _, url = await serve()
    raw = await Raw.open(url)
    status, headers, _ = await raw.request(opening(url))
    assert status == 101
    assert headers["upgrade"].lower() == "websocket"
    assert headers["connection"].lower() == "upgrade"
    assert headers["sec-websocket-accept"] == ACCEPT
    assert "sec-websocket-extensions" not in headers  # no compression
    assert headers["referrer-policy"] == "no-referrer"
    assert "connect-src ws://" in headers["content-security-policy"]
    assert "set-cookie" not in headers
    raw.send(text(hello()))
    assert (await raw.message())["t"] == "ready"
    raw.close()


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"version": "8"}, 426),
        ({"key": "c2hvcnQ="}, 400),  # 5 bytes, not 16
        ({"key": "not base64!"}, 400),
        ({"key": "\xe9" * 24}, 400),  # not ASCII
        ({"origin": "https://evil.example"}, 403),
        ({"extra": "Content-Length: 5\r\n"}, 400),
        ({"extra": "Host: twice.example\r\n"}, 400),
        ({"extra": " folded: header\r\n"}, 400),
        ({"extra": "X-Name\n: a line feed\r\n"}, 400),
    ],
)
async def test_a_bad_opening_is_refused_with_the_headers(
    serve: Serve, change: dict[str, str], status: int
) -> None:
    chat, url = await serve()
    raw = await Raw.open(url)
    got, headers, _ = await raw.request(opening(url, **change))
    assert got == status
    assert headers["connection"] == "close"
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    if status == 426:
        assert headers["sec-websocket-version"] == "13"
    assert await raw.ended()
    assert not chat.channel.tabs


async def test_a_line_feed_after_the_request_line_is_refused(serve: Serve) -> None:
    _, url = await serve()
    raw = await Raw.open(url)
    status, _, _ = await raw.request(opening(url).replace("HTTP/1.1\r\n", "HTTP/1.1\n\r\n", 1))
    assert status == 400
    assert await raw.ended()


async def test_no_upgrade_and_a_huge_head_are_refused(serve: Serve) -> None:
    _, url = await serve()
    host = url.removeprefix("http://")
    raw = await Raw.open(url)
    status, _, _ = await raw.request(f"GET /ws HTTP/1.1\r\nHost: {host}\r\nOrigin: {url}\r\n\r\n")
    assert status == 400
    for end in ("", "\r\n\r\n"):  # still coming, or whole in one go
        raw = await Raw.open(url)
        status, _, _ = await raw.request("GET /ws HTTP/1.1\r\nX-Long: " + "a" * 20_000 + end)
        assert status == 400
        assert await raw.ended()


async def test_other_paths_on_the_same_port_are_aiohttps_one_per_connection(serve: Serve) -> None:
    """Whatever is not /ws is served by aiohttp, and each connection carries one request,
    so a later /ws never lands on aiohttp."""
    _, url = await serve()
    host = url.removeprefix("http://")
    for path, status in [("/", 200), ("/wsx", 404), ("/ws/", 404), ("/healthz", 200)]:
        raw = await Raw.open(url)
        got, headers, _ = await raw.request(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n")
        assert got == status, path
        assert headers["connection"] == "close", path
        assert await raw.ended(), path


async def test_a_half_sent_head_is_cut_on_every_path(serve: Serve) -> None:
    """The head timeout holds for aiohttp's paths too (aiohttp has none of its own): a
    head not whole in time is cut, whatever its path."""
    _, url, server = await start_web()
    try:
        assert server.hub is not None
        server.hub.head_seconds = 0.3
        host = url.removeprefix("http://")
        for line in ("GET / HTTP/1.1", "GET /healthz HTTP/1.1", "GET /ws HTTP/1.1"):
            raw = await Raw.open(url)
            raw.send(f"{line}\r\nHost: {host}\r\n".encode())
            assert await raw.ended(), line
        raw = await Raw.open(url)  # a whole head in time is served as always
        status, _, _ = await raw.request(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n")
        assert status == 200
    finally:
        while _open:
            _open.pop().close()
        await server.close()


# ---------------------------------------------------------------- frames


async def test_fragments_pings_between_them_and_pipelined_frames(serve: Serve, raws: Any) -> None:
    """A message in three fragments with a ping between them; then two messages in one
    write, and a frame cut into single bytes."""
    _, url = await serve()
    raw = await raws(url)
    data = json.dumps(hello()).encode()
    raw.send(client_frame(TEXT, data[:5], fin=False))
    raw.send(client_frame(PING, b"are you there"))
    raw.send(client_frame(0x0, data[5:20], fin=False))
    assert await raw.frame() == (PONG, b"are you there")
    raw.send(client_frame(0x0, data[20:]))
    assert (await raw.message())["t"] == "ready"
    start = text({"v": 1, "t": "start", "id": "a.1", "payload": None})
    ack = text({"v": 1, "t": "ack", "n": 0})
    raw.send(ack + start)
    seen = [await raw.message()]
    while seen[-1]["t"] != "got":
        seen.append(await raw.message())
    assert seen[-1] == {"t": "got", "id": "a.1"}
    assert [f["n"] for f in seen[:-1]] == list(range(1, len(seen)))
    for byte in text({"v": 1, "t": "ack", "n": 1}):
        raw.send(bytes([byte]))
        await raw.writer.drain()
    raw.send(client_frame(PING, b"x"))
    assert await raw.frame() == (PONG, b"x")


@pytest.mark.parametrize("size", [126, 30_000, 65_535, 65_536])
async def test_long_messages_use_the_longer_length_fields(
    serve: Serve, raws: Any, size: int
) -> None:
    """16-bit lengths from 126 bytes, 64-bit ones from 65,536 (the limit itself)."""
    _, url = await serve()
    raw = await raws(url)
    raw.send(text(hello()))
    await raw.message()
    frame = {"v": 1, "t": "text", "id": "a.1", "text": ""}
    frame["text"] = "x" * (size - len(json.dumps(frame)))
    assert len(json.dumps(frame)) == size
    raw.send(text(frame))
    answer = await raw.message()  # read whole: the next frame is the answer to it
    if size > 4096:
        assert answer == {"t": "error", "code": "too_long", "id": "a.1"}
    raw.send(client_frame(PING, b"still here"))
    while (found := await raw.frame()) != (PONG, b"still here"):
        assert found[0] == TEXT


async def test_a_long_frame_in_small_pieces_arrives_whole(serve: Serve, raws: Any) -> None:
    """A 60 KB message written a few bytes at a time (kept in one growing buffer, not
    copied on every read), with the next frame in its last piece."""
    _, url = await serve()
    raw = await raws(url)
    raw.send(text(hello()))
    await raw.message()
    frame = {"v": 1, "t": "text", "id": "a.1", "text": "x" * 60_000}
    data = text(frame) + client_frame(PING, b"after")
    for at in range(0, len(data), 1500):
        raw.send(data[at : at + 1500])
        await raw.writer.drain()
    assert (await raw.message()) == {"t": "error", "code": "too_long", "id": "a.1"}
    while (found := await raw.frame()) != (PONG, b"after"):
        assert found[0] == TEXT


async def test_a_binary_frame_is_refused_and_the_socket_stays(serve: Serve, raws: Any) -> None:
    _, url = await serve()
    raw = await raws(url)
    raw.send(client_frame(BINARY, b"\x00\x01"))
    assert (await raw.message()) == {"t": "error", "code": "bad_frame"}
    raw.send(text(hello()))
    assert (await raw.message())["t"] == "ready"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (client_frame(TEXT, b'{"v": 1}', masked=False), 1002),  # a client frame unmasked
        (client_frame(TEXT, b"{}", rsv=4), 1002),  # an extension bit (none agreed)
        (client_frame(0x3, b"{}"), 1002),  # a reserved opcode
        (client_frame(0x0, b"{}"), 1002),  # a continuation with nothing to continue
        (client_frame(TEXT, b"{", fin=False) + client_frame(TEXT, b"}"), 1002),
        (client_frame(PING, b"x", fin=False), 1002),  # a fragmented control frame
        (client_frame(PING, b"x" * 126), 1002),  # a control frame over 125 bytes
        (client_frame(CLOSE, (1005).to_bytes(2, "big")), 1002),  # a code never sent
        (client_frame(CLOSE, b"\x03"), 1002),  # one byte is no code
        (client_frame(TEXT, b'{"t": "\xff\xfe"}'), 1007),  # not UTF-8
        (client_frame(CLOSE, (1000).to_bytes(2, "big") + b"\xff"), 1007),
    ],
)
async def test_a_broken_rule_closes_that_socket(
    serve: Serve, raws: Any, data: bytes, code: int
) -> None:
    chat, url = await serve()
    raw = await raws(url)
    raw.send(text(hello()))
    await raw.message()
    raw.send(data)
    assert await raw.closed_with() == code
    raw.close()  # the page's side ends too: the server lets go of the socket
    other = await raws(url)  # the server is fine
    other.send(text(hello()))
    assert (await other.message())["t"] == "ready"
    for _ in range(50):
        if len(chat.channel.tabs) == 1:
            break
        await asyncio.sleep(0.02)
    assert len(chat.channel.tabs) == 1


async def test_an_oversize_message_is_refused_before_its_payload(serve: Serve, raws: Any) -> None:
    """Over 64 KiB, in one frame (only its header sent) or in fragments: 1009."""
    chat, url = await serve()
    raw = await raws(url)
    raw.send(bytes((0x81, 0xFF)) + (70_000).to_bytes(8, "big") + os.urandom(4))
    assert await raw.closed_with() == 1009
    raw = await raws(url)
    part = b"x" * 40_000
    raw.send(client_frame(TEXT, part, fin=False) + client_frame(0x0, part))
    assert await raw.closed_with() == 1009
    assert chat.metrics.value("baken_web_refused_total", reason="too_long") == 2


async def test_a_message_in_too_many_fragments_is_refused(serve: Serve, raws: Any) -> None:
    """64 frames to a message at most, empty ones counted too: a flood of empty
    fragments is cut (1009), not kept."""
    chat, url = await serve()
    raw = await raws(url)
    data = json.dumps(hello()).encode()
    empty = client_frame(0x0, b"", fin=False)
    raw.send(client_frame(TEXT, data[:10], fin=False) + empty * 62 + client_frame(0x0, data[10:]))
    assert (await raw.message())["t"] == "ready"  # 64 frames: fine
    raw.send(client_frame(TEXT, b"{", fin=False) + empty * 63 + client_frame(0x0, b"}"))
    assert await raw.closed_with() == 1009
    assert chat.metrics.value("baken_web_refused_total", reason="too_long") == 1


# ---------------------------------------------------------------- closing


async def test_the_page_closes_and_the_server_answers(serve: Serve, raws: Any) -> None:
    """A close frame is answered with the same code, and the server ends the connection;
    the quick-exit code reaches the chat (the conversation is erased)."""
    chat, url = await serve()
    raw = await raws(url)
    token = new_token()
    raw.send(text(hello(token)))
    await raw.message()
    raw.send(text({"v": 1, "t": "start", "id": "a.1", "payload": None}))
    while (await raw.message())["t"] != "got":
        pass
    assert chat.channel.boxes
    assert len(chat.store) == 1  # type: ignore[arg-type]
    raw.send(client_frame(CLOSE, (4000).to_bytes(2, "big") + b"bye"))
    assert await raw.closed_with() == 4000
    for _ in range(100):
        if len(chat.store) == 0 and not chat.channel.tabs:  # type: ignore[arg-type]
            break
        await asyncio.sleep(0.02)
    assert len(chat.store) == 0  # type: ignore[arg-type]
    assert not chat.channel.tabs


async def test_an_empty_close_is_answered_empty(serve: Serve, raws: Any) -> None:
    _, url = await serve()
    raw = await raws(url)
    raw.send(client_frame(CLOSE, b""))
    opcode, payload = await raw.frame()
    assert (opcode, payload) == (CLOSE, b"")
    assert await raw.ended()


async def test_the_server_closes_and_waits_for_the_answer(serve: Serve, raws: Any) -> None:
    """Too many bad frames: the server's close frame (1008), then the page's, then the end."""
    _, url = await serve(limits=Limits(bad_frames=2))
    raw = await raws(url)
    raw.send(client_frame(TEXT, b"garbage") * 2)
    assert (await raw.message())["code"] == "bad_frame"
    assert (await raw.message())["code"] == "bad_frame"
    opcode, payload = await raw.frame()
    assert (opcode, int.from_bytes(payload, "big")) == (CLOSE, 1008)
    raw.send(client_frame(TEXT, b"ignored after the close"))
    raw.send(client_frame(CLOSE, payload))
    assert await raw.ended()


async def test_the_connection_cap_answers_busy_over_the_wire(serve: Serve, raws: Any) -> None:
    _, url = await serve(BAKEN_WEB_MAX_CONNECTIONS=1)
    await raws(url)
    second = await raws(url)
    assert await second.message() == {"t": "busy"}
    opcode, payload = await second.frame()
    assert (opcode, int.from_bytes(payload, "big")) == (CLOSE, 1013)


async def test_no_new_socket_during_shutdown(serve: Serve) -> None:
    """Once the server stops, a handshake that ends is answered 503 (not 101 and then
    cut), and a connection still sending its request head is cut."""
    _, url, server = await start_web()
    try:
        page = await connected(url)
        page.send(text(hello()))
        await page.message()
        late, slow = await Raw.open(url), await Raw.open(url)
        head = opening(url).encode()
        late.send(head[:30])
        slow.send(b"GET / HTTP/1.1\r\n")
        await asyncio.sleep(0.1)
        closing = asyncio.create_task(server.close())
        opcode, payload = await page.frame()
        while opcode != CLOSE:
            opcode, payload = await page.frame()
        assert int.from_bytes(payload, "big") == 1001  # the server is stopping
        late.send(head[30:])
        status, _, _ = await late.request("")  # (the rest of the head is sent)
        assert status == 503
        assert await late.ended()
        page.send(client_frame(CLOSE, payload))  # the page answers: the server drains
        assert await slow.ended()
        await asyncio.wait_for(closing, 10)
    finally:
        while _open:
            _open.pop().close()
        await server.close()


# ---------------------------------------------------------------- heartbeat


async def test_a_silent_socket_is_pinged_and_cut_when_it_does_not_answer(serve: Serve) -> None:
    """One sweep every heartbeat / 2 for all sockets: a socket silent for a sweep gets a
    ping; one that answers stays, one that does not is cut at the sweep after."""
    chat, url = await serve(heartbeat=1.0)
    answers, silent = await connected(url), await connected(url)
    answers.send(text(hello()))
    silent.send(text(hello()))
    await answers.message()
    await silent.message()
    pings = 0
    pinged_twice = asyncio.Event()

    async def answer() -> None:
        nonlocal pings
        while True:
            opcode, payload = await answers.frame()
            if opcode == PING:
                pings += 1
                answers.send(client_frame(PONG, payload))
                if pings >= 2:
                    pinged_twice.set()

    answering = asyncio.create_task(answer())
    assert await silent.frame() == (PING, b"")
    assert await silent.ended()  # cut without a close frame: it is not listening
    await asyncio.wait_for(pinged_twice.wait(), 10)
    assert not answering.done()  # still open: it answered every ping
    answering.cancel()
    assert len(chat.channel.tabs) == 1


class Failing:
    """A socket whose heartbeat turn raises (none of ours should, but one must not stop
    the heartbeat for all)."""

    def beat(self) -> None:
        raise RuntimeError("a bug")


async def test_a_failing_heartbeat_turn_is_logged_and_the_heartbeat_goes_on(
    serve: Serve,
) -> None:
    _, url, server = await start_web(heartbeat=0.4)
    try:
        assert server.hub is not None
        hub = server.hub
        failing = Failing()
        hub.sockets.add(failing)  # type: ignore[arg-type]
        silent = await connected(url)
        silent.send(text(hello()))
        await silent.message()
        with capture_logs() as logs:
            assert await silent.frame() == (PING, b"")  # later sweeps still run
            assert await silent.ended()
        hub.sockets.discard(failing)
        assert hub.failed_beats >= 2
        failed = [entry for entry in logs if entry["event"] == "heartbeat_failed"]
        assert failed
        assert all(entry.keys() <= {"event", "log_level", "sockets", "error"} for entry in failed)
        assert failed[0]["error"] == "RuntimeError"
    finally:
        while _open:
            _open.pop().close()
        await server.close()
