"""The crisis detector: time per message and its size in memory.

Every example message shipped in ``content/phrases/`` (training and held-out, crisis and
ordinary) is judged a few times, one message at a time on one core; the figures are the
median, p99 and mean of single calls, and the same for messages of 4,096 characters (the
longest a Telegram message can be). The size is what building the detector (concepts,
rules and the trained weights) leaves allocated, by tracemalloc, with scikit-learn
already imported; training time is shown too.

    .venv/bin/python -m bench.crisis
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bench.percall import built, long_messages, timed
from flows import load_content
from flows.loader import default_content_dir
from flows.understanding.crisis import KINDS, build, training_set


@dataclass(frozen=True)
class CrisisFigures:
    messages: int
    median_us: float
    p99_us: float
    mean_us: float
    long_median_us: float
    long_p99_us: float
    size_bytes: int
    weights: int
    rules: int
    training_s: float


def measure(rounds: int = 5) -> CrisisFigures:
    content = load_content(default_content_dir())
    import sklearn.linear_model  # noqa: F401 - imported before measuring: not the detector's

    concepts = content.crisis_concepts
    phrases = {k: getattr(content.crisis, k) for k in KINDS}
    rows = training_set(content)
    detector, size, training_s = built(lambda: build(concepts, phrases, rows))

    texts = [t for t, _ in rows]
    for examples in content.crisis_examples.values():
        for kind in (*KINDS, "both", "none"):
            texts.extend(getattr(examples.heldout, kind))
    long = long_messages(texts, 50)
    timed(detector.assess, texts[:50], 1)  # warm up
    short = timed(detector.assess, texts, rounds)
    longs = timed(detector.assess, long, max(1, rounds // 2))
    assert detector.model is not None
    return CrisisFigures(
        messages=len(texts),
        median_us=statistics.median(short) / 1000,
        p99_us=short[int(len(short) * 0.99)] / 1000,
        mean_us=statistics.fmean(short) / 1000,
        long_median_us=statistics.median(longs) / 1000,
        long_p99_us=longs[int(len(longs) * 0.99)] / 1000,
        size_bytes=size,
        weights=len(detector.model.weights),
        rules=len(detector.rules),
        training_s=training_s,
    )


if __name__ == "__main__":
    print(measure())
