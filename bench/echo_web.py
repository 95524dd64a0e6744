"""A bare aiohttp WebSocket server speaking just enough of the web chat's frames: the
yardstick for ``bench/web.py``.

    .venv/bin/python -m bench.echo_web [--port 0]

No content, no engine, no store, no outbox: every frame is parsed (``json.loads``, as any
server must) and a press or a start is answered at once with the frames ``baken web``
sends for one (``got``, ``chosen`` and the next question with three buttons, numbered
per socket, about as long as the shipped content's). ``hello`` gets ``ready``; ``ack`` is
read and dropped. Whatever ``baken web`` costs above this is baken's own cost; the
machine's cost (Python, aiohttp, the kernel, the load process on the same cores) is in
both. Prints ``listening <port>`` once it accepts connections; stops on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal

from aiohttp import WSMsgType, web

QUESTION = (
    "Dank je. Nog een vraag, zodat ik je beter kan helpen. Je mag altijd stoppen, en je "
    "hoeft niets te zeggen wat je niet wilt. Wat past het best bij wat er nu gebeurt?"
)
BUTTONS = [
    [{"label": "Ik moet werken zonder loon", "data": "q.a"}],
    [{"label": "Iemand houdt mijn paspoort", "data": "q.b"}],
    [{"label": "Iets anders", "data": "q.c"}],
]


def _dumps(frame: dict[str, object]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


async def socket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=64 * 1024, compress=False)
    await ws.prepare(request)
    n = 0
    async for message in ws:
        if message.type is not WSMsgType.TEXT:
            break
        frame = json.loads(message.data)
        kind = frame.get("t")
        if kind == "hello":
            have = frame.get("have") or 0
            n = max(n, have)
            await ws.send_str(_dumps({"t": "ready", "next": n + 1, "lost": False}))
        elif kind in ("start", "press"):
            await ws.send_str(_dumps({"t": "got", "id": frame.get("id")}))
            if kind == "press":
                n += 1
                await ws.send_str(_dumps({"n": n, "t": "chosen", "labels": ["Iets anders"]}))
            n += 1
            reply = {
                "n": n,
                "t": "msg",
                "text": QUESTION,
                "buttons": BUTTONS,
                "links": [],
                "replaces": False,
                "copyable": False,
            }
            await ws.send_str(_dumps(reply))
    return ws


async def serve(port: int) -> None:
    app = web.Application()
    app.router.add_get("/ws", socket)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = runner.addresses[0][1]
    print(f"listening {bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
