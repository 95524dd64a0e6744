"""``baken content export|import|mark-current``: PO files for translators, stale texts.

The command-line side of :mod:`bot.translations` (what it prints for the operator).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def command(args: argparse.Namespace, directory: Path) -> int:
    """`baken content export|import|mark-current`: PO files for translators, stale texts."""
    from bot import translations

    try:
        if args.content_command == "export":
            exported = translations.export_po(directory, args.lang)
            if args.output is None:
                sys.stdout.buffer.write(exported.po)
            else:
                args.output.write_bytes(exported.po)
            print(
                f"{args.output or 'PO file'}: {exported.entries} texts, {exported.translated} "
                f"translated into {args.lang}, {exported.fuzzy} of them marked fuzzy (stale)",
                file=sys.stderr,
            )
            return 0
        if args.content_command == "import":
            return _imported(translations.import_po(directory, args.po))
        marked = translations.mark_current(directory, args.lang, args.keys)
    except translations.TranslationError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    unchanged = "" if marked.written else "; nothing changed"
    print(
        f"{_shown(marked.sources_file)}: {marked.recorded} translation(s) recorded as "
        f"made from today's Dutch texts ({marked.were_stale} were stale, "
        f"{marked.were_unrecorded} had no record){unchanged}"
    )
    return 0


def _imported(report: object) -> int:
    from bot.translations import Imported

    assert isinstance(report, Imported)
    where = _shown(report.texts_file)
    if not report.written:
        print(f"{where}: no text changed", end="")
    else:
        print(
            f"{where}: {len(report.changed)} text(s) changed, {len(report.added)} added"
            + (" (new file, review: draft)" if report.created else ""),
            end="",
        )
    print(f"; {report.empty} empty entries left alone")
    if report.fuzzy:
        print(f"  {len(report.fuzzy)} marked fuzzy in the PO file: imported, but still stale")
    if report.older:
        print(
            f"  {len(report.older)} translated from an older Dutch text: imported, and stale "
            "(the Dutch text changed since the export)"
        )
    if report.sources_written:
        print(f"  recorded which Dutch text each was made from (texts/sources/{report.lang}.yaml)")
    if report.reviewed:
        print(
            f"  note: texts/{report.lang}.yaml says `review: reviewed`, but the texts that just "
            "changed have not been reviewed: set `review: draft` until someone has read them"
        )
    if report.written or report.sources_written:
        print(
            f"Next: baken content check, try it with baken chat --lang {report.lang}, then "
            f"commit texts/{report.lang}.yaml and texts/sources/{report.lang}.yaml."
        )
    return 0


def _shown(path: Path) -> str:
    """``path`` as `content check` shows files: relative to where the command runs."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
