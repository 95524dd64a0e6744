"""Load-time checks of the texts: missing and empty texts, channel variants, stale
translations, plain language (Dutch at B1: short sentences, few words a message), and
button labels short enough for a phone (in every language).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from flows.content import DEFAULT_LANG, Content, Problem

# Readability: Dutch at B1 or simpler. Averages over one message.
MAX_AVERAGE_WORDS = 15
MAX_SENTENCE_WORDS = 25
# Letters on one button: a longer label is cut off on a small phone.
MAX_LABEL = 40
# Buttons every conversation can show, besides the flows' answer buttons.
BUTTON_TEXTS = ("system.none_of_these",)

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_WORD = re.compile(r"[0-9A-Za-zÀ-ÿ'’-]+")


def lint_texts(
    content: Content, used: dict[str, tuple[str, tuple[str | int, ...]]]
) -> Iterator[Problem]:
    loc = content.locator
    dutch = content.texts.get(DEFAULT_LANG, {})
    for key, (file, path) in sorted(used.items()):
        if key not in dutch:
            yield loc.problem(
                file, path, f"text '{key}' is missing in texts/{DEFAULT_LANG}.yaml: add it"
            )
    for lang in content.languages[1:]:
        texts = content.texts[lang]
        rel = f"texts/{lang}.yaml"
        missing = sorted(k for k in used if dutch.get(k) and k not in texts)  # '' needs none
        for key in missing:
            yield loc.problem(
                rel,
                (),
                f"text '{key}' has no {lang} translation (the Dutch text is shown instead)",
                "warning",
            )
    rel = f"texts/{DEFAULT_LANG}.yaml"
    for key, text in dutch.items():
        if key not in used:
            continue
        problem = readability(text)
        if problem:
            path = tuple(key.split("."))
            yield loc.problem(rel, path, f"'{key}': {problem}", "warning")


def lint_labels(content: Content, labels: Iterable[str]) -> Iterator[Problem]:
    """A warning for each button label over ``MAX_LABEL`` letters, in any language, at its
    key: the flows' answer buttons (``labels``), the ``button.*`` texts, "none of these"."""
    keys = set(labels) | set(BUTTON_TEXTS)
    keys |= {k for k in content.texts.get(DEFAULT_LANG, {}) if k.startswith("button.")}
    for lang in content.languages:
        for key, text in content.texts.get(lang, {}).items():
            if key.partition("@")[0] not in keys or "{" in text:
                continue
            if len(text) > MAX_LABEL:
                yield content.locator.problem(
                    f"texts/{lang}.yaml",
                    tuple(key.split(".")),
                    f"button label '{key}' has {len(text)} letters; a phone cuts off more "
                    f"than {MAX_LABEL}: shorten it",
                    "warning",
                )


def lint_variants(
    content: Content,
    used: dict[str, tuple[str, tuple[str | int, ...]]],
    channels: Iterable[str] | None,
) -> Iterator[Problem]:
    """Channel variants (``key@telegram``) count as used where their key is used; each
    needs its key too, for the channels that have no variant."""
    dutch = content.texts.get(DEFAULT_LANG, {})
    known = tuple(channels) if channels is not None else None
    for lang in content.languages:
        for key in content.texts.get(lang, {}):
            base, at, channel = key.partition("@")
            if not at:
                continue
            if not channel or base not in dutch:
                yield content.locator.problem(
                    f"texts/{lang}.yaml",
                    tuple(key.split(".")),
                    f"'{key}' is a variant for one channel of '{base}', but '{base}' is not "
                    f'in texts/{DEFAULT_LANG}.yaml: add it (it may be empty, "")',
                )
            elif known is not None and channel not in known:
                yield content.locator.problem(
                    f"texts/{lang}.yaml",
                    tuple(key.split(".")),
                    f"'{key}': no channel is called '{channel}' (channels: "
                    f"{', '.join(known)}), so this text is never shown",
                    "warning",
                )
            elif base in used and key in dutch:
                used.setdefault(key, used[base])


