"""The real crisis detector, counting the messages it judges (how often a turn is judged)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from flows import Engine
from flows.understanding.crisis import Detector, Verdict


@dataclass(frozen=True)
class CountedDetector(Detector):
    """The real crisis detector of the shipped content, counting the messages it judges."""

    judged: list[int] = field(default_factory=list)

    def assess(self, text: str) -> Verdict:
        self.judged.append(1)
        return super().assess(text)


def counting(engine: Engine, digest: str = "") -> tuple[Engine, list[int]]:
    """``engine`` judging with a :class:`CountedDetector`, and its count. ``digest``: the
    readers' digest, when they should count as made from other sources."""
    readers = engine.readers
    fields = {f.name: getattr(readers.crisis, f.name) for f in dataclasses.fields(Detector)}
    detector = CountedDetector(**fields)
    counted = dataclasses.replace(readers, crisis=detector, digest=digest or readers.digest)
    return Engine(engine.content, counted), detector.judged
