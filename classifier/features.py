"""Character and word n-gram TF-IDF computed with numpy, without a Python loop over n-grams.

scikit-learn's ``TfidfVectorizer(analyzer="char")`` builds every n-gram as a Python string and
looks it up in a dict; on 400-character tickets that costs more than the linear model. Here every
feature is one int64 code: a character n-gram packs its small character ids side by side, a word
or word bigram is the hash ``DictionaryCutter`` gives it. The vocabulary is a sorted int64 array
searched with ``np.searchsorted``. The weighting is sklearn's: sublinear tf, smoothed idf,
L2-normalised rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from classifier.codetable import CodeTable
from classifier.wordcut import DictionaryCutter

# Id 0 is never used (so every packed digit is non-zero and n-grams of different n never collide);
# id 1 stands for any character not seen in training and for the separator between texts.
_UNKNOWN = 1
_SEPARATOR = "\x00"
# Transform in blocks so a large batch does not hold tens of millions of codes at once.
_BLOCK_DOCS = 2000


class _CodeTfidf:
    """TF-IDF over integer feature codes; subclasses say which codes a text has (``_codes``)."""

    def __init__(self, *, min_df: int, sublinear_tf: bool):
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.vocabulary = np.zeros(0, dtype=np.int64)
        self.idf = np.zeros(0, dtype=np.float64)
        self._columns = CodeTable(self.vocabulary, np.zeros(0, dtype=np.int64), missing=-1)

    @property
    def n_features(self) -> int:
        return len(self.vocabulary)

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "_columns"}  # derived data, rebuilt on load

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._index_vocabulary()

    def _index_vocabulary(self) -> None:
        """code -> column, as a hash table: faster than searching the sorted vocabulary per n-gram."""
        self._columns = CodeTable(self.vocabulary, np.arange(len(self.vocabulary), dtype=np.int64), missing=-1)

    def _codes(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Feature codes of the texts and the index of the text each one belongs to."""
        raise NotImplementedError

    def _fit_codes(self, codes: np.ndarray, docs: np.ndarray, n_docs: int) -> None:
        # document frequency: count each (code, doc) pair once
        order = np.lexsort((docs, codes))
        codes, docs = codes[order], docs[order]
        first = np.ones(len(codes), dtype=bool)
        first[1:] = (codes[1:] != codes[:-1]) | (docs[1:] != docs[:-1])
        vocabulary, df = np.unique(codes[first], return_counts=True)
        keep = df >= self.min_df
        self.vocabulary = vocabulary[keep]
        self.idf = np.log((1 + n_docs) / (1 + df[keep])) + 1.0
        self._index_vocabulary()

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        texts = list(texts)
        blocks = []
        for i in range(0, len(texts), _BLOCK_DOCS):
            indptr, cols, data = self._transform_block(texts[i : i + _BLOCK_DOCS])
            blocks.append(sp.csr_matrix((data, cols, indptr), shape=(len(indptr) - 1, self.n_features)))
        if len(blocks) == 1:
            return blocks[0]
        return sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((0, self.n_features))

    def transform_arrays(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR parts (indptr, column indices, values) without building a scipy matrix: the
        per-ticket prediction path saves the matrix's construction and checks."""
        return self._transform_block(list(texts))

    def _transform_block(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n_docs, n_features = len(texts), self.n_features
        codes, docs = self._codes(texts)
        column = self._columns.get(codes)
        hit = column >= 0
        keys, counts = np.unique(docs[hit] * n_features + column[hit], return_counts=True)
        rows, cols = np.divmod(keys, max(n_features, 1))
        tf = 1.0 + np.log(counts) if self.sublinear_tf else counts.astype(np.float64)
        data = tf * self.idf[cols]
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n_docs))
        data /= norms[rows]
        indptr = np.searchsorted(rows, np.arange(n_docs + 1))
        return indptr, cols, data


