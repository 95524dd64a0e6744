"""Editing a texts file with ruamel's round trip, so that it keeps its comments, order,
quoting and layout: setting a text, inserting a new key where the Dutch file has it."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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

from bot.translations.results import (
    TranslationError,
)
from flows.content import DEFAULT_LANG


def set_text(doc: CommentedMap, nl_doc: CommentedMap, path: tuple[str, ...], text: str) -> bool:
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
    head, rest = split_after(*_last_leaf(node, previous))
    _set_after(*_last_leaf(node, previous), head + "\n" + ("\n" if top else ""))
    if rest:
        _set_after(*new_leaf, "\n" + rest)


def _last_leaf(node: CommentedMap, key: str) -> tuple[CommentedMap, str]:
    while isinstance(node[key], CommentedMap) and node[key]:
        node, key = node[key], list(node[key])[-1]
    return node, key


def split_after(node: CommentedMap, key: str) -> tuple[str, str]:
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


class TextsFile:
    """A texts file read for a round trip; ``doc`` is None when the file does not exist."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.raw = path.read_text(encoding="utf-8") if path.is_file() else ""
        indent = re.search(r"^( +)[^\s#]", self.raw, re.MULTILINE)
        self.yaml = round_trip_yaml(len(indent.group(1)) if indent else 2)
        try:
            doc = self.yaml.load(self.raw) if self.raw.strip() else None
        except MarkedYAMLError as exc:
            raise TranslationError([yaml_problem(path, exc)]) from exc
        if doc is not None and not isinstance(doc, CommentedMap):
            raise TranslationError([f"{show(path)}: expected key: text pairs"])
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


def round_trip_yaml(indent: int = 2) -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.preserve_quotes = True
    yaml.width = 1 << 20  # never fold a long text over several lines
    yaml.map_indent = indent
    return yaml


def read_dutch(root: Path) -> TextsFile:
    nl_file = TextsFile(root / "texts" / f"{DEFAULT_LANG}.yaml")
    if nl_file.doc is None:
        raise TranslationError([f"{show(nl_file.path)}: the Dutch texts are missing"])
    return nl_file


def yaml_problem(path: Path, exc: MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    line = f":{mark.line + 1}" if mark else ""
    return f"{show(path)}{line}: not valid YAML: {exc.problem or exc}; nothing was written"


def show(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def comment(text: str) -> str:
    return "\n".join(f"# {line}".rstrip() for line in text.splitlines())
