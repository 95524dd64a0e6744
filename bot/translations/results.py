"""What the translation commands return, their one error, and the language codes they take."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale, UnknownLocaleError

from flows.content import DEFAULT_LANG

LANG_CODE = re.compile(r"^[a-z]{2}$")


PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


PROJECT = "baken"


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


def check_lang(lang: str) -> None:
    if lang == DEFAULT_LANG:
        raise TranslationError(
            [f"'{lang}' is the source language: its texts are written in texts/nl.yaml"]
        )
    if not LANG_CODE.match(lang):
        raise TranslationError([f"'{lang}': use a two-letter language code like pl or ar"])


def language_name(lang: str) -> str:
    try:
        return Locale.parse(lang).english_name or lang
    except (UnknownLocaleError, ValueError):
        return lang
