"""The figures end to end: a scripted run on Telegram and the web page, a real Prometheus
scraping both workers, then ``baken report`` and every dashboard panel's query.

Real parts only: ``baken web`` and ``baken webhook`` as subprocesses (the webhook against
the stand-in Bot API), Debian's ``prometheus`` (configuration written here, scraping both
over 127.0.0.1 every second), and ``baken report`` as a subprocess reading Prometheus's
HTTP API. Waiting is for Prometheus to have scraped what the workers count, never a sleep.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import sys
import urllib.request
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from bot.metrics import FIGURES
from bot.report.prometheus import ZONE
from flows.loader import default_content_dir
from testkit.botapi import StandinBotAPI
from testkit.prometheus import PrometheusServer, missing_reason, unavailable
from testkit.web import PageSocket, WebProcess
from tests.e2e.conftest import Baken, Chat

pytestmark = [pytest.mark.prometheus, pytest.mark.asyncio(loop_scope="module")]

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "baken.json"
CONTENT = str(default_content_dir())

# (question, button) pairs: what the script presses, at which question.
OTHER = [
    ("welcome", "Ja, het is veilig"),
    ("danger", "Nee"),
    ("other_age", "16 of 17"),
    ("other_do", "Klaar"),
    ("other_life", "Klaar"),
    ("other_seen", "Klaar"),
    ("other_unsure", "Nee, laat de hulp zien"),
    ("other_region", "Provincie Groningen"),
    ("other_handoff", "Verder"),
    ("feedback", "Ja"),
]  # then `bye` is reached
SELF_EN = [
    ("welcome", "Yes, it is safe"),
    ("role", "About me"),
    ("danger", "No"),
    ("self_age", "Skip"),
]  # then erased at self_do (stop, or quick exit)
SELF_TG = [
    ("welcome", "Ja, het is veilig"),
    ("danger", "Nee"),
    ("self_age", "Sla over"),
    ("self_do", "Sla over"),
    ("self_life", "Sla over"),
    ("self_unsure", "Nu niet"),
]  # then `bye` is reached
WEB_OTHER, WEB_EN, TELEGRAM = 12, 2, 3
# Canaries: a person's words, an unknown campaign code, a made-up service, a browser.
CANARY_TEXT = "Ik heet Zwaluwstaart Kievitsbloem en woon op Merelpad 88"
CANARY_CODE = "kanarie_poster_zz"
CANARY_SERVICE = "kanarie_hulp"
CANARY_AGENT = "KanarieBrowser/3.1 (Roodborst)"
CANARIES = ("Zwaluwstaart", "Kievitsbloem", "Merelpad", "kanarie", "Roodborst")


@dataclass
class Script:
    """What the script did, counted by the script itself."""

    started: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # channel, lang, way
    funnel: Counter[tuple[str, str]] = field(default_factory=Counter)  # question, step
    services: Counter[str] = field(default_factory=Counter)
    opened: Counter[str] = field(default_factory=Counter)
    helped: Counter[str] = field(default_factory=Counter)
    leaving: Counter[str] = field(default_factory=Counter)
    crisis: Counter[tuple[str, str]] = field(default_factory=Counter)

    def walked(self, path: list[tuple[str, str]], end: str | None) -> None:
        for question, label in path:
            self.funnel[(question, "reached")] += 1
            skipped = label in ("Sla over", "Skip")
            self.funnel[(question, "skipped" if skipped else "answered")] += 1
        if end is not None:
            self.funnel[(end, "reached")] += 1


@dataclass
class Run:
    prometheus: PrometheusServer
    script: Script
    workers: list[str]


def scrape_page(url: str) -> str:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:  # noqa: S310
        return str(response.read().decode())


def every_series(prometheus: PrometheusServer) -> str:
    """Every baken series Prometheus keeps, as its API lists them (JSON)."""
    url = f"{prometheus.url}/api/v1/series?match[]={{__name__=~%22baken_.%2B%22}}"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
        return str(response.read().decode())


def figures_total(page: str) -> float:
    names = "|".join(FIGURES)
    return sum(
        float(m.group(1))
        for m in re.finditer(rf"^(?:{names})_total{{[^}}]*}} ([0-9.e+]+)$", page, re.MULTILINE)
    )


async def canary_visit(url: str, script: Script) -> None:
    """Someone who types who they are, came by an unknown code and tries a made-up link."""
    async with aiohttp.ClientSession(headers={"User-Agent": CANARY_AGENT}) as http:
        page = PageSocket(url, session=http)
        await page.connect()
        await page.turn(page.start(CANARY_CODE))
        await page.turn(page.say(CANARY_TEXT))
        await page.close()
        async with http.get(f"{url}/go/{CANARY_SERVICE}", allow_redirects=False) as response:
            assert response.status == 404
    script.started[("web", "nl", "other")] += 1
    script.funnel[("welcome", "reached")] += 1


async def web_script(url: str, script: Script) -> None:
    await canary_visit(url, script)
    for i in range(WEB_OTHER):
        page = PageSocket(url)
        await page.connect()
        await page.turn(page.start("iemand"))
        for _, label in OTHER[:-2]:
            await page.turn(page.press(label))
        links = [link["url"] for m in page.messages() for link in m["links"]]
        script.services.update(link.removeprefix("/go/") for link in links)
        if i % 3 == 0:  # some open the first service's link (not followed: no internet)
            async with (
                aiohttp.ClientSession() as http,
                http.get(url + links[0], allow_redirects=False) as response,
            ):
                assert response.status == 303
        for _, label in OTHER[-2:]:
            await page.turn(page.press(label))
        await page.close()
        if i % 3 == 0:
            script.opened[links[0].removeprefix("/go/")] += 1
        script.started[("web", "nl", "iemand")] += 1
        script.helped["helped_yes"] += 1
        script.walked(OTHER, "bye")
    for how in ("erase", "quick_exit"):
        page = PageSocket(url)
        await page.connect()
        await page.turn(page.start("poster_school", lang="en"))
        for _, label in SELF_EN:
            await page.turn(page.press(label))
        if how == "erase":
            await page.turn(page.press("Stop and erase"))
            await page.close()
        else:
            await page.exit()
            await page.close(4000)
        script.started[("web", "en", "poster_school")] += 1
        script.leaving[how] += 1
        script.walked(SELF_EN, None)
        script.funnel[("self_do", "reached")] += 1
        script.funnel[("self_do", "left")] += 1


async def telegram_script(baken: Baken, web_url: str, script: Script) -> None:
    chat = Chat(baken)
    await chat.start("iemand")
    for _, label in OTHER[:-2]:
        await chat.press(label)
    links = chat.link_urls()
    assert links
    assert all(link.startswith(f"{web_url}/go/") for link in links)  # counted by the web worker
    script.services.update(link.rpartition("/")[2] for link in links)
    for _, label in OTHER[-2:]:
        await chat.press(label)
    script.started[("telegram", "nl", "iemand")] += 1
    script.helped["helped_yes"] += 1
    script.walked(OTHER, "bye")
    for i in range(TELEGRAM):
        chat = Chat(baken)
        await chat.start("zelf")
        if i == 0:
            await chat.say("ik wil dood")
            script.crisis[("suicide", "sure")] += 1
            await chat.press("Verder met het gesprek")
        for _, label in SELF_TG:
            await chat.press(label)
        script.started[("telegram", "nl", "zelf")] += 1
        script.walked(SELF_TG, "bye")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def run(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Run]:
    """Both workers, Prometheus scraping them, and the script, done and scraped."""
    reason = missing_reason()
    if reason is not None:
        unavailable(reason)
    web = WebProcess(tmp_path_factory.mktemp("web"), BAKEN_CONTENT_DIR=CONTENT)
    await web.start()
    async with StandinBotAPI() as api:
        bot = Baken(
            "webhook",
            api,
            tmp_path_factory.mktemp("bot"),
            BAKEN_CONTENT_DIR=CONTENT,
            BAKEN_WEB_PUBLIC_URL=web.url,
        )
        await bot.start()
        workers = [web.url, bot.url]
        prometheus = PrometheusServer(
            tmp_path_factory.mktemp("prometheus"), [u.removeprefix("http://") for u in workers]
        )
        prometheus.start()
        try:
            script = Script()
            await web_script(web.url, script)
            await telegram_script(bot, web.url, script)
            counted = sum(figures_total(scrape_page(u)) for u in workers)
            names = "|".join(FIGURES)
            query = f'sum({{__name__=~"({names})_total"}})'
            for _ in range(600):  # until Prometheus has scraped what the workers counted
                result = prometheus.query(query)
                if result and float(result[0]["value"][1]) == counted:
                    break
                await asyncio.sleep(0.1)
            yield Run(prometheus, script, workers)
        finally:
            prometheus.stop()
            assert await bot.stop() == 0
            assert await web.stop() == 0


class Tables(HTMLParser):
    """The report's tables: caption -> rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: str | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._in_caption = False
        self._in_head = False
        self.scripts = 0
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.external.append(value)
        if tag == "thead":
            self._in_head = True
        elif tag == "caption":
            self._in_caption, self._caption = True, ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._in_head = False
        elif tag == "caption":
            self._in_caption = False
            assert self._caption is not None
            self.tables[self._caption] = []
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._caption is not None:
            if self._row and not self._in_head:
                self.tables[self._caption].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self._caption = (self._caption or "") + data
        elif self._cell is not None:
            self._cell.append(data)


