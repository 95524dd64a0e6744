"""Loaded content as plain data: what the loader produces and the engine and lint read.

Data only: no reading of files, no checks. :mod:`flows.loader` builds a
:class:`Content`; :mod:`flows.lint` and :mod:`flows.engine` only read it. Keeping
these types here lets those modules import each other's inputs without a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from flows.schema import (
    CrisisConceptsFile,
    CrisisExamplesFile,
    CrisisFile,
    CrisisFreshFile,
    Flow,
    IntentsFile,
    Screens,
    Service,
    SituationConceptsFile,
    SituationExamplesFile,
    TextsMeta,
)

DEFAULT_LANG = "nl"
# Per language, the Dutch text each translation was made from: texts/sources/<lang>.yaml.
SOURCES_FOLDER = "texts/sources"
Severity = Literal["error", "warning"]
YamlPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (error) or worth a look (warning) in the content."""

    file: str
    line: int | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"


class ContentError(Exception):
    """The content is invalid; ``problems`` lists every error (and the warnings)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} content error(s)\n" + "\n".join(map(str, errors)))


@dataclass(frozen=True)
class Locator:
    """Maps (file, path inside the YAML) to a line number."""

    lines: Mapping[str, Mapping[YamlPath, int]]
    display: Mapping[str, str]

    def line(self, file: str, path: YamlPath) -> int | None:
        table = self.lines.get(file, {})
        for cut in range(len(path), -1, -1):
            line = table.get(path[:cut])
            if line is not None:
                return line
        return None

    def problem(
        self, file: str, path: YamlPath, message: str, severity: Severity = "error"
    ) -> Problem:
        return Problem(self.display.get(file, file), self.line(file, path), message, severity)


@dataclass(frozen=True)
class Content:
    """Validated content, ready for the engine."""

    root: Path
    version: str
    flows: Mapping[str, Flow]
    default_flow: str
    texts: Mapping[str, Mapping[str, str]]
    services: Mapping[str, Service]
    screens: Screens
    crisis: CrisisFile
    intents: IntentsFile
    synonyms: Mapping[str, Mapping[str, list[str]]]
    locator: Locator
    # Place names per option id, in every language ("Westland" at "Waar woon je?").
    places: Mapping[str, list[str]] = field(default_factory=dict)
    crisis_concepts: CrisisConceptsFile = field(
        default_factory=lambda: CrisisConceptsFile(concepts={}, patterns=[])
    )
    crisis_examples: Mapping[str, CrisisExamplesFile] = field(default_factory=dict)
    situation_concepts: SituationConceptsFile = field(
        default_factory=lambda: SituationConceptsFile(concepts={})
    )
    situation_examples: Mapping[str, SituationExamplesFile] = field(default_factory=dict)
    crisis_fresh: Mapping[str, CrisisFreshFile] = field(default_factory=dict)  # measured only
    reviews: Mapping[str, TextsMeta] = field(default_factory=dict)  # per language
    # Per language: text key -> the Dutch text its translation was made from. A translation
    # whose Dutch text has changed since is stale (still shown; `content check` warns).
    sources: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = field(default=())
    # What is compiled from this content once and shared by its users (the content check
    # and the readers build the same crisis rules): filled on first use, owned by this
    # value and gone with it (each entry names what it was made from); never anything typed.
    compiled: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages with a texts file, Dutch first."""
        rest = sorted(k for k in self.texts if k != DEFAULT_LANG)
        return (DEFAULT_LANG, *rest)

    def text(self, lang: str, key: str) -> str:
        """The text for ``key`` in ``lang``, falling back to Dutch."""
        found = self.texts.get(lang, {}).get(key)
        if found is None:
            found = self.texts[DEFAULT_LANG][key]
        return found
