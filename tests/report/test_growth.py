"""How the report turns a counter's stored values into counts per day: exact growth, a new
series from 0, a restart, workers added up, days in Dutch time."""

from __future__ import annotations

import datetime as dt

from bot.report.prometheus import daily_growth, midnight

MONDAY = dt.date(2026, 11, 23)
TUESDAY = MONDAY + dt.timedelta(days=1)
WEB1 = (("channel", "web"), ("instance", "web1:8080"), ("job", "baken"))
WEB2 = (("channel", "web"), ("instance", "web2:8080"), ("job", "baken"))


def at(day: dt.date, hour: int) -> float:
    return midnight(day) + hour * 3600


def test_growth_per_day_with_a_new_series_a_restart_and_two_workers() -> None:
    """web1 appears on Monday at 3 (3 conversations), grows to 12, restarts on Tuesday and
    counts 4; web2 appears on Tuesday with 5. Monday: 12; Tuesday: 4 + 5."""
    series = {
        WEB1: [
            (at(MONDAY, 9), 3.0),
            (at(MONDAY, 10), 3.0),
            (at(MONDAY, 23), 12.0),
            (at(TUESDAY, 8), 2.0),  # restarted: counted from 0 again
            (at(TUESDAY, 9), 4.0),
        ],
        WEB2: [(at(TUESDAY, 12), 5.0)],
    }
    assert daily_growth(series, MONDAY, TUESDAY) == {
        (("channel", "web"),): {MONDAY: 12, TUESDAY: 4 + 5}
    }


def test_the_day_before_only_sets_where_a_series_stood() -> None:
    """Values from before the period are not counted, only grown from."""
    series = {WEB1: [(at(MONDAY, 20), 40.0), (at(TUESDAY, 1), 41.0), (at(TUESDAY, 2), 43.0)]}
    assert daily_growth(series, TUESDAY, TUESDAY) == {(("channel", "web"),): {TUESDAY: 3}}


def test_days_are_dutch_days() -> None:
    """00:30 in Amsterdam is still the previous day in UTC, but it counts for the Dutch day."""
    series = {WEB1: [(at(MONDAY, 12), 1.0), (midnight(TUESDAY) + 1800, 2.0)]}
    assert daily_growth(series, MONDAY, TUESDAY) == {(("channel", "web"),): {MONDAY: 1, TUESDAY: 1}}