SCREENS_THAT_MUST_SPEAK = (
    "help",
    "crisis_suicide",
    "crisis_danger",
    "crisis_both",
    "check_suicide",
    "check_danger",
    "check_both",
    "emergency",
)


def lint_empty(
    content: Content,
    used: dict[str, tuple[str, tuple[str | int, ...]]],
    required: Iterable[str],
) -> Iterator[Problem]:
    """An empty text ("") is only for a paragraph that a channel leaves out on purpose (its
    Dutch text is empty too), never in a crisis, help or emergency screen, a button or a
    system text: an error, so that nobody in crisis gets an empty message."""
    dutch = content.texts.get(DEFAULT_LANG, {})
    screens = content.screens
    critical = set(required) | {
        key for name in SCREENS_THAT_MUST_SPEAK for key in getattr(screens, name).say
    }
    for lang in content.languages:
        for key, text in content.texts.get(lang, {}).items():
            if text.strip():
                continue
            base = key.partition("@")[0]
            if base not in used and key not in used:
                continue
            if base in critical or dutch.get(base, "").strip():
                yield content.locator.problem(
                    f"texts/{lang}.yaml",
                    tuple(key.split(".")),
                    f"'{key}' is empty: a crisis, help or emergency text, a button or a system "
                    f"text must say something (only a paragraph whose Dutch text is empty may be)",
                )


def lint_stale(content: Content) -> Iterator[Problem]:
    """Translations made from a Dutch text that has changed since (recorded per language in
    texts/sources/<lang>.yaml): each a warning at its key; they are still shown."""
    loc = content.locator
    dutch = content.texts.get(DEFAULT_LANG, {})
    for lang in content.languages[1:]:
        rel = f"texts/{lang}.yaml"
        recorded = content.sources.get(lang, {})
        unrecorded: list[str] = []
        for key in content.texts[lang]:
            if key not in dutch:
                continue
            source = recorded.get(key)
            if source is None:
                unrecorded.append(key)
            elif source != dutch[key]:
                why = (
                    "was imported marked fuzzy (the translator had doubts)"
                    if source == ""
                    else "is stale: the Dutch text changed since this was translated"
                )
                yield loc.problem(
                    rel,
                    tuple(key.split(".")),
                    f"text '{key}' {why}; it is still shown. Have it translated again "
                    f"(baken content export {lang}), or when it still fits the Dutch, run "
                    f"`baken content mark-current {lang} {key}`",
                    "warning",
                )
        if unrecorded:
            some = ", ".join(f"'{k}'" for k in unrecorded[:3])
            more = f" and {len(unrecorded) - 3} more" if len(unrecorded) > 3 else ""
            yield loc.problem(
                rel,
                tuple(unrecorded[0].split(".")),
                f"{len(unrecorded)} translation(s) ({some}{more}) have no record of the "
                f"Dutch text they were made from, so baken cannot tell when they go stale: "
                f"when they fit today's Dutch texts, run `baken content mark-current {lang}`",
                "warning",
            )


def readability(text: str) -> str | None:
    """A complaint when a Dutch message has long sentences, else None."""
    sentences = [s for s in _SENTENCE_END.split(text) if _WORD.search(s)]
    if not sentences:
        return None
    counts = [len(_WORD.findall(s)) for s in sentences]
    longest = max(counts)
    average = sum(counts) / len(counts)
    if longest > MAX_SENTENCE_WORDS:
        return (
            f"a sentence has {longest} words; keep every sentence under "
            f"{MAX_SENTENCE_WORDS + 1} words (B1)"
        )
    if average > MAX_AVERAGE_WORDS:
        return (
            f"sentences average {average:.0f} words; aim for {MAX_AVERAGE_WORDS} or fewer "
            "(B1): split long sentences"
        )
    return None


def average_words(text: str) -> float:
    """Average words per sentence of a message (for tests of the shipped content)."""
    sentences = [s for s in _SENTENCE_END.split(text) if _WORD.search(s)]
    counts = [len(_WORD.findall(s)) for s in sentences] or [0]
    return sum(counts) / len(counts)
