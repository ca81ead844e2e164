"""The ticket category model: character and word n-gram TF-IDF, a linear SVM, a calibrated confidence.

The features are a union of weighted blocks (measured, see docs/classifier.md): character
1-3-grams of the whole text; those of its first 30 characters (the caller's opening or a web
ticket's title); and the jieba words of the project's Segmenter, cut by ``DictionaryCutter`` (the
same words, in numpy: jieba itself would be the slowest step of every prediction).
``FeatureConfig(word_weight=0)`` (``CHAR_ONLY``) is the character-only model, kept for comparison.
The SVM's scores become probabilities through one fitted temperature (classifier.calibration),
so that "confidence 0.8" means about 80 % right, which the auto-dispatch threshold relies on.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.svm import LinearSVC

from classifier.calibration import expected_calibration_error, fit_temperature, softmax
from classifier.evaluate import evaluate
from classifier.features import CharNgramVectorizer, WordNgramVectorizer
from classifier.segment import Segmenter, default_segmenter
from classifier.text import feature_text
from classifier.wordcut import DictionaryCutter

# Bump when the pickled layout changes: load_model refuses other formats instead of failing later.
# 4: feature blocks as a list (character, head, words), the segmenter's dictionary inside the model.
FORMAT_VERSION = 4

# Texts scored at once: bounds the (non-zeros x labels) temporary of a large batch.
_SCORE_BLOCK = 1000
# stage, steps done, steps in all: the CLI turns it into a progress bar
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class FeatureConfig:
    """Everything that decides the features and the linear model; stored in metadata.json."""

    ngram_range: tuple[int, int] = (1, 3)
    min_df: int = 2
    head_chars: int = 30
    head_weight: float = 0.5
    # jieba words of the Segmenter (1: unigrams, 2: and bigrams of neighbouring words); 0 weight: none
    word_weight: float = 0.7
    word_ngrams: int = 1
    C: float = 1.0
    class_weight: str | None = "balanced"
    cv_folds: int = 5
    seed: int = 0

    @property
    def uses_words(self) -> bool:
        return self.word_weight > 0

    def to_json(self) -> dict[str, Any]:
        analyzer = "char+word" if self.uses_words else "char"
        return {**asdict(self), "ngram_range": list(self.ngram_range), "analyzer": analyzer, "sublinear_tf": True}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureConfig:
        known = {f: data[f] for f in cls.__dataclass_fields__ if f in data}
        if "ngram_range" in known:
            known["ngram_range"] = tuple(known["ngram_range"])
        return cls(**known)


# The character-only model (format 3's features), for comparison.
CHAR_ONLY = FeatureConfig(word_weight=0.0)


@dataclass(frozen=True)
class Prediction:
    """The best label, its calibrated probability, and the k best (label, probability) pairs."""

    label: str
    confidence: float
    top: list[tuple[str, float]]


Vectorizer = CharNgramVectorizer | WordNgramVectorizer


@dataclass
class _Block:
    """One weighted feature block and its slice of the SVM's weights (n_features x n_labels)."""

    name: str
    vectorizer: Vectorizer
    weight: float
    weights: np.ndarray


@dataclass
class _Linear:
    """Fitted blocks and weights: scores = sum over blocks of w * X_block @ W_block, + b.

    Weights are stored feature-major (n_features x n_labels) so scoring gathers only the rows of
    the features a text has, instead of touching the whole matrix per call.
    """

    blocks: list[_Block]
    intercept: np.ndarray

    @property
    def n_features(self) -> int:
        return sum(block.vectorizer.n_features for block in self.blocks)

    def scores(self, prepared: Sequence[str]) -> np.ndarray:
        blocks = [self._scores(prepared[i : i + _SCORE_BLOCK]) for i in range(0, len(prepared), _SCORE_BLOCK)]
        return np.vstack(blocks) if blocks else np.zeros((0, len(self.intercept)))

    def _scores(self, prepared: Sequence[str]) -> np.ndarray:
        result = np.zeros((len(prepared), len(self.intercept)))
        for block in self.blocks:
            result += block.weight * _sparse_dot(*block.vectorizer.transform_arrays(prepared), block.weights)
        return result + self.intercept


