"""The classifier: logistic regression over word and concept features, scored with dicts.

Features are anchored at each word: the word, the word pair ending there, character 3-
and 4-grams, the word's concepts and concept pairs within three words. Concept features
let what was learnt in one language carry to another (``k:passport`` is the same feature
in Polish and Arabic). Training uses scikit-learn, imported only in :func:`train`; a
trained model is plain data (:meth:`Model.to_data`), so it can be cached as JSON and a
serving process never imports the training libraries.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flows.understanding.lexicon import names_of
from flows.understanding.words import EOS

WINDOW = 14  # words per classifier window for long messages (examples are shorter)
C_REGULARISATION = 1.0
WEIGHT_FLOOR = 1e-3  # smaller weights are left out: they change no decision


def word_features(token: str) -> list[str]:
    """The features of a word on its own: the word and its character 3- and 4-grams."""
    padded = f" {token} "
    return [
        f"w:{token}",
        *[f"c:{padded[j : j + 3]}" for j in range(len(padded) - 2)],
        *[f"c:{padded[j : j + 4]}" for j in range(len(padded) - 3)],
    ]


def context_features(
    tokens: Sequence[str],
    concepts: Sequence[int],
    names: Sequence[str],
    i: int,
    named: dict[int, list[str]],
    *,
    ordered: bool = False,
) -> Iterator[str]:
    """The features of word ``i`` beyond the word itself, in this order: the word pair
    ending here, the word's concepts, and concept pairs within three words. ``named``:
    concept names per bits, kept by the caller for one message. The one definition that
    :func:`features`, :meth:`Model.score` and the situation reader all read.

    A concept pair is ``p:a|b`` in either order, or with ``ordered`` ``p:first>then`` in the
    order the words come: the situation reader's, where "he pays me" and "I pay him" differ
    (five-fold cross-validation on its train stories: ticks right 92.3 -> 93.0 %, together
    with its own regularisation; see ``ORDERED_PAIRS`` and ``SITUATION_C`` there)."""
    if i:
        yield f"b:{tokens[i - 1]}_{tokens[i]}"
    bits = concepts[i]
    if not bits:
        return
    mine = named.get(bits)
    if mine is None:
        mine = named[bits] = names_of(bits, names)
    for name in mine:
        yield f"k:{name}"
    for back in range(max(0, i - 3), i):
        before = concepts[back]
        if before:
            others = named.get(before)
            if others is None:
                others = named[before] = names_of(before, names)
            for other in others:
                for name in mine:
                    if ordered:
                        yield f"p:{other}>{name}"
                    else:
                        yield f"p:{name}|{other}" if name < other else f"p:{other}|{name}"


def features(
    tokens: Sequence[str],
    concepts: Sequence[int],
    names: Sequence[str],
    *,
    context_only: bool = False,
    chars: bool = True,
    ordered: bool = False,
) -> list[list[str]]:
    """Features anchored at each word: the word, the word pair ending here, character
    3- and 4-grams of the word (unless ``chars`` is False), its concepts, and concept pairs
    within three words (in the order they come with ``ordered``). ``context_only`` leaves out
    the word's own features (scored separately, once per word)."""
    out: list[list[str]] = []
    named: dict[int, list[str]] = {}  # lives for this call only
    for i, token in enumerate(tokens):
        if context_only:
            here = []
        elif chars:
            here = word_features(token)
        else:
            here = [f"w:{token}"]
        here.extend(context_features(tokens, concepts, names, i, named, ordered=ordered))
        out.append(here)
    return out


@dataclass(frozen=True)
class Model:
    """Weights per feature for each kind, and the intercepts: scoring needs no numpy.

    A feature's two weights (suicide, danger) are one complex number, suicide the real
    part: 32 bytes where a tuple of two floats took 104 (some 20,000 features, 1.4 MiB of
    a serving process). Complex numbers add part by part, so a sum is the very floats of
    adding each kind's weights on its own."""

    weights: Mapping[str, complex]
    intercept: tuple[float, float]

    def _sum(self, feats: Iterable[str]) -> tuple[float, float]:
        weights = self.weights
        total = 0j
        for f in feats:
            w = weights.get(f)
            if w is not None:
                total += w
        return total.real, total.imag

    def score(
        self, tokens: Sequence[str], concepts: Sequence[int], names: Sequence[str]
    ) -> tuple[tuple[float, float], tuple[float, float]]:
        """:meth:`probabilities` of a message, computing each distinct word's own part once
        (a long message repeats its words). The same sums as :meth:`probabilities` of
        :func:`features`, feature by feature in the same order, without keeping the
        features: a weight is looked up as each feature is made."""
        seen: dict[str, tuple[float, float]] = {}  # these live for this call only
        named: dict[int, list[str]] = {}
        per_word: list[tuple[float, float]] = []
        for i, token in enumerate(tokens):
            own = seen.get(token)
            if own is None:
                own = seen[token] = self._sum(word_features(token))
            s, d = self._sum(context_features(tokens, concepts, names, i, named))
            per_word.append((own[0] + s, own[1] + d))
        return self._windows(per_word, [t == EOS for t in tokens])

    def probabilities(
        self, anchored: Sequence[Sequence[str]], ends: Sequence[bool] = ()
    ) -> tuple[tuple[float, float], tuple[float, float]]:
        """The highest probability of each kind over windows of WINDOW words of the whole
        message; and the same over the message and each sentence on its own (``ends`` marks
        each sentence's last word), so a rule's crisis sentence gets its second opinion
        however much else is around it."""
        return self._windows([self._sum(feats) for feats in anchored], ends)

    def _windows(
        self, per_word: Sequence[tuple[float, float]], ends: Sequence[bool]
    ) -> tuple[tuple[float, float], tuple[float, float]]:
        if not per_word:
            empty = (sigmoid(self.intercept[0]), sigmoid(self.intercept[1]))
            return empty, empty
        spans = [(0, len(per_word))]
        start = 0
        for i, end in enumerate(ends):
            if end:
                if start > 0 or i + 1 < len(per_word):
                    spans.append((start, i + 1))
                start = i + 1
        whole_s, whole_d = _best_window(per_word)
        best_s, best_d = whole_s, whole_d
        for lo, hi in spans[1:]:
            s_best, d_best = _best_window(per_word[lo:hi])
            best_s = max(best_s, s_best)
            best_d = max(best_d, d_best)
        s0, d0 = self.intercept
        return (sigmoid(whole_s + s0), sigmoid(whole_d + d0)), (
            sigmoid(best_s + s0),
            sigmoid(best_d + d0),
        )


