"""Engine step time on the shipped flows, against a bare `transitions` trigger.

Every button of every reachable situation is pressed (and a typed answer sent)
a few times; the figure is the median and p99 of single steps. The floor is
one `transitions` trigger on the same machine, the cheapest possible step.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from transitions import Machine

from bot.derived import build_engine
from flows import Choice, Text, load_content
from flows.loader import default_content_dir
from testkit.walk import AT, answer_buttons, situations


@dataclass(frozen=True)
class StepFigures:
    presses: int
    press_median_us: float
    press_p99_us: float
    typed_median_us: float
    typed_p99_us: float
    bare_median_us: float


def _percentiles(samples: list[int]) -> tuple[float, float]:
    samples.sort()
    return statistics.median(samples) / 1000, samples[int(len(samples) * 0.99)] / 1000


def measure(rounds: int = 5) -> StepFigures:
    engine = build_engine(load_content(default_content_dir()))
    reachable = list(situations(engine))
    presses = [
        (s.session, Choice(at=AT, data=data))
        for s in reachable
        for _, data in answer_buttons(s.outputs)
    ]
    typed = [(s.session, Text(at=AT, text="weet ik niet")) for s in reachable]

    def run(cases: list[tuple[object, object]]) -> list[int]:
        samples: list[int] = []
        step = engine.step
        clock = time.perf_counter_ns
        for _ in range(rounds):
            for session, event in cases:
                t0 = clock()
                step(session, event)  # type: ignore[arg-type]
                samples.append(clock() - t0)
        return samples

    press_med, press_p99 = _percentiles(run(presses))
    typed_med, typed_p99 = _percentiles(run(typed))

    class Model:
        state = "a"

    machine = Machine(model=None, states=["a", "b"], initial="a", auto_transitions=False)
    machine.add_transition("go", "a", "b")
    machine.add_transition("go", "b", "a")
    event = machine.events["go"]
    model = Model()
    bare: list[int] = []
    for _ in range(len(presses) * rounds):
        t0 = time.perf_counter_ns()
        event.trigger(model)
        bare.append(time.perf_counter_ns() - t0)
    bare_med, _ = _percentiles(bare)
    return StepFigures(len(presses), press_med, press_p99, typed_med, typed_p99, bare_med)


if __name__ == "__main__":
    print(measure())
