"""The chat's WebSockets on plain asyncio, beside aiohttp on the same port.

Why: an open aiohttp WebSocket keeps about 15 KiB of Python objects for as long as it is
open (the request and its headers, the HTTP parser, a reader and a writer with their
queues, two tasks and six coroutine frames, two timers); a :class:`WebSocket` here is one
small object on asyncio's transport, and ``baken web`` holds 10,000 conversations in
well under 10 KiB each (``bench/web.py``).

How: every accepted connection starts with a :class:`Front`, which reads the request head
(at most ``MAX_HEAD`` bytes, within ``HEAD_SECONDS``: aiohttp has no such timeout); its
request line says whose it is. ``GET /ws`` stays here: the head is checked
(:func:`parse_head`, then the app's ``accept``), answered ``101`` and the transport
handed to a :class:`WebSocket`. Anything else goes to aiohttp's low-level server
(``web.Server``, the protocol factory that aiohttp's own sites use) with the bytes read
so far, and aiohttp serves it as always. aiohttp's responses all say ``Connection:
close`` (the app sees to it), so every request starts a new connection and ``/ws`` is
never asked of aiohttp.

The frames (RFC 6455, server side): text and binary messages of at most
``max_message`` bytes, fragmented or not; client frames must be masked; ping is
answered with pong; a close frame is answered with one and the connection closed; no
extensions (no compression) and no subprotocols. A protocol error closes with 1002,
bad UTF-8 with 1007, a message over the limit (or in more than ``MAX_FRAGMENTS``
frames) with 1009, before its payload is read.

Heartbeat: one sweep for all sockets (:meth:`Hub.heartbeat`) instead of a timer per
socket: every ``heartbeat / 2`` seconds a socket that sent nothing since the previous
sweep is pinged, and one that is still silent at the next sweep is cut.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import re
from dataclasses import dataclass, field
from typing import Protocol

from bot.logs import get_logger

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD = 16 * 1024  # bytes of the request head (line and headers)
MAX_HEADERS = 100
HEAD_SECONDS = 10.0  # to send the request head (as Caddy's read_header)
CLOSE_SECONDS = 5.0  # for the page's answer to our close frame
SWEEP_BATCH = 500  # sockets looked at per event-loop turn during a heartbeat sweep
MAX_FRAGMENTS = 64  # frames of one message, empty ones too

log = get_logger("baken.web")

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
PROTOCOL_ERROR, BAD_DATA, TOO_BIG = 1002, 1007, 1009

_REQUEST_LINE = re.compile(r"GET (/ws(?:\?[^\s#]*)?) HTTP/1\.1")  # fullmatch: no "$",
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # which matches before a final "\n"
_SINGLE = frozenset({"host", "origin", "sec-websocket-key", "sec-websocket-version"})
_REASONS = {
    101: "Switching Protocols",
    400: "Bad Request",
    403: "Forbidden",
    426: "Upgrade Required",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Head:
    """A ``GET /ws`` request head: its target and headers (names lower-case; repeated
    headers joined with ", ")."""

    target: str
    headers: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.headers.get(name, "")


class HeadError(ValueError):
    """A request head that is not a well-formed WebSocket handshake."""

    def __init__(self, status: int, text: str, headers: tuple[tuple[str, str], ...] = ()):
        super().__init__(text)
        self.status = status
        self.text = text
        self.headers = headers


def parse_head(raw: bytes) -> Head:
    """The head of a ``GET /ws`` request (without its final empty line).

    Raises :class:`HeadError` (400) when it is not an HTTP/1.1 ``GET /ws`` with
    well-formed headers and a single Host, Origin and WebSocket key and version.
    """
    lines = raw.decode("latin-1").split("\r\n")
    line = _REQUEST_LINE.fullmatch(lines[0])
    if line is None:
        raise HeadError(400, "not a WebSocket request")
    if len(lines) - 1 > MAX_HEADERS:
        raise HeadError(400, "too many headers")
    headers: dict[str, str] = {}
    for text in lines[1:]:
        name, colon, value = text.partition(":")
        if not colon or not _TOKEN.fullmatch(name) or any(c in value for c in "\r\n\0"):
            raise HeadError(400, "bad header")
        name, value = name.lower(), value.strip(" \t")
        if name in headers:
            if name in _SINGLE:
                raise HeadError(400, f"{name} twice")
            headers[name] = f"{headers[name]}, {value}"
        else:
            headers[name] = value
    return Head(line.group(1), headers)


def check_handshake(head: Head) -> None:
    """Raises :class:`HeadError` (400, or 426 for another WebSocket version) unless the
    request opens a WebSocket: a Host, ``Upgrade: websocket``, ``Connection: upgrade``,
    version 13, a key of 16 bytes, and no body."""
    headers = head.headers
    if not head.get("host"):
        raise HeadError(400, "no Host")
    if "transfer-encoding" in headers or head.get("content-length") not in ("", "0"):
        raise HeadError(400, "a body")
    if "websocket" not in _tokens(head.get("upgrade")):
        raise HeadError(400, "no WebSocket upgrade")
    if "upgrade" not in _tokens(head.get("connection")):
        raise HeadError(400, "no connection upgrade")
    if head.get("sec-websocket-version") != "13":
        raise HeadError(426, "WebSocket version 13 only", (("Sec-WebSocket-Version", "13"),))
    try:
        key = base64.b64decode(head.get("sec-websocket-key").encode("ascii"), validate=True)
    except ValueError:  # binascii.Error, or a key not in ASCII
        key = b""
    if len(key) != 16:
        raise HeadError(400, "bad Sec-WebSocket-Key")


def _tokens(value: str) -> set[str]:
    return {part.strip().lower() for part in value.split(",")}


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for a ``Sec-WebSocket-Key``."""
    digest = hashlib.sha1(key.encode("ascii") + GUID, usedforsecurity=False).digest()
    return base64.b64encode(digest).decode()


