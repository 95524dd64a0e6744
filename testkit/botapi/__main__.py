"""``python -m testkit.botapi``: the stand-in in its own process, as the peer of a load
generator. Prints ``READY http://127.0.0.1:PORT`` and serves until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Sequence

import testkit.botapi as package
from testkit.botapi.server import StandinBotAPI
from testkit.botapi.shapes import DEFAULT_TOKEN


async def _serve(args: argparse.Namespace) -> None:
    api = StandinBotAPI(
        args.token or [DEFAULT_TOKEN],
        host=args.host,
        port=args.port,
        history=args.history or None,
    )
    await api.start()
    print(f"READY {api.url}", flush=True)  # noqa: T201
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await api.stop()


def main(argv: Sequence[str] | None = None) -> None:
    """Run the stand-in in this process until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m testkit.botapi", description=package.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", action="append", help="accepted token (repeatable)")
    parser.add_argument(
        "--history", type=int, default=1000, help="calls and messages per chat kept (0: all)"
    )
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
