"""Both readers for one content version, as one value the content holder owns.

:meth:`Readers.build` compiles the crisis detector and the situation reader from the
content; what takes time (training the classifiers) can instead be read back from
:meth:`Readers.derived` data written for the same :func:`digest_of` the content. The host
keeps that data on disk (see ``bot/derived.py``); nothing here reads or writes files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flows.understanding import crisis, situation

if TYPE_CHECKING:
    from flows.content import Content

# Bump when the meaning of the derived data changes (features, scoring): older data is then
# never trusted, whatever its digest says. The situation reader's training settings
# (SITUATION_C, ORDERED_PAIRS, WEIGHT_KEPT) are in its sources, so changing one needs no bump.
FORMAT = 4  # 4: ordered concept pairs in the situation classifier (2026-12-07)


def digest_of(content: Content) -> str:
    """A digest of everything the readers are made from (and of :data:`FORMAT`)."""
    blob = json.dumps(
        [FORMAT, crisis.sources(content), situation.sources(content)],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Readers:
    """The crisis detector and the situation reader for one content version; immutable and
    safe to share."""

    crisis: crisis.Detector
    situation: situation.Reader
    digest: str
    trained: bool = True  # trained here (False: read back from derived data)

    @classmethod
    def build(
        cls, content: Content, derived: Mapping[str, Any] | None = None, digest: str = ""
    ) -> Readers:
        """Build the readers. ``derived``: data from :meth:`derived` of readers built before;
        used only when its format and digest match this content, else everything is trained
        here (seconds, with scikit-learn). ``digest``: :func:`digest_of` the content, when
        the caller has it already."""
        digest = digest or digest_of(content)
        if derived is not None:
            readers = cls.from_derived(content, derived, digest)
            if readers is not None:
                return readers
        return cls(crisis.detector_for(content), situation.reader_for(content), digest, True)

    @classmethod
    def from_derived(
        cls, content: Content, derived: Mapping[str, Any], digest: str
    ) -> Readers | None:
        """The readers from ``derived`` (never trained here), or None when it does not fit
        ``digest`` or is damaged. ``content`` may be without its examples (a serving
        process lets them go first): nothing here reads them."""
        if derived.get("format") != FORMAT or derived.get("digest") != digest:
            return None
        try:
            return cls(
                crisis.detector_for(content, model=derived["crisis"]),
                situation.reader_for(content, model=derived["situation"]),
                digest,
                False,
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
            return None  # damaged data: never trusted

    def derived(self) -> dict[str, Any]:
        """What was trained, as plain JSON-ready data (see :meth:`build`)."""
        return {
            "format": FORMAT,
            "digest": self.digest,
            "crisis": self.crisis.model_data(),
            "situation": self.situation.model_data(),
        }