def _sparse_dot(indptr: np.ndarray, cols: np.ndarray, data: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(CSR matrix) @ weights, touching only the weight rows of the matrix's non-zero columns."""
    out = np.zeros((len(indptr) - 1, weights.shape[1]))
    nonempty = np.flatnonzero(np.diff(indptr))
    if len(nonempty):
        contributions = data[:, None] * weights[cols]
        out[nonempty] = np.add.reduceat(contributions, indptr[nonempty], axis=0)
    return out


@dataclass
class TextClassifier:
    labels: list[str]
    config: FeatureConfig
    temperature: float
    linear: _Linear
    metadata: dict[str, Any] = field(default_factory=dict)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, one row per text, columns in ``self.labels`` order."""
        prepared = [feature_text(t) for t in texts]
        return softmax(self.linear.scores(prepared), self.temperature)

    def predict_batch(self, texts: Sequence[str], k: int = 3) -> list[Prediction]:
        if not texts:
            return []
        probabilities = self.predict_proba(texts)
        k = min(k, len(self.labels))
        best = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
        predictions = []
        for row, order in zip(probabilities, best, strict=True):
            top = [(self.labels[i], float(row[i])) for i in order]
            predictions.append(Prediction(top[0][0], top[0][1], top))
        return predictions

    def predict_one(self, text: str, k: int = 3) -> Prediction:
        return self.predict_batch([text], k)[0]


def data_sha256(texts: Sequence[str], labels: Sequence[str]) -> str:
    """Hash of the training pairs as given (label, TAB, text, newline each), in order."""
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(f"{label}\t{text}\n".encode())
    return digest.hexdigest()


def train_model(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    config: FeatureConfig | None = None,
    groups: Sequence[str] | None = None,
    progress: Progress | None = None,
    segmenter: Segmenter | None = None,
) -> TextClassifier:
    """Fit the model; the temperature and the ``cv`` metrics come from k-fold out-of-fold scores.

    ``groups`` (optional) names near-duplicates (texts from one template, repeats of one complaint):
    a group is kept in one fold, so the out-of-fold scores are not flattered by its twins.
    ``segmenter`` (default: the process's ``default_segmenter()``) gives the word block its
    dictionary, domain words and stop words; the model keeps a snapshot of them.
    """
    config = config or FeatureConfig()
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    label_list = sorted(set(labels))
    if len(label_list) < 2:
        raise ValueError("training needs at least two categories")
    report = progress or (lambda stage, done, total: None)
    prepared = [feature_text(t) for t in texts]
    truth = np.searchsorted(np.array(label_list), np.array(labels))
    cutter = _cutter_for(segmenter or default_segmenter()) if config.uses_words else None

    folds = _folds(truth, config, groups)
    total = len(folds) + 1
    out_of_fold = np.zeros((len(prepared), len(label_list)))
    for i, (train_idx, test_idx) in enumerate(folds):
        report(f"交叉验证 {i + 1}/{len(folds)}", i, total)
        linear = _fit_linear([prepared[j] for j in train_idx], truth[train_idx], len(label_list), config, cutter)
        out_of_fold[test_idx] = linear.scores([prepared[j] for j in test_idx])
    report("训练最终模型", len(folds), total)
    linear = _fit_linear(prepared, truth, len(label_list), config, cutter)
    report("完成", total, total)

    temperature, cv = 1.0, None
    if folds:
        temperature = fit_temperature(out_of_fold, truth)
        calibrated = softmax(out_of_fold, temperature)
        oof_labels = [label_list[i] for i in out_of_fold.argmax(axis=1)]
        cv_eval = evaluate(list(labels), oof_labels, label_list)
        cv = {
            "folds": len(folds),
            "grouped": groups is not None,
            "accuracy": round(cv_eval.accuracy, 4),
            "macro_f1": round(cv_eval.macro_f1, 4),
            "ece_uncalibrated": round(expected_calibration_error(softmax(out_of_fold), truth), 4),
            "ece": round(expected_calibration_error(calibrated, truth), 4),
        }
    trained_at = datetime.now(UTC)
    sha = data_sha256(texts, labels)
    metadata = {
        "format": FORMAT_VERSION,
        "version": f"{trained_at:%Y%m%dT%H%M%SZ}-{sha[:8]}",
        "trained_at": trained_at.isoformat(timespec="seconds"),
        "labels": label_list,
        "n_train": len(texts),
        "training_data_sha256": sha,
        "features": config.to_json(),
        "n_features": linear.n_features,
        "blocks": {block.name: block.vectorizer.n_features for block in linear.blocks},
        "calibration": {"method": "temperature", "temperature": round(temperature, 4)},
        "metrics": {"cv": cv} if cv else {},
    }
    return TextClassifier(label_list, config, temperature, linear, metadata)


_cutters: weakref.WeakKeyDictionary[Segmenter, tuple[int, DictionaryCutter]] = weakref.WeakKeyDictionary()
_cutters_lock = threading.Lock()


def _cutter_for(segmenter: Segmenter) -> DictionaryCutter:
    """The segmenter's dictionary as a cutter, reused while the segmenter learns no new word (a
    snapshot takes about half a second: half a million entries)."""
    with _cutters_lock:
        cached = _cutters.get(segmenter)
        if cached is None or cached[0] != segmenter.revision:
            cached = (segmenter.revision, DictionaryCutter.from_segmenter(segmenter))
            _cutters[segmenter] = cached
        return cached[1]


def _folds(
    truth: np.ndarray, config: FeatureConfig, groups: Sequence[str] | None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified (and grouped) folds, fewer when a class is small; none (no calibration) below two."""
    if groups is not None:
        if len(groups) != len(truth):
            raise ValueError(f"{len(groups)} groups for {len(truth)} texts")
        per_class = [len({g for g, t in zip(groups, truth, strict=True) if t == c}) for c in range(truth.max() + 1)]
        n_folds = min(config.cv_folds, min(per_class))
        if n_folds < 2:
            return []
        grouped = StratifiedGroupKFold(n_folds, shuffle=True, random_state=config.seed)
        return list(grouped.split(np.zeros(len(truth)), truth, groups=list(groups)))
    n_folds = min(config.cv_folds, int(np.bincount(truth).min()))
    if n_folds < 2:
        return []
    splitter = StratifiedKFold(n_folds, shuffle=True, random_state=config.seed)
    return list(splitter.split(np.zeros(len(truth)), truth))


def _fit_linear(
    prepared: list[str], truth: np.ndarray, n_labels: int, config: FeatureConfig, cutter: DictionaryCutter | None
) -> _Linear:
    vectorizers: list[tuple[str, Vectorizer, float]] = [
        ("char", CharNgramVectorizer(config.ngram_range, min_df=config.min_df), 1.0)
    ]
    if config.head_chars > 0 and config.head_weight > 0:
        head = CharNgramVectorizer(config.ngram_range, min_df=config.min_df, max_chars=config.head_chars)
        vectorizers.append(("head", head, config.head_weight))
    if cutter is not None:
        vectorizers.append(
            ("words", WordNgramVectorizer(cutter, config.word_ngrams, min_df=config.min_df), config.word_weight)
        )
    matrices = [weight * vectorizer.fit(prepared).transform(prepared) for _, vectorizer, weight in vectorizers]
    svm = LinearSVC(C=config.C, class_weight=config.class_weight, max_iter=5000, random_state=config.seed)
    svm.fit(sp.hstack(matrices, format="csr"), truth)
    coef = svm.coef_
    intercept = svm.intercept_.astype(np.float64)
    if n_labels == 2:
        # LinearSVC keeps one row for two classes: the positive class is the second one.
        coef = np.vstack([-coef, coef])
        intercept = np.array([-intercept[0], intercept[0]])
    weights = np.ascontiguousarray(coef.T, dtype=np.float32)
    blocks, offset = [], 0
    for name, vectorizer, weight in vectorizers:
        size = vectorizer.n_features
        blocks.append(_Block(name, vectorizer, weight, weights[offset : offset + size]))
        offset += size
    return _Linear(blocks, intercept)
