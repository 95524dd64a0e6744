"""Translations for translation agencies: PO export and import, and stale translations.

``baken content export LANG`` writes one PO entry per text key of ``texts/nl.yaml``, in
that file's order: msgctxt the key, msgid the Dutch text, msgstr the translation so far.
``baken content import FILE.po`` writes the translations back into ``texts/<lang>.yaml``
with ruamel's round trip, so that file keeps its comments, order, quoting and layout; a key
new to the file goes where the Dutch file has it. Babel reads and writes the PO files.

Stale translations: ``texts/sources/<lang>.yaml`` records, per key, the Dutch text each
translation was made from. Import records each entry's msgid (the Dutch text the
translator saw); ``mark-current`` records today's Dutch text for translations that are
known to fit it. When ``texts/nl.yaml`` changes a text, the recorded text no longer
matches: export marks the entry fuzzy with the previous Dutch text (``#| msgid``), and
``baken content check`` warns (:mod:`flows.lint`). A stale translation is still shown.
An empty recorded text means "imported marked fuzzy": stale until someone checks it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po, write_po
from rapidfuzz import process
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import CommentMark, MarkedYAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tokens import CommentToken

from flows.content import DEFAULT_LANG, SOURCES_FOLDER

LANG_CODE = re.compile(r"^[a-z]{2}$")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
PROJECT = "baken"

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

_SOURCES_HEADER = """\
The Dutch text (texts/nl.yaml) that each translation in texts/{lang}.yaml was made
from. When the Dutch text changes, the translation is stale: `baken content check`
warns, and `baken content export {lang}` marks it fuzzy for the translator.
Written by `baken content import` and `baken content mark-current {lang}`; no need
to edit it. "" means: imported marked fuzzy, to be checked."""


class TranslationError(Exception):
    """Nothing was written; ``problems`` says why, one line each (``file:line: message``)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Exported:
    """A PO file for one language, and what is in it."""

    po: bytes
    entries: int
    translated: int
    fuzzy: int


@dataclass
class Imported:
    """What an import changed."""

    lang: str
    texts_file: Path
    created: bool = False
    written: bool = False
    sources_written: bool = False
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)  # imported, still stale
    older: list[str] = field(default_factory=list)  # translated from an older Dutch text
    empty: int = 0  # no translation in the PO: the file's text was left alone
    reviewed: bool = False  # the file says `review: reviewed`, and texts changed


@dataclass(frozen=True)
class Marked:
    """What ``mark-current`` recorded."""

    sources_file: Path
    recorded: int
    were_stale: int
    were_unrecorded: int
    written: bool


# ------------------------------------------------------------------ export


