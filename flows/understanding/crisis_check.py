"""Measuring the crisis detector on held-out examples, as `baken content check` does.

Held-out examples (``heldout:`` in ``phrases/crisis-examples/<lang>.yaml``) are never
learnt from. Every held-out crisis example must be caught, and at most
:data:`MAX_FALSE_ALARMS` of the ordinary ones may trigger anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from flows.content import Content, Problem
from flows.understanding.crisis import KINDS, Detector, Verdict, detector_for, expand


@dataclass(frozen=True, slots=True)
class Example:
    """One held-out example and where it is written."""

    lang: str
    kind: str  # suicide, danger, both, none
    index: int
    text: str


@dataclass(frozen=True)
class Report:
    """How the detector does on the held-out examples (never on training examples)."""

    caught: Mapping[tuple[str, str], tuple[int, int]]  # (lang, kind) -> (caught, total)
    false_alarms: Mapping[str, tuple[int, int]]  # lang -> (triggered, negatives)
    missed: tuple[tuple[Example, Verdict], ...]
    alarms: tuple[tuple[Example, Verdict], ...]
    outcomes: Mapping[str, int]  # sure / possible / no over held-out positives

    @property
    def false_alarm_rate(self) -> float:
        hit = sum(a for a, _ in self.false_alarms.values())
        total = sum(t for _, t in self.false_alarms.values())
        return hit / total if total else 0.0

    def ok(self) -> bool:
        rates = [a / t for a, t in self.false_alarms.values() if t]
        return not self.missed and all(r <= MAX_FALSE_ALARMS for r in rates)


MAX_FALSE_ALARMS = 0.02


def caught(example_kind: str, verdict: Verdict) -> bool:
    """A positive example is caught when the answer shows its number(s): 113 for suicide,
    112 for danger, both numbers for both."""
    if verdict.outcome == "no":
        return False
    return set(expand(example_kind)) <= verdict.kinds


def heldout(content: Content) -> Iterator[Example]:
    for lang, examples in content.crisis_examples.items():
        for kind in (*KINDS, "both", "none"):
            for i, text in enumerate(getattr(examples.heldout, kind)):
                yield Example(lang, kind, i, text)


def evaluate(detector: Detector, examples: Iterable[Example]) -> Report:
    counts: dict[tuple[str, str], list[int]] = {}
    alarms_by_lang: dict[str, list[int]] = {}
    missed: list[tuple[Example, Verdict]] = []
    alarms: list[tuple[Example, Verdict]] = []
    outcomes = {"sure": 0, "possible": 0, "no": 0}
    for example in examples:
        verdict = detector.assess(example.text)
        if example.kind == "none":
            tally = alarms_by_lang.setdefault(example.lang, [0, 0])
            tally[1] += 1
            if verdict.outcome != "no":
                tally[0] += 1
                alarms.append((example, verdict))
            continue
        outcomes[verdict.outcome] += 1
        tally = counts.setdefault((example.lang, example.kind), [0, 0])
        tally[1] += 1
        if caught(example.kind, verdict):
            tally[0] += 1
        else:
            missed.append((example, verdict))
    return Report(
        {k: (v[0], v[1]) for k, v in sorted(counts.items())},
        {k: (v[0], v[1]) for k, v in sorted(alarms_by_lang.items())},
        tuple(missed),
        tuple(alarms),
        outcomes,
    )


def examples_file(lang: str) -> str:
    return f"phrases/crisis-examples/{lang}.yaml"


def check(content: Content, detector: Detector) -> tuple[Report, list[Problem]]:
    """Evaluate on the held-out examples; a problem (file:line) per miss, and for too many
    false alarms."""

    report = evaluate(detector, heldout(content))
    loc = content.locator
    problems: list[Problem] = []
    for example, verdict in report.missed:
        got = "nothing" if verdict.outcome == "no" else f"{verdict.outcome} {verdict.kind}"
        problems.append(
            loc.problem(
                examples_file(example.lang),
                ("heldout", example.kind, example.index),
                f"missed must-catch {example.kind} example (got {got}): {example.text!r}",
            )
        )
    for lang, (hit, total) in report.false_alarms.items():
        if total and hit / total > MAX_FALSE_ALARMS:
            problems.append(
                loc.problem(
                    examples_file(lang),
                    ("heldout", "none"),
                    f"{hit} of {total} held-out 'none' examples ({hit / total:.1%}) trigger a "
                    f"crisis answer; at most {MAX_FALSE_ALARMS:.0%} may",
                )
            )
            for example, verdict in report.alarms:
                if example.lang == lang:
                    problems.append(
                        loc.problem(
                            examples_file(lang),
                            ("heldout", "none", example.index),
                            f"false alarm ({verdict.outcome} {verdict.kind}, "
                            f"{verdict.reason}): {example.text!r}",
                        )
                    )
    return report, problems


def lint_crisis(content: Content) -> list[Problem]:
    """Load-time problems of the concepts file (unknown concepts, multi-word entries)."""
    detector = detector_for(content, trained=False)  # the rules are enough to find problems
    out: list[Problem] = []
    for _, path, message in detector.problems:
        out.append(content.locator.problem("phrases/crisis-concepts.yaml", path, message))
    for lang in content.languages:
        if lang not in content.crisis_examples:
            out.append(
                Problem(
                    content.locator.display.get(examples_file(lang), examples_file(lang)),
                    None,
                    f"no crisis examples for '{lang}'",
                    "warning",
                )
            )
    return out


def describe(report: Report) -> list[str]:
    """The report as lines for `baken content check`."""
    lines = ["crisis detector, held-out examples (never trained on):"]
    for (lang, kind), (hit, total) in report.caught.items():
        lines.append(f"  recall {lang} {kind:8} {hit}/{total} = {hit / total:.1%}")
    for lang, (hit, total) in report.false_alarms.items():
        lines.append(f"  false alarms {lang}: {hit}/{total} = {hit / total:.1%}")
    o = report.outcomes
    lines.append(f"  positives answered: sure {o['sure']}, possible {o['possible']}, no {o['no']}")
    return lines
