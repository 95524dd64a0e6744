"""Test support shared by ``tests/`` and ``bench/``: real parts at the seams, not mocks.

- :mod:`testkit.botapi`       the stand-in Telegram Bot API (aiohttp, 127.0.0.1)
- :mod:`testkit.cloudapi`     the stand-in WhatsApp Cloud API, checking every request's limits
- :mod:`testkit.whatsapp`     a real `baken whatsapp` process, and a person writing to it
- :mod:`testkit.redisserver`  a private ``redis-server`` a test may stop and restart
- :mod:`testkit.processes`    reading a bot subprocess: its JSON log lines and memory
- :mod:`testkit.walk`         walking the shipped flow: every situation, a path to a handoff
- :mod:`testkit.web`          a real `baken web` process, and a page speaking its frames
- :mod:`testkit.browser`      Debian's Chromium for Playwright (skip, or fail under CI)
- :mod:`testkit.tcpproxy`     a TCP proxy a test can stall and cut (the network taken away)
- :mod:`testkit.caddy`        Debian's caddy running the shipped deploy/Caddyfile on 127.0.0.1

Not shipped in the wheel; the bot itself never imports it.
"""
