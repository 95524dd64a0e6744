"""Smoke run of ``bench/whatsapp.py`` with tiny numbers: every figure is produced, nothing is
lost or refused (no timings asserted)."""

from __future__ import annotations

import pytest

from bench import whatsapp

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


async def test_the_whatsapp_figures_are_produced() -> None:
    throughput = await whatsapp.throughput(people=6, turns=2)
    assert (throughput.incomplete, throughput.problems) == (0, 0)
    assert len(throughput.latencies) == 12
    peak = await whatsapp.peak(people=20, crisis=2, after=0.5)
    assert (peak.delivered, peak.crisis, peak.problems) == (20, 2, 0)
    assert len(peak.crisis_waits) == 2
    assert "one `baken whatsapp` worker" in whatsapp.render(throughput, peak)
