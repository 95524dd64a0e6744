"""Opening hours in Europe/Amsterdam time, with Dutch public holidays.

Pure functions of a UTC timestamp: the engine gets the time from the event.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from flows.schema import Hours
from flows.texts import DAYS

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_NOT_IN_THE_LAW = frozenset({"Good Friday"})


@lru_cache(maxsize=64)
def dutch_holidays(year: int) -> frozenset[dt.date]:
    """The algemeen erkende feestdagen of ``year`` (Algemene termijnenwet, art. 3).

    From the ``holidays`` package: its public category (New Year, Easter Sunday and
    Monday, King's Day, Ascension Day, Whitsun, Christmas) and its optional one
    (Liberation Day, 5 May, which the law names every year although many employers give
    it off only every fifth year), without Good Friday, which the package counts but the
    law does not. A service marked ``holidays: closed`` is shown as closed on these days.
    """
    # Imported here: the package takes a fifth of a second and ~10 MB to import, and only a
    # service that closes on holidays, shown to someone, needs it.
    import holidays
    from holidays.constants import OPTIONAL, PUBLIC

    found = holidays.country_holidays(
        "NL", years=year, categories=(PUBLIC, OPTIONAL), language="en_US"
    )
    return frozenset(day for day, name in found.items() if name not in _NOT_IN_THE_LAW)


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
