"""jieba segmentation: one tokenizer per process, a domain vocabulary, place names, stop words."""

from __future__ import annotations

import functools
import logging
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import jieba

from classifier.text import normalize

DATA = Path(__file__).resolve().parent / "data"
# A frequency high enough that a place name or domain term is kept whole against jieba's splits.
USER_WORD_FREQ = 200_000

jieba.setLogLevel(logging.WARNING)


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class Segmenter:
    """Wraps its own `jieba.Tokenizer` (not the global one), so user words added for one city's
    places never leak into another tokenizer, and the dictionary loads once."""

    def __init__(self, domain_words: Iterable[str] = (), stopwords: Iterable[str] = ()):
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        self._stopwords = frozenset(stopwords)
        self._added: set[str] = set()
        self._lock = threading.Lock()
        self.add_words(domain_words)

    def add_words(self, words: Iterable[str]) -> None:
        new = [w for w in words if w and w not in self._added]
        if not new:
            return
        with self._lock:
            for word in new:
                self._tokenizer.add_word(word, freq=USER_WORD_FREQ)
                self._added.add(word)

    def cut(self, text: str) -> list[str]:
        """Tokens of the normalised text, without stop words, punctuation and blanks."""
        return [
            token
            for token in self._tokenizer.lcut(normalize(text), HMM=False)
            if token.strip() and token not in self._stopwords and not _is_punctuation(token)
        ]


def _is_punctuation(token: str) -> bool:
    return all(unicodedata.category(ch)[0] in "PSZ" for ch in token)


@functools.cache
def default_segmenter() -> Segmenter:
    """The process-wide segmenter with the shipped domain vocabulary and stop words."""
    return Segmenter(_lines(DATA / "domain_words.txt"), _lines(DATA / "stopwords.txt"))
