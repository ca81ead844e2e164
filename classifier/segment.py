"""jieba segmentation: one tokenizer per process with the domain vocabulary, place names and stop words.

The knowledge-base search, hot-topic keywords and the complexity rules read ``cut``; the category
model reads ``words`` of its normalised text, through ``classifier.wordcut.DictionaryCutter`` (a
numpy copy of this tokenizer's dictionary segmentation, taken when the model is trained).
"""

from __future__ import annotations

import functools
import logging
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import jieba

from classifier.text import PLACEHOLDER_WORDS, clean

DATA = Path(__file__).resolve().parent / "data"
# High enough that a place name or a domain term stays whole against jieba's own splits.
USER_WORD_FREQ = 200_000

# jieba logs "Building prefix dict ..." at DEBUG through its own stderr handler.
jieba.setLogLevel(logging.WARNING)


def read_word_list(path: Path) -> list[tuple[str, int | None]]:
    """(word, frequency or None) per non-empty, non-comment line of a word list."""
    words: list[tuple[str, int | None]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, freq = line.partition(" ")
        words.append((word, int(freq) if freq.strip().isdigit() else None))
    return words


class Segmenter:
    """Wraps its own ``jieba.Tokenizer`` (never the global one), so words added for one city's places
    stay in this tokenizer; its dictionary is loaded once, when the segmenter is built."""

    def __init__(self, domain_words: Iterable[str] = (), stopwords: Iterable[str] = ()):
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        self._stopwords = frozenset(stopwords)
        # feature_text lower-cases the placeholders and drops their angle brackets
        self._placeholders = PLACEHOLDER_WORDS | {word.lower() for word in PLACEHOLDER_WORDS}
        self._dropped = self._stopwords | self._placeholders
        self._added: set[str] = set()
        self._lock = threading.Lock()
        self.revision = 0  # bumped by every add_words that adds: a snapshot of the dictionary is current while equal
        self.add_words(domain_words)

    def add_words(self, words: Iterable[str], freq: int = USER_WORD_FREQ) -> int:
        """Add user-dictionary words (place names, aliases, terms); returns how many were new."""
        new = [w for w in dict.fromkeys(w.strip() for w in words) if w and w not in self._added]
        if not new:
            return 0
        with self._lock:
            for word in new:
                self._tokenizer.add_word(word, freq=freq)
                self._added.add(word)
            self.revision += 1
        return len(new)

    def cut(self, text: str, *, keep_stopwords: bool = False) -> list[str]:
        """Words of the cleaned text, without punctuation, blanks, masked numbers and stop words."""
        dropped = self._placeholders if keep_stopwords else self._dropped
        return self._words(clean(text), dropped)

    def search_words(self, text: str) -> list[str]:
        """What a text is found by: jieba's search mode, long words with their dictionary parts too
        (烧烤摊油烟扰民 → 烧烤 摊 油烟 扰民 油烟扰民), cleaned (numbers masked) and filtered as ``cut``."""
        return [
            token
            for token in self._tokenizer.cut_for_search(clean(text), HMM=False)
            if token.strip() and not is_punctuation(token) and token not in self._dropped
        ]

    def query_words(self, text: str) -> list[str]:
        """What a query must all match: its search words without those made of shorter ones it also has, so
        噪音扰民 asks for 噪音 and 扰民 and finds 噪音很大很扰民 as well."""
        words = list(dict.fromkeys(t.lower() for t in self.search_words(text)))
        return [w for w in words if not any(o != w and o in w for o in words)]

    def words(self, text: str) -> list[str]:
        """Words of the text as given (not cleaned again), as ``cut`` filters them. The category model
        reads these words of ``feature_text`` through ``DictionaryCutter``, which must equal this."""
        return self._words(text, self._dropped)

    def dictionary(self) -> tuple[dict[str, int], int, frozenset[str]]:
        """A snapshot for ``DictionaryCutter``: word and prefix frequencies, their total, dropped words."""
        with self._lock:
            return dict(self._tokenizer.FREQ), self._tokenizer.total, self._dropped

    def _words(self, text: str, dropped: frozenset[str]) -> list[str]:
        return [
            token
            for token in self._tokenizer.lcut(text, HMM=False)
            if token.strip() and not is_punctuation(token) and token not in dropped
        ]


def is_punctuation(token: str) -> bool:
    return all(unicodedata.category(ch)[0] in "PSZ" for ch in token)


def build_segmenter() -> Segmenter:
    """A new segmenter with the shipped domain vocabulary and stop words (and no place names yet)."""
    domain = [word for word, _ in read_word_list(DATA / "domain_words.txt")]
    stopwords = [word for word, _ in read_word_list(DATA / "stopwords.txt")]
    return Segmenter(domain, stopwords)


@functools.cache
def default_segmenter() -> Segmenter:
    """The process-wide segmenter (built once); the shell adds the city's place names to it."""
    return build_segmenter()
