"""Content validation: broken content fails at load, naming file and line and what to change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from flows import ContentError, load_content
from flows.lint import lint
from flows.lint_texts import readability
from flows.loader import default_content_dir, read_content
from tests.flows.mini import FLOW, make_content


def problems_for(tmp_path: Path, flow: str) -> list[str]:
    content_dir = make_content(tmp_path, flow)
    _, problems = read_content(content_dir)
    return [str(p) for p in problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_shipped_content_is_valid_without_warnings() -> None:
    """The content that ships with baken loads with no errors and no warnings."""
    content, problems = read_content(default_content_dir())
    assert content is not None
    assert [str(p) for p in problems] == []


def test_mini_content_is_valid(tmp_path: Path) -> None:
    """The test flow itself is clean, so the failures below are caused by each change."""
    assert problems_for(tmp_path, FLOW) == []


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            "next: finish}\n  who:",
            "next: finsh}\n  who:",
            "next: finsh",
            "goes to 'finsh', but there is no such state (did you mean 'finish'?)",
        ),
        (
            "services: [test_open,",
            "services: [test_opne,",
            "test_opne",
            "unknown service 'test_opne'",
        ),
        ("    say: [t.who]", "    sey: [t.who]", "sey:", "unknown field 'sey'"),
        ("{who: [me]}", "{who: [mee]}", "{who: [mee]}", "condition: 'who' has no option 'mee'"),
        (
            "- {to: handoff_other}",
            "- {to: handoff_other, when: {who: [friend]}}",
            "    next:",
            "add a last branch without `when`",
        ),
        ("{id: yes, label: t.yes,", "{id: Yes!, label: t.yes,", "Yes!", "is not allowed here"),
        (
            "say: [t.bye]",
            "say: [t.byebye]",
            "    say: [t.byebye]",
            "text 't.byebye' is missing in texts/nl.yaml",
        ),
    ],
)
def test_errors_name_file_line_and_fix(
    tmp_path: Path, old: str, new: str, needle: str, message: str
) -> None:
    """Each broken flow names flows/mini.yaml, the right line, and what is wrong."""
    assert old in FLOW
    flow = FLOW.replace(old, new, 1)
    found = problems_for(tmp_path, flow)
    line = line_of(flow, needle)
    assert any(f"content/flows/mini.yaml:{line}: " in p and message in p for p in found), found


def test_content_error_lists_every_error(tmp_path: Path) -> None:
    """load_content raises with all errors at once, not only the first."""
    flow = FLOW.replace("next: finish}\n  who:", "next: nowhere}\n  who:").replace(
        "services: [test_open,", "services: [nope,"
    )
    with pytest.raises(ContentError) as info:
        load_content(make_content(tmp_path, flow))
    messages = [str(p) for p in info.value.problems]
    assert any("nowhere" in m for m in messages)
    assert any("'nope'" in m for m in messages)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    """A YAML syntax error points at its line."""
    flow = FLOW.replace("  who:\n", "  who:\n   - bad: [\n", 1)
    found = problems_for(tmp_path, flow)
    assert any("content/flows/mini.yaml:" in p and "not valid YAML" in p for p in found)


def test_duplicate_keys_are_an_error(tmp_path: Path) -> None:
    """Two states with the same name: the second would silently win, so it is refused."""
    flow = FLOW + "  finish:\n    say: [t.bye]\n    end: true\n"
    found = problems_for(tmp_path, flow)
    assert any("not valid YAML" in p and "duplicate" in p for p in found), found


def test_dead_end_is_an_error(tmp_path: Path) -> None:
    """A last state that neither ends nor goes anywhere is a dead end."""
    flow = FLOW.replace(
        "    end: true\n    options:\n      - {id: again, label: t.again, "
        "next: ask, count: true}\n",
        "",
    )
    found = problems_for(tmp_path, flow)
    assert any("last state" in p and "end: true" in p for p in found), found


def test_unreachable_state_is_a_warning(tmp_path: Path) -> None:
    """A state nothing leads to is reported, as a warning."""
    flow = FLOW + "  lonely:\n    say: [t.bye]\n    end: true\n"
    found = problems_for(tmp_path, flow)
    assert any("warning: state 'lonely' can never be reached" in p for p in found), found


def test_loop_without_question_is_an_error(tmp_path: Path) -> None:
    """States without a question that lead into each other would never stop."""
    flow = FLOW.replace(
        "  info:\n    say: [t.info]\n",
        "  info:\n    say: [t.info]\n    next: info2\n"
        "  info2:\n    say: [t.info]\n    next: info\n  info3:\n    say: [t.info]\n",
    )
    found = problems_for(tmp_path, flow)
    assert any("loop without a question" in p for p in found), found


def test_missing_translation_is_a_warning(tmp_path: Path) -> None:
    """A Dutch text without English is a warning: the Dutch text is shown instead."""
    root = make_content(tmp_path)
    en = root / "texts" / "en.yaml"
    en.write_text(en.read_text(encoding="utf-8").replace('  bye: "Bye."\n', ""), encoding="utf-8")
    content, problems = read_content(root)
    assert content is not None
    assert any("warning: text 't.bye' has no en translation" in str(p) for p in problems)
    assert content.text("en", "t.bye") == "Dag."


def test_services_need_a_source_and_recent_check(tmp_path: Path) -> None:
    """No source is an error; a check more than a year old is a warning."""
    root = make_content(tmp_path)
    services = root / "services.yaml"
    text = services.read_text(encoding="utf-8")
    services.write_text(
        text.replace("    source: https://example.org/source\n", "", 1), encoding="utf-8"
    )
    _, problems = read_content(root)
    assert any("service 'test_open' has no `source`" in str(p) for p in problems)

    services.write_text(text, encoding="utf-8")
    content, _ = read_content(root)
    assert content is not None
    late = lint(content, today=dt.date(2028, 1, 1))
    assert any("test_office" in str(p) and "more than a year ago" in str(p) for p in late)


def test_a_conditional_text_is_checked_like_a_branch(tmp_path: Path) -> None:
    """A `say:` line with `when` names a question and its options, checked at load; a
    question may not consist of conditional texts only (it could say nothing)."""
    flow = FLOW.replace(
        "    say: [t.info]\n",
        "    say:\n      - t.info\n      - {text: t.why, when: {signs: [mony]}}\n",
    )
    problems = problems_for(tmp_path / "a", flow)
    line = line_of(flow, "when: {signs: [mony]}")
    assert any(
        f"flows/mini.yaml:{line}: condition: 'signs' has no option 'mony'" in p for p in problems
    ), problems
    only_when = FLOW.replace(
        "    say: [t.who]\n", "    say:\n      - {text: t.who, when: {ask: [yes]}}\n"
    )
    problems = problems_for(tmp_path / "b", only_when)
    assert any("a question needs a text without `when`" in p for p in problems), problems


def test_a_long_button_label_is_a_warning_in_any_language(tmp_path: Path) -> None:
    """A button label over 40 letters, in any language, is a warning at its line in that
    language's texts file: a phone cuts it off."""
    root = make_content(tmp_path)
    en = root / "texts" / "en.yaml"
    long = "Money, or anything else that is worth something"  # 47 letters
    en.write_text(
        en.read_text(encoding="utf-8").replace('money: "Money"', f'money: "{long}"'),
        encoding="utf-8",
    )
    _, problems = read_content(root)
    line = line_of(en.read_text(encoding="utf-8"), f'money: "{long}"')
    found = [str(p) for p in problems if "button label" in str(p)]
    assert len(found) == 1
    assert found[0].endswith(
        f"content/texts/en.yaml:{line}: warning: button label 't.money' has 47 letters; "
        "a phone cuts off more than 40: shorten it"
    )


