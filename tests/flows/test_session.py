"""Sessions: small immutable values with codes only, compact JSON."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.session import Session, SessionDecodeError, Shown

BASE = Session(flow="triage", state="welcome", lang="nl", version="abcd1234", started=1, updated=2)
T = 1_800_000_000  # a time, in seconds since the epoch


def test_round_trip() -> None:
    """What is written reads back equal."""
    session = BASE.with_answer("age", ("u16",)).with_messages([5, 6, 7, 9], T)
    session = session.with_messages([12, 1400], T + 61)
    assert Session.from_json(session.to_json()) == session
    assert session.message_ids() == [5, 6, 7, 9, 12, 1400]


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
        '{"f":"x","s":"y","l":"nl","v":"1","t0":1,"t":1,"m":"g","mh":""}',  # cut short
        '{"f":"x","s":"y","l":"nl","v":"1","t0":1,"t":1,"m":"A","mh":"A"}',  # half a mark
        '{"f":"x","s":"y","l":"nl","v":"1","t0":1,"t":1,"m":"!!","mh":""}',
        '{"f":"x","s":"y","l":"nl","v":"1","t0":1,"t":1,"m":5}',
    ],
)
def test_garbage_is_refused(raw: str) -> None:
    """Anything that is not a session raises SessionDecodeError, never something else."""
    with pytest.raises(SessionDecodeError):
        Session.from_json(raw)


def test_sessions_of_the_older_format_still_read() -> None:
    """Message ids stored as ranges (before this format) read back, all of them."""
    old = '{"f":"x","s":"y","l":"nl","v":"1","t0":1,"t":1,"m":[[5,7],[9,9]]}'
    assert Session.from_json(old).message_ids() == [5, 6, 7, 9]


@given(
    st.lists(
        st.tuples(st.integers(0, 2_000), st.lists(st.integers(-5, 5_000_000), max_size=8)),
        max_size=120,
    )
)
def test_every_id_is_kept_whatever_the_gaps(turns: list[tuple[int, list[int]]]) -> None:
    """Ids interleaved with other conversations' ids: every positive one is kept, once."""
    session = BASE
    at = T
    for pause, ids in turns:
        at += pause
        session = session.with_messages(ids, at)
    wanted = {i for _, ids in turns for i in ids if i > 0}
    assert sorted(session.message_ids()) == sorted(wanted)
    assert len(session.message_ids()) == len(wanted)
    assert Session.from_json(session.to_json()) == session


# A bot sends at most 30 messages a second, and a session lives at most 47 hours after
# its last message: no two ids of one conversation can be further apart than this.
MOST_IDS_IN_47_HOURS = 30 * 3600 * 47


def answered() -> Session:
    """A session with the answers of a long path, as in a real handoff."""
    session = BASE
    for question, options in {
        "role": ("self",),
        "danger": ("danger_no",),
        "self_age": ("age16_17",),
        "self_do": ("sig_sex", "sig_drugs", "sig_bank", "done"),
        "self_life": ("sig_control", "sig_debt", "sig_phone", "done"),
        "self_region": ("groningen",),
    }.items():
        session = session.with_answer(question, options)
    return session


@given(st.lists(st.integers(1, MOST_IDS_IN_47_HOURS // 199), min_size=199, max_size=199))
def test_200_messages_with_arbitrary_gaps_stay_under_1_kib(gaps: list[int]) -> None:
    """200 ids with any gaps a busy bot could cause, over 70 turns: under 1 KiB."""
    ids = [1]
    for gap in gaps:
        ids.append(ids[-1] + gap)
    session = answered()
    at = T
    for turn in range(70):
        at += 100
        session = session.with_messages(ids[turn * 3 : turn * 3 + 3], at)
    session = session.with_messages(ids[210:], at)
    assert len(session.message_ids()) == 200
    assert len(session.to_json().encode()) < 1024


def test_the_worst_gaps_still_fit() -> None:
    """The largest equal gaps the bound allows (each just under 26,000): still under 1 KiB."""
    gap = MOST_IDS_IN_47_HOURS // 199
    session = answered().with_messages(range(1, 1 + 200 * gap, gap), T)
    assert len(session.message_ids()) == 200
    assert len(session.to_json().encode()) < 1024


def test_old_ids_are_dropped_and_marked_lost() -> None:
    """Ids shown in hours that ended before the cutoff go, and the session says so."""
    session = BASE.with_messages([1, 2], T).with_messages([3], T + 3600)
    assert session.without_messages_before(T + 1800) is session  # that hour has not ended
    kept = session.without_messages_before(T + 3600)
    assert kept.message_ids() == [3]
    assert kept.messages.lost
    assert Session.from_json(kept.to_json()).messages.lost
    assert session.without_messages_before(T - 60) is session  # nothing old: unchanged
    assert not session.messages.lost


def test_the_value_holds_no_raw_ids() -> None:
    """The stored value encodes ids as deltas, not as plain numbers one could search for."""
    raw = BASE.with_messages([610_000_123, 610_000_124], T).to_json()
    assert "610000123" not in raw
    assert set(json.loads(raw)) == {"f", "s", "l", "v", "t0", "t", "m", "mh"}


def test_an_hourly_mark_says_where_each_hour_begins() -> None:
    """One mark per hour with new ids; it never goes back, even for a smaller late id."""
    shown = Shown().add([3, 1], T).add([2], T + 1).add([9], T + 2 * 3600).add([5], T + 3 * 3600)
    assert shown.ids == (1, 2, 3, 5, 9)
    hours = [hour - T // 3600 for hour, _ in shown.marks]
    assert hours == [0, 2, 3]
    assert [first for _, first in shown.marks] == [1, 9, 9]