def shown(n: int) -> str:
    return str(n) if n >= 10 else "minder dan 10"


async def report(run: Run, tmp_path: Path, lang: str = "nl") -> str:
    today = dt.datetime.now(ZONE).date()
    out = tmp_path / f"report-{lang}.html"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "report",
        "--prometheus",
        run.prometheus.url,
        "--from",
        (today - dt.timedelta(days=1)).isoformat(),
        "--to",
        (today + dt.timedelta(days=1)).isoformat(),
        "-o",
        str(out),
        "--lang",
        lang,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert stdout == b""
    return out.read_text(encoding="utf-8")


async def test_the_report_says_what_the_script_did(run: Run, tmp_path: Path) -> None:
    """Per channel, language, way in, question and service, the report's figures are the
    script's, with every count below 10 as "minder dan 10"; the page loads nothing."""
    page = await report(run, tmp_path)
    parsed = Tables()
    parsed.feed(page)
    tables = parsed.tables
    assert parsed.scripts == 0
    assert parsed.external == []
    script = run.script
    total = sum(script.started.values())
    assert ["Totaal", shown(total)] in tables["Gesprekken"]
    per_channel: Counter[str] = Counter()
    per_lang: Counter[str] = Counter()
    for (channel, lang, _), n in script.started.items():
        per_channel[channel] += n
        per_lang[lang] += n
    assert sorted(tables["Per kanaal"]) == sorted(
        [{"web": "Website", "telegram": "Telegram"}[c], shown(n)] for c, n in per_channel.items()
    )
    assert sorted(tables["Per taal aan het begin"]) == sorted(
        [{"nl": "Nederlands", "en": "English"}[lang], shown(n)] for lang, n in per_lang.items()
    )
    per_way: Counter[str] = Counter()
    for (_, _, way), n in script.started.items():
        per_way[way] += n
    ways = {row[0]: row[1] for row in tables["Hoe mensen binnenkwamen"]}
    assert ways == {
        "Link naar een vraag: iemand": shown(per_way["iemand"]),
        "Link naar een vraag: zelf": shown(per_way["zelf"]),
        "Code van poster, flyer of website: poster_school": shown(per_way["poster_school"]),
        "Een onbekende code": shown(per_way["other"]),
    }
    assert per_way["iemand"] >= 10  # some figures are shown, others suppressed
    steps = ("reached", "answered", "skipped", "left")
    funnel = {
        re.sub(r".*\((\w+)\)$", r"\1", row[0]): row[1:] for row in tables["Hoe ver mensen kwamen"]
    }
    questions = {q for q, _ in script.funnel}
    assert set(funnel) == questions
    for question in questions:
        assert funnel[question] == [shown(script.funnel[(question, s)]) for s in steps], question
    services = {row[0]: row[1:] for row in tables["Naar welke hulp"]}
    assert len(services) == len(script.services)
    assert services["Chat met Fier"] == [
        shown(script.services["fier"]),
        shown(script.opened["fier"]),
    ]
    helped = {row[0]: row[1] for row in next(v for k, v in tables.items() if "(feedback)" in k)}
    assert helped == {"Ja": shown(script.helped["helped_yes"])}
    leaving = {row[0]: row[1] for row in tables["Gewist"]}
    assert leaving == {
        "Met Stop en wis, of door stop te typen": shown(1),
        "Met Snel weg (website)": shown(1),
    }
    assert tables["Crisis"] == [["Zelfdoding (113)", "Meteen laten zien", shown(1)]]
    counts = [cell for rows in tables.values() for row in rows for cell in row[1:]]
    assert all(int(c) >= 10 for c in counts if c.isdigit())  # no small number anywhere


