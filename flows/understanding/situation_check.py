"""Measuring the situation reader on held-out stories, as `baken content check` does.

Held-out stories (``heldout:`` in ``phrases/situation-examples/<lang>.yaml``) are never
learnt from. Per language and option: how many of the options the stories clearly state
are ticked (recall), and how many ticks are wrong (an option ticked that the story does
not state). The check fails when more than :data:`MAX_WRONG_TICKS` of all ticks are wrong
(5 %: "at least 95 % of ticks right"),
when one language has more than :data:`MAX_WRONG_TICKS_LANG` wrong (from :data:`MIN_TICKS`
ticks on: a language's few dozen ticks cannot show 3 %; one wrong tick in 21 is already
4.8 %), or when an example marked ``must`` is not fully understood.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from flows.content import Content, Problem
from flows.schema import SituationExample
from flows.understanding.situation import Reader, Reading

MAX_WRONG_TICKS = 0.05  # of all held-out ticks, every language together
MAX_WRONG_TICKS_LANG = 0.10  # of one language's ticks
MIN_TICKS = 10


@dataclass(frozen=True, slots=True)
class Example:
    """One held-out story and where it is written."""

    lang: str
    index: int
    example: SituationExample


@dataclass(frozen=True)
class Report:
    """How the reader does on held-out stories (never on training stories)."""

    # (lang, option) -> (ticked and stated, stated)
    recall: Mapping[tuple[str, str], tuple[int, int]]
    # lang -> (wrong ticks, all ticks)
    wrong: Mapping[str, tuple[int, int]]
    # lang -> (right, stated) for who it is about and for the age band
    about: Mapping[str, tuple[int, int]]
    age: Mapping[str, tuple[int, int]]
    misses: tuple[tuple[Example, Reading], ...]  # a stated signal not ticked
    mistakes: tuple[tuple[Example, Reading], ...]  # a signal ticked that is not stated
    must_missed: tuple[tuple[Example, Reading], ...]
    stories: Mapping[str, int]  # lang -> held-out stories

    def per_language(self) -> dict[str, tuple[int, int]]:
        """lang -> (signals ticked and stated, signals stated)."""
        out: dict[str, list[int]] = {}
        for (lang, _), (hit, total) in self.recall.items():
            tally = out.setdefault(lang, [0, 0])
            tally[0] += hit
            tally[1] += total
        return {k: (v[0], v[1]) for k, v in sorted(out.items())}

    def wrong_rate(self) -> float:
        """Wrong ticks of all held-out ticks, every language together."""
        bad = sum(w for w, _ in self.wrong.values())
        total = sum(t for _, t in self.wrong.values())
        return bad / total if total else 0.0

    def too_wrong(self) -> list[str]:
        """Languages with too many wrong ticks of their own."""
        return [
            lang
            for lang, (bad, total) in self.wrong.items()
            if total >= MIN_TICKS and bad / total > MAX_WRONG_TICKS_LANG
        ]

    def ok(self) -> bool:
        return (
            not self.must_missed and self.wrong_rate() <= MAX_WRONG_TICKS and not self.too_wrong()
        )


def heldout(content: Content) -> Iterator[Example]:
    for lang, examples in content.situation_examples.items():
        for i, example in enumerate(examples.heldout):
            yield Example(lang, i, example)


def evaluate(reader: Reader, examples: Iterable[Example]) -> Report:
    recall: dict[tuple[str, str], list[int]] = {}
    wrong: dict[str, list[int]] = {}
    about: dict[str, list[int]] = {}
    age: dict[str, list[int]] = {}
    misses: list[tuple[Example, Reading]] = []
    mistakes: list[tuple[Example, Reading]] = []
    must_missed: list[tuple[Example, Reading]] = []
    stories: dict[str, int] = {}
    for item in examples:
        lang, example = item.lang, item.example
        stories[lang] = stories.get(lang, 0) + 1
        reading = reader.read(example.say)
        ticked = set(reading.signals)
        stated = set(example.means)
        for code in stated:
            tally = recall.setdefault((lang, code), [0, 0])
            tally[1] += 1
            tally[0] += code in ticked
        tally = wrong.setdefault(lang, [0, 0])
        tally[0] += len(ticked - stated)
        tally[1] += len(ticked)
        if stated - ticked:
            misses.append((item, reading))
        if ticked - stated:
            mistakes.append((item, reading))
        for field, got, table in (
            (example.about, reading.about, about),
            (example.age, reading.age, age),
        ):
            if field is not None:
                tally = table.setdefault(lang, [0, 0])
                tally[1] += 1
                tally[0] += got == field
        if example.must and (stated - ticked or ticked - stated):
            must_missed.append((item, reading))
    return Report(
        {k: (v[0], v[1]) for k, v in sorted(recall.items())},
        {k: (v[0], v[1]) for k, v in sorted(wrong.items())},
        {k: (v[0], v[1]) for k, v in sorted(about.items())},
        {k: (v[0], v[1]) for k, v in sorted(age.items())},
        tuple(misses),
        tuple(mistakes),
        tuple(must_missed),
        dict(sorted(stories.items())),
    )


def examples_file(lang: str) -> str:
    return f"phrases/situation-examples/{lang}.yaml"


def check(content: Content, reader: Reader) -> tuple[Report, list[Problem]]:
    """Evaluate on the held-out stories; a problem (file:line) per missed ``must`` story and
    per language with too many wrong ticks (each wrong tick named)."""
    report = evaluate(reader, heldout(content))
    loc = content.locator
    problems: list[Problem] = []
    for item, reading in report.must_missed:
        problems.append(
            loc.problem(
                examples_file(item.lang),
                ("heldout", item.index),
                f"must-understand story read as {list(reading.signals) or 'nothing'}, "
                f"not {item.example.means}: {item.example.say!r}",
            )
        )
    rate = report.wrong_rate()
    if rate > MAX_WRONG_TICKS:
        bad = sum(w for w, _ in report.wrong.values())
        total = sum(t for _, t in report.wrong.values())
        problems.append(
            Problem(
                "phrases/situation-examples",
                None,
                f"{bad} of {total} ticks on held-out stories ({rate:.1%}) are wrong; at most "
                f"{MAX_WRONG_TICKS:.0%} may be",
            )
        )
    for lang in report.too_wrong():
        bad, total = report.wrong[lang]
        problems.append(
            loc.problem(
                examples_file(lang),
                ("heldout",),
                f"{bad} of {total} ticks on held-out stories ({bad / total:.1%}) are wrong; at "
                f"most {MAX_WRONG_TICKS_LANG:.0%} in one language may be",
            )
        )
    if not report.ok():
        for item, reading in report.mistakes:
            extra = sorted(set(reading.signals) - set(item.example.means))
            why = "; ".join(f"{c}: {reading.reasons.get(c, '?')}" for c in extra)
            problems.append(
                loc.problem(
                    examples_file(item.lang),
                    ("heldout", item.index),
                    f"wrong tick {extra} ({why}): {item.example.say!r}",
                )
            )
    return report, problems


def lint_situation(content: Content, reader: Reader) -> list[Problem]:
    """Load-time problems of the concepts file, and unknown option codes in examples."""
    out = [
        content.locator.problem("phrases/situation-concepts.yaml", path, message)
        for _, path, message in reader.problems
    ]
    known = {
        option.id
        for flow in content.flows.values()
        for state in flow.states.values()
        for option in state.options
    }
    for lang, examples in content.situation_examples.items():
        for part in ("train", "heldout"):
            for i, example in enumerate(getattr(examples, part)):
                for code in example.means:
                    if code not in known:
                        out.append(
                            content.locator.problem(
                                examples_file(lang),
                                (part, i, "means"),
                                f"'{code}' is not an option of any question",
                            )
                        )
    for i, pattern in enumerate(content.situation_concepts.patterns):
        code = pattern.means
        if code.startswith("sig_") and code not in known:
            out.append(
                content.locator.problem(
                    "phrases/situation-concepts.yaml",
                    ("patterns", i, "means"),
                    f"'{code}' is not an option of any question",
                )
            )
    return out


def describe(report: Report) -> list[str]:
    """The report as lines for `baken content check`."""
    lines = ["situation reader, held-out stories (never trained on):"]
    bad = sum(w for w, _ in report.wrong.values())
    ticks = sum(t for _, t in report.wrong.values())
    stated = sum(t for _, t in report.per_language().values())
    hit = sum(h for h, _ in report.per_language().values())
    lines.append(
        f"  all: signals ticked {hit}/{stated} = {hit / stated if stated else 1:.1%}; "
        f"ticks right {ticks - bad}/{ticks} = {1 - report.wrong_rate():.1%}"
    )
    for lang, (hit, total) in report.per_language().items():
        bad, ticks = report.wrong.get(lang, (0, 0))
        right = 1 - bad / ticks if ticks else 1.0
        about = report.about.get(lang, (0, 0))
        age = report.age.get(lang, (0, 0))
        lines.append(
            f"  {lang}: {report.stories.get(lang, 0)} stories; signals ticked {hit}/{total} = "
            f"{hit / total if total else 1:.1%}; ticks right {ticks - bad}/{ticks} = {right:.1%}; "
            f"who {about[0]}/{about[1]}; age {age[0]}/{age[1]}"
        )
    return lines


def describe_options(report: Report) -> list[str]:
    """Recall per language and option (for `baken content check --verbose`)."""
    return [
        f"  {lang} {code:12} {hit}/{total}"
        for (lang, code), (hit, total) in sorted(report.recall.items())
    ]
