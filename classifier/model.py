"""The ticket category model: TF-IDF features and a linear classifier with calibrated confidence.

Features are character 1-3-grams of the normalised text (no jieba on the hot path: cheap, and
robust to how a caller phrases a place or a word), and the classifier is a LinearSVC whose
scores are calibrated into probabilities by cross-validation, so a confidence of 0.8 means
about 80 % right — which is what the auto-dispatch threshold relies on.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from classifier.text import normalize

FORMAT_VERSION = 1
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
_NOT_WORD = re.compile(r"[^\w〈〉]+")

Progress = Callable[[str, int, int], None]


def features_text(text: str) -> str:
    """What the model reads: normalised, lower-cased, without spaces and punctuation (the
    training data is pre-segmented with spaces, raw calls are not: both must look alike)."""
    return _NOT_WORD.sub("", normalize(unicodedata.normalize("NFKC", text)).lower())


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    top: list[tuple[str, float]]


class TicketClassifier:
    def __init__(self, pipeline: Pipeline, metadata: dict[str, Any]):
        self.pipeline = pipeline
        self.metadata = metadata
        self.labels: list[str] = [str(label) for label in pipeline.classes_]

    def predict_batch(self, texts: Sequence[str], k: int = 3) -> list[Prediction]:
        probabilities = self.pipeline.predict_proba([features_text(t) for t in texts])
        predictions = []
        for row in probabilities:
            order = np.argsort(row)[::-1][:k]
            top = [(self.labels[i], float(row[i])) for i in order]
            predictions.append(Prediction(top[0][0], top[0][1], top))
        return predictions

    def predict_one(self, text: str, k: int = 3) -> Prediction:
        return self.predict_batch([text], k)[0]


def build_pipeline() -> Pipeline:
    return Pipeline(
        [
            ("chars", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)),
            ("svm", CalibratedClassifierCV(LinearSVC(C=0.5), cv=3, method="sigmoid")),
        ]
    )


def data_hash(texts: Sequence[str], labels: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(f"{label}\t{text}\n".encode())
    return digest.hexdigest()


def train(texts: Sequence[str], labels: Sequence[str], progress: Progress | None = None) -> TicketClassifier:
    if len(set(labels)) < 2:
        raise ValueError("training needs at least two categories")
    report = progress or (lambda stage, done, total: None)
    report("特征提取", 0, 2)
    prepared = [features_text(t) for t in texts]
    pipeline = build_pipeline()
    report("训练分类器", 1, 2)
    pipeline.fit(prepared, list(labels))
    report("完成", 2, 2)
    metadata = {
        "format": FORMAT_VERSION,
        "version": datetime.now(UTC).strftime("%Y%m%d%H%M%S"),
        "trained_at": datetime.now(UTC).isoformat(),
        "labels": sorted(set(labels)),
        "n_train": len(texts),
        "data_sha256": data_hash(texts, labels),
        "features": "char 1-3-gram tf-idf (sublinear, min_df=2) of normalised text",
        "classifier": "LinearSVC(C=0.5), sigmoid-calibrated (3-fold)",
        "metrics": {},
    }
    return TicketClassifier(pipeline, metadata)


def save_model(model: TicketClassifier, directory: Path, metrics: dict[str, Any] | None = None) -> None:
    """Write the model then its metadata; readers key on metadata.json, so they never see half a model."""
    directory.mkdir(parents=True, exist_ok=True)
    if metrics:
        model.metadata["metrics"] = metrics
    tmp = directory / f".{MODEL_FILE}.tmp"
    joblib.dump(model.pipeline, tmp)
    tmp.replace(directory / MODEL_FILE)
    tmp_meta = directory / f".{METADATA_FILE}.tmp"
    tmp_meta.write_text(json.dumps(model.metadata, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp_meta.replace(directory / METADATA_FILE)


def load_model(directory: Path) -> TicketClassifier:
    metadata_path = directory / METADATA_FILE
    if not metadata_path.exists():
        raise FileNotFoundError(f"no model in {directory} (train one: hotline classifier train)")
    metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    return TicketClassifier(joblib.load(directory / MODEL_FILE), metadata)


class ModelHandle:
    """The model of a directory, reloaded when a newly trained one replaces it (web and workers
    pick it up without a restart). The directory is looked at no more than every `check_s`."""

    def __init__(self, directory: Path, check_s: float = 2.0):
        self.directory = directory
        self.check_s = check_s
        self._model: TicketClassifier | None = None
        self._stamp: float | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    @property
    def model(self) -> TicketClassifier:
        now = time.monotonic()
        if self._model is None or now - self._checked >= self.check_s:
            with self._lock:
                self._checked = now
                stamp = (self.directory / METADATA_FILE).stat().st_mtime
                if self._model is None or stamp != self._stamp:
                    self._model, self._stamp = load_model(self.directory), stamp
        assert self._model is not None
        return self._model

    def predict_one(self, text: str) -> Prediction:
        return self.model.predict_one(text)

    def predict_batch(self, texts: Sequence[str]) -> list[Prediction]:
        return self.model.predict_batch(texts)
