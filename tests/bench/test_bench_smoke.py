"""Smoke run of the benchmarks with tiny numbers: every figure is produced (no timings asserted).

The benchmarks themselves (`make bench`) are never timed tests; this only keeps
bench/ runnable as the code under it changes.
"""

from __future__ import annotations

import math
import shutil

import pytest

from bench import run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_every_figure_is_produced() -> None:
    """`bench.run` with tiny sizes yields each section and renders BENCHMARKS.md from it."""
    out = run.collect(run.TINY, log=lambda *a, **k: None)
    expected = {"e2e", "step", "crisis", "memory", "startup", "reload", "rss", "messages", "web"}
    if shutil.which("redis-server"):
        expected |= {"redis", "webhook1", "webhook2"}
    assert expected <= set(out)
    e2e = out["e2e"]
    assert e2e.incomplete == 0
    assert e2e.problems == 0
    assert math.isfinite(e2e.ratio)
    assert math.isfinite(e2e.call_ratio)
    now, before = out["messages"]
    assert [c.path for c in now] == ["self", "other", "professional"]
    assert before is None  # the old commit only in the full run
    assert out["reload"].errors == 0
    assert out["step"].press_median_us > 0
    assert out["crisis"].median_us > 0
    assert out["web"].incomplete == out["web"].out_of_order == out["web"].problems == 0
    text = run.render(out, run.TINY, 1.0)
    assert "baken ÷ bare" in text


async def test_the_peak_runs_small() -> None:
    """The peak benchmark with 20 people and 2 crisis sentences: every reply, once."""
    from bench.scenarios import peak_async

    figures = await peak_async(20, 2, 1.0)
    assert figures.delivered == 20
    assert figures.duplicates == 0
    assert len(figures.crisis_latencies_s) == 2
