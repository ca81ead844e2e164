"""jieba's dictionary segmentation (``Tokenizer.cut(text, HMM=False)``) for many texts at once, in numpy.

jieba walks every character in Python (a dict lookup per prefix, a max() per position): about 2 ms
for a 400-character ticket, more than the whole character-n-gram model. The word block of the
category model needs the project's ``Segmenter`` words on every prediction, so this module runs the
same algorithm with array operations over a snapshot of that segmenter's dictionary:

1. blocks: runs of the characters jieba segments (``re_han_default``); any other character is a
   token of its own;
2. the DAG: every dictionary word starting at every position, found by hashing the substrings of
   length 2, 3, ... and looking them up in a hash table of the dictionary's keys (words and their
   prefixes, ``classifier.codetable``; one character by code point): a position stops when its
   prefix is no longer in it, as jieba's scan does;
3. the route: jieba's right-to-left dynamic programme (best sum of ``log(freq) - log(total)``; ties
   go to the longer word). Positions no dictionary word spans are forced cuts, so the programme
   runs over short independent segments, all segments of a batch in one step per position;
4. jieba's no-HMM rule: consecutive single ASCII letters and digits are joined into one token.

Strings are identified by a 64-bit polynomial hash (mod 2**64, from prefix sums, so any substring's
hash costs O(1)); a collision between two dictionary keys is refused when the cutter is built.
Tokens come out as hashes, which is all the feature vectorizer needs; ``words`` gives the strings.
The result equals ``Segmenter.words`` on every text tested (tests/classifier/test_wordcut.py); it can
differ only where two segmentations score the same to the last bits of a double, because the
programme adds scores from the segment's end rather than the block's.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from classifier.codetable import CodeTable

if TYPE_CHECKING:
    from classifier.segment import Segmenter

_MASK = (1 << 64) - 1
_P = 0x100000001B3  # odd, so invertible mod 2**64
_P_INVERSE = pow(_P, -1, 1 << 64)
_H0 = 0xCBF29CE484222325
# bigram code = first * _P + second + _BIGRAM (mod 2**64): a different space from unigram hashes
_BIGRAM = 0xD6E8FEB86659FD93
_MAX_WORD = 64  # longer dictionary words are refused (jieba's own dictionary stops at 16 characters)
_LUT_SIZE = 0x9FD6  # every character jieba segments (ASCII, CJK up to U+9FD5) has a code point below
_SEPARATOR = "\x00"
_BLOCK_EXTRA = frozenset("+#&._%-")  # besides CJK, ASCII letters and digits (jieba's re_han_default)


def _u64(value: int) -> np.uint64:
    return np.uint64(value & _MASK)


class _Hasher:
    """Polynomial hashes of substrings of one joined text: hash(s[a:b]) from two prefix sums."""

    def __init__(self, codepoints: np.ndarray):
        n = len(codepoints)
        self.powers = _powers(_P, n + 1)
        inverse_powers = _powers(_P_INVERSE, n)
        # prefix[i] = sum_{j<i} c_j * P**(i-1-j) = P**(i-1) * sum_{j<i} c_j * P**-j  (all mod 2**64)
        scaled = np.cumsum(codepoints.astype(np.uint64) * inverse_powers, dtype=np.uint64)
        self.prefix = np.zeros(n + 1, dtype=np.uint64)
        if n:
            self.prefix[1:] = scaled * (self.powers[:n] * _u64(_P_INVERSE))

    def __call__(self, starts: np.ndarray, lengths: np.ndarray | int) -> np.ndarray:
        lengths = np.broadcast_to(lengths, starts.shape)
        power = self.powers[lengths]
        return power * _u64(_H0) + self.prefix[starts + lengths] - self.prefix[starts] * power


def _powers(base: int, count: int) -> np.ndarray:
    """base**0 .. base**(count-1) mod 2**64."""
    table = np.full(count, _u64(base), dtype=np.uint64)
    if count:
        table[0] = 1
    return np.cumprod(table, dtype=np.uint64)


def hash_strings(strings: Sequence[str]) -> np.ndarray:
    """The hash ``DictionaryCutter`` gives each of these strings (as a whole)."""
    if not strings:
        return np.zeros(0, dtype=np.uint64)
    codepoints = _codepoints(strings)
    lengths = np.fromiter((len(s) + 1 for s in strings), dtype=np.int64, count=len(strings))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return _Hasher(codepoints)(starts, lengths - 1)


def window_hashes(texts: Sequence[str], width: int) -> tuple[np.ndarray, np.ndarray]:
    """The hash of every ``width``-character stretch of each text, and the text's index."""
    codepoints = _codepoints(texts)
    lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
    text_start = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    per_text = np.maximum(lengths - 1 - width + 1, 0)
    docs = np.repeat(np.arange(len(texts)), per_text)
    starts = (
        np.repeat(text_start, per_text)
        + np.arange(int(per_text.sum()))
        - np.repeat(np.cumsum(per_text) - per_text, per_text)
    )
    return _Hasher(codepoints)(starts, width), docs


