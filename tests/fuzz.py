"""A fuzz run of the text normaliser and the crisis detector for a set time: ``make fuzz``.

Runs the hypothesis properties of ``tests/flows/test_match_fuzz.py`` round after round,
each round with fresh random examples, until the time is up (default five minutes)::

    .venv/bin/python -m tests.fuzz --minutes 5

Prints how many examples each property tried. Stops at the first failure, prints the
falsifying example (hypothesis shrinks it first) and exits with status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback

from bot.derived import build_engine

ROUND = 500  # examples per property per round


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    args = parser.parse_args(argv)
    os.environ["BAKEN_FUZZ_EXAMPLES"] = str(ROUND)
    # Imported only now: the module reads the number of examples when it loads.
    from flows import load_content
    from flows.loader import default_content_dir
    from tests.flows import test_match_fuzz as fuzz

    engine = build_engine(load_content(default_content_dir()))
    properties = {
        "normalise": lambda: fuzz.test_normalise_never_raises_and_is_stable(),
        "crisis detector, any text": lambda: fuzz.test_crisis_detector_never_raises_and_is_quick(
            engine=engine
        ),
        "crisis phrases in disguise": lambda: fuzz.test_crisis_phrases_are_found_in_disguise(
            engine=engine
        ),
        "held-out crisis sentences in disguise": (
            lambda: fuzz.test_held_out_crisis_sentences_survive_disguise(engine=engine)
        ),
        "held-out crisis sentences, typed": (
            lambda: fuzz.test_held_out_crisis_sentences_survive_typing(engine=engine)
        ),
    }
    tried = dict.fromkeys(properties, 0)
    started = time.monotonic()
    until = started + args.minutes * 60
    while time.monotonic() < until:
        for name, run in properties.items():
            try:
                run()
            except Exception:
                traceback.print_exc()
                sys.stderr.write(f"FAILED: {name}, after {tried[name]:,} examples\n")
                return 1
            tried[name] += ROUND
    seconds = time.monotonic() - started
    for name, count in tried.items():
        sys.stdout.write(f"{name}: {count:,} examples\n")
    sys.stdout.write(f"{sum(tried.values()):,} examples in {seconds:.0f} s, no failure\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
