"""The soak run in its short form: 40 people for 10 seconds, with Bot API faults.

The long form (120 people, ten minutes) is ``make soak``; see RELIABILITY.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.soak import soak

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.asyncio(loop_scope="package")]


async def test_short_soak(tmp_path: Path) -> None:
    """Every update answered once, crisis with 113, no errors logged, clean exit."""
    figures = await soak(10, 40, fault_every=0.25, workdir=tmp_path)
    assert figures.updates_sent > 100
    assert figures.faults_served > 10
    assert figures.problems == []
    assert figures.ok(), figures
    assert figures.answered == figures.updates_sent
