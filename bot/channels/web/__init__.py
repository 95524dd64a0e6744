"""The web chat channel: an anonymous chat page served by baken itself (``baken web``).

- :mod:`.channel`  the adapter: page frames to incomings, the core's outputs to numbered
                   frames; the in-memory outbox that makes delivery exactly once, in order
- :mod:`.app`      the aiohttp application: the page, its files, the WebSocket, headers,
                   /healthz and /metrics, and running it
- ``static/``      index.html, chat.css, chat.js: plain files, nothing from another host

Everything web-only (WebSocket frames, the conversation token, the page's words,
quick exit) lives in this package.
"""
