"""Measuring the crisis detector on held-out examples, as `baken content check` does.

Held-out examples (``heldout:`` in ``phrases/crisis-examples/<lang>.yaml``) are never
learnt from. Every held-out crisis example must be caught, and at most
:data:`MAX_FALSE_ALARMS` of the ordinary ones may trigger anything.

Fresh examples (``phrases/crisis-examples/fresh/<lang>.yaml``) were written later, by class
of phrasing (swearing, indirect, long messages; figures of speech, how-to questions, long
emotional posts, exploitation stories). They are measured and reported per class, and
what they miss is listed, not a failure: they show where the detector stands on kinds
of text it was not made for.
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
    group: str = ""  # fresh examples: the class of phrasing ('rough', 'figurative', ...)


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


def fresh(content: Content) -> Iterator[Example]:
    for lang, examples in content.crisis_fresh.items():
        for group, positives in examples.crisis.items():
            for kind in (*KINDS, "both"):
                for i, text in enumerate(getattr(positives, kind)):
                    yield Example(lang, kind, i, text, group)
        for group, texts in examples.none.items():
            for i, text in enumerate(texts):
                yield Example(lang, "none", i, text, group)


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


def fresh_file(lang: str) -> str:
    return f"phrases/crisis-examples/fresh/{lang}.yaml"


@dataclass(frozen=True)
class FreshReport:
    """The fresh examples per language and class: (caught or triggered, total), and how
    many ordinary messages got the crisis screen itself (``sure``)."""

    crisis: Mapping[tuple[str, str], tuple[int, int]]  # (lang, class) -> (caught, total)
    none: Mapping[tuple[str, str], tuple[int, int, int]]  # -> (triggered, sure, total)
    missed: tuple[tuple[Example, Verdict], ...]
    alarms: tuple[tuple[Example, Verdict], ...]


def evaluate_fresh(detector: Detector, examples: Iterable[Example]) -> FreshReport:
    crisis: dict[tuple[str, str], list[int]] = {}
    none: dict[tuple[str, str], list[int]] = {}
    missed: list[tuple[Example, Verdict]] = []
    alarms: list[tuple[Example, Verdict]] = []
    for example in examples:
        verdict = detector.assess(example.text)
        key = (example.lang, example.group)
        if example.kind == "none":
            tally = none.setdefault(key, [0, 0, 0])
            tally[2] += 1
            if verdict.outcome != "no":
                tally[0] += 1
                tally[1] += verdict.outcome == "sure"
                alarms.append((example, verdict))
            continue
        tally = crisis.setdefault(key, [0, 0])
        tally[1] += 1
        if caught(example.kind, verdict):
            tally[0] += 1
        else:
            missed.append((example, verdict))
    return FreshReport(
        {k: (v[0], v[1]) for k, v in sorted(crisis.items())},
        {k: (v[0], v[1], v[2]) for k, v in sorted(none.items())},
        tuple(missed),
        tuple(alarms),
    )


def _got(verdict: Verdict) -> str:
    """What the detector said, for a note on a miss."""
    return "nothing" if verdict.outcome == "no" else f"{verdict.outcome} {verdict.kind}"


def check_fresh(content: Content, detector: Detector) -> tuple[FreshReport, list[Problem]]:
    """Evaluate on the fresh examples; a note (file:line) per miss and per false alarm."""
    report = evaluate_fresh(detector, fresh(content))
    loc = content.locator
    problems: list[Problem] = []
    for example, verdict in report.missed:
        got = _got(verdict)
        problems.append(
            loc.problem(
                fresh_file(example.lang),
                ("crisis", example.group, example.kind, example.index),
                f"fresh {example.group} {example.kind} example missed (got {got}): "
                f"{example.text!r}",
                "warning",
            )
        )
    for example, verdict in report.alarms:
        problems.append(
            loc.problem(
                fresh_file(example.lang),
                ("none", example.group, example.index),
                f"fresh {example.group} example triggers {verdict.outcome} {verdict.kind} "
                f"({verdict.reason}): {example.text!r}",
                "warning",
            )
        )
    return report, problems


def describe_fresh(report: FreshReport) -> list[str]:
    """The fresh report as lines: per language, recall per class and false alarms per class."""
    lines = ["crisis detector, fresh examples by class (never trained on; misses are listed):"]
    langs = sorted({lang for lang, _ in report.crisis} | {lang for lang, _ in report.none})
    for lang in langs:
        caught_ = [(g, v) for (lg, g), v in report.crisis.items() if lg == lang]
        alarms = [(g, v) for (lg, g), v in report.none.items() if lg == lang]
        hit = sum(v[0] for _, v in caught_)
        total = sum(v[1] for _, v in caught_)
        parts = ", ".join(f"{g} {v[0]}/{v[1]}" for g, v in caught_)
        lines.append(f"  recall {lang}: {hit}/{total} ({parts})")
        hit = sum(v[0] for _, v in alarms)
        sure = sum(v[1] for _, v in alarms)
        total = sum(v[2] for _, v in alarms)
        parts = ", ".join(f"{g} {v[0]}/{v[2]}" for g, v in alarms)
        lines.append(f"  false alarms {lang}: {hit}/{total}, screen {sure} ({parts})")
    return lines


def check(content: Content, detector: Detector) -> tuple[Report, list[Problem]]:
    """Evaluate on the held-out examples; a problem (file:line) per miss, and for too many
    false alarms."""

    report = evaluate(detector, heldout(content))
    loc = content.locator
    problems: list[Problem] = []
    for example, verdict in report.missed:
        got = _got(verdict)
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