def test_readability_warns_on_long_dutch_sentences() -> None:
    """B1: a sentence over 25 words, or an average over 15, is flagged."""
    long = " ".join(["woord"] * 26) + "."
    assert readability(long) is not None
    assert readability("Dit is kort. Dit ook.") is None
    avg = (
        "Een twee drie vier vijf zes zeven acht negen tien elf twaalf dertien veertien "
        "vijftien zestien. Nog een zin van zestien woorden die ook best wel erg lang "
        "is voor mensen."
    )
    assert readability(avg) is not None


def test_readability_warning_names_the_text(tmp_path: Path) -> None:
    """The warning points at the text's line in texts/nl.yaml."""
    root = make_content(tmp_path)
    nl = root / "texts" / "nl.yaml"
    long = " ".join(["woord"] * 30) + "."
    nl.write_text(
        nl.read_text(encoding="utf-8").replace('bye: "Dag."', f'bye: "{long}"'), encoding="utf-8"
    )
    _, problems = read_content(root)
    text = nl.read_text(encoding="utf-8")
    line = line_of(text, 'bye: "woord')
    assert any(f"content/texts/nl.yaml:{line}: warning: 't.bye'" in str(p) for p in problems), [
        str(p) for p in problems
    ]


def test_texts_say_who_has_read_them(tmp_path: Path) -> None:
    """`meta.review` is read per language (Dutch is the source); it is no text key."""
    root = make_content(tmp_path)
    content, _ = read_content(root)
    assert content is not None
    assert content.reviews["nl"].review == "source"
    assert content.reviews["en"].review == "draft"
    assert not any(key.startswith("meta") for key in content.texts["en"])
    en = root / "texts" / "en.yaml"
    en.write_text(
        en.read_text(encoding="utf-8").replace("  review: draft", "  review: reviewed"),
        encoding="utf-8",
    )
    content, problems = read_content(root)
    assert content is None
    assert any(
        "en.yaml" in str(p) and "reviewed_on" in str(p) and p.line is not None for p in problems
    )
    en.write_text(
        en.read_text(encoding="utf-8").replace(
            "  review: reviewed",
            '  review: reviewed\n  reviewed_on: 2026-12-01\n  reviewed_by: "native speaker"',
        ),
        encoding="utf-8",
    )
    content, _ = read_content(root)
    assert content is not None
    assert content.reviews["en"].reviewed_by == "native speaker"


