"""Near-duplicate text: the Dice coefficient of character bigrams (robust to word order and to
how jieba happens to split two phrasings of the same complaint)."""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np

from classifier.text import clean
from classifier.wordcut import window_hashes


def bigrams(text: str) -> frozenset[str]:
    chars = [ch for ch in clean(text) if unicodedata.category(ch)[0] in "LN"]
    return frozenset(a + b for a, b in itertools.pairwise(chars))


def dice(x: frozenset[str], y: frozenset[str]) -> float:
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def similarity(a: str, b: str) -> float:
    """0 (nothing shared) to 1 (the same bigrams)."""
    return dice(bigrams(a), bigrams(b))


def _prefix(grams: list[str], threshold: float) -> list[str]:
    """Dice >= t needs an overlap of at least t|x|/(2-t) bigrams, so under one global order two such
    sets share a bigram among their first |x| - that + 1 (prefix filtering); rounded down to stay safe."""
    needed = max(1, math.floor(threshold * len(grams) / (2 - threshold)))
    return grams[: len(grams) - needed + 1]


def leader_groups(texts: Sequence[str], threshold: float) -> list[int | None]:
    """Greedy single pass: each text joins the first earlier group whose first text (leader) is at least
    `threshold` similar, else leads a new one. Returns the leader's index per text (None: no bigrams).
    The same result as comparing with every leader, but only leaders sharing a rare prefix bigram are compared."""
    sets = [bigrams(t) for t in texts]
    frequency = Counter(g for s in sets for g in s)
    index: dict[str, list[int]] = {}
    groups: list[int | None] = []
    for i, grams in enumerate(sets):
        if not grams:
            groups.append(None)
            continue
        prefix = _prefix(sorted(grams, key=lambda g: (frequency[g], g)), threshold)
        candidates = sorted({leader for g in prefix for leader in index.get(g, ())})
        leader = next((c for c in candidates if dice(grams, sets[c]) >= threshold), None)
        if leader is None:
            leader = i
            for g in prefix:
                index.setdefault(g, []).append(i)
        groups.append(leader)
    return groups


def shared_window_rows(texts: Sequence[str], others: Sequence[str], width: int) -> int:
    """How many of ``texts`` share a stretch of ``width`` characters with any of ``others`` (a copy
    check: the bootstrap corpus against real messages it must not be taken from)."""
    if not texts or not others:
        return 0
    hashes, docs = window_hashes(texts, width)
    seen, _ = window_hashes(others, width)
    return len(np.unique(docs[np.isin(hashes, seen)]))