def _best_window(per_word: Sequence[tuple[float, float]]) -> tuple[float, float]:
    n = len(per_word)
    if n == 0:
        return -math.inf, -math.inf
    size = min(WINDOW, n)
    s_sum = sum(p[0] for p in per_word[:size])
    d_sum = sum(p[1] for p in per_word[:size])
    best_s, best_d = s_sum, d_sum
    for end in range(size, n):
        s_sum += per_word[end][0] - per_word[end - size][0]
        d_sum += per_word[end][1] - per_word[end - size][1]
        best_s = max(best_s, s_sum)
        best_d = max(best_d, d_sum)
    return best_s, best_d


def sigmoid(x: float) -> float:
    if x < -60:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


def train(
    rows: Sequence[Sequence[Sequence[str]]],
    labels: Sequence[Sequence[int]],
    *,
    c: float = C_REGULARISATION,
) -> tuple[dict[str, tuple[float, ...]], tuple[float, ...]]:
    """Logistic regression per label (scikit-learn, imported only here): the weight of each
    feature for every label, and the intercepts. A feature must occur in two rows."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    counts: dict[str, int] = {}
    for row in rows:
        for f in {f for feats in row for f in feats}:
            counts[f] = counts.get(f, 0) + 1
    vocabulary = {f: i for i, f in enumerate(sorted(f for f, c in counts.items() if c >= 2))}
    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    for row in rows:
        bag: dict[int, float] = {}
        for feats in row:
            for f in feats:
                index = vocabulary.get(f)
                if index is not None:
                    bag[index] = bag.get(index, 0.0) + 1.0
        for index, value in sorted(bag.items()):
            indices.append(index)
            data.append(value)
        indptr.append(len(indices))
    matrix = csr_matrix((data, indices, indptr), shape=(len(rows), len(vocabulary)))
    coefficients = []
    intercepts = []
    for k in range(len(labels[0]) if labels else 0):
        y = np.array([label[k] for label in labels])
        if y.min() == y.max():  # only one class: a constant model
            coefficients.append(np.zeros(len(vocabulary)))
            intercepts.append(-8.0 if y.max() == 0 else 8.0)
            continue
        model = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=1000)
        model.fit(matrix, y)
        coefficients.append(model.coef_[0])
        intercepts.append(float(model.intercept_[0]))
    weights: dict[str, tuple[float, ...]] = {}
    for f, index in vocabulary.items():
        values = tuple(float(column[index]) for column in coefficients)
        if any(abs(v) >= WEIGHT_FLOOR for v in values):
            weights[sys.intern(f)] = values
    return weights, tuple(intercepts)


def weights_to_data(
    weights: Mapping[str, Sequence[float]], intercept: Sequence[float]
) -> dict[str, Any]:
    """Weights as JSON-ready data: rounded to 6 digits, features sorted (a stable file)."""
    return {
        "intercept": [round(v, 6) for v in intercept],
        "weights": {f: [round(v, 6) for v in weights[f]] for f in sorted(weights)},
    }


def weights_from_data(
    data: Mapping[str, Any], labels: int
) -> tuple[dict[str, tuple[float, ...]], tuple[float, ...]]:
    """Read :func:`weights_to_data`; raise ValueError when it is not such data."""
    intercept = tuple(float(v) for v in data["intercept"])
    if len(intercept) != labels:
        raise ValueError("wrong number of labels")
    weights: dict[str, tuple[float, ...]] = {}
    for f, values in dict(data["weights"]).items():
        row = tuple(map(float, values))
        if len(row) != labels or not isinstance(f, str):
            raise ValueError("a weight row of the wrong size")
        weights[sys.intern(f)] = row
    return weights, intercept


def known_words(data: Mapping[str, Any]) -> set[str]:
    """The words of the training examples as model data lists them (``known``: real words,
    never read as a typo); raise ValueError when it is not such a list."""
    known = data["known"]
    if not isinstance(known, list) or not all(isinstance(w, str) for w in known):
        raise ValueError("the known words are not a list of words")
    return set(known)
