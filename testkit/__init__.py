"""Test support shared by ``tests/`` and ``bench/``: real parts at the seams, not mocks.

- :mod:`testkit.botapi`       the stand-in Telegram Bot API (aiohttp, 127.0.0.1)
- :mod:`testkit.redisserver`  a private ``redis-server`` a test may stop and restart
- :mod:`testkit.processes`    reading a bot subprocess: its JSON log lines and memory
- :mod:`testkit.walk`         walking the shipped flow: every situation, a path to a handoff

Not shipped in the wheel; the bot itself never imports it.
"""
