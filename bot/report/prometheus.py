"""Daily counts of the published figures, read from Prometheus's HTTP API.

baken's counters live in each process and start at 0 when it starts; Prometheus keeps
their values over time. For every series this module reads the counter's value every
``step`` seconds (``/api/v1/query_range``, and once more at the end of the period) and adds
up how much it grew, per day in Dutch time:

- a series that appears counts its whole first value (a process counts from 0);
- a value lower than the one before is a restart: it counts whole;
- otherwise the growth counts.

So the figures are whole numbers, with no extrapolation. The worker label (``instance``,
``job``) is summed away. A day before the period is read too, only to know where each
series stood when the period began.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from zoneinfo import ZoneInfo

import httpx

from bot.metrics import FIGURES

ZONE = ZoneInfo("Europe/Amsterdam")
STEP = 300  # seconds between the values read (Prometheus's lookback is 5 minutes)
MAX_POINTS = 10_000  # Prometheus refuses more than 11,000 points per series and query
DROPPED = frozenset({"__name__", "instance", "job"})

Labels = tuple[tuple[str, str], ...]
Daily = dict[Labels, dict[dt.date, int]]  # the labels of a series -> day -> count


class PrometheusError(Exception):
    """Prometheus could not be reached or refused a query (the message says which)."""


def midnight(day: dt.date) -> float:
    """The start of ``day`` in Dutch time, as Unix seconds."""
    return dt.datetime.combine(day, dt.time(), ZONE).timestamp()


def day_of(moment: float) -> dt.date:
    return dt.datetime.fromtimestamp(moment, ZONE).date()


def daily_growth(
    series: Mapping[Labels, Sequence[tuple[float, float]]], first: dt.date, last: dt.date
) -> Daily:
    """Per series (labels with the worker's), values over time -> growth per day, summed
    over the workers: a new series counts its first value, a drop is a restart."""
    found: Daily = defaultdict(lambda: defaultdict(int))
    for series_key, values in series.items():
        key = tuple((k, v) for k, v in series_key if k not in DROPPED)  # workers summed
        before: float | None = None
        for at, value in values:
            grew = value if before is None or value < before else value - before
            before = value
            day = day_of(at)
            if first <= day <= last and grew > 0:
                found[key][day] += round(grew)
    return {key: dict(days) for key, days in found.items()}


class Source:
    """Reads counters from one Prometheus server (``url``: its base address)."""

    def __init__(
        self,
        url: str,
        *,
        step: int = STEP,
        clock: Callable[[], float] = time.time,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.step = step
        self.clock = clock
        self.client = client if client is not None else httpx.Client(timeout=60.0)

    def _get(self, path: str, params: Mapping[str, str | float]) -> list[dict[str, object]]:
        try:
            response = self.client.get(f"{self.url}{path}", params=dict(params))
        except httpx.HTTPError as exc:
            raise PrometheusError(f"cannot reach Prometheus at {self.url}: {exc}") from exc
        try:
            body = response.json()
        except ValueError as exc:
            raise PrometheusError(f"{self.url}{path} answered {response.status_code}") from exc
        if body.get("status") != "success":
            raise PrometheusError(f"Prometheus refused the query: {body.get('error', body)}")
        result = body["data"]["result"]
        return list(result) if isinstance(result, list) else []

    def daily(self, metric: str, first: dt.date, last: dt.date) -> Daily:
        """How much ``metric`` grew per day from ``first`` to ``last`` (Dutch days)."""
        start = midnight(first - dt.timedelta(days=1))
        end = min(midnight(last + dt.timedelta(days=1)) - 1, self.clock())
        if end <= start:
            return {}
        return daily_growth(self._timed(metric, start, end), first, last)

    def _timed(
        self, metric: str, start: float, end: float
    ) -> dict[Labels, list[tuple[float, float]]]:
        """The counter's values every ``step`` seconds from ``start`` to ``end`` (and at
        ``end``), per series (with its worker), oldest first, with their times."""
        points: dict[Labels, dict[float, float]] = defaultdict(dict)
        chunk = self.step * MAX_POINTS
        begin = start
        results: list[dict[str, object]] = []
        while begin <= end:
            stop = min(end, begin + chunk)
            query: dict[str, str | float] = {
                "query": metric,
                "start": begin,
                "end": stop,
                "step": self.step,
            }
            results += self._get("/api/v1/query_range", query)
            begin = stop + self.step
        results += self._get("/api/v1/query", {"query": metric, "time": end})
        for series in results:
            raw = series["metric"]
            assert isinstance(raw, dict)
            key = tuple(sorted((k, str(v)) for k, v in raw.items() if k != "__name__"))
            found = series.get("values") or [series["value"]]
            assert isinstance(found, list)
            for at, value in found:
                points[key][float(at)] = float(value)
        return {key: sorted(by_time.items()) for key, by_time in points.items()}

    def figures(self, first: dt.date, last: dt.date) -> dict[str, Daily]:
        """Every published figure (``bot.metrics.FIGURES``), per series and day."""
        return {f"{name}_total": self.daily(f"{name}_total", first, last) for name in FIGURES}
