"""``baken content check`` lists every answer label WhatsApp cannot show whole, per
language, with the file and line of its text."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import explain
from bot.channels.whatsapp import limits
from bot.channels.whatsapp.labels import label_problems
from flows import Content, load_content
from flows.loader import default_content_dir


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(default_content_dir())


def line_of(content: Content, lang: str, key: str) -> int:
    """The line of ``key``'s text in texts/<lang>.yaml, found by reading the file."""
    lines = (Path(content.root) / "texts" / f"{lang}.yaml").read_text().splitlines()
    leaf = key.rsplit(".", 1)[-1]
    wanted = content.texts[lang][key]
    for number, line in enumerate(lines, 1):
        if line.strip().startswith(f"{leaf}:") and wanted.split("\n")[0][:20] in line:
            return number
    raise AssertionError(f"{key} not found")


def test_every_long_label_is_named_with_its_file_and_line(content: Content) -> None:
    found = label_problems(content)
    assert found
    assert {p.severity for p in found} == {"warning"}
    for lang in content.languages:
        label = content.texts[lang]["signal.me.boss"]
        assert len(label) > limits.MAX_ROW_TITLE  # a long label in every language
        (problem,) = [
            p
            for p in found
            if p.file.endswith(f"texts/{lang}.yaml") and "'signal.me.boss'" in p.message
        ]
        assert problem.line == line_of(content, lang, "signal.me.boss")
        assert "list row" in problem.message


def test_labels_that_fit_are_not_named(content: Content) -> None:
    named = " ".join(p.message for p in label_problems(content))
    for key in ("opt.yes", "button.stop"):
        if key in content.texts["nl"]:
            assert len(content.texts["nl"][key]) <= limits.MAX_BUTTON_TITLE
            assert f"'{key}'" not in named


def test_the_check_lists_them_without_counting_them(content: Content) -> None:
    lines = explain.whatsapp_labels(content)
    assert lines[0].startswith(f"WhatsApp: {len(label_problems(content))} label(s)")
    assert all(line.startswith("  ") and "warning" in line for line in lines[1:])
