"""`baken content check|crisis|understand`: the readers measured, and one text explained.

For an operator's own terminal: what is printed about a typed text is printed here only;
nothing is logged or kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.derived import DerivedCache, build_readers
from flows.content import Content, Problem
from flows.understanding.crisis import Detector, decide
from flows.understanding.readers import Readers


def readers(content: Content) -> Readers:
    """The readers of this content, from the cache when it holds them."""
    return build_readers(content, DerivedCache())


def check(
    content: Content, built: Readers, *, per_option: bool = False
) -> tuple[list[str], list[Problem], bool]:
    """Both readers on their held-out examples: report lines, problems, and whether the
    content passes (no missed must-catch crisis, few false alarms and wrong ticks).
    ``per_option``: also the situation reader's recall per language and option."""
    from flows.understanding import crisis_check, situation_check

    lines: list[str] = []
    crisis_report, crisis_problems = crisis_check.check(content, built.crisis)
    lines.extend(crisis_check.describe(crisis_report))
    problems = list(crisis_problems)
    ok = not crisis_problems
    lint = situation_check.lint_situation(content, built.situation)
    problems.extend(lint)
    if content.situation_examples:
        report, found = situation_check.check(content, built.situation)
        lines.extend(situation_check.describe(report))
        if per_option:
            lines.append("situation reader, signals ticked per language and option:")
            lines.extend(situation_check.describe_options(report))
        problems.extend(found)
        ok = ok and not found
    ok = ok and not any(p.severity == "error" for p in lint)
    lines.extend(whatsapp_labels(content))
    return lines, problems, ok


def whatsapp_labels(content: Content) -> list[str]:
    """Labels WhatsApp cannot show whole, per language with file and line. Listed, not
    counted as the content's warnings: the channel is off until an organisation uses it."""
    from bot.channels.whatsapp.labels import label_problems

    found = label_problems(content)
    if not found:
        return ["WhatsApp: every label fits"]
    head = f"WhatsApp: {len(found)} label(s) do not fit whole (listed, not counted):"
    return [head, *(f"  {problem}" for problem in found)]


def crisis(content: Content, text: str) -> int:
    """`baken content crisis TEXT`: the verdict and how each part saw the text."""
    detector = readers(content).crisis
    sure, hints, probs, signal, floors = detector.evidence(text)
    verdict = decide(sure, hints, probs, signal, floors)
    print(f"outcome: {verdict.outcome}")
    print(f"kind:    {verdict.kind or '-'}")
    print(f"decided: {verdict.reason}")
    print("words:   " + _words(_concepts(detector, text)))
    print(f"rules:   sure {dict(sure) or '-'}; possible {dict(hints) or '-'}")
    print(
        f"classifier: suicide p={probs[0]:.2f}, danger p={probs[1]:.2f}; may decide alone: "
        f"{'yes' if signal else 'no (no signal word outside an ordinary context)'}"
    )
    return 0


def understand(content: Content, text: str, lang: str) -> int:
    """`baken content understand TEXT`: what the situation reader reads in TEXT, and why,
    with the option labels in ``lang``."""
    built = readers(content)
    verdict = built.crisis.assess(text)
    if verdict.outcome != "no":
        print(f"crisis:  {verdict.outcome} {verdict.kind} (the crisis answer comes first)")
    reader = built.situation
    reading = reader.read(text)
    fired, probs, count = reader.evidence(text)  # how each part saw it, for the lines below
    labels = _labels(content, lang)
    ticked = [f"{code} ({labels.get(code, code)})" for code in reading.options]
    print(f"ticked:  {', '.join(ticked) or '-'}")
    print(f"unsure:  {', '.join(reading.maybe) or '-'}")
    for code in reading.options:
        print(f"  {code}: {reading.reasons.get(code, '?')}")
    print("words:   " + _words(reader.concepts_of(text)))
    print(f"rules:   {dict(fired) or '-'}")
    if probs:
        top = sorted(probs.items(), key=lambda kv: -kv[1])[:5]
        print("classifier: " + ", ".join(f"{code} p={p:.2f}" for code, p in top))
    else:
        print(f"classifier: silent ({count} word(s); it reads messages of 3 words or more)")
    return 0


def _labels(content: Content, lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for flow in content.flows.values():
        for state in flow.states.values():
            for option in state.options:
                out.setdefault(option.id, content.text(lang, option.label_key))
    return out


def _concepts(detector: Detector, text: str) -> list[tuple[str, list[str]]]:
    return [
        (w, [c for c in found if not c.startswith("=")]) for w, found in detector.concepts_of(text)
    ]


def _words(seen: Sequence[tuple[str, list[str]]]) -> str:
    return " ".join(f"{w}[{','.join(c)}]" if c else w for w, c in seen)