def test_stale_translation_is_a_warning_at_its_key(tmp_path: Path) -> None:
    """A changed Dutch text makes its translation stale: a warning at the key's line in the
    language file; the content still loads and the stale translation is still shown."""
    root = make_content(tmp_path)
    nl = root / "texts" / "nl.yaml"
    nl.write_text(
        nl.read_text(encoding="utf-8").replace('ask: "Wil je verder?"', 'ask: "Verder?"'),
        encoding="utf-8",
    )
    content, problems = read_content(root)
    assert content is not None
    en = (root / "texts" / "en.yaml").read_text(encoding="utf-8")
    line = line_of(en, 'ask: "Do you want to go on?"')
    assert [(p.file.endswith("texts/en.yaml"), p.line, p.severity) for p in problems] == [
        (True, line, "warning")
    ]
    assert problems[0].message == (
        "text 't.ask' is stale: the Dutch text changed since this was translated; it is still "
        "shown. Have it translated again (baken content export en), or when it still fits the "
        "Dutch, run `baken content mark-current en t.ask`"
    )
    assert content.text("en", "t.ask") == "Do you want to go on?"
    assert content.sources["en"]["t.ask"] == "Wil je verder?"


def test_translations_without_a_recorded_source_get_one_warning(tmp_path: Path) -> None:
    """Translations with no record of their Dutch text cannot be judged stale: one warning
    per language file, at the first such key, naming the command that records them."""
    root = make_content(tmp_path)
    (root / "texts" / "sources" / "en.yaml").unlink()
    content, problems = read_content(root)
    assert content is not None
    assert content.sources.get("en", {}) == {}
    warnings = [str(p) for p in problems]
    assert len(warnings) == 1
    assert "texts/en.yaml:" in warnings[0]
    assert "have no record of the Dutch text they were made from" in warnings[0]
    assert "baken content mark-current en" in warnings[0]


def test_broken_sources_file_is_an_error(tmp_path: Path) -> None:
    """A sources file that is not key: text pairs is an error naming the file and line."""
    root = make_content(tmp_path)
    sources = root / "texts" / "sources" / "en.yaml"
    sources.write_text('t.ask: "Wil je verder?"\nt.yes: [Ja]\n', encoding="utf-8")
    content, problems = read_content(root)
    assert content is None
    assert any("texts/sources/en.yaml:2" in str(p) for p in problems)


def test_a_channel_variant_needs_its_text(tmp_path: Path) -> None:
    """``key@telegram`` is a channel's variant of ``key``: without ``key`` itself, the other
    channels would have nothing to show, so the check says so."""
    root = make_content(tmp_path)
    nl = root / "texts" / "nl.yaml"
    nl.write_text(
        nl.read_text(encoding="utf-8") + '\nlonely:\n  text@web: "Alleen op het web."\n',
        encoding="utf-8",
    )
    content, problems = read_content(root)
    assert content is None  # an error
    found = [str(p) for p in problems]
    assert any("'lonely.text@web' is a variant" in p and "nl.yaml:" in p for p in found), found


@pytest.mark.parametrize(
    ("added", "expected"),
    [
        ('  check_suicide@web: ""\n', "'crisis.check_suicide@web' is empty"),
        ('  suicide@telegram: "   "\n', "'crisis.suicide@telegram' is empty"),
        ('  suicide@telgram: "Bel 113."\n', "no channel is called 'telgram'"),
    ],
)
def test_a_crisis_text_may_not_be_empty_on_any_channel(
    tmp_path: Path, added: str, expected: str
) -> None:
    """An empty text is left out of a message; in a crisis, help or emergency screen that
    could leave a person with nothing, so the check refuses it. A variant for a channel
    that does not exist is never shown: a warning."""
    root = make_content(tmp_path)
    nl = root / "texts" / "nl.yaml"
    text = nl.read_text(encoding="utf-8")
    nl.write_text(text.replace("\ncrisis:\n", "\ncrisis:\n" + added, 1), encoding="utf-8")
    channels = ("telegram", "web", "console")  # the host's channels, as bot/ hands them over
    content, problems = read_content(root, channels=channels)
    found = [str(p) for p in problems]
    if content is not None:
        found += [str(p) for p in lint(content, today=dt.date(2026, 12, 1), channels=channels)]
    assert any(expected in p for p in found), found
