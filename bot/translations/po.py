"""PO files for translators: ``baken content export LANG`` and ``baken content import FILE.po``."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po, write_po
from rapidfuzz import process
from ruamel.yaml.comments import CommentedMap

from bot.translations.results import (
    LANG_CODE,
    PLACEHOLDER,
    PROJECT,
    Exported,
    Imported,
    TranslationError,
    check_lang,
    language_name,
)
from bot.translations.sources import (
    read_sources,
    write_sources,
)
from bot.translations.yamledit import (
    TextsFile,
    comment,
    read_dutch,
    set_text,
    show,
    split_after,
)
from flows.content import DEFAULT_LANG

_PO_HEADER = """\
baken: {name} translation of the Dutch texts (content/texts/nl.yaml).
msgctxt is the text key, msgid the Dutch text, msgstr the translation.
Translate the meaning, in short plain sentences; keep {{placeholders}}.
Fuzzy entries need a look: the Dutch text changed since they were
translated ("#| msgid" shows the Dutch text they were made from).
Import with: baken content import FILE.po"""


_NEW_TEXTS_HEADER = """\
{name} texts. Same keys as texts/nl.yaml; a missing key shows the Dutch text.
Written by `baken content import` from a PO file; edit it by hand or import again.

meta.review: draft until a native speaker who knows the field has read it;
then `reviewed`, with `reviewed_on` (a date) and `reviewed_by` (a role, not a name)."""


def export_po(root: Path, lang: str) -> Exported:
    """The PO file for ``lang``: every Dutch text key, with the translation so far.

    A translation whose recorded Dutch text differs from today's (or that has no record)
    is marked fuzzy, with the recorded Dutch text as the previous msgid.
    """
    check_lang(lang)
    nl_file = read_dutch(root)
    dutch = nl_file.texts()
    translated = TextsFile(root / "texts" / f"{lang}.yaml").texts()
    recorded = read_sources(root, lang)
    raw_lines = nl_file.raw.splitlines()
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    catalog = Catalog(
        locale=lang,
        project=PROJECT,
        # Which Dutch texts the PO file was made from.
        version="nl-" + hashlib.sha256(nl_file.raw.encode()).hexdigest()[:8],
        header_comment=comment(_PO_HEADER.format(name=language_name(lang))),
        creation_date=now,
        revision_date=now,
        fuzzy=False,
    )
    # No people in the header (Babel's defaults are placeholder names and addresses).
    catalog.msgid_bugs_address = catalog.last_translator = catalog.language_team = ""
    count = fuzzy = done = 0
    for key, chain in nl_file.leaves():
        source = dutch.get(key, "")
        if not source:
            continue
        text = translated.get(key, "")
        flags: list[str] = []
        previous: list[str] = []
        if text:
            done += 1
            made_from = recorded.get(key)
            if made_from != source:
                flags.append("fuzzy")
                fuzzy += 1
                previous = [made_from] if made_from else []
        notes = _notes(raw_lines, chain)
        if PLACEHOLDER.search(source):
            flags.append("python-brace-format")
            notes.append("Keep " + ", ".join(sorted(set(PLACEHOLDER.findall(source)))) + " as is.")
        catalog.add(
            source, text, flags=flags, auto_comments=notes, previous_id=previous, context=key
        )
        count += 1
    out = io.BytesIO()
    write_po(out, catalog, include_previous=True)
    return Exported(out.getvalue(), count, done, fuzzy)


def _notes(raw_lines: Sequence[str], chain: Sequence[tuple[CommentedMap, str]]) -> list[str]:
    """The comments directly above the key and above each section it is in, outermost first,
    and the comment at the end of its line: notes for the translator."""
    notes: list[str] = []
    for container, name in chain:
        line = container.lc.key(name)[0]
        above: list[str] = []
        while line > 0 and raw_lines[line - 1].strip().startswith("#"):
            line -= 1
            above.insert(0, re.sub(r"^#\s*-*\s*", "", raw_lines[line].strip()))
        notes.extend(a for a in above if a)
    container, name = chain[-1]
    head, _ = split_after(container, name)
    if head.lstrip().startswith("#"):
        notes.append(head.strip().lstrip("#").strip())
    return notes


def import_po(root: Path, po_file: Path) -> Imported:
    """Write the translations of ``po_file`` into ``texts/<lang>.yaml``, all or nothing.

    Refused (:class:`TranslationError`, nothing written): a file Babel cannot read, no
    ``Language`` header or the language ``nl``, and entries without a msgctxt, with a
    msgctxt that is no Dutch text key, with a key twice, with plural forms, or with a
    translation whose ``{placeholders}`` differ from the Dutch text's.
    """
    name = str(po_file)
    try:
        with po_file.open("rb") as stream:
            catalog = read_po(stream, abort_invalid=True)
    except OSError as exc:
        raise TranslationError([f"{name}: {exc.strerror or exc}"]) from exc
    except PoFileError as exc:
        what = str(exc).rsplit(" on ", 1)[0]
        raise TranslationError(
            [f"{name}:{exc.lineno + 1}: not a valid PO file: {what}; nothing was imported"]
        ) from exc
    except (ValueError, LookupError) as exc:  # bad header values, unknown charset, not UTF-8
        raise TranslationError([f"{name}: not a valid PO file: {exc}"]) from exc

    ident = catalog.locale_identifier
    if not ident:
        raise TranslationError(
            [
                f"{name}: the PO file has no Language header, so it is not clear which "
                "language it is (export it with `baken content export LANG`, or set the "
                "language in the translation program's properties); nothing was imported"
            ]
        )
    lang = re.split(r"[_@.-]", ident)[0].lower()
    if lang == DEFAULT_LANG:
        raise TranslationError(
            [
                f"{name}: the language is '{ident}': Dutch is the source, not a translation. "
                "Change texts/nl.yaml itself; nothing was imported"
            ]
        )
    if not LANG_CODE.match(lang):
        raise TranslationError(
            [
                f"{name}: the language '{ident}' is not a two-letter language code like pl "
                "or ar; nothing was imported"
            ]
        )

    nl_file = read_dutch(root)
    dutch = nl_file.texts()
    target = TextsFile(root / "texts" / f"{lang}.yaml")
    if target.doc is None and f"language.{lang}" not in dutch:
        raise TranslationError(
            [
                f"{name}: '{lang}' is a new language: first add `{lang}:` (the language's own "
                f"name, like Polski) under `language:` in texts/{DEFAULT_LANG}.yaml and "
                "texts/en.yaml (content/README.md: 'Add a language'); nothing was imported"
            ]
        )
    problems: list[str] = []
    seen: dict[str, int | None] = {}
    entries = []
    for message in catalog:
        if not message.id and not message.context:
            continue  # the header
        where = f"{name}:{message.lineno}" if message.lineno else name
        key = message.context
        if message.pluralizable:
            problems.append(f"{where}: an entry with plural forms; baken uses none")
        elif not key:
            problems.append(
                f"{where}: an entry without msgctxt; baken needs the text key there "
                "(export again, and keep msgctxt as it is)"
            )
        elif key not in dutch:
            best = process.extractOne(key, list(dutch), score_cutoff=80)
            hint = f" (did you mean '{best[0]}'?)" if best else ""
            problems.append(
                f"{where}: unknown text key '{key}'{hint}: texts/{DEFAULT_LANG}.yaml has no "
                "such key (was the PO file made from other content? export again)"
            )
        elif key in seen:
            problems.append(f"{where}: text key '{key}' appears twice (also at line {seen[key]})")
        else:
            seen[key] = message.lineno
            text = str(message.string).strip()
            wanted = set(PLACEHOLDER.findall(dutch[key]))
            if text and set(PLACEHOLDER.findall(text)) != wanted:
                keep = ", ".join(sorted(wanted)) or "no {placeholders}"
                problems.append(
                    f"{where}: '{key}': the translation must have {keep}, like the Dutch "
                    "text (baken fills them in)"
                )
            entries.append((key, str(message.id).strip(), text, message.fuzzy, where))

    report = Imported(lang=lang, texts_file=target.path)
    current = target.texts()
    recorded = read_sources(root, lang)
    sources = dict(recorded)
    if target.doc is None:
        report.created = True
        target.doc = CommentedMap()
        target.doc["meta"] = CommentedMap(review="draft")
        target.doc.yaml_set_start_comment(_NEW_TEXTS_HEADER.format(name=language_name(lang)))
    assert nl_file.doc is not None
    paths = {key: tuple(n for _, n in chain) for key, chain in nl_file.leaves()}
    for key, made_from, text, fuzzy, where in entries:
        if not text:
            report.empty += 1
            continue
        if text != current.get(key):
            try:
                added = set_text(target.doc, nl_file.doc, paths[key], text)
            except ValueError as exc:
                problems.append(f"{where}: '{key}' does not fit {show(target.path)}: {exc}")
                continue
            (report.added if added else report.changed).append(key)
        if fuzzy:
            report.fuzzy.append(key)
            old = recorded.get(key)
            if old == dutch[key] or (old is None and key not in current):
                sources[key] = ""  # stale until someone checks it
            # else: it stays stale (older Dutch text) or unrecorded, as it was
        else:
            sources[key] = made_from
            if made_from != dutch[key]:
                report.older.append(key)
    if problems:
        raise TranslationError([*problems, f"{name}: refused; nothing was imported"])

    if report.changed or report.added:
        report.written = target.save()
        meta = target.doc.get("meta")
        report.reviewed = isinstance(meta, Mapping) and meta.get("review") == "reviewed"
    if sources != recorded:
        write_sources(root, lang, sources, list(dutch))
        report.sources_written = True
    return report
