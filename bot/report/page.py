"""The report as one self-contained HTML page: tables, and bar charts as inline SVG.

No script, no font, no image or style from elsewhere; a Content-Security-Policy in the page
says so to the browser too (nothing may be loaded, styles only from the page itself). The
charts repeat what the tables say, so a screen reader reads the tables; each chart has a
text alternative. A suppressed count ("fewer than 10") is drawn as a pale bar to 10,
marked "< 10", never as its real height.
"""

from __future__ import annotations

from html import escape

from bot.report.tables import SMALL, Bars, Cell, Report, Section, Table

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'"
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:60rem;padding:1.5rem;color:#1b1b1b;background:#fff;line-height:1.5}
h1{font-size:1.8rem;margin-bottom:.25rem}h2{margin-top:2.5rem;border-bottom:2px solid #1d4e89}
p.period{font-weight:600;margin-top:0}
table{border-collapse:collapse;margin:1rem 0;min-width:50%}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid #8a8a8a;padding:.3rem .6rem;text-align:left;vertical-align:top}
td.n{text-align:right;white-space:nowrap}th{background:#eef2f7}
td.few{color:#4a4a4a;font-style:italic}
svg{max-width:100%;height:auto;display:block;margin:1rem 0}
.bar{fill:#1d4e89}.few{fill:#c9d6e8;stroke:#1d4e89;stroke-dasharray:3 2}
.axis{stroke:#1b1b1b}.lbl{font-size:12px;fill:#1b1b1b}
"""


def _cell(value: str | Cell, first: bool) -> str:
    if isinstance(value, Cell):
        css = "n few" if value.suppressed else "n"
        return f'<td class="{css}">{escape(value.text)}</td>'
    tag = '<th scope="row">' if first else "<td>"
    return f"{tag}{escape(value)}{'</th>' if first else '</td>'}"


def table(t: Table) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in t.head)
    rows = "".join(
        "<tr>" + "".join(_cell(v, i == 0) for i, v in enumerate(row)) + "</tr>" for row in t.rows
    )
    return (
        f"<table><caption>{escape(t.caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )


def bars(chart: Bars, *, label_width: int = 0) -> str:
    """Vertical bars (``label_width`` 0) for days; horizontal bars with room for labels
    otherwise. Heights are counts; a count below 10 is a pale bar to 10 marked "< 10"."""
    items = chart.bars
    if not items:
        return ""
    top = max([SMALL, *(n for _, n in items)])
    parts: list[str] = []
    if label_width:
        row, width = 22, 640
        plot = width - label_width - 60
        height = row * len(items) + 10
        for i, (label, n) in enumerate(items):
            y = 5 + i * row
            few = n < SMALL
            length = plot * (SMALL if few else n) / top
            shown = "&lt; 10" if few else str(n)
            parts.append(
                f'<text class="lbl" x="{label_width - 6}" y="{y + 15}" text-anchor="end">'
                f"{escape(label)}</text>"
                f'<rect class="{"few" if few else "bar"}" x="{label_width}" y="{y + 3}" '
                f'width="{length:.1f}" height="{row - 6}"/>'
                f'<text class="lbl" x="{label_width + length + 4:.1f}" y="{y + 15}">{shown}</text>'
            )
    else:
        width, height = 640, 220
        slot = (width - 40) / len(items)
        for i, (label, n) in enumerate(items):
            few = n < SMALL
            tall = 160 * (SMALL if few else n) / top
            x = 30 + i * slot
            shown = "&lt; 10" if few else str(n)
            parts.append(
                f'<rect class="{"few" if few else "bar"}" x="{x + slot * 0.15:.1f}" '
                f'y="{180 - tall:.1f}" width="{slot * 0.7:.1f}" height="{tall:.1f}"/>'
                f'<text class="lbl" x="{x + slot / 2:.1f}" y="{175 - tall:.1f}" '
                f'text-anchor="middle">{shown}</text>'
            )
            if len(items) <= 16 or i % max(1, len(items) // 12) == 0:
                parts.append(
                    f'<text class="lbl" x="{x + slot / 2:.1f}" y="198" '
                    f'text-anchor="middle">{escape(label)}</text>'
                )
        parts.append('<line class="axis" x1="25" y1="180" x2="635" y2="180"/>')
    title = escape(chart.description)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{title}">'
        f"<title>{title}</title>{''.join(parts)}</svg>"
    )


def section(s: Section, index: int) -> str:
    charts = "".join(bars(c, label_width=0 if index == 0 else 300) for c in s.charts if c.bars)
    tables = "".join(table(t) for t in s.tables if t.rows)
    return (
        f'<section aria-labelledby="s{index}"><h2 id="s{index}">{escape(s.title)}</h2>'
        f"<p>{escape(s.intro)}</p>{charts}{tables}</section>"
    )


def render(report: Report, *, empty: str) -> str:
    """The whole page. ``empty``: the words for a section without figures."""
    body = []
    for i, s in enumerate(report.sections):
        if any(t.rows for t in s.tables):
            body.append(section(s, i))
        else:
            body.append(
                f'<section aria-labelledby="s{i}"><h2 id="s{i}">{escape(s.title)}</h2>'
                f"<p>{escape(empty)}</p></section>"
            )
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(report.lang)}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(report.title)}</title><style>{STYLE}</style></head>"
        f"<body><main><h1>{escape(report.title)}</h1>"
        f'<p class="period">{escape(report.period)}</p><p>{escape(report.intro)}</p>'
        f"{''.join(body)}</main></body></html>\n"
    )
