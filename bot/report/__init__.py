"""``baken report``: one page of figures an organisation can publish, from Prometheus.

    baken report --prometheus URL --from DATE --to DATE [-o report.html] [--lang nl|en]

Reads the published figures (:mod:`bot.figures`) from Prometheus per day
(:mod:`bot.report.prometheus`), turns them into tables and charts in the content's words
with small counts suppressed (:mod:`bot.report.tables`), and writes one self-contained
HTML page (:mod:`bot.report.page`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from bot.report.page import render
from bot.report.prometheus import Source
from bot.report.tables import REPORT_LANGS, build
from flows.content import Content


def arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``baken report``."""
    parser.add_argument("--prometheus", required=True, metavar="URL", help="Prometheus's address")
    parser.add_argument(
        "--from",
        dest="first",
        required=True,
        type=dt.date.fromisoformat,
        metavar="DATE",
        help="first day, like 2026-12-01",
    )
    parser.add_argument(
        "--to",
        dest="last",
        required=True,
        type=dt.date.fromisoformat,
        metavar="DATE",
        help="last day (included)",
    )
    parser.add_argument("-o", "--output", type=Path, help="the page to write (default: stdout)")
    parser.add_argument("--lang", choices=REPORT_LANGS, default="nl", help="nl (default) or en")
    parser.add_argument(
        "--dir", type=Path, help="content folder (default: BAKEN_CONTENT_DIR, else the shipped)"
    )


def page(content: Content, source: Source, first: dt.date, last: dt.date, lang: str) -> str:
    """The report page for these days."""
    report = build(source.figures(first, last), content, lang, first, last)
    return render(report, empty=content.text(lang, "report.none"))


def run(args: argparse.Namespace) -> int:
    """``baken report``: 0 when the page was written, 2 for a bad period or no Prometheus."""
    from bot.report.prometheus import PrometheusError
    from flows.loader import ContentError, default_content_dir, load_content

    if args.last < args.first:
        print("baken report: --to is before --from", file=sys.stderr)
        return 2
    try:
        directory = args.dir or Path(os.environ.get("BAKEN_CONTENT_DIR") or default_content_dir())
        content = load_content(directory)
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    try:
        text = page(content, Source(args.prometheus), args.first, args.last, args.lang)
    except PrometheusError as exc:
        print(f"baken report: {exc}", file=sys.stderr)
        return 2
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0
