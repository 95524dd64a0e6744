"""Stale translations: ``texts/sources/<lang>.yaml`` records the Dutch text each translation
was made from; ``baken content mark-current`` records today's."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
)

from bot.translations.results import (
    Marked,
    TranslationError,
    check_lang,
)
from bot.translations.yamledit import (
    TextsFile,
    read_dutch,
    round_trip_yaml,
    show,
    yaml_problem,
)
from flows.content import SOURCES_FOLDER

_SOURCES_HEADER = """\
The Dutch text (texts/nl.yaml) that each translation in texts/{lang}.yaml was made
from. When the Dutch text changes, the translation is stale: `baken content check`
warns, and `baken content export {lang}` marks it fuzzy for the translator.
Written by `baken content import` and `baken content mark-current {lang}`; no need
to edit it. "" means: imported marked fuzzy, to be checked."""


def mark_current(root: Path, lang: str, keys: Sequence[str] = ()) -> Marked:
    """Record that ``lang``'s translations (or only ``keys``) fit today's Dutch texts."""
    check_lang(lang)
    dutch = read_dutch(root).texts()
    target = TextsFile(root / "texts" / f"{lang}.yaml")
    if target.doc is None:
        raise TranslationError([f"{show(target.path)} does not exist: nothing to mark"])
    translated = target.texts()
    recorded = read_sources(root, lang)
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
        write_sources(root, lang, sources, list(dutch))
    return Marked(
        sources_file=path,
        recorded=len(chosen),
        were_stale=sum(recorded.get(k) not in (None, dutch[k]) for k in chosen),
        were_unrecorded=sum(k not in recorded for k in chosen),
        written=written,
    )


def write_sources(root: Path, lang: str, sources: Mapping[str, str], order: list[str]) -> None:
    rank = {key: i for i, key in enumerate(order)}
    doc = CommentedMap()
    for key in sorted(sources, key=lambda k: rank.get(k, len(rank))):
        doc[key] = DoubleQuotedScalarString(sources[key])
    doc.yaml_set_start_comment(_SOURCES_HEADER.format(lang=lang))
    path = root / SOURCES_FOLDER / f"{lang}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    round_trip_yaml().dump(doc, out)
    path.write_text(out.getvalue(), encoding="utf-8")


def read_sources(root: Path, lang: str) -> dict[str, str]:
    """The recorded Dutch text per key (see the module docstring); {} when none."""
    path = root / SOURCES_FOLDER / f"{lang}.yaml"
    if not path.is_file():
        return {}
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as exc:
        raise TranslationError([yaml_problem(path, exc)]) from exc
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise TranslationError([f"{show(path)}: expected key: text pairs"])
    return {str(key): text.strip() for key, text in data.items()}
