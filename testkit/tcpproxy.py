"""A TCP proxy on 127.0.0.1 that a test can stall and cut: the network, taken away.

The browser talks to the proxy; the proxy to the server. ``hold()`` keeps the
server's bytes from reaching the browser (they are dropped, as on a dead mobile
link), ``cut()`` closes every connection at once (both sides see the link die), and
new connections go through as before. Real sockets, no mocks.
"""

from __future__ import annotations

import asyncio
import contextlib


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``target_port`` on 127.0.0.1."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port: int | None = None
        self.held = False
        self._server: asyncio.Server | None = None
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        link = (writer, up_writer)
        self._links.add(link)
        down = asyncio.create_task(self._pipe(up_reader, writer, downstream=True))
        up = asyncio.create_task(self._pipe(reader, up_writer, downstream=False))
        for task in (down, up):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await asyncio.wait({down, up}, return_when=asyncio.FIRST_COMPLETED)
        self._close(link)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, downstream: bool
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                if downstream and self.held:
                    continue  # lost on the way
                writer.write(data)
                await writer.drain()

    def _close(self, link: tuple[asyncio.StreamWriter, asyncio.StreamWriter]) -> None:
        self._links.discard(link)
        for writer in link:
            transport = writer.transport
            with contextlib.suppress(Exception):
                transport.abort()  # a dead link: no FIN, no close frame

    def hold(self) -> None:
        """From now on the server's bytes do not reach the browser (until ``cut``)."""
        self.held = True

    def cut(self) -> None:
        """Every open connection dies at once; later connections work again."""
        for link in list(self._links):
            self._close(link)
        self.held = False

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
