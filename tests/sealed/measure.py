"""Measure the situation reader on the sealed stories: ``python -m tests.sealed.measure [FOLDER]``.

FOLDER is a folder under ``tests/sealed/`` (default ``situation``; ``situation2`` is the second
set, written before the reader was changed the second time).

The stories in ``tests/sealed/situation/<lang>.yaml`` were written after the reader was
built, by writers who never saw it, its examples or its answers. They are never learnt from
and never used to change concepts, patterns or thresholds: they are only measured, and the
figures are reported as they come (content/README.md, "Situation understanding").
"""

from __future__ import annotations

import sys
from pathlib import Path

from ruamel.yaml import YAML

from bot.derived import DerivedCache, build_readers
from flows.loader import default_content_dir, load_content
from flows.schema import SituationExample
from flows.understanding.situation_check import Example, describe, evaluate

HERE = Path(__file__).parent
FOLDER = HERE / "situation"


def sealed(folder: Path = FOLDER) -> list[Example]:
    """Every sealed story in ``folder``, by language."""
    out: list[Example] = []
    for path in sorted(folder.glob("*.yaml")):
        items = YAML(typ="safe").load(path.read_text(encoding="utf-8"))["items"]
        for i, item in enumerate(items):
            out.append(Example(path.stem, i, SituationExample.model_validate(item)))
    return out


def main() -> int:
    names = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    folder = HERE / names[0] if names else FOLDER
    if not folder.is_dir():
        print(f"no such folder: {folder}")
        return 2
    content = load_content(default_content_dir())
    reader = build_readers(content, DerivedCache()).situation
    report = evaluate(reader, sealed(folder))
    print("\n".join(line.replace("held-out", "sealed") for line in describe(report)))
    if "-v" in sys.argv:
        for item, reading in report.misses:
            missed = sorted(set(item.example.means) - set(reading.signals))
            print(f"  missed {item.lang} {missed}")
        for item, reading in report.mistakes:
            extra = sorted(set(reading.signals) - set(item.example.means))
            print(f"  wrong  {item.lang} {extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
