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

By concern: :mod:`.po` (export and import), :mod:`.yamledit` (round-trip edits of a texts
file), :mod:`.sources` (what each translation was made from) and :mod:`.results`.
"""

from bot.translations.po import export_po, import_po
from bot.translations.results import Exported, Imported, Marked, TranslationError
from bot.translations.sources import mark_current

__all__ = [
    "Exported",
    "Imported",
    "Marked",
    "TranslationError",
    "export_po",
    "import_po",
    "mark_current",
]
