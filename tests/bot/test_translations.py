"""The translation workflow, run as an operator would: `baken content export`, a translator's
program editing the PO file (Babel stands in for it), `baken content import`, `check`.

Every test works on a copy of the shipped content in a temporary folder, chosen with
BAKEN_CONTENT_DIR (or --dir), and compares files byte for byte where it matters.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from flows import load_content
from flows.loader import default_content_dir

NEW = "de"  # a language the shipped content does not have


def baken(*args: str, content: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BAKEN_"))}
    if content is not None:
        env["BAKEN_CONTENT_DIR"] = str(content)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def only_english_is_stale(content: Path, key: str) -> None:
    """After a Dutch change: the other translations of ``key`` are marked as checked, so
    what these tests count is English alone."""
    for lang in load_content(content).languages:
        if lang not in ("nl", "en"):
            ok(baken("content", "mark-current", lang, key, content=content))


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A copy of the shipped content, with the name of a new language ready in Dutch and
    English (a new language needs its `language.<code>` text first)."""
    root = tmp_path / "content"
    shutil.copytree(default_content_dir(), root)
    for lang, name in (("nl", "Duits"), ("en", "German")):
        path = root / "texts" / f"{lang}.yaml"
        text = path.read_text(encoding="utf-8")
        if f"\n  {NEW}: " not in text:
            text = text.replace('  en: "English"\n', f'  en: "English"\n  {NEW}: "{name}"\n', 1)
        path.write_text(text, encoding="utf-8")
    for path in sorted((root / "texts" / "sources").glob("*.yaml")):
        # The English name of the new language, added above, fits its Dutch text.
        with path.open("a", encoding="utf-8") as out:
            out.write(f'language.{NEW}: "Duits"\n')
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def edit_po(path: Path, change: Callable[[Catalog], None]) -> None:
    """Change a PO file the way a translator's program would: read, edit, write."""
    with path.open("rb") as stream:
        catalog = read_po(stream)
    change(catalog)
    with path.open("wb") as stream:
        write_po(stream, catalog)


