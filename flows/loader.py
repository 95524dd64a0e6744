"""Read the content folder once, validate it, and keep where everything stands.

Every problem names the file and line and says what to change, in the form
``path:line: message``. After :func:`load_content` returns, the engine can
trust its input: unknown targets, missing Dutch texts and bad service ids are
load errors, not runtime surprises.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from flows import parsed as parsed_json
from flows.content import (
    DEFAULT_LANG,
    SOURCES_FOLDER,
    Content,
    ContentError,
    Locator,
    Problem,
    YamlPath,
)
from flows.lint import lint
from flows.schema import (
    CrisisConceptsFile,
    CrisisExamplesFile,
    CrisisFile,
    CrisisFreshFile,
    Flow,
    IntentsFile,
    PlacesFile,
    Screens,
    Service,
    ServicesFile,
    SituationConceptsFile,
    SituationExamplesFile,
    SynonymsFile,
    TextsMeta,
)

if TYPE_CHECKING:
    from ruamel.yaml import YAML


class _MetaOnly(BaseModel):
    """Just the ``meta:`` section of a texts file, validated with its own line numbers."""

    model_config = ConfigDict(extra="forbid")
    meta: TextsMeta


__all__ = [
    "DEFAULT_LANG",
    "Content",
    "ContentError",
    "Problem",
    "default_content_dir",
    "load_content",
    "read_content",
]

# ------------------------------------------------------------------ YAML


# ruamel.yaml is imported only to parse a file: a start whose files were all parsed before
# (the parsed files in the derived-data cache, bot/derived.py) does without it.


def _yaml() -> YAML:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def _fast_yaml() -> YAML:
    """The safe loader, in C when ruamel.yaml.clib is installed: about ten times faster
    than the round-trip loader, without line numbers (those are found only when needed)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=False)
    yaml.allow_duplicate_keys = False
    return yaml


def _plain_value(node: Any) -> Any:
    """Safe-loaded YAML as :func:`_plain` gives it: string keys, plain values."""
    if isinstance(node, dict):
        return {str(key): _plain_value(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain_value(value) for value in node]
    if isinstance(node, str | bool | int | float | dt.date) or node is None:
        return node
    return str(node)


M = TypeVar("M", bound=BaseModel)


class _LineTables(Mapping[str, Mapping[YamlPath, int]]):
    """Per file, the line of every key and item: parsed (slowly, with the round-trip
    loader) only for a file whose problem needs a line number."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._tables: dict[str, dict[YamlPath, int]] = {}

    def add(self, rel: str, text: str) -> None:
        self._texts[rel] = text
        self._tables.pop(rel, None)

    def __getitem__(self, rel: str) -> Mapping[YamlPath, int]:
        table = self._tables.get(rel)
        if table is None:
            from ruamel.yaml.error import MarkedYAMLError

            table = {}
            with contextlib.suppress(MarkedYAMLError):  # reported when the file was read
                _plain(_yaml().load(self._texts[rel]), (), table)
            self._tables[rel] = table
        return table

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)


def _plain(node: Any, path: YamlPath, lines: dict[YamlPath, int]) -> Any:
    """Turn ruamel's round-trip nodes into plain Python, recording line numbers."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        lines.setdefault(path, node.lc.line + 1)
        for key, value in node.items():
            skey = str(key)
            kline = node.lc.key(key)[0] + 1
            lines[(*path, skey)] = kline
            out[skey] = _plain(value, (*path, skey), lines)
        return out
    if isinstance(node, CommentedSeq):
        lines.setdefault(path, node.lc.line + 1)
        items = []
        for i, value in enumerate(node):
            lines[(*path, i)] = node.lc.item(i)[0] + 1
            items.append(_plain(value, (*path, i), lines))
        return items
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool | int | float | dt.date) or node is None:
        return node
    return str(node)


