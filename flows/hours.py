"""Opening hours in Europe/Amsterdam time, with Dutch public holidays.

Pure functions of a UTC timestamp: the engine gets the time from the event.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from flows.schema import Hours

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def easter(year: int) -> dt.date:
    """Easter Sunday (Gregorian), by the anonymous Gregorian algorithm."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


@lru_cache(maxsize=64)
def dutch_holidays(year: int) -> frozenset[dt.date]:
    """Dutch public holidays (algemeen erkende feestdagen) of ``year``.

    New Year, Easter Sunday and Monday, King's Day (27 April; 26 April when the
    27th is a Sunday), Liberation Day (5 May), Ascension Day, Whit Sunday and
    Monday, Christmas Day and Boxing Day. Good Friday is not a general holiday.
    """
    e = easter(year)
    kings = dt.date(year, 4, 27)
    if kings.weekday() == 6:
        kings = dt.date(year, 4, 26)
    return frozenset(
        {
            dt.date(year, 1, 1),
            e,
            e + dt.timedelta(days=1),
            kings,
            dt.date(year, 5, 5),
            e + dt.timedelta(days=39),
            e + dt.timedelta(days=49),
            e + dt.timedelta(days=50),
            dt.date(year, 12, 25),
            dt.date(year, 12, 26),
        }
    )


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def _spans(hours: Hours, day: dt.date) -> list[tuple[int, int]]:
    if hours.holidays == "closed" and day in dutch_holidays(day.year):
        return []
    spans: list[str] = getattr(hours, DAYS[day.weekday()])
    out = []
    for span in spans:
        lo, hi = span.split("-")
        out.append((_minutes(lo), _minutes(hi)))
    return out


def local(at: int) -> dt.datetime:
    """A UTC timestamp as Amsterdam wall-clock time."""
    return dt.datetime.fromtimestamp(at, tz=AMSTERDAM)


def is_open(hours: Hours, at: int) -> bool:
    """True when the service is open at ``at`` (seconds since the epoch)."""
    if hours.always:
        return True
    now = local(at)
    minute = now.hour * 60 + now.minute
    return any(lo <= minute < hi for lo, hi in _spans(hours, now.date()))


def next_opening(hours: Hours, at: int) -> dt.datetime | None:
    """When the service opens next, within a week, in Amsterdam time; None if not found."""
    if hours.always:
        return None
    now = local(at)
    minute = now.hour * 60 + now.minute
    for offset in range(8):
        day = now.date() + dt.timedelta(days=offset)
        for lo, _ in sorted(_spans(hours, day)):
            if offset > 0 or lo > minute:
                return dt.datetime(
                    day.year, day.month, day.day, lo // 60, lo % 60, tzinfo=AMSTERDAM
                )
    return None
