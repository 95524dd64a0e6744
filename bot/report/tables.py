"""The report's contents: the daily figures turned into sections of tables and bar charts,
in the words of the content (``report.*`` in ``content/texts/<lang>.yaml``), with every
count below :data:`SMALL` shown as "fewer than 10".

Pure: daily counts and the content in, a :class:`Report` value out (``bot.report.page``
writes it as HTML). Nothing finer than a day is kept: the days are summed here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.figures import CRISIS_OUTCOMES, DIRECT, LEAVING, OTHER, STEPS
from bot.report.prometheus import Daily
from flows.content import DEFAULT_LANG, Content

SMALL = 10  # counts below this are never shown as a number
QUESTION_CHARS = 90  # a question's text is cut after this many characters in a table
CHART_CHARS = 42  # and in a chart's label

REPORT_LANGS = ("nl", "en")


@dataclass(frozen=True)
class Cell:
    """A count as shown: the number, or "fewer than 10" (``suppressed``)."""

    text: str
    suppressed: bool = False


@dataclass(frozen=True)
class Table:
    caption: str
    head: tuple[str, ...]
    rows: tuple[tuple[str | Cell, ...], ...]


@dataclass(frozen=True)
class Bars:
    """A bar chart: a label and a count per bar (suppressed bars are drawn as "< 10")."""

    description: str
    bars: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Section:
    title: str
    intro: str
    charts: tuple[Bars, ...]
    tables: tuple[Table, ...]


@dataclass(frozen=True)
class Report:
    lang: str
    title: str
    period: str
    intro: str
    fewer: str
    sections: tuple[Section, ...]


def per(daily: Daily, *labels: str) -> dict[tuple[str, ...], int]:
    """Counts summed over the days, by the values of ``labels``."""
    found: dict[tuple[str, ...], int] = defaultdict(int)
    for key, days in daily.items():
        values = dict(key)
        found[tuple(values.get(label, OTHER) for label in labels)] += sum(days.values())
    return dict(found)


def per_day(daily: Daily) -> dict[dt.date, int]:
    found: dict[dt.date, int] = defaultdict(int)
    for days in daily.values():
        for day, count in days.items():
            found[day] += count
    return dict(found)


class Words:
    """The report's words in one language, from the content."""

    def __init__(self, content: Content, lang: str) -> None:
        self.content, self.lang = content, lang

    def __call__(self, key: str, **values: str) -> str:
        text = self.content.text(self.lang, f"report.{key}")
        for name, value in values.items():
            text = text.replace("{" + name + "}", value)
        return text

    def has(self, key: str) -> bool:
        texts = self.content.texts
        return f"report.{key}" in texts.get(self.lang, texts[DEFAULT_LANG])

    def cell(self, count: int) -> Cell:
        if count < SMALL:
            return Cell(self("fewer"), suppressed=True)
        return Cell(str(count))

    def channel(self, name: str) -> str:
        return self(f"channel_{name}") if self.has(f"channel_{name}") else self("other")

    def language(self, code: str) -> str:
        key = f"language.{code}"
        return self.content.text(code, key) if key in self.content.texts.get(code, {}) else code

    def way(self, code: str) -> str:
        if code == DIRECT:
            return self("way_direct")
        if code == OTHER:
            return self("way_other")
        flow = self.content.flows[self.content.default_flow]
        if code in flow.deep_links:
            return self("way_deep_link", code=code)
        return self("way_campaign", code=code)

    def question(self, state_id: str, *, chars: int = QUESTION_CHARS, code: bool = True) -> str:
        """The question's own words (its last text), cut to ``chars``, with its id."""
        state = self.content.flows[self.content.default_flow].states.get(state_id)
        if state is None or not state.say:
            return state_id
        if state.handoff is not None:  # its text is the handoff's intro: name it instead
            text = f"{self('handoffs')}: {self.audience(state_id)}"
            return f"{text} ({state_id})" if code else text
        last = state.say[-1]
        key = last if isinstance(last, str) else last.text
        paragraphs = self.content.text(self.lang, key).split("\n\n")
        asked = [p for p in paragraphs if "?" in p] or paragraphs
        text = " ".join(asked[0].split())
        if len(text) > chars:
            text = text[: chars - 1].rstrip() + "…"
        return f"{text} ({state_id})" if code else text

    def service(self, service_id: str) -> str:
        service = self.content.services.get(service_id)
        if service is None:
            return self("other")
        return service.name.get(self.lang) or service.name.get(DEFAULT_LANG) or service_id

    def audience(self, state_id: str) -> str:
        key = f"audience_{state_id}"
        return self(key) if self.has(key) else state_id

    def option(self, question: str, option_id: str) -> str:
        state = self.content.flows[self.content.default_flow].states.get(question)
        for option in state.options if state is not None else ():
            if option.id == option_id:
                return self.content.text(self.lang, option.label_key)
        return self("other")