class _Reader:
    """Collects parsed files, their line tables and the problems found."""

    def __init__(self, root: Path, parsed: MutableMapping[str, str] | None = None) -> None:
        self.root = root
        self.parsed = parsed  # file digest -> parsed value as JSON (flows/parsed.py)
        self.lines = _LineTables()
        self.display: dict[str, str] = {}
        self.problems: list[Problem] = []
        self.digest = hashlib.sha256()

    def show(self, rel: str) -> str:
        path = self.root / rel
        try:
            return os.path.relpath(path)
        except ValueError:  # another drive on Windows
            return str(path)

    def read(self, rel: str, *, required: bool = True) -> Any:
        path = self.root / rel
        self.display[rel] = self.show(rel)
        if not path.is_file():
            if required:
                self.problems.append(Problem(self.show(rel), None, "file is missing"))
            return None
        raw = path.read_bytes()
        self.digest.update(rel.encode() + b"\0" + raw + b"\0")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.problems.append(Problem(self.show(rel), None, "not UTF-8 text; save it as UTF-8"))
            return None
        self.lines.add(rel, text)
        key = hashlib.sha256(raw).hexdigest() if self.parsed is not None else ""
        if self.parsed is not None:
            kept = self.parsed.get(key)
            if kept is not None:
                with contextlib.suppress(ValueError):  # damaged: parsed again below
                    return parsed_json.decode(kept)
        # Any complaint of the fast loader: the careful one below says what and where.
        with contextlib.suppress(Exception):
            value = _plain_value(_fast_yaml().load(text))
            if self.parsed is not None:
                self.parsed[key] = parsed_json.encode(value)
            return value
        from ruamel.yaml.error import MarkedYAMLError

        table: dict[YamlPath, int] = {}
        try:
            doc = _yaml().load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            self.problems.append(
                Problem(self.show(rel), line, f"not valid YAML: {exc.problem or exc}")
            )
            return None
        return _plain(doc, (), table)

    def read_folder(self, folder: str, kind: type[M]) -> dict[str, M]:
        """Every ``*.yaml`` file directly in ``folder``, validated as ``kind``, by file stem
        (``crisis-examples/nl.yaml`` -> ``nl``); invalid files are left out, with problems."""
        out: dict[str, M] = {}
        for path in sorted((self.root / folder).glob("*.yaml")):
            rel = f"{folder}/{path.name}"
            found = self.validate(rel, self.read(rel), kind)
            if found is not None:
                out[path.stem] = found
        return out

    def validate(self, rel: str, data: Any, kind: Any) -> Any:
        """``data`` validated as ``kind`` (a model or a type), or None with problems recorded."""
        try:
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                return kind.model_validate(data)
            return TypeAdapter(kind).validate_python(data)
        except ValidationError as exc:
            self.problems.extend(self._explain(rel, exc))
            return None

    def _explain(self, rel: str, exc: ValidationError) -> Iterable[Problem]:
        seen: set[tuple[int | None, str]] = set()
        for err in exc.errors(include_url=False):
            loc = tuple(p for p in err["loc"] if isinstance(p, int) or not _is_union_tag(str(p)))
            line = _line_in(self.lines.get(rel, {}), loc)
            message = _friendly(err, loc)
            if (line, message) in seen or any(
                line == s_line for s_line, _ in seen if err["type"] in _UNION_NOISE
            ):
                continue
            seen.add((line, message))
            yield Problem(self.show(rel), line, message)


_UNION_NOISE = {"string_type", "list_type", "model_type", "dict_type"}


def _is_union_tag(part: str) -> bool:
    return (
        "[" in part
        or part in {"str", "int", "list", "dict", "constrained-str"}
        or part.startswith("function-")
        or part[:1].isupper()
    )


def _line_in(table: Mapping[YamlPath, int], loc: YamlPath) -> int | None:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in table:
            return table[loc[:cut]]
    return None


def _friendly(err: Any, loc: YamlPath) -> str:
    where = ".".join(str(p) for p in loc) or "the file"
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"unknown field '{loc[-1]}' at {where}: check the spelling or remove it"
    if kind == "missing":
        return f"'{loc[-1]}' is missing at {where}: add it"
    if kind == "string_pattern_mismatch":
        pattern = err.get("ctx", {}).get("pattern", "")
        hint = _PATTERN_HINTS.get(pattern, f"it must match {pattern}")
        return f"{where}: '{err.get('input')}' is not allowed here; {hint}"
    return f"{where}: {err['msg']}"


