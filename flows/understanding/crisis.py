"""Crisis understanding: does a typed message say "I want to die" or "I am in danger now"?

Safety rule number one: whoever types that they want to die, or that they are in
danger right now, gets 113 or 112 at once, from every state, without a session.
A list of phrases is always one phrasing behind, so three parts look at every
message, each made to generalise in its own way:

1. **Phrases** (``phrases/crisis.yaml``): plain sentences, their words in order
   with at most two other words between them. Unmistakable: *sure*.
2. **Concept patterns** (``phrases/crisis-concepts.yaml``): words are first read
   as *concepts* (``i``, ``want``, ``die``, ``end``, ``life``, ``threat``,
   ``door``, ``locked`` ...) and a pattern names concepts that must all occur
   within a window of words, in any order, unless a cancelling concept is near
   ("dood van het *lachen*"). This carries word order, inserted words, verb forms
   (``vermoord*``), youth spelling (``k``, ``n``, ``nie`` via the ``spelling``
   table) and small typos. Each pattern says whether it is *sure* or *possible*.
3. **A classifier** trained on the examples in ``phrases/crisis-examples/`` (only
   their ``train`` part): logistic regression over word and character n-grams and
   concept pairs, one model per kind. It is trained when the content is built
   (or read back as data from a cache kept by the host) and scores with plain dicts of
   weights, so a message costs about a tenth of a millisecond. It speaks alone
   only when a *signal* concept occurs outside an ordinary context: from
   POSSIBLE_AT *possible*, from SURE_AT *sure*. For a possible pattern it gives a
   second opinion: the pattern counts unless the classifier, on its best
   sentence, gives that kind less than RULE_FLOOR. Long messages are scored
   window by window, so one crisis sentence inside a long message still counts.

The result is a :class:`Verdict`: ``sure`` (the crisis screen at once),
``possible`` (a short check with 113/112 already visible) or ``no``; the kind
(``suicide`` -> 113, ``danger`` -> 112, ``both``); and which part decided.

Pure: no I/O, no clock, no logging, no cache of anything typed. The text lives
for one call only. scikit-learn is imported only to train.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from flows.match import Typed
from flows.understanding.classifier import (
    Model,
    features,
    known_words,
    train,
    weights_from_data,
    weights_to_data,
)
from flows.understanding.lexicon import Lexicon, bits_of, names_of
from flows.understanding.rules import (
    FAR_AFTER,
    FAR_BEFORE,
    PHRASE_GAP,
    UNLESS_BEFORE,
    WINDOW_SLACK,
    Rule,
    anchored_on,
    full_stops,
    heard_of,
    look_back,
)
from flows.understanding.words import EOS, first_words, norm_word, words

if TYPE_CHECKING:
    from flows.content import Content
    from flows.schema import CrisisConceptsFile

Outcome = Literal["sure", "possible", "no"]
KINDS = ("suicide", "danger")

# Classifier thresholds on the probability of each kind, chosen by 5-fold
# cross-validation on the training examples only.
POSSIBLE_AT = 0.85
SURE_AT = 0.99
OWN_SURE_CAP = 0.98  # in a long message, below SURE_AT unless the signal's own sentence is sure
RULE_FLOOR = 0.005  # a *possible* rule counts only when the classifier gives its kind this much
# A post of this many sentences (ended by . ! ? or a new line) is read as a post, not as a
# cry: mood words alone (hopeless, fed up, "i can't anymore") do not make it a crisis there.
POST_SENTENCES = 3
POST_WORDS = 3  # different words in each of them: "hoi hoi." is a greeting


def is_post(tokens: Sequence[str], flags: Sequence[bool], asides: Set[str] = frozenset()) -> bool:
    """Whether a message is a post: POST_SENTENCES sentences of POST_WORDS different words
    or more (``asides``, greetings and words of talk, not counted), each ended by a full
    stop (``flags``: per EOS in ``tokens``, whether it is one). A cry between greetings
    ("hoi hey. ik kan niet meer, het is klaar! hoi ok") is no post."""
    sentences = k = 0
    said: set[str] = set()
    for token in tokens:
        if token != EOS:
            if token not in asides:
                said.add(token)
            continue
        full = flags[k] if k < len(flags) else True
        k += 1
        if full:
            sentences += len(said) >= POST_WORDS
            said = set()
    return sentences >= POST_SENTENCES


def without_asides(
    tokens: Sequence[str], flags: Sequence[bool], asides: Set[str]
) -> tuple[list[str], list[bool]]:
    """``tokens`` (and the full-stop ``flags`` of their EOS) without the sentences that are
    only greetings and words of talk ("hoi . hoi . ik heb alles geregeld ! hoi"): they say
    nothing, and around a cry they would dilute the classifier's reading of it."""
    kept: list[str] = []
    kept_flags: list[bool] = []
    sentence: list[str] = []
    k = 0
    for token in tokens:
        if token != EOS:
            sentence.append(token)
            continue
        full = flags[k] if k < len(flags) else True
        k += 1
        if sentence and all(t in asides for t in sentence):
            sentence = []
            continue
        kept.extend(sentence)
        kept.append(EOS)
        kept_flags.append(full)
        sentence = []
    if sentence and not all(t in asides for t in sentence):
        kept.extend(sentence)
    return kept, kept_flags


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the detector made of one message. ``reason`` names a rule or model, never text."""

    outcome: Outcome
    kind: str | None  # 'suicide', 'danger', 'both' or None
    reason: str

    @property
    def kinds(self) -> frozenset[str]:
        if self.kind == "both":
            return frozenset(KINDS)
        return frozenset({self.kind}) if self.kind else frozenset()


NO = Verdict("no", None, "nothing found")


# A signal word is ordinary for the classifier alone with one of these right next to it
# (signal concept, ordinary concepts, words before, words after).
NEAR_ORDINARY = (
    ("kill", "body", 2, 2),  # "my legs are killing me"
    ("kill", "period", 2, 2),  # "se termina contractul"
    ("end", "period", 2, 2),  # "when my contract ends", "at the end of the month"
    ("miss", "they|you", 0, 2),  # "i miss her every day"; not "they won't miss me"
    ("locked", "feel", 3, 0),  # "i feel trapped", "ik voel me gevangen": an image
    ("end", "work|relation", 0, 3),  # "i want to quit this job", "stoppen met dit werk"
    ("die", "family", 3, 0),  # "since my grandad died", "бабуся померла": someone else
    ("die", "almost", 2, 0),  # "i nearly died when he texted back"
    ("disappear", "work", 0, 3),  # "even verdwijnen van school": for a while, from a place
    ("way_out", "situation", 0, 4),  # "no way out of this situation": a problem to solve
    ("kill", "thing", 3, 2),  # "pantofii ăștia mă omoară": these shoes are killing me
    ("hopeless", "without", 0, 2),  # "everything feels pointless without her"
    ("die", "tired", 2, 2),  # "dead tired", "dood moe"
    ("die_en", "for_en", 0, 1),  # "i would die for a weekend off"
    ("threat", "economic", 1, 3),  # "they threaten to fire me", "dreigen me eruit te zetten"
)

_GLUE = r"\w\u200b-\u200f\u2060\ufeff\u00ad"  # a word character, or an invisible one
_DIGIT = re.compile(r"\d")  # without one, _NUMBER has nothing to find
_NUMBER = re.compile(rf"(?<![{_GLUE}])(?!11[23](?!\w))\d\d+(?![{_GLUE}])")


def numbers(text: str) -> str:
    """The text with its numbers of two or more digits left out, except 112 and 113:
    digits are read as the letters they look like ("k1ll"), so "12 hours" would read as
    "i2", which is 112. One digit may be a letter (Arabizi "ra 7"), so it stays, and so
    does a number glued to a word by an invisible character."""
    return _NUMBER.sub(" ", text) if _DIGIT.search(text) else text


def kind_of(kinds: Iterable[str]) -> str | None:
    found = set(kinds)
    if found >= set(KINDS):
        return "both"
    return next(iter(found), None)


def expand(kind: str) -> tuple[str, ...]:
    """'both' as both kinds; a kind as itself."""
    return KINDS if kind == "both" else (kind,)


@dataclass(frozen=True)
class Detector:
    """Everything needed to judge one message; built once per content, shared, immutable."""

    spelling: Mapping[str, tuple[str, ...]]
    lexicon: Lexicon
    names: tuple[str, ...]  # concept names by bit; phrase words come after them as "=word"
    concept_count: int
    rules: tuple[Rule, ...]
    model: Model | None
    signal_mask: int = 0  # concepts that let the classifier speak on its own
    ordinary: int = 0  # concepts that make a signal word ordinary (joke, game, past)
    eos_bit: int = 0  # the concept `eos`: the last word of a sentence
    negation: int = 0  # the concept `not`
    particle: int = 0  # the concept `particle`
    symbols: Mapping[int, str] = field(default_factory=dict)  # emoji -> " word "
    fillers: frozenset[str] = frozenset()  # skipped between two words read together
    skip: frozenset[str] = frozenset()  # swear words and intensifiers: read as not there
    settled: int = 0  # concepts that make a signal ordinary from further away (relative)
    problems: tuple[tuple[str, tuple[str | int, ...], str], ...] = field(default=())
    # (signal concepts, concepts that make them ordinary, words before, words after): a
    # body part by "kill" ("my legs are killing me"), a period by "end" ("when my contract
    # ends"), someone just after "miss" ("i miss her", not "nobody would miss me")
    near_ordinary: tuple[tuple[int, int, int, int], ...] = ()
    asides: frozenset[str] = frozenset()  # greetings, words of talk: no words of a post
    mood_mask: int = 0  # signals that are a mood: in a post they need a stronger sign
    mood_rules: frozenset[str] = frozenset()  # names of `mood` patterns
    # language -> its small words: a rule of one language's words (`lang`) is left out of a
    # message with another language's small words and none of its own (Dutch "door" is
    # "by", not the English door); a message with none at all is read by every rule
    looks: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # concept bit -> indexes of the rules anchored on it (see :func:`rule_anchors`);
    # empty: every rule is looked at
    anchors: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    # language -> concepts whose words are words of that language only (Dutch "last", a
    # burden, is English "last"): not read in a message that looks like another language
    # only (see :meth:`concepts_each`)
    concept_langs: Mapping[str, int] = field(default_factory=dict)

    @functools.cached_property
    def table(self) -> tuple[tuple[int, Rule, tuple[str, ...], bool], ...]:
        """The rules as (concepts needed, rule, kinds, sure), for a quick first check."""
        return tuple((r.mask, r, expand(r.kind), r.level == "sure") for r in self.rules)

    @functools.cached_property
    def firsts(self) -> frozenset[str]:
        """The first words of two-word spellings (see :func:`words`)."""
        return first_words(self.spelling)

    def model_data(self) -> dict[str, Any] | None:
        """The trained classifier as plain data, for a cache (None without a classifier)."""
        if self.model is None:
            return None
        rows = {f: (w.real, w.imag) for f, w in self.model.weights.items()}
        data = weights_to_data(rows, self.model.intercept)
        data["known"] = sorted(self.lexicon.known)  # so a warm start tokenises no examples
        return data

    def assess(self, text: str) -> Verdict:
        """Judge one message. Never raises for any text; keeps nothing of it."""
        return decide(*self.evidence(text, needed=True))

    def evidence(
        self, text: str, *, needed: bool = False
    ) -> tuple[dict[str, str], dict[str, str], tuple[float, float], bool, tuple[float, float]]:
        """What each part found: sure rules and possible rules (kind -> rule name), the
        classifier's probability per kind, whether a signal concept occurs, and the
        classifier's second opinion for the rules (its best sentence). ``needed``: the
        classifier is asked only when what it says can change the verdict (:func:`decide`):
        with a possible rule or a signal concept; else its probabilities are given as 0."""
        flags: list[bool] = []
        tokens = words(
            numbers(text),
            self.spelling,
            self.symbols,
            self.fillers,
            self.skip,
            stops=flags,
            firsts=self.firsts,
        )
        if self.asides:
            tokens, flags = without_asides(tokens, flags, self.asides)
        if not tokens:
            return {}, {}, (0.0, 0.0), False, (0.0, 0.0)
        per_token = self.concepts_each(tokens)  # EOS is no word: 0
        heard = heard_of(tokens, per_token, self.eos_bit)
        stops = full_stops(tokens, flags)
        present = 0
        for bits in heard:
            present |= bits
        post = is_post(tokens, flags, self.asides)
        sure: dict[str, str] = {}
        hints: dict[str, str] = {}
        moods: dict[str, str] = {}
        where: dict[int, list[int]] = {}
        langs: set[str] | None = None  # the languages the message looks like, when asked
        if present:
            table, anchors = self.table, self.anchors
            chosen: Iterable[tuple[int, Rule, tuple[str, ...], bool]] = table
            if anchors:
                # Only the rules anchored on a concept of the message, in rule order (the
                # first rule of a kind that matches names it): a dozen of some 800.
                chosen = [table[i] for i in anchored_on(anchors, present)]
            for mask, rule, kinds, is_sure in chosen:
                if present & mask != mask:  # most rules stop here: one AND per rule
                    continue
                if is_sure and all(k in sure for k in kinds):
                    continue
                if rule.lang:
                    if langs is None:
                        langs = self._looks_like(tokens)
                    if langs and rule.lang not in langs:  # another language's small words only
                        continue
                if rule.found(heard, where, stops):
                    target = sure if is_sure else hints
                    if post and rule.name in self.mood_rules:
                        target = moods
                    for kind in kinds:
                        target.setdefault(kind, rule.name)
        if moods and (sure or hints):  # a mood next to another sign counts as before
            for kind, name in moods.items():
                hints.setdefault(kind, name)
        probs = (0.0, 0.0)
        floors = (RULE_FLOOR, RULE_FLOOR)  # no examples, no classifier: the rules decide alone
        signals = self._signals(heard)
        if post and self.mood_mask:
            # In a post, a mood word alone ("i feel worthless", "it's all over") does not
            # let the classifier decide: many sad words add up without saying it.
            signals = [i for i in signals if heard[i] & self.signal_mask & ~self.mood_mask]
        if needed and not hints and not signals:
            return sure, hints, probs, False, floors  # the sure rules decide alone
        if self.model is not None:
            mask = (1 << self.concept_count) - 1
            concepts = [b & mask for b in per_token]
            probs, floors = self.model.score(tokens, concepts, self.names)
            if signals and max(probs) >= POSSIBLE_AT:
                probs = self._near_signals(tokens, concepts, signals, probs, post=post, stops=flags)
        return sure, hints, probs, bool(signals), floors

    def _looks_like(self, tokens: Sequence[str]) -> set[str]:
        """The languages whose small words (``looks``) occur in the message; empty: none."""
        said = set(tokens)
        return {k for k, small in self.looks.items() if not small.isdisjoint(said)}

    def concepts_each(self, tokens: Sequence[str]) -> list[int]:
        """The concepts of each token (EOS: 0), without the concepts of one language's words
        (``concept_langs``) in a message that has another language's small words and none
        of its own: "i moved here last month" has no Dutch "last" (a burden) in it. A mixed
        message keeps them. (Not for a word a message of the other language may well use:
        "ik wil die" has no English small word, so English "die" is not listed.)"""
        bits = self.lexicon.bits_each(tokens)
        if not self.concept_langs:
            return bits
        present = 0
        for b in bits:
            present |= b
        if not any(present & mask for mask in self.concept_langs.values()):
            return bits
        langs = self._looks_like(tokens)
        foreign = 0
        for lang, mask in self.concept_langs.items():
            if langs and lang not in langs:
                foreign |= mask
        return [b & ~foreign for b in bits] if foreign else bits

    def _near_signals(
        self,
        tokens: Sequence[str],
        concepts: Sequence[int],
        signals: Sequence[int],
        whole: tuple[float, float],
        *,
        post: bool = False,
        stops: Sequence[bool] = (),
    ) -> tuple[float, float]:
        """The classifier's say alone in a message of several sentences: the best score of
        the text around each signal word (its sentence and the ones just before and after),
        not of the whole message. A long story about work or love with one "end" or
        "locked" in it is not judged on the weight of all its other words; a crisis
        sentence keeps its own score wherever it stands. ``stops``: per EOS, whether it is
        a full stop (. ! ? or a new line) rather than a comma; a signal's own sentence in a
        post runs from full stop to full stop ("ik heb pillen gevonden, ik neem ze allemaal"
        is one sentence however many greetings stand around it)."""
        model = self.model
        ends = [i for i, t in enumerate(tokens) if t == EOS]
        if model is None or len(ends) < 4:  # up to three sentences: "around" is all of it
            return whole
        words_at = [i for i, t in enumerate(tokens) if t != EOS]  # heard index -> token index
        bounds = [-1, *ends]
        if bounds[-1] != len(tokens) - 1:
            bounds.append(len(tokens) - 1)
        full = [-1, *(e for n, e in enumerate(ends) if n >= len(stops) or stops[n])]
        if full[-1] != len(tokens) - 1:
            full.append(len(tokens) - 1)
        best = (0.0, 0.0)
        spans = set()
        for position in signals:
            at = words_at[position]
            k = next(j for j in range(1, len(bounds)) if bounds[j] >= at)  # its sentence
            mine = (bounds[k - 1] + 1, bounds[k] + 1)
            if post:  # the whole sentence, commas and all
                f = next(j for j in range(1, len(full)) if full[j] >= at)
                mine = (full[f - 1] + 1, full[f] + 1)
            spans.add((bounds[max(0, k - 2)] + 1, bounds[min(len(bounds) - 1, k + 1)] + 1, *mine))
        for lo, hi, own_lo, own_hi in spans:
            local, _ = model.score(tokens[lo:hi], concepts[lo:hi], self.names)
            own, _ = model.score(tokens[own_lo:own_hi], concepts[own_lo:own_hi], self.names)
            # The sentences around may add up to a check, never to the screen: many sad or
            # hard words in a long story are not one sentence that says it.
            capped = [min(p, max(o, OWN_SURE_CAP)) for p, o in zip(local, own, strict=True)]
            if post:  # in a post the signal's own sentence must say it
                capped = [min(p, o) for p, o in zip(local, own, strict=True)]
            best = (max(best[0], capped[0]), max(best[1], capped[1]))
        return best

    def _signals(self, heard: Sequence[int]) -> list[int]:
        """Where a signal concept is not near an ordinary-context word ("dood van het
        lachen", "een werkstuk over zelfdoding") and not just after a "not" word ("nooit aan
        zelfmoord gedacht"): only then may the classifier speak alone."""
        found: list[int] = []
        for i, bits in enumerate(heard):
            if not bits & self.signal_mask:
                continue
            if any(h & self.ordinary for h in heard[max(0, i - UNLESS_BEFORE) : i + 7]):
                continue
            # A body part right next to "kill" is an ache ("my legs are killing me", "nogi
            # mnie zabijają"; self-harm is told with other verbs: cut, hurt); a contract or
            # a month next to "end" is a date. Only the classifier's say alone is held back.
            if any(
                bits & signal and any(h & near for h in heard[max(0, i - before) : i + after + 1])
                for signal, near, before, after in self.near_ordinary
            ):
                continue
            if self.settled and self._settled_near(heard, i):
                continue
            start = look_back(
                heard, i, UNLESS_BEFORE, self.eos_bit, self.particle
            )  # "не искам да умра"
            if not any(h & self.negation for h in heard[start:i]):
                found.append(i)
        return found

    def _settled_near(self, heard: Sequence[int], i: int) -> bool:
        """A word that says it is about someone else ("a girl who killed herself", "pleegde")
        near the signal, not just after a "not", as far as a rule's `unless_far` reaches.
        Only the classifier's say alone is held back: the rules still read the message."""
        end = min(len(heard), i + FAR_AFTER + 1)
        for j in range(look_back(heard, i, FAR_BEFORE, self.eos_bit), end):
            if heard[j] & self.settled and not any(
                h & self.negation for h in heard[max(0, j - 2) : j]
            ):
                return True
        return False

    def probabilities(self, text: str) -> tuple[float, float]:
        """The classifier's probabilities alone (for the operator's `baken content crisis`)."""
        if self.model is None:
            return (0.0, 0.0)
        tokens = words(numbers(text), self.spelling, self.symbols, self.fillers, self.skip)
        return self.model.probabilities(self.anchored(text), [t == EOS for t in tokens])[0]

    def anchored(self, text: str) -> list[list[str]]:
        """The classifier's features of ``text``, per word."""
        tokens = words(numbers(text), self.spelling, self.symbols, self.fillers, self.skip)
        mask = (1 << self.concept_count) - 1
        concepts = [b & mask for b in self.concepts_each(tokens)]
        return features(tokens, concepts, self.names)

    def concepts_of(self, text: str) -> list[tuple[str, list[str]]]:
        """Each word as the detector reads it, with its concepts (for the operator)."""
        tokens = words(numbers(text), self.spelling, self.symbols, self.fillers, self.skip)
        found = [t for t in tokens if t != EOS]
        heard = heard_of(tokens, self.concepts_each(tokens), self.eos_bit)
        return [(t, names_of(h, self.names)) for t, h in zip(found, heard, strict=True)]


def decide(
    sure_rules: Mapping[str, str],
    hints: Mapping[str, str],
    probs: tuple[float, float],
    signal: bool,
    floors: tuple[float, float] | None = None,
) -> Verdict:
    """Combine the parts. A sure rule is sure. A possible rule is possible unless the
    classifier all but rules the kind out (below RULE_FLOOR). The classifier alone needs a
    signal concept in the message (a word about dying, hurting, danger ...): possible from
    POSSIBLE_AT, sure from SURE_AT."""
    sure = dict(sure_rules)
    possible: dict[str, str] = {}
    for kind, p, floor in zip(KINDS, probs, floors or probs, strict=True):
        # Once one kind is sure, a rule for the other kind needs no second opinion.
        if kind not in sure and kind in hints and (floor >= RULE_FLOOR or sure_rules):
            possible[kind] = f"{hints[kind]} (classifier p={floor:.2f})"
        if signal and p >= SURE_AT:
            sure.setdefault(kind, f"classifier p={p:.2f}")
        elif signal and p >= POSSIBLE_AT:
            possible.setdefault(kind, f"classifier p={p:.2f}")
    if sure:
        kinds = set(sure) | set(possible)
        reason = "; ".join(f"{k}: {sure.get(k) or possible[k]}" for k in KINDS if k in kinds)
        return Verdict("sure", kind_of(kinds), reason)
    if possible:
        reason = "; ".join(f"{k}: {possible[k]}" for k in KINDS if k in possible)
        return Verdict("possible", kind_of(possible), reason)
    return NO


def rule_anchors(rules: Sequence[Rule]) -> dict[int, tuple[int, ...]]:
    """Concept bit -> the indexes of the rules to look at when that concept is in a message:
    each rule under the highest bit of its mask (a phrase's own word, or its least common
    concept), so a message looks at about a dozen rules. Under 0: rules that need nothing
    (none so far), looked at in every message."""
    out: dict[int, list[int]] = {}
    for index, rule in enumerate(rules):
        bit = 1 << (rule.mask.bit_length() - 1) if rule.mask else 0
        out.setdefault(bit, []).append(index)
    return {bit: tuple(indexes) for bit, indexes in out.items()}


def _laughing(rule: Rule, laugh: int) -> list[Rule]:
    """Laughing near a match ("lol", "haha", 😂) cancels danger rules and possible rules
    ("mn moeder vermoordt me haha", "im dead lol"); a sure suicide rule said laughing is
    still asked about ("ik wil dood lol" gets the check): a cry for help is often masked."""
    if not laugh:
        return [rule]
    cancelled = dataclasses.replace(rule, unless=rule.unless | laugh)
    if rule.kind == "danger" or rule.level != "sure":
        return [cancelled]
    return [cancelled, dataclasses.replace(rule, name=f"{rule.name} (laughing)", level="possible")]


def training_set(content: Content) -> list[tuple[str, str]]:
    """(text, kind) for every training example, and every sure phrase as an example too."""
    rows: list[tuple[str, str]] = []
    for kind in KINDS:
        for phrases in getattr(content.crisis, kind).values():
            rows.extend((p, kind) for p in phrases)
    for examples in content.crisis_examples.values():
        for kind in (*KINDS, "both", "none"):
            rows.extend((t, kind) for t in getattr(examples.train, kind))
    return rows


def sources(content: Content) -> list[Any]:
    """Everything the detector is made from, as JSON-ready data (for a digest)."""
    phrases = {k: getattr(content.crisis, k) for k in KINDS}
    return [content.crisis_concepts.model_dump(mode="json"), phrases, training_set(content)]


def detector_for(
    content: Content, model: Mapping[str, Any] | None = None, *, trained: bool = True
) -> Detector:
    """Build the detector for this content. ``model``: the classifier as
    :meth:`Detector.model_data` gave it for the same sources (read from a cache by the
    host); without it the classifier is trained here (seconds, and scikit-learn)."""
    concepts = content.crisis_concepts
    phrases = {k: getattr(content.crisis, k) for k in KINDS}
    # Compiled once per content value (its content check and its readers both come here),
    # with what they were compiled from: a copy of the content with other crisis files
    # compiles its own.
    kept = content.compiled.get("crisis rules")
    if isinstance(kept, tuple) and kept[0] is concepts and kept[1] is content.crisis:
        rules: _Rules = kept[2]
    else:
        rules = _compile_rules(concepts, phrases)
        content.compiled["crisis rules"] = (concepts, content.crisis, rules)
    return build(
        concepts, phrases, training_set(content), model=model, trained=trained, compiled=rules
    )


@dataclass(frozen=True)
class _Rules:
    """What :func:`build` compiles from the concepts and phrases alone (no examples, no
    model): the same for a content check and for the readers of one content version."""

    spelling: dict[str, tuple[str, ...]]
    fillers: frozenset[str]
    symbols: dict[int, str]
    skip: frozenset[str]
    entries: dict[str, int]  # normalised word -> concept bits (phrase words included)
    names: list[str]  # concept names, then one "=word" per phrase word
    index: dict[str, int]  # concept name -> its bit
    rules: list[Rule]
    problems: tuple[tuple[str, tuple[str | int, ...], str], ...]
    signal_ordinary: int  # concepts that make a signal word ordinary for the classifier
    looks: dict[str, frozenset[str]]  # language -> its small words, as read


def _compile_rules(
    concepts: CrisisConceptsFile, phrases: Mapping[str, Mapping[str, Sequence[str]]]
) -> _Rules:
    problems: list[tuple[str, tuple[str | int, ...], str]] = []
    spelling: dict[str, tuple[str, ...]] = {}
    for typed, meant in concepts.spelling.items():
        key = " ".join(Typed.of(typed).tokens)
        value = tuple(Typed.of(meant).tokens)
        if not key or key.count(" ") > 1 or not value:
            problems.append(("crisis-concepts", ("spelling", typed), "use one or two typed words"))
            continue
        spelling[key] = value
    fillers = frozenset(w for f in concepts.fillers for w in Typed.of(f).tokens)
    symbols: dict[int, str] = {}
    for symbol, meant in concepts.emoji.items():
        if len(symbol) != 1:
            problems.append(("crisis-concepts", ("emoji", symbol), "use one character"))
            continue
        symbols[ord(symbol)] = f" {meant} "
    names = list(concepts.concepts)
    entries: dict[str, int] = {}
    for bit, (name, members) in enumerate(concepts.concepts.items()):
        for i, member in enumerate(members):
            norm = norm_word(member)
            if not norm or " " in norm.rstrip("*"):
                problems.append(
                    ("crisis-concepts", ("concepts", name, i), f"'{member}' must be one word")
                )
                continue
            entries[norm] = entries.get(norm, 0) | 1 << bit
    # A verb whose first-person ending or prefix says "I" (languages that drop the word):
    # every prefix + stem + ending is read as the verb's concept and `i`.
    bit_of = {name: 1 << bit for bit, name in enumerate(names)}
    for n, group in enumerate(concepts.first_person):
        for name, verb_stems in group.verbs.items():
            if name not in bit_of or "i" not in bit_of:
                problems.append(("crisis-concepts", ("first_person", n, name), "unknown concept"))
                continue
            for stem in verb_stems:
                for prefix in group.prefixes:
                    for ending in group.endings:
                        norm = norm_word(prefix + stem + ending)
                        if not norm or " " in norm or "*" in norm:
                            problems.append(
                                ("crisis-concepts", ("first_person", n, name), f"'{stem}'")
                            )
                            continue
                        entries[norm] = entries.get(norm, 0) | bit_of[name] | bit_of["i"]
    # Swear words and intensifiers are read as not there; a concept's own word never is,
    # nor a word that a concept's stem covers ("bloody" when blood* were a concept's word).
    stems = tuple(e[:-1] for e in entries if e.endswith("*") and not e.startswith("*"))
    skip = frozenset(
        w
        for f in concepts.intensifiers
        for w in Typed.of(f).tokens
        if w not in entries and not w.startswith(stems)
    )
    rules: list[Rule] = []
    phrase_words: dict[str, int] = {}

    def word_bit(word: str) -> int:
        if word not in phrase_words:
            phrase_words[word] = len(names)
            names.append(f"={word}")
            entries[word] = entries.get(word, 0) | 1 << phrase_words[word]
        return 1 << phrase_words[word]

    index = {name: 1 << bit for bit, name in enumerate(concepts.concepts)}
    laugh = index.get("laugh", 0)
    ordinary = index.get("joke", 0) | index.get("game", 0)
    signal_ordinary = ordinary | laugh | index.get("past", 0) | index.get("chore", 0)
    signal_ordinary |= index.get("thing", 0) | index.get("feeling", 0)  # a shelf, a heartbeat
    signal_ordinary |= index.get("illness", 0)  # "without the operation he will die"
    negation = index.get("not", 0)
    for kind in KINDS:
        for lang, items in phrases[kind].items():
            for phrase in items:
                spelled = [w for w in words(phrase, spelling, symbols, fillers, skip) if w != EOS]
                if not spelled:
                    continue
                need = tuple(word_bit(w) for w in spelled)
                # A "not" just before cancels ("i'm not going to hurt myself"), unless the
                # phrase says "not" itself ("ik wil niet meer leven").
                negated = any(entries.get(w, 0) & negation for w in spelled)
                rules.extend(
                    _laughing(
                        Rule(
                            f"phrase '{phrase}' ({lang})",
                            kind,
                            "sure",
                            need,
                            True,
                            len(need),
                            ordinary | (0 if negated else negation),
                            negation,
                            negation=negation,
                            eos=index.get("eos", 0),
                            particle=index.get("particle", 0),
                        ),
                        laugh,
                    )
                )
    looks: dict[str, frozenset[str]] = {}
    for lang, listed in concepts.looks.items():
        read: set[str] = set()
        for small in listed:
            as_read = [w for w in words(small, spelling, symbols, fillers) if w != EOS]
            respelled = " ".join(Typed.of(small).tokens) in spelling
            if len(as_read) != 1 or respelled:  # it would silently stop counting as itself
                problems.append(
                    (
                        "crisis-concepts",
                        ("looks", lang),
                        f"'{small}' is read as {' '.join(as_read) or 'nothing'}: leave it out",
                    )
                )
            read.update(as_read)
        looks[lang] = frozenset(read)
    for i, pattern in enumerate(concepts.patterns):
        needed = [c for item in pattern.all for c in re.split(r"[&|]", item)]
        unknown = [c for c in (*needed, *pattern.unless, *pattern.unless_far) if c not in index]
        if unknown:
            problems.append(
                ("crisis-concepts", ("patterns", i), f"unknown concept(s): {', '.join(unknown)}")
            )
            continue
        if pattern.lang and not looks.get(pattern.lang):
            problems.append(
                ("crisis-concepts", ("patterns", i), f"no `looks` words for '{pattern.lang}'")
            )
            continue
        unless = bits_of(index, pattern.unless)
        name = pattern.name or "+".join(pattern.all)
        # "a|b" is either concept: one rule per combination. "a&b": one word with both.
        choices = [item.split("|") for item in pattern.all]
        for combination in itertools.product(*choices):
            rules.extend(
                _laughing(
                    Rule(
                        f"pattern {name}",
                        pattern.kind,
                        pattern.level,
                        tuple(bits_of(index, item.split("&")) for item in combination),
                        pattern.order,
                        pattern.window + WINDOW_SLACK,
                        unless,
                        after=pattern.after,
                        far=bits_of(index, pattern.unless_far),
                        negation=negation,
                        eos=index.get("eos", 0),
                        particle=index.get("particle", 0),
                        gap=max(PHRASE_GAP, pattern.window + WINDOW_SLACK - len(combination)),
                        one_sentence=True,
                        lang=pattern.lang or "",
                    ),
                    laugh,
                )
            )
    # Sure rules first: once a kind is sure, its other sure rules need not run.
    rules.sort(key=lambda r: r.level != "sure")
    return _Rules(
        spelling,
        fillers,
        symbols,
        skip,
        entries,
        names,
        index,
        rules,
        tuple(problems),
        signal_ordinary,
        looks,
    )


def build(
    concepts: CrisisConceptsFile,
    phrases: Mapping[str, Mapping[str, Sequence[str]]],
    rows: Sequence[tuple[str, str]],
    *,
    model: Mapping[str, Any] | None = None,
    trained: bool = True,
    compiled: _Rules | None = None,
) -> Detector:
    """Compile the lexicon and rules, and train the classifier on ``rows`` (or take the
    trained ``model`` data). ``compiled``: the rules already compiled from ``concepts`` and
    ``phrases`` (:func:`detector_for` keeps them with the content)."""
    rules_of = compiled if compiled is not None else _compile_rules(concepts, phrases)
    spelling, symbols, fillers, skip = (
        rules_of.spelling,
        rules_of.symbols,
        rules_of.fillers,
        rules_of.skip,
    )
    entries, names, index, rules = rules_of.entries, rules_of.names, rules_of.index, rules_of.rules
    problems = list(rules_of.problems)
    concept_count = len(concepts.concepts)
    signal_ordinary, negation = rules_of.signal_ordinary, index.get("not", 0)
    # Words of the examples, and the fillers, are real words: never read as a typo.
    # A typo that could be a joke, game or past word or a word that means something is
    # read as the latter: a slip never cancels a crisis word.
    if model is not None:
        lexicon = Lexicon.build(entries, known_words(model) | fillers, signal_ordinary)
    elif trained:
        known = {
            w for text, _ in rows for w in words(numbers(text), spelling, symbols, fillers, skip)
        }
        lexicon = Lexicon.build(entries, known | fillers, signal_ordinary)
    else:  # only checking the files: the typo index is not needed for that
        lexicon = Lexicon.build({}, ())
    signal_mask = 0
    for i, name in enumerate(concepts.signals):
        if name in index:
            signal_mask |= index[name]
        else:
            problems.append(("crisis-concepts", ("signals", i), f"unknown concept: {name}"))
    mood_mask = 0
    for i, name in enumerate(concepts.mood_signals):
        if name in index and index[name] & signal_mask:
            mood_mask |= index[name]
        else:
            problems.append(("crisis-concepts", ("mood_signals", i), f"not a signal: {name}"))
    concept_langs: dict[str, int] = {}
    for lang, listed in concepts.concept_langs.items():
        if not rules_of.looks.get(lang):
            problems.append(
                ("crisis-concepts", ("concept_langs", lang), f"no `looks` words for '{lang}'")
            )
            continue
        for name in listed:
            if name in index:
                concept_langs[lang] = concept_langs.get(lang, 0) | index[name]
            else:
                problems.append(
                    ("crisis-concepts", ("concept_langs", lang), f"unknown concept: {name}")
                )
    mood_rules = frozenset(
        f"pattern {p.name or '+'.join(p.all)}" for p in concepts.patterns if p.mood
    )
    detector = Detector(
        spelling,
        lexicon,
        tuple(names),
        concept_count,
        tuple(rules),
        None,
        signal_mask,
        signal_ordinary,
        index.get("eos", 0),
        negation,
        index.get("particle", 0),
        symbols,
        fillers,
        skip,
        index.get("relative", 0),
        tuple(problems),
        asides=frozenset(
            w
            for a in concepts.asides
            for w in words(a, spelling, symbols, fillers, skip)
            if w != EOS
        ),
        near_ordinary=tuple(
            (index[signal], bits_of(index, near.split("|")), before, after)
            for signal, near, before, after in NEAR_ORDINARY
            if signal in index and all(n in index for n in near.split("|"))
        ),
        mood_mask=mood_mask,
        mood_rules=mood_rules,
        looks=rules_of.looks,
        anchors=rule_anchors(rules),
        concept_langs=concept_langs,
    )
    if model is not None:
        weights, intercept = weights_from_data(model, len(KINDS))
    elif rows and trained:
        feats = [detector.anchored(t) for t, _ in rows]
        labels = [(int(k in ("suicide", "both")), int(k in ("danger", "both"))) for _, k in rows]
        weights, intercept = train(feats, labels)
    else:
        return detector
    pairs = {f: complex(w[0], w[1]) for f, w in weights.items()}
    return dataclasses.replace(detector, model=Model(pairs, (intercept[0], intercept[1])))
