"""Sessions: small immutable values with codes only, compact JSON."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.session import MAX_RANGES, Session, SessionDecodeError, add_ranges

BASE = Session(flow="triage", state="welcome", lang="nl", version="abcd1234", started=1, updated=2)


def test_round_trip() -> None:
    """What is written reads back equal."""
    session = BASE.with_answer("age", ("u16",)).with_messages([5, 6, 7, 9])
    assert Session.from_json(session.to_json()) == session
    assert session.messages == ((5, 7), (9, 9))


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "{}",
        "[]",
        "null",
        '{"f":1}',
        "not json",
        '{"f":"x","s":"y","l":"nl","v":"1","t0":"x","t":1}',
    ],
)
def test_garbage_is_refused(raw: str) -> None:
    """Anything that is not a session raises SessionDecodeError, never something else."""
    with pytest.raises(SessionDecodeError):
        Session.from_json(raw)


@given(st.lists(st.integers(min_value=-5, max_value=10_000), max_size=500))
def test_message_ranges_cover_ids_and_stay_bounded(ids: list[int]) -> None:
    """Ranges hold every positive id (until the oldest are dropped) and stay few."""
    ranges = add_ranges((), ids)
    assert len(ranges) <= MAX_RANGES
    assert all(lo <= hi for lo, hi in ranges)
    covered = {i for lo, hi in ranges for i in range(lo, hi + 1)}
    positive = sorted({i for i in ids if i > 0})
    if len(add_ranges((), positive)) < MAX_RANGES:
        assert covered == set(positive)
    assert len(BASE.with_messages(ids).to_json()) <= 1024
