"""Near-duplicate text: the Dice coefficient of character bigrams (robust to word order and to
how jieba happens to split two phrasings of the same complaint)."""

from __future__ import annotations

import itertools
import unicodedata

from classifier.text import clean


def bigrams(text: str) -> frozenset[str]:
    chars = [ch for ch in clean(text) if unicodedata.category(ch)[0] in "LN"]
    return frozenset(a + b for a, b in itertools.pairwise(chars))


def similarity(a: str, b: str) -> float:
    """0 (nothing shared) to 1 (the same bigrams)."""
    x, y = bigrams(a), bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))