def _codepoints(texts: Sequence[str]) -> np.ndarray:
    joined = _SEPARATOR.join(texts) + _SEPARATOR
    return np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)


def _block_chars() -> np.ndarray:
    """Characters jieba segments with its dictionary: CJK U+4E00-U+9FD5, ASCII letters, digits, +#&._%-."""
    table = np.zeros(_LUT_SIZE + 1, dtype=bool)  # the last entry stands for every code point above
    table[0x4E00:0x9FD6] = True
    for ch in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" + "".join(_BLOCK_EXTRA):
        table[ord(ch)] = True
    return table


_BLOCK_CHARS = _block_chars()


def _ascii_alnum(codepoints: np.ndarray) -> np.ndarray:
    cp = codepoints
    return ((cp >= ord("a")) & (cp <= ord("z"))) | ((cp >= ord("A")) & (cp <= ord("Z"))) | ((cp >= 48) & (cp <= 57))


class DictionaryCutter:
    """A snapshot of a jieba dictionary (word -> frequency, prefixes at 0) and the words to drop.

    Built with :meth:`from_segmenter`; pickled with the model, so a model segments the same way
    whatever words the process's segmenter learns later (place names of another city).
    """

    def __init__(self, freq: Mapping[str, int], total: int, dropped: Iterable[str] = ()):
        keys = list(freq)
        if keys and max(map(len, keys)) > _MAX_WORD:
            raise ValueError(f"a dictionary word is longer than {_MAX_WORD} characters")
        hashes = hash_strings(keys)
        log_total = math.log(total)
        # computed as jieba computes them (math.log, then minus log(total)), so sums match its own;
        # NaN marks a prefix that is no word
        weights = np.array([math.log(f) - log_total if f else math.nan for f in freq.values()], dtype=np.float64)
        order = np.argsort(hashes, kind="stable")
        self._keys = hashes[order]
        if len(self._keys) and (self._keys[1:] == self._keys[:-1]).any():
            raise ValueError("two dictionary entries share a hash")
        self._weights = weights[order]
        self._fallback = math.log(1) - log_total  # a character no word starts with: log(FREQ.get(c) or 1)
        self._dropped = np.unique(hash_strings(sorted(set(dropped))))
        # one-character entries by code point: +inf absent, NaN prefix only, else the weight
        self._single = np.full(_LUT_SIZE, np.inf)
        for key, weight in zip(keys, weights.tolist(), strict=True):
            if len(key) == 1 and ord(key) < _LUT_SIZE:
                self._single[ord(key)] = weight
        self._build_table()

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "_table"}  # derived data, rebuilt on load

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._build_table()

    def _build_table(self) -> None:
        self._table = CodeTable(self._keys, self._weights, missing=np.inf)

    def _lookup(self, hashes: np.ndarray) -> np.ndarray:
        """The entry of each hash: +inf where absent, NaN for a prefix that is no word, else its weight."""
        result: np.ndarray = self._table.get(hashes)
        return result

    @classmethod
    def from_segmenter(cls, segmenter: Segmenter) -> DictionaryCutter:
        freq, total, dropped = segmenter.dictionary()
        return cls(freq, total, dropped)

    @property
    def n_entries(self) -> int:
        return len(self._keys)

    def token_hashes(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(hash, text index) of every kept word, in order."""
        hashes, docs, _, _, _ = self._cut(texts)
        return hashes, docs

    def ngram_codes(self, texts: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        """Word 1..n-gram codes (int64 bit patterns) and their text index; n is 1 or 2."""
        hashes, docs = self.token_hashes(texts)
        if n < 2 or len(hashes) < 2:
            return hashes.view(np.int64), docs
        same = docs[1:] == docs[:-1]
        bigrams = hashes[:-1][same] * _u64(_P) + hashes[1:][same] + _u64(_BIGRAM)
        return np.concatenate([hashes, bigrams]).view(np.int64), np.concatenate([docs, docs[1:][same]])

    def words(self, texts: Sequence[str]) -> list[list[str]]:
        """The kept words of each text, as strings (for tests and inspection)."""
        _, docs, starts, lengths, joined = self._cut(texts)
        out: list[list[str]] = [[] for _ in texts]
        for doc, start, length in zip(docs.tolist(), starts.tolist(), lengths.tolist(), strict=True):
            out[doc].append(joined[start : start + length])
        return out

    def _cut(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
        joined = _SEPARATOR.join(texts) + _SEPARATOR
        cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        n = len(cp)
        hasher = _Hasher(cp)
        block = _BLOCK_CHARS[np.minimum(cp, _LUT_SIZE)]
        starts, lengths = self._route(cp, hasher, block, n)
        # every character outside the blocks is a token of its own (separators included, dropped below)
        lone = np.flatnonzero(~block)
        starts = np.concatenate([starts, lone])
        lengths = np.concatenate([lengths, np.ones(len(lone), dtype=np.int64)])
        order = np.argsort(starts, kind="stable")
        starts, lengths = starts[order], lengths[order]
        starts, lengths = _join_single_alnum(cp, block, starts, lengths)
        hashes = hasher(starts, lengths)
        keep = ~np.isin(hashes, self._dropped) & ~_blank_or_punctuation(cp, block, starts, lengths)
        keep &= cp[starts] != ord(_SEPARATOR)
        starts, lengths, hashes = starts[keep], lengths[keep], hashes[keep]
        separators = np.flatnonzero(cp == ord(_SEPARATOR))
        docs = np.searchsorted(separators, starts)
        return hashes, docs, starts, lengths, joined

    def _route(self, cp: np.ndarray, hasher: _Hasher, block: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Starts and lengths of the words jieba's route picks in every block."""
        outside = np.append(np.flatnonzero(~block), n)
        inside = np.flatnonzero(block)
        block_end = np.zeros(n + 1, dtype=np.int64)
        block_end[inside] = outside[np.searchsorted(outside, inside)]

        # the DAG: edges (start, length, weight); one-character entries straight from the code point
        entry = self._single[cp[inside]]
        e_start, e_len, e_weight = [], [], []
        active = inside
        length = 1
        while active.size:
            known = entry != np.inf
            active, entry = active[known], entry[known]
            word = ~np.isnan(entry)
            e_start.append(active[word])
            e_len.append(np.full(int(word.sum()), length, dtype=np.int64))
            e_weight.append(entry[word])
            length += 1
            active = active[active + length <= block_end[active]]
            entry = self._lookup(hasher(active, length))
        starts = np.concatenate([*e_start, np.zeros(0, dtype=np.int64)])
        lengths = np.concatenate([*e_len, np.zeros(0, dtype=np.int64)])
        weights = np.concatenate([*e_weight, np.zeros(0)])
        has_word = np.zeros(n + 1, dtype=bool)
        has_word[starts] = True
        lone = inside[~has_word[inside]]
        starts = np.concatenate([starts, lone])
        lengths = np.concatenate([lengths, np.ones(len(lone), dtype=np.int64)])
        weights = np.concatenate([weights, np.full(len(lone), self._fallback)])

        # forced cuts: block starts and positions no word spans
        long_words = lengths > 1
        opened = np.bincount(starts[long_words] + 1, minlength=n + 2)
        closed = np.bincount(starts[long_words] + lengths[long_words], minlength=n + 2)
        covered = np.cumsum(opened - closed)[: n + 1] > 0
        cut = np.zeros(n + 1, dtype=bool)
        cut[inside] = ~covered[inside]
        cut[inside[(inside == 0) | ~block[inside - 1]]] = True
        cut_at = np.flatnonzero(cut)
        segment_of = np.cumsum(cut) - 1  # the last cut at or before each position
        next_cut = np.append(cut_at, n)[segment_of + 1]
        segment_end = np.minimum(next_cut, block_end)

        if len(starts) <= _SMALL_ROUTE:
            return _route_small(starts, lengths, weights, cut_at, segment_end)

        # the route, segment by segment (a segment's end scores 0: it reads route[n], never set),
        # all segments at once per distance from their end; ties go to the longer word
        distance = segment_end[starts] - starts
        order = np.argsort((distance * (n + 1) + starts) * (_MAX_WORD + 1) + lengths)
        starts, lengths, weights, distance = starts[order], lengths[order], weights[order], distance[order]
        ends = starts + lengths
        follow = np.where(ends == segment_end[starts], n, ends)
        new_start = np.r_[True, starts[1:] != starts[:-1]]
        group = np.cumsum(new_start) - 1
        group_first = np.flatnonzero(new_start)
        index = np.arange(len(starts))
        route = np.zeros(n + 1)
        best = np.zeros(n + 1, dtype=np.int64)
        bounds = np.searchsorted(distance, np.arange(1, int(distance.max(initial=0)) + 2))
        group_bounds = group[np.minimum(bounds, len(group) - 1)] if len(group) else bounds
        for d in range(len(bounds) - 1):
            lo, hi = bounds[d], bounds[d + 1]
            if lo == hi:
                continue
            score = weights[lo:hi] + route[follow[lo:hi]]
            firsts = group_first[group_bounds[d] : group[hi - 1] + 1] - lo
            top = np.maximum.reduceat(score, firsts)
            winners = np.maximum.reduceat(np.where(score == top[group[lo:hi] - group[lo]], index[lo:hi], -1), firsts)
            heads = starts[lo + firsts]
            route[heads] = top
            best[heads] = lengths[winners]

        # follow the route from each segment's start
        words_start, words_len = [], []
        current = cut_at
        while current.size:
            step = best[current]
            words_start.append(current)
            words_len.append(step)
            following = current + step
            current = following[following < segment_end[current]]
        if not words_start:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(words_start), np.concatenate(words_len)


def _route_small(
    starts: np.ndarray, lengths: np.ndarray, weights: np.ndarray, cut_at: np.ndarray, segment_end: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The route of ``DictionaryCutter._route`` for a few texts (one ticket at intake), in plain Python: the
    array programme costs a dozen numpy calls per character of the longest segment, which for one short text
    is most of a prediction. The same sums in the same order (a word's weight plus the route after it, 0 at the
    segment's end; doubles either way), and ties to the longer word, so the same words come out."""
    edges: dict[int, list[tuple[int, float]]] = {}
    order = np.lexsort((lengths, starts))  # each start's words, shortest first
    for start, length, weight in zip(
        starts[order].tolist(), lengths[order].tolist(), weights[order].tolist(), strict=True
    ):
        edges.setdefault(start, []).append((length, weight))
    words_start: list[int] = []
    words_len: list[int] = []
    route: dict[int, float] = {}
    best: dict[int, int] = {}
    for first, end in zip(cut_at.tolist(), segment_end[cut_at].tolist(), strict=True):
        for position in range(end - 1, first - 1, -1):
            top, top_length = -math.inf, 0
            for length, weight in edges[position]:
                after = position + length
                score = weight + (0.0 if after == end else route[after])
                if score >= top:  # the later of equal scores is the longer word
                    top, top_length = score, length
            route[position], best[position] = top, top_length
        position = first
        while position < end:
            words_start.append(position)
            words_len.append(best[position])
            position += best[position]
    return np.array(words_start, dtype=np.int64), np.array(words_len, dtype=np.int64)


# Below this many DAG edges (a ticket of some hundred characters) the route is found in Python (_route_small).
_SMALL_ROUTE = 2000


def _join_single_alnum(
    cp: np.ndarray, block: np.ndarray, starts: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """jieba without HMM joins consecutive one-character ASCII letter or digit words (``a`` ``3`` -> ``a3``)."""
    single = (lengths == 1) & block[starts] & _ascii_alnum(cp[starts])
    if not single.any():
        return starts, lengths
    run_start = single & ~np.r_[False, single[:-1]]
    keep = ~single | run_start
    run_id = np.cumsum(keep) - 1
    joined_lengths = np.bincount(run_id, weights=lengths, minlength=int(keep.sum())).astype(np.int64)
    return starts[keep], joined_lengths


def _blank_or_punctuation(cp: np.ndarray, block: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Tokens Segmenter.cut drops: blank, or only punctuation, symbols and separators (Unicode P, S, Z)."""
    candidates = np.unique(cp[~block | np.isin(cp, [ord(ch) for ch in _BLOCK_EXTRA])])
    flagged = [c for c in candidates.tolist() if _punctuation_or_space(chr(c))]
    is_flagged = np.isin(cp, flagged)
    counts = np.concatenate([[0], np.cumsum(is_flagged)])
    return counts[starts + lengths] - counts[starts] == lengths


def _punctuation_or_space(ch: str) -> bool:
    return not ch.strip() or unicodedata.category(ch)[0] in "PSZ"
