"""Measure the situation reader on the sealed stories: ``python -m tests.sealed.measure [FOLDER]``.

FOLDER is a folder under ``tests/sealed/`` (default ``situation``; ``situation2`` is the second
set, written before the reader was changed the second time; ``situation3`` was written by
independent writers in round 7; ``situation4`` by four blind writers in round 10, measured
once at first contact on a0bb93e; ``situation5`` by four more in round 12, measured on the last
stop's reader b109806 and again after rounds 11 and 11b; ``situation6`` by four more in round
14 and ``situation7`` by four more in round 15, each measured once at first contact on
155e1a9's reader, after round 13; ``situation8`` by four more in round 17, measured once at
first contact on 3fc002d, after round 16; ``situation9`` by four more in round 18, measured
at first contact on 7913d0b, the reader of the stop before; ``situation10`` by four more in round
20, measured at first contact on 830af1b), or any folder of ``<lang>.yaml``
files with ``items``. ``-v`` lists each missed and wrong sign with its story's number in its
file (``pl#3``: the third of ``pl.yaml``), never its words.

``--unscored=CODE,CODE`` leaves those codes out of the figures, ticked or stated: the first two
sets were written when the reader knew only the twelve signs of the two "what happens"
questions, so their writers could not label the signs a parent sees (``sig_money``,
``sig_phone2``, ``sig_parties``) that the reader has read since issue 20's seventh round.

The stories in ``tests/sealed/situation/<lang>.yaml`` were written after the reader was
built, by writers who never saw it, its examples or its answers. They are never learnt from
and never used to change concepts, patterns or thresholds: they are only measured, and the
figures are reported as they come (content/README.md, "Situation understanding").
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bot.derived import DerivedCache, build_readers
from flows.loader import default_content_dir, load_content
from flows.schema import SituationExample
from flows.understanding.situation import Reading
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


@dataclasses.dataclass(frozen=True)
class _Unscored:
    """The real reader, with some codes taken out of what it ticks."""

    reader: Any
    codes: frozenset[str]

    def read(self, text: str) -> Reading:
        reading = self.reader.read(text)
        return dataclasses.replace(
            reading,
            options=tuple(o for o in reading.options if o not in self.codes),
            maybe=tuple(o for o in reading.maybe if o not in self.codes),
        )


def main() -> int:
    names = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    folder = HERE / names[0] if names else FOLDER
    if not folder.is_dir():
        print(f"no such folder: {folder}")
        return 2
    unscored = frozenset(
        code
        for arg in sys.argv[1:]
        if arg.startswith("--unscored=")
        for code in arg.removeprefix("--unscored=").split(",")
    )
    content = load_content(default_content_dir())
    reader = build_readers(content, DerivedCache()).situation
    items = sealed(folder)
    if unscored:
        reader = _Unscored(reader, unscored)
        items = [
            dataclasses.replace(
                item,
                example=item.example.model_copy(
                    update={"means": [c for c in item.example.means if c not in unscored]}
                ),
            )
            for item in items
        ]
        print(f"(not scored: {', '.join(sorted(unscored))})")
    report = evaluate(reader, items)
    print("\n".join(line.replace("held-out", "sealed") for line in describe(report)))
    if "-v" in sys.argv:
        for item, reading in report.misses:
            missed = sorted(set(item.example.means) - set(reading.signals))
            print(f"  missed {item.lang}#{item.index + 1} {missed}")
        for item, reading in report.mistakes:
            extra = sorted(set(reading.signals) - set(item.example.means))
            print(f"  wrong  {item.lang}#{item.index + 1} {extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