def _table(
    words: Words, caption: str, head: str, counts: Mapping[str, int], order: Iterable[str] = ()
) -> Table:
    """One column of labels, one of counts; rows in ``order``, then the rest by count."""
    known = [k for k in order if counts.get(k)]
    rest = sorted((k for k in counts if k not in known and counts[k]), key=lambda k: -counts[k])
    rows = tuple((label, words.cell(counts[label])) for label in [*known, *rest])
    return Table(caption, (head, words("count")), rows)


def build(
    figures: Mapping[str, Daily], content: Content, lang: str, first: dt.date, last: dt.date
) -> Report:
    """The report of ``figures`` (from :meth:`Source.figures`) in ``lang``."""
    w = Words(content, lang)
    started = figures.get("baken_conversations_started_total", {})
    days = per_day(started)
    every_day = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    day_rows = tuple((day.isoformat(), w.cell(days.get(day, 0))) for day in every_day)
    total = sum(days.values())

    def summed(daily: Daily, label: str, name: object) -> dict[str, int]:
        found: dict[str, int] = defaultdict(int)
        for (value,), count in per(daily, label).items():
            found[name(value)] += count  # type: ignore[operator]
        return dict(found)

    channels = summed(started, "channel", w.channel)
    languages = summed(started, "lang", w.language)
    ways = summed(started, "way", w.way)
    conversations = Section(
        w("started"),
        w("started_intro"),
        (Bars(w("chart_days"), tuple((d.strftime("%d-%m"), days.get(d, 0)) for d in every_day)),),
        (
            Table(
                w("started"),
                (w("day"), w("count")),
                (*day_rows, (w("total"), w.cell(total))),
            ),
            _table(w, w("by_channel"), w("channel_name"), channels),
            _table(w, w("by_language"), w("language_name"), languages),
            _table(w, w("by_way"), w("way_name"), ways),
        ),
    )

    funnel = per(figures.get("baken_funnel_total", {}), "question", "step")
    states = list(content.flows[content.default_flow].states)
    asked = [q for q in states if any(funnel.get((q, s)) for s in STEPS)]
    funnel_rows: tuple[tuple[str | Cell, ...], ...] = tuple(
        (w.question(q), *(w.cell(funnel.get((q, s), 0)) for s in STEPS)) for q in asked
    )
    funnel_section = Section(
        w("funnel"),
        w("funnel_intro"),
        (
            Bars(
                w("chart_funnel"),
                tuple(
                    (w.question(q, chars=CHART_CHARS, code=False), funnel.get((q, "reached"), 0))
                    for q in asked
                ),
            ),
        ),
        (Table(w("funnel"), (w("question"), *(w(s) for s in STEPS)), funnel_rows),),
    )

    shown = per(figures.get("baken_handoff_services_total", {}), "service")
    opened = per(figures.get("baken_links_opened_total", {}), "service")
    services = sorted(
        {s for (s,) in shown} | {s for (s,) in opened}, key=lambda s: -shown.get((s,), 0)
    )
    service_rows = tuple(
        (w.service(s), w.cell(shown.get((s,), 0)), w.cell(opened.get((s,), 0))) for s in services
    )
    audiences = summed(figures.get("baken_handoff_services_total", {}), "audience", w.audience)
    handoffs = Section(
        w("handoffs"),
        w("handoffs_intro"),
        (),
        (
            Table(w("handoffs"), (w("service"), w("shown"), w("opened")), service_rows),
            _table(w, w("audience"), w("audience_name"), audiences),
        ),
    )

    crisis = per(figures.get("baken_crisis_screens_total", {}), "kind", "outcome")
    crisis_rows = tuple(
        (w(f"kind_{k}") if w.has(f"kind_{k}") else w("other"), w(f"outcome_{o}"), w.cell(n))
        for (k, o), n in sorted(crisis.items(), key=lambda i: CRISIS_OUTCOMES.index(i[0][1]))
        if n and o in CRISIS_OUTCOMES
    )
    crisis_section = Section(
        w("crisis"),
        w("crisis_intro"),
        (),
        (Table(w("crisis"), (w("kind"), w("outcome"), w("count")), crisis_rows),),
    )

    left = per(figures.get("baken_leaving_total", {}), "how")
    leaving = {w(f"leaving_{h}"): n for (h,), n in left.items() if h in LEAVING}
    leaving_section = Section(
        w("leaving"), w("leaving_intro"), (), (_table(w, w("leaving"), w("how"), leaving),)
    )

    answers = per(figures.get("baken_answers_total", {}), "question", "option")
    answer_tables = []
    for question in [q for q in states if any(k[0] == q for k in answers)]:
        counts = {w.option(question, o): n for (q, o), n in answers.items() if q == question}
        answer_tables.append(_table(w, w.question(question), w("answer"), counts))
    answers_section = Section(w("answers"), w("answers_intro"), (), tuple(answer_tables))

    return Report(
        lang=lang,
        title=w("title"),
        period=w("period", **{"from": first.isoformat(), "to": last.isoformat()}),
        intro=w("intro"),
        fewer=w("fewer"),
        sections=(
            conversations,
            funnel_section,
            handoffs,
            crisis_section,
            leaving_section,
            answers_section,
        ),
    )
