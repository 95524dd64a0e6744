"""What a live Telegram conversation keeps in memory, structure by structure (tracemalloc,
Python heap bytes; never RSS). The figures are sizes of data structures, not timings."""

from __future__ import annotations

from bench.footprint import measure_async

UPDATES = 8  # updates of one conversation within the ten minutes their ids are kept


async def test_a_live_conversation_keeps_at_most_2_kib() -> None:
    f = await measure_async(conversations=4000, updates=UPDATES)
    assert f.session <= 640  # key, expiry, JSON with a dozen message ids
    assert f.deliveries / UPDATES <= 110  # one hash and its place in a list, per update
    assert f.bucket <= 250  # only while the chat was active in the last few seconds
    assert f.lane <= 1  # none while a conversation waits for its person
    assert f.total <= 2048