def entry(catalog: Catalog, key: str) -> Message:
    return next(m for m in catalog if m.context == key)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_export_has_every_dutch_text_in_order_with_its_translation(tmp_path: Path) -> None:
    """One entry per key of texts/nl.yaml, in that order (an empty text has nothing to
    translate): msgctxt the key, msgid the Dutch text, msgstr the English one. The header
    names the language and the project and no person;
    comments near a key reach the translator; nothing is fuzzy in the shipped content."""
    po = tmp_path / "en.po"
    result = ok(baken("content", "export", "en", "-o", str(po)))
    assert "texts, " in result.stderr
    shipped = load_content(default_content_dir())
    with po.open("rb") as stream:
        catalog = read_po(stream)
    entries = [m for m in catalog if m.id]
    dutch = shipped.texts["nl"]
    assert [m.context for m in entries] == [key for key, text in dutch.items() if text]
    for message in entries:
        key = message.context or ""
        assert message.id == dutch[key]
        assert message.string == shipped.texts["en"].get(key, "")
        assert not message.fuzzy
    assert catalog.locale_identifier == "en"
    assert catalog.project == "baken"
    header = po.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "@" not in header
    assert "FULL NAME" not in header
    label = entry(catalog, "opt.u16")
    assert "Button labels. Keep them short: about 35 letters fit on a phone." in label.auto_comments
    phone = entry(catalog, "service.phone")
    assert "python-brace-format" in phone.flags
    msgfmt = shutil.which("msgfmt")
    if msgfmt:  # GNU gettext, when installed, finds the file (and its placeholders) valid
        checked = subprocess.run(
            [msgfmt, "--check", "-o", os.devnull, str(po)], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stderr
        assert checked.stderr == ""


def test_import_into_an_existing_language_keeps_the_file(content: Path, tmp_path: Path) -> None:
    """Import changes only the imported texts: comments, order, quoting style and layout stay,
    and a key missing from the file comes back where the Dutch file has it (before the
    comment that heads the next section)."""
    en = content / "texts" / "en.yaml"
    shipped = en.read_text(encoding="utf-8")
    styled = shipped.replace('  u16: "Under 16"', "  u16: Under 16").replace(
        '  safe_question: "Is it safe to chat now? Is nobody watching?"',
        "  safe_question: 'Is it safe to chat now? Is nobody watching?'",
    )
    assert styled.count("Under 16") == shipped.count("Under 16")
    after = '  after: "Are you safe? Then you can go on here."\n'
    assert after in styled
    en.write_text(styled.replace(after, ""), encoding="utf-8")

    po = tmp_path / "en.po"
    ok(baken("content", "export", "en", "-o", str(po), content=content))
    changes = {
        "opt.u16": "Younger than 16",
        "welcome.safe_question": "Can you chat safely now? Is nobody watching?",
        "danger.after": "Safe now? Then go on here.",
    }

    def translate(catalog: Catalog) -> None:
        for key, text in changes.items():
            entry(catalog, key).string = text

    edit_po(po, translate)
    result = ok(baken("content", "import", str(po), content=content))
    assert "2 text(s) changed, 1 added" in result.stdout

    expected = (
        styled.replace("  u16: Under 16", "  u16: Younger than 16")
        .replace(
            "'Is it safe to chat now? Is nobody watching?'",
            "'Can you chat safely now? Is nobody watching?'",
        )
        .replace(after, '  after: "Safe now? Then go on here."\n')
    )
    assert en.read_text(encoding="utf-8") == expected
    check = ok(baken("content", "check", str(content), "--today", "2026-12-01"))
    assert "0 warning(s)" in check.stdout


def test_import_creates_a_new_language_in_the_dutch_order(content: Path, tmp_path: Path) -> None:
    """A first import of a language writes texts/<lang>.yaml with `meta: {review: draft}` first,
    the sections and keys in the order of the Dutch file, and records the sources."""
    po = tmp_path / f"{NEW}.po"
    ok(baken("content", "export", NEW, "-o", str(po), content=content))
    with po.open("rb") as stream:
        assert all(not m.string for m in read_po(stream) if m.id)
    changes = {
        "channel.command.start": "Gespräch (neu) beginnen",
        "welcome.safe_question": "Kannst du jetzt sicher chatten?",
        "self.reflect.can_be": "Das kann Ausbeutung sein.",
        "welcome.hello": "Hallo!\n\nIch bin baken.",
        "service.phone": "Anrufen: {phone}",
    }

    def translate(catalog: Catalog) -> None:
        for key, text in changes.items():
            entry(catalog, key).string = text

    edit_po(po, translate)
    result = ok(baken("content", "import", str(po), content=content))
    assert "5 added (new file, review: draft)" in result.stdout
    written = (content / "texts" / f"{NEW}.yaml").read_text(encoding="utf-8")
    body = "\n".join(line for line in written.splitlines() if not line.startswith("#"))
    assert body.strip() == (
        "meta:\n"
        "  review: draft\n"
        "\n"
        "welcome:\n"
        '  hello: "Hallo!\\n\\nIch bin baken."\n'
        '  safe_question: "Kannst du jetzt sicher chatten?"\n'
        "\n"
        "self:\n"
        "  reflect:\n"
        '    can_be: "Das kann Ausbeutung sein."\n'
        "\n"
        "service:\n"
        '  phone: "Anrufen: {phone}"\n'
        "\n"
        "channel:\n"
        "  command:\n"
        '    start: "Gespräch (neu) beginnen"'
    )
    assert written.startswith("# German texts.")
    loaded = load_content(content)
    assert loaded.reviews[NEW].review == "draft"
    assert loaded.sources[NEW] == {key: loaded.texts["nl"][key] for key in changes}
    check = ok(baken("content", "check", str(content), "--today", "2026-12-01"))
    assert "is stale" not in check.stdout
    assert "have no record" not in check.stdout
    assert f"{NEW} draft" in check.stdout


def test_round_trip_without_changes_changes_no_file(content: Path, tmp_path: Path) -> None:
    """export -> import, nothing edited, changes no file: for the shipped English, for a
    language not started (nothing is created), and for a language created by an import."""
    before = snapshot(content)
    for lang in ("en", NEW):
        po = tmp_path / f"{lang}.po"
        ok(baken("content", "export", lang, "-o", str(po), content=content))
        edit_po(po, lambda catalog: None)  # read and written again by another program
        result = ok(baken("content", "import", str(po), content=content))
        assert "no text changed" in result.stdout
        assert snapshot(content) == before

    po = tmp_path / "first.po"
    ok(baken("content", "export", NEW, "-o", str(po), content=content))
    edit_po(po, lambda c: setattr(entry(c, "opt.u16"), "string", "Unter 16"))
    ok(baken("content", "import", str(po), content=content))
    created = snapshot(content)
    assert created != before
    ok(baken("content", "export", NEW, "-o", str(po), content=content))
    ok(baken("content", "import", str(po), content=content))
    assert snapshot(content) == created


def test_changed_dutch_text_is_stale_until_translated_again(content: Path, tmp_path: Path) -> None:
    """After a Dutch text changes, its translation is stale: `check` warns at the key in
    texts/en.yaml, the English is still shown, and the export marks the entry fuzzy with the
    old Dutch text as the previous msgid. Imported still fuzzy, it stays stale; imported
    without the fuzzy flag, it is current again."""
    old = "Kun je nu veilig chatten? Kijkt er niemand mee?"
    new = "Kun je nu veilig chatten? Leest er niemand mee?"
    nl = content / "texts" / "nl.yaml"
    nl.write_text(nl.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    only_english_is_stale(content, "welcome.safe_question")
    en = content / "texts" / "en.yaml"
    line = line_of(en.read_text(encoding="utf-8"), "safe_question:")

    check = ok(baken("content", "check", str(content), "--today", "2026-12-01"))
    assert (
        f"texts/en.yaml:{line}: warning: text 'welcome.safe_question' is stale: the Dutch text "
        "changed since this was translated; it is still shown." in check.stdout
    )
    assert "1 warning(s)" in check.stdout
    assert load_content(content).text("en", "welcome.safe_question") == (
        "Is it safe to chat now? Is nobody watching?"
    )

    po = tmp_path / "en.po"
    result = ok(baken("content", "export", "en", "-o", str(po), content=content))
    assert "1 of them marked fuzzy" in result.stderr
    text = po.read_text(encoding="utf-8")
    assert f'#, fuzzy\n#| msgid "{old}"\nmsgctxt "welcome.safe_question"\nmsgid "{new}"' in text
    assert text.count("#, fuzzy") == 1

    before = snapshot(content)
    edit_po(po, lambda c: setattr(entry(c, "welcome.safe_question"), "string", "Safe to chat?"))
    result = ok(baken("content", "import", str(po), content=content))
    assert "1 marked fuzzy in the PO file: imported, but still stale" in result.stdout
    assert "Safe to chat?" in en.read_text(encoding="utf-8")
    assert snapshot(content)["texts/sources/en.yaml"] == before["texts/sources/en.yaml"]
    assert "is stale" in ok(baken("content", "check", str(content))).stdout

    edit_po(po, lambda c: entry(c, "welcome.safe_question").flags.discard("fuzzy"))
    ok(baken("content", "import", str(po), content=content))
    assert load_content(content).sources["en"]["welcome.safe_question"] == new
    check = ok(baken("content", "check", str(content), "--today", "2026-12-01"))
    assert "0 warning(s)" in check.stdout


def test_a_translators_fuzzy_mark_keeps_a_translation_stale(content: Path, tmp_path: Path) -> None:
    """A translator may mark a current translation fuzzy (unsure): it is imported, and stays
    stale until someone checks it; the next export shows it fuzzy again."""
    po = tmp_path / "en.po"
    ok(baken("content", "export", "en", "-o", str(po), content=content))

    def unsure(catalog: Catalog) -> None:
        entry(catalog, "opt.u16").string = "Below 16"
        entry(catalog, "opt.u16").flags.add("fuzzy")

    edit_po(po, unsure)
    ok(baken("content", "import", str(po), content=content))
    check = ok(baken("content", "check", str(content), "--today", "2026-12-01"))
    assert "text 'opt.u16' was imported marked fuzzy" in check.stdout
    assert "1 warning(s)" in check.stdout
    ok(baken("content", "export", "en", "-o", str(po), content=content))
    with po.open("rb") as stream:
        catalog = read_po(stream)
    assert [m.context for m in catalog if m.fuzzy] == ["opt.u16"]
    assert entry(catalog, "opt.u16").string == "Below 16"


def test_mark_current_records_todays_dutch_text(content: Path) -> None:
    """`mark-current en KEY` says a translation still fits after a Dutch change; the warning
    goes. Without keys it records every translation of the language."""
    nl = content / "texts" / "nl.yaml"
    nl.write_text(
        nl.read_text(encoding="utf-8").replace("Hoe oud ben je?", "Hoe oud ben jij?"),
        encoding="utf-8",
    )
    only_english_is_stale(content, "self.age_question")
    sources = content / "texts" / "sources" / "en.yaml"
    sources.unlink()
    result = ok(baken("content", "mark-current", "en", "self.age_question", content=content))
    assert "1 translation(s) recorded" in result.stdout
    assert sources.read_text(encoding="utf-8").count("\nself.age_question: ") == 1
    result = ok(baken("content", "mark-current", "en", content=content))
    assert "0 were stale" in result.stdout
    recorded = load_content(content).sources["en"]
    assert recorded["self.age_question"] == "Hoe oud ben jij?"
    check = ok(baken("content", "check", str(content), "--today", "2026-12-01"))
    assert "0 warning(s)" in check.stdout
    refused = baken("content", "mark-current", "en", "no.such_key", content=content)
    assert refused.returncode == 1
    assert "has no translation of 'no.such_key'" in refused.stderr


def test_import_refuses_and_writes_nothing(content: Path, tmp_path: Path) -> None:
    """Refused, with nothing written: Dutch as the language, no Language header, a msgctxt that
    is no text key (named with its PO line, even when other entries are fine), a dropped
    {placeholder}, a new language whose name is not in the Dutch texts yet."""
    before = snapshot(content)
    po = tmp_path / "en.po"
    ok(baken("content", "export", "en", "-o", str(po), content=content))
    exported = po.read_text(encoding="utf-8")

    def refused(text: str, *needles: str) -> None:
        bad = tmp_path / "bad.po"
        bad.write_text(text, encoding="utf-8")
        result = baken("content", "import", str(bad), content=content)
        assert result.returncode == 1, result.stdout
        assert "Traceback" not in result.stderr
        for needle in needles:
            assert needle in result.stderr
        assert snapshot(content) == before

    refused(exported.replace('"Language: en\\n"', '"Language: nl\\n"'), "Dutch is the source")
    refused(exported.replace('"Language: en\\n"\n', ""), "no Language header")

    unknown = exported.replace('msgctxt "welcome.hello"', 'msgctxt "welcome.helo"').replace(
        'msgstr "Under 16"', 'msgstr "Younger than 16"'
    )
    refused(
        unknown,
        f"bad.po:{line_of(unknown, 'welcome.helo') + 1}: unknown text key 'welcome.helo'",
        "did you mean 'welcome.hello'?",
        "nothing was imported",
    )
    dropped = exported.replace('msgstr "Call: {phone}"', 'msgstr "Call: 0800"')
    refused(dropped, "'service.phone': the translation must have {phone}")
    refused(
        exported.replace('"Language: en\\n"', '"Language: fr\\n"'),
        "'fr' is a new language: first add `fr:`",
    )
    refused('msgid "x"\nmsgstr "y"\nnonsense\n', "bad.po:3: not a valid PO file")

    result = baken("content", "export", "nl", "-o", str(po), content=content)
    assert result.returncode == 1
    assert "source language" in result.stderr


def test_broken_texts_file_is_named_with_its_line(content: Path, tmp_path: Path) -> None:
    """A texts file that is not valid YAML is not exported from or imported into: the file
    and line are named, and nothing is written."""
    en = content / "texts" / "en.yaml"
    text = en.read_text(encoding="utf-8")
    en.write_text(text.replace('  hello: "Hi!', '  hello: "Hi!"  "', 1), encoding="utf-8")
    line = line_of(text, '  hello: "Hi!')
    result = baken("content", "export", "en", "-o", str(tmp_path / "en.po"), content=content)
    assert result.returncode == 1
    assert f"texts/en.yaml:{line}: not valid YAML" in result.stderr
    assert not (tmp_path / "en.po").exists()