async def test_the_english_report_uses_the_english_words(run: Run, tmp_path: Path) -> None:
    """--lang en: the same figures in English; small counts are "fewer than 10"."""
    page = await report(run, tmp_path, "en")
    assert '<html lang="en"' in page
    assert "fewer than 10" in page
    assert "minder dan 10" not in page
    assert "How far people got" in page


async def test_every_dashboard_panel_returns_series(run: Run) -> None:
    """Each query of deploy/grafana/dashboards/baken.json gives series from the real
    Prometheus that scraped the script's run (Grafana's $__range as the last hour)."""
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    queries = [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]
    assert len(queries) >= 9
    for title, expr in queries:
        promql = expr.replace("$__range", "1h").replace("$__rate_interval", "1m")
        assert "$" not in promql, (title, promql)
        result = run.prometheus.query(promql)
        assert result, f"{title}: {promql} gave no series"


async def test_no_canary_in_the_report_or_in_prometheus(run: Run, tmp_path: Path) -> None:
    """What the canary visitor typed, the unknown code, the made-up service and the browser
    appear nowhere: not in the report (nl, en), not in any series Prometheus keeps."""
    pages = [await report(run, tmp_path, lang) for lang in ("nl", "en")]
    series = every_series(run.prometheus)
    assert '"baken_conversations_started_total"' in series
    for where, text in (("report nl", pages[0]), ("report en", pages[1]), ("series", series)):
        for canary in CANARIES:
            assert canary.lower() not in text.lower(), (where, canary)
