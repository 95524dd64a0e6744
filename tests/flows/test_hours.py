"""Opening hours in Amsterdam time and Dutch public holidays."""

from __future__ import annotations

import datetime as dt

import pytest

from flows.hours import AMSTERDAM, dutch_holidays, is_open, next_opening
from flows.schema import Hours

OFFICE = Hours(
    mon=["09:00-17:00"],
    tue=["09:00-17:00"],
    wed=["09:00-17:00"],
    thu=["09:00-17:00"],
    fri=["09:00-17:00"],
)


def at(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=AMSTERDAM).timestamp())


@pytest.mark.parametrize(
    ("year", "easter_monday"),
    [
        (2024, dt.date(2024, 4, 1)),
        (2025, dt.date(2025, 4, 21)),
        (2026, dt.date(2026, 4, 6)),
        (2027, dt.date(2027, 3, 29)),
    ],
)
def test_easter_monday_and_liberation_day(year: int, easter_monday: dt.date) -> None:
    """Easter Monday (published dates) and 5 May every year, as the law says; Good Friday never."""
    days = dutch_holidays(year)
    assert easter_monday in days
    assert dt.date(year, 5, 5) in days
    assert easter_monday - dt.timedelta(days=3) not in days  # Good Friday


def test_dutch_holidays_2026() -> None:
    """King's Day, Ascension, Whit Monday and both Christmas days are holidays; Good Friday not."""
    days = dutch_holidays(2026)
    assert dt.date(2026, 4, 27) in days
    assert dt.date(2026, 5, 14) in days  # Ascension
    assert dt.date(2026, 5, 25) in days  # Whit Monday
    assert dt.date(2026, 12, 25) in days
    assert dt.date(2026, 12, 26) in days
    assert dt.date(2026, 4, 3) not in days  # Good Friday


def test_kings_day_moves_when_on_sunday() -> None:
    """In 2025 the 27th of April is a Sunday, so King's Day is the 26th."""
    assert dt.date(2025, 4, 26) in dutch_holidays(2025)
    assert dt.date(2025, 4, 27) not in dutch_holidays(2025)


def test_open_and_next_opening() -> None:
    """Open inside the hours, closed outside, and the next opening is found across the weekend."""
    assert is_open(OFFICE, at(2026, 11, 24, 9, 0))
    assert not is_open(OFFICE, at(2026, 11, 24, 17, 0))
    assert not is_open(OFFICE, at(2026, 11, 28, 12, 0))
    assert next_opening(OFFICE, at(2026, 11, 28, 12, 0)) == dt.datetime(
        2026, 11, 30, 9, 0, tzinfo=AMSTERDAM
    )
    assert next_opening(OFFICE, at(2026, 11, 24, 8, 0)) == dt.datetime(
        2026, 11, 24, 9, 0, tzinfo=AMSTERDAM
    )


def test_holidays_close_unless_open() -> None:
    """On Christmas Day the office is closed; with holidays: open it keeps its hours."""
    christmas = at(2026, 12, 25, 10, 0)
    assert not is_open(OFFICE, christmas)
    assert is_open(OFFICE.model_copy(update={"holidays": "open"}), christmas)


def test_summer_time_is_amsterdam_time() -> None:
    """09:00 in summer is 07:00 UTC; in winter 08:00 UTC."""
    summer = int(dt.datetime(2026, 7, 7, 7, 0, tzinfo=dt.UTC).timestamp())
    winter = int(dt.datetime(2026, 1, 6, 8, 0, tzinfo=dt.UTC).timestamp())
    assert is_open(OFFICE, summer)
    assert is_open(OFFICE, winter)
    assert not is_open(OFFICE, summer - 60)
