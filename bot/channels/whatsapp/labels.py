"""``baken content check``'s warnings for labels that WhatsApp cannot show whole.

Answer labels (the flow's options, the engine's own buttons) per language, with the file
and line of the text:

- longer than a list row's title (24 characters): shown shortened, the whole label as
  the row's description below it (up to 72; longer is cut there too);
- longer than a reply button's title (20) on a question of at most three answers: that
  question goes as a list, which takes the person two taps instead of one.

Warnings, not errors: the renderer keeps every answer reachable either way; shorter
labels read better on every channel.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.channels.whatsapp import limits
from flows.content import Content, Problem

# The engine's own answer buttons (flows/interrupts.py, flows/answers.py); language.<code>
# are the language buttons. button.selected is the tick's template, not a label.
ENGINE_BUTTONS = ("button.", "system.none_of_these")
NOT_LABELS = frozenset({"button.selected"})


def label_problems(content: Content) -> list[Problem]:
    """Every label over a WhatsApp limit, per language; see the module docstring."""
    few: dict[str, bool] = {}  # label key -> only on questions of at most 3 answers
    for flow in content.flows.values():
        for state in flow.states.values():
            for option in state.options:
                small = len(state.options) <= limits.MAX_BUTTONS
                few[option.label_key] = few.get(option.label_key, True) and small
    return list(_problems(content, few))


def _problems(content: Content, few: dict[str, bool]) -> Iterator[Problem]:
    languages = {f"language.{code}" for code in content.languages}
    for lang in content.languages:
        texts = content.texts.get(lang, {})
        for key in sorted(texts):
            engine = key.startswith(ENGINE_BUTTONS) or key in languages
            if key in NOT_LABELS or (key not in few and not engine):
                continue
            label = texts[key]
            where = (f"texts/{lang}.yaml", tuple(key.split(".")))
            n = len(label)
            if n > limits.MAX_ROW_DESCRIPTION:
                message = (
                    f"'{key}' ({n} characters) is cut on WhatsApp even below a list row "
                    f"(at most {limits.MAX_ROW_DESCRIPTION}): make it shorter"
                )
            elif n > limits.MAX_ROW_TITLE:
                message = (
                    f"'{key}' ({n} characters) does not fit a WhatsApp list row "
                    f"({limits.MAX_ROW_TITLE}): shown shortened, whole below it"
                )
            elif n > limits.MAX_BUTTON_TITLE and few.get(key, False):
                message = (
                    f"'{key}' ({n} characters) does not fit a WhatsApp button "
                    f"({limits.MAX_BUTTON_TITLE}): its question goes as a list (two taps)"
                )
            else:
                continue
            yield content.locator.problem(*where, message, "warning")
