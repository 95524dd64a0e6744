"""The report's contents from figures: words from the content, small counts suppressed,
nothing finer than a day, and a page that loads nothing."""

from __future__ import annotations

import re

import pytest

from bot.report.page import render
from bot.report.tables import SMALL, Cell, Report, build
from flows import Content
from flows.loader import default_content_dir, load_content
from tests.report.synthetic import FIRST, LAST, week


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(default_content_dir())


def cells(report: Report) -> list[Cell]:
    return [
        cell
        for section in report.sections
        for table in section.tables
        for row in table.rows
        for cell in row
        if isinstance(cell, Cell)
    ]


@pytest.mark.parametrize(("lang", "fewer"), [("nl", "minder dan 10"), ("en", "fewer than 10")])
def test_every_count_below_ten_is_fewer_than_ten(content: Content, lang: str, fewer: str) -> None:
    """No table shows a number below 10; those say "fewer than 10" in the report's language."""
    report = build(week(), content, lang, FIRST, LAST)
    shown = cells(report)
    assert any(c.suppressed for c in shown)
    assert any(not c.suppressed for c in shown)
    for cell in shown:
        assert cell.text == fewer if cell.suppressed else int(cell.text) >= SMALL


def test_the_figures_are_summed_over_the_week(content: Content) -> None:
    """Per channel, language, way in, question and service: the week's totals."""
    report = build(week(), content, "nl", FIRST, LAST)
    tables = {t.caption: t for s in report.sections for t in s.tables}

    def rows(caption: str) -> dict[str, str]:
        return {str(r[0]): r[-1].text for r in tables[caption].rows if isinstance(r[-1], Cell)}

    assert rows("Per kanaal") == {"Website": "157", "Telegram": "80"}
    assert rows("Per taal aan het begin") == {
        "Nederlands": "217",
        "English": "14",
        "Polski": "minder dan 10",
    }
    ways = rows("Hoe mensen binnenkwamen")
    assert ways["Zonder code of link"] == "116"  # 96 + 14 + 6
    assert ways["Code van poster, flyer of website: poster_school"] == "41"
    assert ways["Link naar een vraag: zelf"] == "38"
    assert ways["Een onbekende code"] == "minder dan 10"
    assert rows("Gesprekken")["Totaal"] == "237"

    def grid(caption: str) -> dict[str, list[str]]:
        return {
            str(r[0]): [c.text for c in r[1:] if isinstance(c, Cell)] for r in tables[caption].rows
        }

    funnel = grid("Hoe ver mensen kwamen")
    [role] = [counts for label, counts in funnel.items() if label.endswith(" (role)")]
    assert any(label.startswith("Over wie gaat het?") for label in funnel)  # its own words
    assert role == ["170", "166", "minder dan 10", "minder dan 10"]
    assert funnel["Naar welke hulp: Over zichzelf (self_handoff)"][0] == "72"
    services = grid("Naar welke hulp")
    assert services["Chat met Fier"] == ["72", "29"]
    assert services["Centrum Seksueel Geweld"] == ["minder dan 10", "minder dan 10"]


def test_the_page_loads_nothing_and_has_no_time_of_day(content: Content) -> None:
    """One page: no script, no address to load, no time finer than a day."""
    page = render(build(week(), content, "nl", FIRST, LAST), empty="-")
    assert "<script" not in page
    assert not re.search(r"""(src|href)=""", page)
    assert "url(" not in page
    assert "default-src 'none'" in page
    assert not re.search(r"\b\d{1,2}:\d{2}\b", page)  # no clock time
    assert page.count("<svg") == 2


def test_an_empty_period_says_so(content: Content) -> None:
    """No figures at all: each section says there are none, and nothing breaks."""
    page = render(build({}, content, "en", FIRST, LAST), empty="No figures in this time.")
    assert page.count("No figures in this time.") >= 4
