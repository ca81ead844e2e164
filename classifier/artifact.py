"""The model as a versioned directory: ``model.joblib`` plus ``metadata.json`` beside it.

metadata.json holds what a person or the shell needs without unpickling anything: labels,
version, training-data hash, training time, sizes, features, calibration and metrics. It is
written last, so its change is the signal that a complete new model is in place.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib

from classifier.model import FORMAT_VERSION, Prediction, TextClassifier

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"

log = logging.getLogger(__name__)


class ModelNotFound(FileNotFoundError):
    """No usable model in the directory: none trained yet, or one in a format this code cannot read."""


class IncompatibleModel(ModelNotFound):
    pass


def save_model(model: TextClassifier, directory: Path | str, metrics: dict[str, Any] | None = None) -> None:
    """Write the model, then its metadata (both by atomic rename). ``metrics`` are merged into it."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if metrics:
        model.metadata.setdefault("metrics", {}).update(metrics)
    tmp = directory / f".{MODEL_FILE}.{os.getpid()}.tmp"
    joblib.dump(model, tmp)
    tmp.replace(directory / MODEL_FILE)
    tmp_meta = directory / f".{METADATA_FILE}.{os.getpid()}.tmp"
    tmp_meta.write_text(json.dumps(model.metadata, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp_meta.replace(directory / METADATA_FILE)


def read_metadata(directory: Path | str) -> dict[str, Any]:
    path = Path(directory) / METADATA_FILE
    if not path.exists():
        raise ModelNotFound(f"no model in {directory} (train one: hotline classifier train)")
    metadata: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return metadata


def needs_training(directory: Path | str) -> bool:
    """True when the directory holds no model this code can load (missing, or an older format)."""
    try:
        return read_metadata(directory).get("format") != FORMAT_VERSION
    except (ModelNotFound, ValueError):
        return True


def load_model(directory: Path | str) -> TextClassifier:
    directory = Path(directory)
    found = read_metadata(directory).get("format")
    if found != FORMAT_VERSION:
        raise IncompatibleModel(
            f"the model in {directory} has format {found}, this code reads {FORMAT_VERSION}: retrain it"
        )
    model = joblib.load(directory / MODEL_FILE)
    if not isinstance(model, TextClassifier) or model.metadata.get("format") != FORMAT_VERSION:
        raise IncompatibleModel(
            f"{directory / MODEL_FILE} is not a format {FORMAT_VERSION} classifier model: retrain it"
        )
    return model


class ModelHandle:
    """The model of a directory, reloaded when a newly trained one replaces it or the directory is a
    symlink switched to another version (classifier/versions.py), so web and worker processes pick it
    up without a restart. The directory is looked at (one ``stat`` of metadata.json) at most every
    ``check_s`` seconds; a failed reload keeps the model in use."""

    def __init__(self, directory: Path | str, check_s: float = 5.0):
        self.directory = Path(directory)
        self.check_s = check_s
        self._model: TextClassifier | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    @property
    def model(self) -> TextClassifier:
        """The current model; raises ModelNotFound if the directory has never held one."""
        now = time.monotonic()
        if self._model is None or now - self._checked >= self.check_s:
            with self._lock:
                if self._model is None or now - self._checked >= self.check_s:
                    self._refresh()
                    self._checked = now
        if self._model is None:
            raise ModelNotFound(f"no model in {self.directory} (train one: hotline classifier train)")
        return self._model

    @property
    def version(self) -> str | None:
        return None if self._model is None else self._model.metadata.get("version")

    def _refresh(self) -> None:
        # resolved once, so a pointer switched meanwhile (classifier/versions.py) cannot make us stat one
        # version and load another
        directory = self.directory.resolve()
        try:
            st = (directory / METADATA_FILE).stat()
        except FileNotFoundError:
            return
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp == self._stamp:
            return
        try:
            model = load_model(directory)
        except Exception:
            if self._model is None:
                raise
            log.exception(
                "reloading the classifier model from %s failed; keeping version %s", self.directory, self.version
            )
            return
        if self._model is None or model.metadata.get("version") != self.version:
            log.info("classifier model %s loaded from %s", model.metadata.get("version"), self.directory)
        self._model, self._stamp = model, stamp

    def predict_one(self, text: str, k: int = 3) -> Prediction:
        return self.model.predict_one(text, k)

    def predict_batch(self, texts: Sequence[str], k: int = 3) -> list[Prediction]:
        return self.model.predict_batch(texts, k)