def response(status: int, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    """An HTTP/1.1 response head (and body). Only 101 keeps the connection."""
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if status != 101:
        lines += [f"Content-Length: {len(body)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def frame(opcode: int, payload: bytes) -> bytes:
    """One unmasked, final frame (the server's frames are never masked)."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, n))
    elif n < 1 << 16:
        head = bytes((0x80 | opcode, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 127)) + n.to_bytes(8, "big")
    return head + payload


def unmask(data: bytes | bytearray, mask: bytes | bytearray) -> bytes:
    n = len(data)
    if not n:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(key, "little")).to_bytes(n, "little")


def close_code_allowed(code: int) -> bool:
    """A code a peer may send in a close frame (RFC 6455 7.4, and IANA's 1012-1014)."""
    return (1000 <= code <= 1014 and code not in (1004, 1005, 1006)) or 3000 <= code <= 4999


class Peer(Protocol):
    """What a socket's messages go to (the chat's :class:`~bot.channels.web.channel.Tab`)."""

    def receive(self, raw: str) -> None:
        """One text message. Never raises."""

    def closed(self, code: int | None) -> None:
        """The socket is gone; ``code``: the page's close code, if it sent one."""


class App(Protocol):
    """What the sockets need of the application (:mod:`bot.channels.web.app`)."""

    def http(self) -> asyncio.Protocol:
        """A new aiohttp connection handler, for a request that is not ``/ws``."""

    def refusal(self, head: Head) -> tuple[int, str] | None:
        """Status and text when this opening request is refused (its Origin), else None."""

    def headers(self, head: Head | None) -> list[tuple[str, str]]:
        """The headers every response carries (security headers, no-store)."""

    def open(self, socket: WebSocket) -> Peer | None:
        """A new socket; None when it was turned away (it is closed then)."""

    def binary(self, peer: Peer) -> None:
        """A binary message: the chat has none."""

    def too_big(self) -> None:
        """A message over the limit (the socket closes with 1009)."""


class Hub:
    """Every open :class:`WebSocket` of this process, and the protocol factory of the port."""

    def __init__(
        self, app: App, *, max_message: int, heartbeat: float, head_seconds: float = HEAD_SECONDS
    ) -> None:
        self.app = app
        self.head_seconds = head_seconds
        self.max_message = max_message
        self.heartbeat_seconds = heartbeat
        self.sockets: set[WebSocket] = set()
        self.fronts: set[Front] = set()  # connections still reading their request head
        self.stopping = False  # no new sockets: a handshake is answered 503
        self.failed_beats = 0  # sockets whose heartbeat turn raised
        self._empty: asyncio.Event | None = None  # set when the last socket closed

    def __call__(self) -> Front:
        return Front(self)

    def gone(self, socket: WebSocket) -> None:
        self.sockets.discard(socket)
        if not self.sockets and self._empty is not None:
            self._empty.set()

    async def heartbeat(self) -> None:
        """Forever: ping the sockets that went silent, cut those that did not answer. A
        socket whose turn fails is counted and logged (the error's class only), and the
        sweep goes on."""
        while True:
            await asyncio.sleep(self.heartbeat_seconds / 2)
            failed, error = 0, ""
            for i, socket in enumerate(list(self.sockets)):
                try:
                    socket.beat()
                except Exception as exc:
                    failed, error = failed + 1, type(exc).__name__
                if i % SWEEP_BATCH == SWEEP_BATCH - 1:
                    await asyncio.sleep(0)
            if failed:
                self.failed_beats += failed
                log.error("heartbeat_failed", sockets=failed, error=error)

    def stop(self) -> None:
        """Shutting down: no new sockets from now on."""
        self.stopping = True

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109
        """Wait (a while) for the sockets to close; cut those still open, and the
        connections still reading their request head."""
        self.stop()
        if self.sockets:
            self._empty = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._empty.wait(), timeout)
        for socket in list(self.sockets):
            socket.abort()
        for front in list(self.fronts):
            front.abort()


class Front(asyncio.Protocol):
    """The start of a connection, up to the end of its request head (see the module)."""

    __slots__ = ("buffer", "hub", "timer", "transport")

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        loop = asyncio.get_running_loop()
        self.timer = loop.call_later(self.hub.head_seconds, transport.abort)
        self.hub.fronts.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._done()

    def abort(self) -> None:
        self._done()
        if self.transport is not None:
            self.transport.abort()

    def _done(self) -> None:
        self.hub.fronts.discard(self)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def data_received(self, data: bytes) -> None:
        transport = self.transport
        assert transport is not None
        before = len(self.buffer)
        buffer = self.buffer = self.buffer + data
        end = buffer.find(b"\r\n\r\n", max(before - 3, 0))
        if end < 0:  # aiohttp too gets the head whole, within the head timeout: it has none
            if len(buffer) > MAX_HEAD:
                self._refuse(transport, HeadError(400, "request head too long"), None)
            return
        if end > MAX_HEAD:
            self._refuse(transport, HeadError(400, "request head too long"), None)
            return
        if not buffer.startswith((b"GET /ws ", b"GET /ws?")):
            self._to_http(transport)  # /, /wsx, /ws/… : not ours
            return
        self._done()
        self.buffer = b""
        try:
            head = parse_head(buffer[:end])
        except HeadError as refused:
            self._refuse(transport, refused, None)
            return
        if self.hub.stopping:
            self._refuse(transport, HeadError(503, "shutting down"), head)
            return
        app = self.hub.app
        refusal = app.refusal(head)
        if refusal is not None:
            self._refuse(transport, HeadError(*refusal), head)
            return
        try:
            check_handshake(head)
        except HeadError as refused:
            self._refuse(transport, refused, head)
            return
        socket = WebSocket(self.hub, transport)
        transport.set_protocol(socket)
        accept = [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", accept_key(head.get("sec-websocket-key"))),
        ]
        transport.write(response(101, accept + app.headers(head)))
        self.hub.sockets.add(socket)
        socket.peer = app.open(socket)
        rest = buffer[end + 4 :]
        if rest and socket.peer is not None:
            socket.data_received(rest)

    def _to_http(self, transport: asyncio.Transport) -> None:
        self._done()
        handler = self.hub.app.http()
        transport.set_protocol(handler)
        handler.connection_made(transport)
        data, self.buffer = self.buffer, b""
        handler.data_received(data)

    def _refuse(self, transport: asyncio.Transport, refused: HeadError, head: Head | None) -> None:
        self._done()
        headers = [("Content-Type", "text/plain; charset=utf-8"), *refused.headers]
        body = refused.text.encode()
        transport.write(response(refused.status, headers + self.hub.app.headers(head), body))
        transport.close()


class WebSocket(asyncio.Protocol):
    """One open WebSocket; a :class:`~bot.channels.web.channel.Sink` for the chat.

    ``send`` writes at once (asyncio's transport keeps the order and buffers); when the
    page does not read and the buffer fills, reading from the page pauses as well.
    """

    __slots__ = (
        "alive",
        "broken",
        "buffer",
        "closing",
        "hub",
        "kind",
        "parts",
        "peer",
        "peer_code",
        "pinged",
        "size",
        "timer",
        "transport",
    )

    def __init__(self, hub: Hub, transport: asyncio.Transport) -> None:
        self.hub = hub
        self.transport: asyncio.Transport | None = transport
        self.peer: Peer | None = None
        self.buffer: bytearray | None = None  # bytes of frames not complete yet
        self.parts: list[bytes] | None = None  # a fragmented message so far
        self.kind = TEXT  # its opcode
        self.size = 0  # its bytes so far
        self.closing: int | None = None  # the code of the close frame we sent
        self.peer_code: int | None = None  # the code of the close frame the page sent
        self.alive = True  # something arrived since the last heartbeat sweep
        self.pinged = False
        self.broken = False  # a rule was broken: what else arrives is dropped
        self.timer: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------ the chat's Sink

    def send(self, text: str) -> None:
        transport = self.transport
        if self.closing is None and transport is not None and not transport.is_closing():
            transport.write(frame(TEXT, text.encode()))

    def close(self, code: int) -> None:
        """Send a close frame; the connection ends when the page answers (or after
        ``CLOSE_SECONDS``)."""
        transport = self.transport
        if self.closing is not None or transport is None or transport.is_closing():
            return
        self.closing = code
        transport.write(frame(CLOSE, code.to_bytes(2, "big")))
        self._wait_for_close()

    def _wait_for_close(self) -> None:
        if self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(CLOSE_SECONDS, self.abort)

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    @property
    def closed(self) -> bool:
        return self.transport is None

    # ------------------------------------------------------------ asyncio's side

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.hub.gone(self)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        peer, self.peer = self.peer, None
        if peer is not None:
            peer.closed(self.peer_code)

    def pause_writing(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def eof_received(self) -> bool:
        return False  # close

    def beat(self) -> None:
        """A heartbeat sweep: ping a socket that went silent; cut one that stayed so."""
        if self.closing is not None:
            return  # closing: the close timer ends it
        if self.alive:
            self.alive = self.pinged = False
        elif self.pinged:
            self.abort()
        elif self.transport is not None and not self.transport.is_closing():
            self.pinged = True
            self.transport.write(frame(PING, b""))

    def data_received(self, data: bytes) -> None:
        self.alive = True
        transport = self.transport
        if transport is None or self.broken:
            return
        buffer: bytes | bytearray = data
        kept = self.buffer
        if kept is not None:  # grown in place: a frame that comes a few bytes at a time
            kept += data  # is not copied again on every read
            buffer = kept
        start = 0
        size = len(buffer)
        while size - start >= 2 and not self.broken and not transport.is_closing():
            first, second = buffer[start], buffer[start + 1]
            opcode, length = first & 0x0F, second & 0x7F
            head = 2
            if length == 126:
                head = 4
            elif length == 127:
                head = 10
            if size - start < head:
                break
            if head > 2:
                length = int.from_bytes(buffer[start + 2 : start + head], "big")
            problem = self._check(first, second, opcode, length)
            if problem:
                self._fail(problem)
                return
            end = start + head + 4 + length
            if size < end:
                break
            mask = buffer[start + head : start + head + 4]
            payload = unmask(buffer[start + head + 4 : end], mask)
            start = end
            self._frame(first & 0x80, opcode, payload)
        if self.broken or start == size:
            self.buffer = None
        elif kept is not None:
            del kept[:start]
        else:
            self.buffer = bytearray(data[start:])

    def _check(self, first: int, second: int, opcode: int, length: int) -> int:
        """The close code for a frame header that breaks the rules, else 0."""
        if first & 0x70 or not second & 0x80:  # extension bits; an unmasked client frame
            return PROTOCOL_ERROR
        if opcode >= CLOSE:
            if opcode > PONG or not first & 0x80 or length > 125:
                return PROTOCOL_ERROR
        elif opcode > BINARY or (opcode == CONTINUATION) == (self.parts is None):
            return PROTOCOL_ERROR  # a reserved opcode, or fragments out of turn
        else:
            if self.parts is not None and len(self.parts) >= MAX_FRAGMENTS:
                self.hub.app.too_big()
                return TOO_BIG  # a flood of (empty) fragments
            so_far = self.size if self.parts is not None else 0
            if so_far + length > self.hub.max_message:
                self.hub.app.too_big()
                return TOO_BIG
        return 0

    def _frame(self, final: int, opcode: int, payload: bytes) -> None:
        if opcode == PING:
            if self.closing is None and self.transport is not None:
                self.transport.write(frame(PONG, payload))
        elif opcode == CLOSE:
            self._closed_by_peer(payload)
        elif opcode == PONG:
            pass
        elif not final:
            if self.parts is None:
                self.parts, self.kind, self.size = [payload], opcode, len(payload)
            else:
                self.parts.append(payload)
                self.size += len(payload)
        else:
            if opcode == CONTINUATION:
                assert self.parts is not None
                payload, opcode = b"".join([*self.parts, payload]), self.kind
                self.parts = None
            if self.closing is None:
                self._message(opcode, payload)

    def _message(self, opcode: int, payload: bytes) -> None:
        peer = self.peer
        if opcode == BINARY:
            if peer is not None:
                self.hub.app.binary(peer)
            return
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            self._fail(BAD_DATA)
            return
        if peer is not None:
            peer.receive(text)

    def _closed_by_peer(self, payload: bytes) -> None:
        transport = self.transport
        assert transport is not None
        if len(payload) >= 2:
            code = int.from_bytes(payload[:2], "big")
            try:
                payload[2:].decode("utf-8")
            except UnicodeDecodeError:
                self._fail(BAD_DATA)
                return
            if not close_code_allowed(code):
                self._fail(PROTOCOL_ERROR)
                return
            self.peer_code = code
        elif payload:
            self._fail(PROTOCOL_ERROR)
            return
        if self.closing is None:  # answer with the same code, then end the connection
            self.closing = self.peer_code or 1000
            transport.write(frame(CLOSE, payload[:2]))
        transport.close()

    def _fail(self, code: int) -> None:
        """A broken rule: a close frame with ``code`` and the end of our side at once (the
        page reads both); what the page still sends is dropped until it closes too, or
        until ``CLOSE_SECONDS``."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        self.broken = True
        self.parts = None
        self.buffer = None
        if self.closing is None:
            self.closing = code
            transport.write(frame(CLOSE, code.to_bytes(2, "big")))
        if transport.can_write_eof():
            transport.write_eof()
        else:
            transport.close()
        self._wait_for_close()
