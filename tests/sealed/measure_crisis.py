"""Measure the crisis detector on a sealed set: ``python -m tests.sealed.measure_crisis [FOLDER]``.

FOLDER is a folder under ``tests/sealed/`` (default ``crisis``; ``crisis2`` was written by
someone who never saw the detector, its examples or its results).

The messages in ``tests/sealed/crisis/<lang>.yaml`` are grouped by class of phrasing like
the fresh examples (``content/phrases/crisis-examples/fresh/``), but they are *sealed*:
never learnt from, never used to change concepts, patterns, examples or thresholds. This
script prints totals only, per language and per class, never a sentence or which one
was missed, so that nobody tunes on them by accident (content/README.md, "Crisis
understanding", "Sealed set").

Targets (issue 21): recall of clear first-person crisis messages >= 95 % per language;
false alarms <= 3 % on figures of speech and how-to questions together, <= 5 % on long
posts without risk (emotional posts and exploitation stories). Someone else's or a past
crisis (``past_other``) is reported apart: it has no target.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from ruamel.yaml import YAML

from bot.derived import DerivedCache, build_readers
from flows.loader import default_content_dir, load_content
from flows.schema import CrisisFreshFile
from flows.understanding.crisis import KINDS
from flows.understanding.crisis_check import Example, FreshReport, evaluate_fresh

FOLDER = Path(__file__).parent / "crisis"
TARGETS = {  # class group -> (classes, the most false alarms allowed)
    "figurative+howto": (("figurative", "howto"), 0.03),
    "long posts": (("emotional", "exploitation"), 0.05),
    "past/other": (("past_other",), None),
}


def sealed(folder: Path = FOLDER) -> Iterator[Example]:
    """Every sealed message in ``folder``, by language and class."""
    for path in sorted(folder.glob("*.yaml")):
        data = CrisisFreshFile.model_validate(YAML(typ="safe").load(path.read_text("utf-8")))
        for group, positives in data.crisis.items():
            for kind in (*KINDS, "both"):
                for i, text in enumerate(getattr(positives, kind)):
                    yield Example(path.stem, kind, i, text, group)
        for group, texts in data.none.items():
            for i, text in enumerate(texts):
                yield Example(path.stem, "none", i, text, group)


def _pct(hit: int, total: int) -> str:
    return f"{hit}/{total} = {hit / total:.1%}" if total else "-"


def describe(report: FreshReport) -> list[str]:
    """Totals per language and per class; nothing about single messages."""
    langs = sorted({lang for lang, _ in report.crisis} | {lang for lang, _ in report.none})
    lines = ["crisis detector, SEALED set (totals only):"]
    for lang in langs:
        rows = [(g, v) for (lg, g), v in report.crisis.items() if lg == lang]
        hit, total = sum(v[0] for _, v in rows), sum(v[1] for _, v in rows)
        parts = ", ".join(f"{g} {v[0]}/{v[1]}" for g, v in rows)
        line = f"  {lang}: recall {_pct(hit, total)} ({parts})"
        for label, (groups, _) in TARGETS.items():
            vals = [v for (lg, g), v in report.none.items() if lg == lang and g in groups]
            line += f"; {label} {sum(v[0] for v in vals)}/{sum(v[2] for v in vals)}"
            line += f" (screen {sum(v[1] for v in vals)})"
        lines.append(line)
    hit = sum(v[0] for v in report.crisis.values())
    total = sum(v[1] for v in report.crisis.values())
    lines.append(f"  all: recall {_pct(hit, total)}")
    groups = sorted({g for _, g in report.crisis})
    for group in groups:
        vals = [v for (_, g), v in report.crisis.items() if g == group]
        lines.append(f"    {group}: {_pct(sum(v[0] for v in vals), sum(v[1] for v in vals))}")
    for label, (classes, limit) in TARGETS.items():
        vals = [v for (_, g), v in report.none.items() if g in classes]
        hit, sure, total = (sum(v[i] for v in vals) for i in range(3))
        aim = f", target <= {limit:.0%}" if limit is not None else ""
        lines.append(f"  false alarms {label}: {_pct(hit, total)}, screen {sure}{aim}")
        for group in classes:
            g = [v for (_, gg), v in report.none.items() if gg == group]
            lines.append(f"    {group}: {_pct(sum(v[0] for v in g), sum(v[2] for v in g))}")
    return lines


def main() -> int:
    names = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    folder = Path(__file__).parent / names[0] if names else FOLDER
    if not folder.is_dir():
        sys.stderr.write(f"no such folder: {folder}\n")
        return 2
    content = load_content(default_content_dir())
    detector = build_readers(content, DerivedCache()).crisis
    # Written, not printed: a measurement for the lead, by hand (no per-message output).
    sys.stdout.write("\n".join(describe(evaluate_fresh(detector, sealed(folder)))) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