class CharNgramVectorizer(_CodeTfidf):
    """TF-IDF of character n-grams of already normalised text (see ``classifier.text.feature_text``).

    ``max_chars`` limits the view to the first characters of each text (the caller's opening
    sentence, or a web ticket's title, says most about the category).
    """

    def __init__(
        self,
        ngram_range: tuple[int, int] = (1, 3),
        *,
        min_df: int = 2,
        sublinear_tf: bool = True,
        max_chars: int | None = None,
    ):
        super().__init__(min_df=min_df, sublinear_tf=sublinear_tf)
        low, high = ngram_range
        if not 1 <= low <= high:
            raise ValueError(f"bad ngram_range {ngram_range}")
        self.ngram_range = (low, high)
        self.max_chars = max_chars
        self._lut = np.zeros(1, dtype=np.int64)
        self._bits = 1

    def fit(self, texts: Sequence[str]) -> CharNgramVectorizer:
        texts = self._view(texts)
        codepoints = _codepoints(texts)
        chars = np.unique(codepoints)
        chars = chars[chars != ord(_SEPARATOR)]
        # Largest code point + 1 maps to _UNKNOWN, so any character beyond the table is unknown too.
        self._lut = np.full(int(chars.max(initial=0)) + 2, _UNKNOWN, dtype=np.int64)
        self._lut[chars] = np.arange(2, len(chars) + 2)
        self._bits = max(1, int(len(chars) + 1).bit_length())
        if self._bits * self.ngram_range[1] > 63:
            raise ValueError(f"{len(chars)} distinct characters do not fit {self.ngram_range[1]}-grams in 64 bits")
        codes, docs = self._codes(texts)
        known = _no_unknown(codes, self._bits, self.ngram_range)
        self._fit_codes(codes[known], docs[known], len(texts))
        return self

    def _view(self, texts: Sequence[str]) -> list[str]:
        if self.max_chars is None:
            return list(texts)
        return [t[: self.max_chars] for t in texts]

    def _codes(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Packed n-gram codes of the joined texts and the document each one starts in."""
        texts = self._view(texts)
        codepoints = _codepoints(texts)
        ids = self._lut[np.minimum(codepoints, len(self._lut) - 1)]
        lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
        doc_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        low, high = self.ngram_range
        codes, docs = [], []
        for n in range(low, high + 1):
            count = len(ids) - n + 1
            if count <= 0:
                break
            code = ids[:count].copy()
            for k in range(1, n):
                code <<= self._bits
                code |= ids[k : k + count]
            codes.append(code)
            docs.append(doc_of[:count])
        if not codes:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(codes), np.concatenate(docs)


class WordNgramVectorizer(_CodeTfidf):
    """TF-IDF of jieba word unigrams (and bigrams of neighbouring kept words, ``max_n=2``) of
    already normalised text, segmented by a ``DictionaryCutter`` (the project's Segmenter)."""

    def __init__(self, cutter: DictionaryCutter, max_n: int = 2, *, min_df: int = 2, sublinear_tf: bool = True):
        super().__init__(min_df=min_df, sublinear_tf=sublinear_tf)
        if max_n not in (1, 2):
            raise ValueError(f"word n-grams go up to 1 or 2, not {max_n}")
        self.cutter = cutter
        self.max_n = max_n

    def fit(self, texts: Sequence[str]) -> WordNgramVectorizer:
        texts = list(texts)
        self._fit_codes(*self._codes(texts), len(texts))
        return self

    def _codes(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        return self.cutter.ngram_codes(texts, self.max_n)


def _codepoints(texts: list[str]) -> np.ndarray:
    joined = _SEPARATOR.join(texts) + _SEPARATOR
    return np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)


def _no_unknown(codes: np.ndarray, bits: int, ngram_range: tuple[int, int]) -> np.ndarray:
    """True where no packed id is _UNKNOWN (an n-gram across two texts or with an unseen char)."""
    mask = np.ones(len(codes), dtype=bool)
    digit_mask = (1 << bits) - 1
    rest = codes.copy()
    for _ in range(ngram_range[1]):
        digit = rest & digit_mask
        mask &= digit != _UNKNOWN
        rest >>= bits
    return mask
