"""Both readers' outcomes on every example text, as a file: proof that a speed-up changed
nothing a user would see.

Every text in ``content/phrases/`` the readers are measured or taught on (crisis phrases,
crisis examples with ``fresh/``, situation examples, training and held-out), and some of
them repeated to about 4,096 characters, go through the crisis detector and the situation
reader, both as trained here and as read back from their derived data (a warm start). One
line per text and reader: the verdict or the reading, with probabilities rounded to four
digits, and a digest of the derived data. Run it before and after a change and compare the
files byte for byte:

    .venv/bin/python -m bench.outcomes /tmp/before.txt
    .venv/bin/python -m bench.outcomes /tmp/after.txt && cmp /tmp/before.txt /tmp/after.txt

The file holds example texts from content/ (no user's words); keep it out of the repository.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator

from bench.percall import long_messages
from flows import load_content
from flows.content import Content
from flows.loader import default_content_dir
from flows.understanding.crisis import KINDS
from flows.understanding.crisis_check import fresh
from flows.understanding.readers import Readers


def texts(content: Content) -> Iterator[str]:
    """Every example text of both readers, in a stable order."""
    for kind in KINDS:
        for phrases in getattr(content.crisis, kind).values():
            yield from phrases
    for examples in content.crisis_examples.values():
        for part in (examples.train, examples.heldout):
            for kind in (*KINDS, "both", "none"):
                yield from getattr(part, kind)
    yield from (e.text for e in fresh(content))
    for situation in content.situation_examples.values():
        for example in (*situation.train, *situation.heldout):
            yield example.say


def lines(readers: Readers, cases: list[str], label: str) -> Iterator[str]:
    derived = json.dumps(readers.derived(), sort_keys=True, ensure_ascii=False)
    yield f"{label} derived {hashlib.sha256(derived.encode()).hexdigest()}"
    detector, reader = readers.crisis, readers.situation
    for n, text in enumerate(cases):
        verdict = detector.assess(text)
        sure, hints, probs, signal, floors = detector.evidence(text)
        rounded = [round(p, 4) for p in (*probs, *floors)]
        yield (
            f"{label} {n} crisis {verdict.outcome} {verdict.kind} {verdict.reason!r} "
            f"{sorted(sure.items())} {sorted(hints.items())} {rounded} {signal}"
        )
        reading = reader.read(text)
        fired, situation_probs, count = reader.evidence(text)
        yield (
            f"{label} {n} situation {reading.options} {reading.maybe} "
            f"{sorted(reading.reasons.items())} about={reading.about} age={reading.age} "
            f"{sorted(fired.items())} {count} "
            f"{sorted((c, round(p, 4)) for c, p in situation_probs.items())}"
        )


def dump() -> Iterator[str]:
    content = load_content(default_content_dir())
    cases = list(dict.fromkeys(texts(content)))
    cases += long_messages(cases, 60)
    trained = Readers.build(content)
    warm = Readers.build(content, trained.derived(), trained.digest)
    assert not warm.trained
    yield f"{len(cases)} texts"
    yield from lines(trained, cases, "trained")
    yield from lines(warm, cases, "warm")


if __name__ == "__main__":
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        for line in dump():
            out.write(line + "\n")
