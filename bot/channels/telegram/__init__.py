"""The Telegram channel: python-telegram-bot around the conversation core.

- :mod:`.app`        the Application: build, register commands and webhook, run
- :mod:`.channel`    the adapter: updates to incomings, the core's outputs to Bot API calls
- :mod:`.render`     pure functions: what an update is, how a message looks on Telegram
- :mod:`.request`    retries towards the Bot API that never send a message twice
- :mod:`.ratelimit`  Telegram's 30 messages/s, shared by workers through Redis
- :mod:`.webhook`    ``POST /telegram`` for ``baken webhook``

Everything Telegram-only (update ids, chat ids, callback data, the 48 hours in which
bots may delete messages, ``deleteMessages`` batches of 100) lives in this package.
"""