_PATTERN_HINTS = {
    r"^[a-z0-9][a-z0-9_]{0,31}$": "use at most 32 lowercase letters, digits and _",
    r"^[a-z0-9_]+(\.[a-z0-9_]+)*$": "a text key is lowercase words joined by dots, like intro.what",
    r"^https://[^\s]+$": "use a full https:// address",
    r"^[a-z]{2}$": "use a two-letter language code like nl or en",
}


def _flatten(
    prefix: str, node: Any, path: YamlPath, out: dict[str, str], reader: _Reader, rel: str
) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else key, value, (*path, key), out, reader, rel)
    elif isinstance(node, str):
        out[prefix] = node.strip()
    else:
        line = _line_in(reader.lines.get(rel, {}), path)
        reader.problems.append(
            Problem(reader.show(rel), line, f"text '{prefix}' must be text; put it in quotes")
        )


# ------------------------------------------------------------------ loading


def read_content(
    root: Path | str,
    *,
    today: dt.date | None = None,
    channel_texts: Iterable[str] = (),
    channels: Iterable[str] | None = None,
    parsed: MutableMapping[str, str] | None = None,
) -> tuple[Content | None, list[Problem]]:
    """Read and validate ``root``. Returns the content (None on errors) and every problem.

    ``today`` is the date against which service facts are judged stale (the host
    passes it; without it that check is skipped, so results never depend on a clock).
    ``channel_texts`` are text keys the host's channels use; they must exist in Dutch.
    ``channels`` are the host's channel names: a text variant for another name is a warning.
    ``parsed``: what files parsed into before, by the digest of their bytes, as JSON text
    (:mod:`flows.parsed`); a file found there is not parsed again, and a file parsed here
    is added to it.
    """
    reader = _Reader(Path(root), parsed)
    if not reader.root.is_dir():
        return None, [Problem(str(root), None, "content folder not found")]

    flows: dict[str, Flow] = {}
    for path in sorted((reader.root / "flows").glob("*.yaml")):
        rel = f"flows/{path.name}"
        flow = reader.validate(rel, reader.read(rel), Flow)
        if flow is not None:
            flows[path.stem] = flow
    if not flows and not reader.problems:
        reader.problems.append(Problem(reader.show("flows"), None, "no flow files (*.yaml) found"))

    texts: dict[str, dict[str, str]] = {}
    reviews: dict[str, TextsMeta] = {}
    for path in sorted((reader.root / "texts").glob("*.yaml")):
        rel = f"texts/{path.name}"
        data = reader.read(rel)
        if isinstance(data, dict):
            # Dutch is the source; any other language is a draft until someone says otherwise.
            given = data.pop("meta", {"review": "source"} if path.stem == DEFAULT_LANG else {})
            meta = reader.validate(rel, {"meta": given}, _MetaOnly)
            if meta is not None:
                reviews[path.stem] = meta.meta
            flat: dict[str, str] = {}
            _flatten("", data, (), flat, reader, rel)
            texts[path.stem] = flat
        elif data is not None:
            reader.problems.append(Problem(reader.show(rel), 1, "expected key: text pairs"))
    # Which Dutch text each translation was made from (bot/translations/ writes these).
    sources: dict[str, dict[str, str]] = {}
    for lang in sorted(texts.keys() - {DEFAULT_LANG}):
        rel = f"{SOURCES_FOLDER}/{lang}.yaml"
        recorded = reader.read(rel, required=False)
        table = reader.validate(rel, recorded, dict[str, str]) if recorded is not None else None
        if table is not None:
            sources[lang] = {key: text.strip() for key, text in table.items()}
    if DEFAULT_LANG not in texts:
        reader.problems.append(
            Problem(reader.show(f"texts/{DEFAULT_LANG}.yaml"), None, "the Dutch texts are missing")
        )

    services_file = reader.validate("services.yaml", reader.read("services.yaml"), ServicesFile)
    screens = reader.validate("screens.yaml", reader.read("screens.yaml"), Screens)
    crisis = reader.validate("phrases/crisis.yaml", reader.read("phrases/crisis.yaml"), CrisisFile)
    intents = reader.validate(
        "phrases/intents.yaml", reader.read("phrases/intents.yaml"), IntentsFile
    )
    synonyms_raw = reader.read("phrases/synonyms.yaml", required=False) or {}
    synonyms = reader.validate("phrases/synonyms.yaml", synonyms_raw, SynonymsFile) or {}
    places_raw = reader.read("phrases/places.yaml", required=False) or {}
    places = reader.validate("phrases/places.yaml", places_raw, PlacesFile) or {}
    rel = "phrases/crisis-concepts.yaml"
    crisis_concepts = reader.validate(rel, reader.read(rel), CrisisConceptsFile)
    crisis_examples = reader.read_folder("phrases/crisis-examples", CrisisExamplesFile)
    rel = "phrases/situation-concepts.yaml"
    situation_raw = reader.read(rel, required=False)
    situation_concepts = (
        reader.validate(rel, situation_raw, SituationConceptsFile)
        if situation_raw is not None
        else SituationConceptsFile(concepts={})
    )
    situation_examples = reader.read_folder("phrases/situation-examples", SituationExamplesFile)
    crisis_fresh = reader.read_folder("phrases/crisis-examples/fresh", CrisisFreshFile)

    services: dict[str, Service] = {}
    if services_file is not None:
        for i, service in enumerate(services_file.services):
            if service.id in services:
                line = _line_in(reader.lines.get("services.yaml", {}), ("services", i))
                reader.problems.append(
                    Problem(
                        reader.show("services.yaml"),
                        line,
                        f"service id '{service.id}' is used twice; ids must be unique",
                    )
                )
            services[service.id] = service

    defaults = [name for name, flow in flows.items() if flow.default]
    default_flow = defaults[0] if len(defaults) == 1 else (next(iter(flows)) if flows else "")
    if len(flows) > 1 and len(defaults) != 1:
        reader.problems.append(
            Problem(
                reader.show("flows"),
                None,
                "with several flows, mark exactly one with `default: true`",
            )
        )

    if (
        any(p.severity == "error" for p in reader.problems)
        or screens is None
        or crisis is None
        or intents is None
        or crisis_concepts is None
        or situation_concepts is None
    ):
        return None, reader.problems

    content = Content(
        root=reader.root,
        version=reader.digest.hexdigest()[:8],
        flows=flows,
        default_flow=default_flow,
        texts=texts,
        services=services,
        screens=screens,
        crisis=crisis,
        intents=intents,
        synonyms=synonyms,
        places=places,
        locator=Locator(reader.lines, reader.display),
        crisis_concepts=crisis_concepts,
        crisis_examples=crisis_examples,
        situation_concepts=situation_concepts,
        situation_examples=situation_examples,
        crisis_fresh=crisis_fresh,
        reviews=reviews,
        sources=sources,
    )
    found = lint(content, today, channel_texts=channel_texts, channels=channels)
    problems = reader.problems + found
    if any(p.severity == "error" for p in problems):
        return None, problems
    warnings = tuple(p for p in problems if p.severity == "warning")
    return replace(content, warnings=warnings), problems


def load_content(
    root: Path | str,
    *,
    today: dt.date | None = None,
    channel_texts: Iterable[str] = (),
    channels: Iterable[str] | None = None,
) -> Content:
    """Load and validate the content folder; raise :class:`ContentError` when invalid."""
    content, problems = read_content(
        root, today=today, channel_texts=channel_texts, channels=channels
    )
    if content is None:
        raise ContentError(problems)
    return content


def default_content_dir() -> Path:
    """The content shipped with baken: beside the packages in a checkout, inside the wheel."""
    here = Path(__file__).resolve().parent
    checkout = here.parent / "content"
    if checkout.is_dir():
        return checkout
    return here.parent / "bot" / "_content"
