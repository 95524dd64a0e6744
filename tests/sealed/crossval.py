"""The situation reader's trade-off on its own train stories: ``python -m tests.sealed.crossval``.

Five-fold cross-validation: the train stories of every language are split into five parts
(a fixed shuffle); each part is read by a reader whose classifier learnt from the other four,
with the concept patterns as they are (they were written with every train story in view, so
these figures flatter the patterns). For each pair of thresholds (the classifier ticks from
``tick_at``; a pattern ticks unless the classifier gives its option less than ``rule_floor``)
it prints signals ticked and ticks right, all and per language, as
``content/README.md`` ("Situation understanding", "Measured") reports them.

Nothing here is a test: it trains five readers (about a minute) and prints. Each story is
read once, by the reader of its own fold, and every pair of thresholds is applied to what the
parts found (``Reader.evidence``), so a grid costs no more than one reading.
"""

from __future__ import annotations

import dataclasses
import random
import sys

from flows.loader import default_content_dir, load_content
from flows.understanding.situation import RULE_FLOOR, TICK_AT, decide, reader_for

FOLDS = 5
SEED = 7  # the shuffle: fixed, so two runs on the same content print the same
TICKS = (0.7, 0.8, 0.85, 0.9, 0.95)
FLOORS = (0.3, 0.5, 0.7)


def main() -> int:
    content = load_content(default_content_dir())
    rows = [
        (lang, example)
        for lang, examples in sorted(content.situation_examples.items())
        for example in examples.train
    ]
    order = list(range(len(rows)))
    random.Random(SEED).shuffle(order)
    fold_of = {j: k % FOLDS for k, j in enumerate(order)}
    found: list[tuple[str, frozenset[str], dict[str, str], dict[str, float]]] = []
    labels: tuple[str, ...] = ()
    for fold in range(FOLDS):
        kept = {lang: [] for lang in content.situation_examples}
        for j, (lang, example) in enumerate(rows):
            if fold_of[j] != fold:
                kept[lang].append(example)
        examples = {
            lang: file.model_copy(update={"train": kept[lang]})
            for lang, file in content.situation_examples.items()
        }
        reader = reader_for(dataclasses.replace(content, situation_examples=examples))
        labels = reader.labels
        for j, (lang, example) in enumerate(rows):
            if fold_of[j] == fold:
                fired, probs, _ = reader.evidence(example.say)
                found.append((lang, frozenset(example.means), fired, probs))
    print(f"{len(rows)} train stories, {FOLDS}-fold cross-validation; shipped thresholds:")
    print(f"tick_at {TICK_AT}, rule_floor {RULE_FLOOR}")
    for floor in FLOORS:
        for tick in TICKS:
            tally: dict[str, list[int]] = {}
            for lang, stated, fired, probs in found:
                ticked = set(
                    decide(fired, probs, None, labels, tick_at=tick, rule_floor=floor).signals
                )
                for key in ("all", lang):
                    t = tally.setdefault(key, [0, 0, 0])
                    t[0] += len(ticked & stated)
                    t[1] += len(stated)
                    t[2] += len(ticked)
            line = "  ".join(
                f"{key} {t[0] / max(t[1], 1):.1%} ({t[0] / max(t[2], 1):.1%})"
                for key, t in sorted(tally.items(), key=lambda kv: kv[0] != "all")
            )
            print(f"tick_at {tick:<4} rule_floor {floor}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
