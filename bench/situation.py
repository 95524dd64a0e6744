"""The situation reader: time per message, alone and with the crisis detector, and size.

Every example story shipped in ``content/phrases/situation-examples/`` (training and
held-out) is read a few times, one message at a time on one core: the situation reader
alone, and both readers as the engine runs them on a typed message (the crisis detector
first, then the situation reader). Long: stories of about 4,096 characters. The size is
what building the reader leaves allocated (tracemalloc, scikit-learn already imported);
training time is shown too.

    .venv/bin/python -m bench.situation
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bench.percall import built, long_messages, timed
from flows import load_content
from flows.loader import default_content_dir
from flows.understanding.crisis import detector_for
from flows.understanding.situation import reader_for


@dataclass(frozen=True)
class SituationFigures:
    messages: int
    median_us: float
    p99_us: float
    both_median_us: float
    both_p99_us: float
    long_median_us: float
    size_bytes: int
    weights: int
    rules: int
    training_s: float


def measure(rounds: int = 5) -> SituationFigures:
    content = load_content(default_content_dir())
    import sklearn.linear_model  # noqa: F401 - imported before measuring: not the reader's

    detector = detector_for(content)
    reader, size, training_s = built(lambda: reader_for(content))

    texts = [
        e.say
        for examples in content.situation_examples.values()
        for e in (*examples.train, *examples.heldout)
    ]
    long = long_messages(texts, 30)

    def both(text: str) -> None:
        if detector.assess(text).outcome == "no":
            reader.read(text)

    timed(reader.read, texts[:50], 1)  # warm up
    alone = timed(reader.read, texts, rounds)
    together = timed(both, texts, rounds)
    longs = timed(reader.read, long, 1)
    return SituationFigures(
        messages=len(texts),
        median_us=statistics.median(alone) / 1000,
        p99_us=alone[int(len(alone) * 0.99)] / 1000,
        both_median_us=statistics.median(together) / 1000,
        both_p99_us=together[int(len(together) * 0.99)] / 1000,
        long_median_us=statistics.median(longs) / 1000,
        size_bytes=size,
        weights=len(reader.weights),
        rules=len(reader.rules),
        training_s=training_s,
    )


if __name__ == "__main__":
    print(measure())