def export_po(root: Path, lang: str) -> Exported:
    """The PO file for ``lang``: every Dutch text key, with the translation so far.

    A translation whose recorded Dutch text differs from today's (or that has no record)
    is marked fuzzy, with the recorded Dutch text as the previous msgid.
    """
    _check_lang(lang)
    nl_file = _dutch(root)
    dutch = nl_file.texts()
    translated = _TextsFile(root / "texts" / f"{lang}.yaml").texts()
    recorded = _read_sources(root, lang)
    raw_lines = nl_file.raw.splitlines()
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    catalog = Catalog(
        locale=lang,
        project=PROJECT,
        # Which Dutch texts the PO file was made from.
        version="nl-" + hashlib.sha256(nl_file.raw.encode()).hexdigest()[:8],
        header_comment=_comment(_PO_HEADER.format(name=_language_name(lang))),
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
    head, _ = _split_after(container, name)
    if head.lstrip().startswith("#"):
        notes.append(head.strip().lstrip("#").strip())
    return notes


# ------------------------------------------------------------------ import


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

    nl_file = _dutch(root)
    dutch = nl_file.texts()
    target = _TextsFile(root / "texts" / f"{lang}.yaml")
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
    recorded = _read_sources(root, lang)
    sources = dict(recorded)
    if target.doc is None:
        report.created = True
        target.doc = CommentedMap()
        target.doc["meta"] = CommentedMap(review="draft")
        target.doc.yaml_set_start_comment(_NEW_TEXTS_HEADER.format(name=_language_name(lang)))
    assert nl_file.doc is not None
    paths = {key: tuple(n for _, n in chain) for key, chain in nl_file.leaves()}
    for key, made_from, text, fuzzy, where in entries:
        if not text:
            report.empty += 1
            continue
        if text != current.get(key):
            try:
                added = _set_text(target.doc, nl_file.doc, paths[key], text)
            except ValueError as exc:
                problems.append(f"{where}: '{key}' does not fit {_show(target.path)}: {exc}")
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
        _write_sources(root, lang, sources, list(dutch))
        report.sources_written = True
    return report


def _set_text(doc: CommentedMap, nl_doc: CommentedMap, path: tuple[str, ...], text: str) -> bool:
    """Put ``text`` at ``path`` in ``doc``; True when the key is new to the file.

    An existing text keeps its quoting style and comments. A new key goes where the Dutch
    file has it: after the nearest key before it (in the Dutch order) that ``doc`` has.
    """
    node, nl_node = doc, nl_doc
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        if part not in node:
            value: Any = DoubleQuotedScalarString(text)
            for inner in reversed(path[depth + 1 :]):
                value = CommentedMap({inner: value})
            _insert(node, nl_node, part, value, top=depth == 0)
            return True
        if last:
            old = node[part]
            if isinstance(old, CommentedMap):
                raise ValueError(f"'{part}' is a section there, not a text")
            node[part] = _like(old, text)
            return False
        node, nl_node = node[part], nl_node[part]
        if not isinstance(node, CommentedMap):
            raise ValueError(f"'{part}' is a text there, not a section")
    return False


def _like(old: object, text: str) -> object:
    """``text`` in the quoting style of ``old``."""
    if isinstance(old, LiteralScalarString | FoldedScalarString):
        ending = "\n" if str(old).endswith("\n") else ""
        return type(old)(text + ending)
    if isinstance(old, DoubleQuotedScalarString | SingleQuotedScalarString):
        return type(old)(text)
    return text


def _insert(node: CommentedMap, nl_node: CommentedMap, key: str, value: Any, *, top: bool) -> None:
    """Insert ``key`` in ``node`` at the Dutch file's place, moving comments along.

    Comments after an entry belong to what follows it (a section's heading, a note on the
    next key), so they move to after the new entry; an end-of-line comment stays. At the
    top level a blank line separates sections.
    """
    order = list(nl_node)
    before = [k for k in order[: order.index(key)] if k in node]
    previous = before[-1] if before else ("meta" if top and "meta" in node else None)
    position = list(node).index(previous) + 1 if previous is not None else 0
    node.insert(position, key, value)
    new_leaf = _last_leaf(node, key)
    if previous is None:
        if top and len(node) > 1:
            _set_after(*new_leaf, "\n\n")
        return
    head, rest = _split_after(*_last_leaf(node, previous))
    _set_after(*_last_leaf(node, previous), head + "\n" + ("\n" if top else ""))
    if rest:
        _set_after(*new_leaf, "\n" + rest)


def _last_leaf(node: CommentedMap, key: str) -> tuple[CommentedMap, str]:
    while isinstance(node[key], CommentedMap) and node[key]:
        node, key = node[key], list(node[key])[-1]
    return node, key


def _split_after(node: CommentedMap, key: str) -> tuple[str, str]:
    """The comment after ``key``'s value: (on its own line, the lines after)."""
    item = node.ca.items.get(key)
    token = item[2] if item and len(item) > 2 else None
    if token is None:
        return "", ""
    head, _, rest = str(token.value).partition("\n")
    return head, rest


def _set_after(node: CommentedMap, key: str, value: str) -> None:
    item = node.ca.items.setdefault(key, [None, None, None, None])
    token = item[2]
    if value.strip("\n") == "" and value.count("\n") <= 1:
        item[2] = None  # nothing but the end of the line
    elif token is not None:
        token.value = value  # keeps the column of an end-of-line comment
    else:
        item[2] = CommentToken(value, CommentMark(0), None)


# ------------------------------------------------------------------ mark-current


def mark_current(root: Path, lang: str, keys: Sequence[str] = ()) -> Marked:
    """Record that ``lang``'s translations (or only ``keys``) fit today's Dutch texts."""
    _check_lang(lang)
    dutch = _dutch(root).texts()
    target = _TextsFile(root / "texts" / f"{lang}.yaml")
    if target.doc is None:
        raise TranslationError([f"{_show(target.path)} does not exist: nothing to mark"])
    translated = target.texts()
    recorded = _read_sources(root, lang)
    unknown = [k for k in keys if k not in translated or k not in dutch]
    if unknown:
        raise TranslationError(
            [f"texts/{lang}.yaml has no translation of '{k}'; nothing was marked" for k in unknown]
        )
    chosen = list(keys) or [k for k in dutch if k in translated]
    sources = dict(recorded) if keys else {}
    for key in chosen:
        sources[key] = dutch[key]
    path = root / SOURCES_FOLDER / f"{lang}.yaml"
    written = sources != recorded
    if written:
        _write_sources(root, lang, sources, list(dutch))
    return Marked(
        sources_file=path,
        recorded=len(chosen),
        were_stale=sum(recorded.get(k) not in (None, dutch[k]) for k in chosen),
        were_unrecorded=sum(k not in recorded for k in chosen),
        written=written,
    )


def _write_sources(root: Path, lang: str, sources: Mapping[str, str], order: list[str]) -> None:
    rank = {key: i for i, key in enumerate(order)}
    doc = CommentedMap()
    for key in sorted(sources, key=lambda k: rank.get(k, len(rank))):
        doc[key] = DoubleQuotedScalarString(sources[key])
    doc.yaml_set_start_comment(_SOURCES_HEADER.format(lang=lang))
    path = root / SOURCES_FOLDER / f"{lang}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    _yaml().dump(doc, out)
    path.write_text(out.getvalue(), encoding="utf-8")


# ------------------------------------------------------------------ shared


class _TextsFile:
    """A texts file read for a round trip; ``doc`` is None when the file does not exist."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.raw = path.read_text(encoding="utf-8") if path.is_file() else ""
        indent = re.search(r"^( +)[^\s#]", self.raw, re.MULTILINE)
        self.yaml = _yaml(len(indent.group(1)) if indent else 2)
        try:
            doc = self.yaml.load(self.raw) if self.raw.strip() else None
        except MarkedYAMLError as exc:
            raise TranslationError([_yaml_problem(path, exc)]) from exc
        if doc is not None and not isinstance(doc, CommentedMap):
            raise TranslationError([f"{_show(path)}: expected key: text pairs"])
        self.doc: CommentedMap | None = doc

    def texts(self) -> dict[str, str]:
        """Text key -> text, as baken reads them (flows/loader.py: stripped; not ``meta``)."""
        found = {}
        for key, chain in self.leaves():
            node, name = chain[-1]
            if isinstance(node[name], str):
                found[key] = node[name].strip()
        return found

    def leaves(self) -> Iterator[tuple[str, tuple[tuple[CommentedMap, str], ...]]]:
        """(text key, the maps and keys leading to it) in file order; not ``meta``."""

        def walk(
            node: CommentedMap, chain: tuple[tuple[CommentedMap, str], ...]
        ) -> Iterator[tuple[str, tuple[tuple[CommentedMap, str], ...]]]:
            for key in node:
                here = (*chain, (node, str(key)))
                if not chain and key == "meta":
                    continue
                if isinstance(node[key], CommentedMap):
                    yield from walk(node[key], here)
                else:
                    yield ".".join(k for _, k in here), here

        return walk(self.doc, ()) if self.doc is not None else iter(())

    def save(self) -> bool:
        """Write the document back; False when that changes nothing."""
        out = io.StringIO()
        self.yaml.dump(self.doc, out)
        if out.getvalue() == self.raw:
            return False
        self.path.write_text(out.getvalue(), encoding="utf-8")
        return True


def _yaml(indent: int = 2) -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.preserve_quotes = True
    yaml.width = 1 << 20  # never fold a long text over several lines
    yaml.map_indent = indent
    return yaml


def _dutch(root: Path) -> _TextsFile:
    nl_file = _TextsFile(root / "texts" / f"{DEFAULT_LANG}.yaml")
    if nl_file.doc is None:
        raise TranslationError([f"{_show(nl_file.path)}: the Dutch texts are missing"])
    return nl_file


def _read_sources(root: Path, lang: str) -> dict[str, str]:
    """The recorded Dutch text per key (see the module docstring); {} when none."""
    path = root / SOURCES_FOLDER / f"{lang}.yaml"
    if not path.is_file():
        return {}
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as exc:
        raise TranslationError([_yaml_problem(path, exc)]) from exc
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise TranslationError([f"{_show(path)}: expected key: text pairs"])
    return {str(key): text.strip() for key, text in data.items()}


def _yaml_problem(path: Path, exc: MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    line = f":{mark.line + 1}" if mark else ""
    return f"{_show(path)}{line}: not valid YAML: {exc.problem or exc}; nothing was written"


def _show(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _check_lang(lang: str) -> None:
    if lang == DEFAULT_LANG:
        raise TranslationError(
            [f"'{lang}' is the source language: its texts are written in texts/nl.yaml"]
        )
    if not LANG_CODE.match(lang):
        raise TranslationError([f"'{lang}': use a two-letter language code like pl or ar"])


def _language_name(lang: str) -> str:
    try:
        return Locale.parse(lang).english_name or lang
    except (UnknownLocaleError, ValueError):
        return lang


def _comment(text: str) -> str:
    return "\n".join(f"# {line}".rstrip() for line in text.splitlines())
