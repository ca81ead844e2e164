"""What ``hotline classifier train|eval|predict`` (and ``python -m classifier``) run.

Each function takes its output stream, prints for a person, and returns the result object.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from tqdm import tqdm

from classifier.artifact import load_model, save_model
from classifier.calibration import expected_calibration_error
from classifier.evaluate import Evaluation
from classifier.evaluate import evaluate as score
from classifier.model import Prediction, TextClassifier, train_model


class DataError(ValueError):
    """The CSV cannot be used (missing columns, no rows)."""


def read_labelled_csv(path: Path | str) -> tuple[list[str], list[str]]:
    """``text`` and ``label`` columns of a CSV (UTF-8, BOM allowed); other columns are ignored,
    rows with an empty text or label are skipped."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"text", "label"} - set(reader.fieldnames or [])
        if missing:
            raise DataError(f"{path}: missing column(s) {', '.join(sorted(missing))}; need text,label")
        rows = [(r["text"].strip(), r["label"].strip()) for r in reader if (r["text"] or "").strip() and r["label"]]
    if not rows:
        raise DataError(f"{path}: no rows with both text and label")
    return [t for t, _ in rows], [label for _, label in rows]


def train(data_csv: Path | str, model_dir: Path | str, out: TextIO = sys.stdout) -> TextClassifier:
    """Train on ``data_csv`` (text,label) and save the model into ``model_dir``; prints a summary."""
    texts, labels = read_labelled_csv(data_csv)
    started = time.perf_counter()
    with tqdm(total=1, desc="训练", unit="步", file=sys.stderr, leave=False) as bar:

        def progress(stage: str, done: int, total: int) -> None:
            bar.total = total
            bar.set_description(stage)
            bar.update(done - bar.n)

        model = train_model(texts, labels, progress=progress)
    save_model(model, model_dir)
    elapsed = time.perf_counter() - started
    meta = model.metadata
    counts = {label: labels.count(label) for label in model.labels}
    print(f"模型 model: {Path(model_dir)} (version {meta['version']})", file=out)
    print(
        f"训练样本 n_train: {meta['n_train']}, 类别 labels: {len(model.labels)}, 特征 features: {meta['n_features']}",
        file=out,
    )
    print("各类样本数: " + ", ".join(f"{label} {n}" for label, n in counts.items()), file=out)
    cv = meta["metrics"].get("cv")
    if cv:
        print(
            f"{cv['folds']} 折交叉验证 cross-validation: accuracy {cv['accuracy']:.4f}, macro-F1 {cv['macro_f1']:.4f}, "
            f"ECE {cv['ece_uncalibrated']:.4f} -> {cv['ece']:.4f} (temperature {model.temperature:.4f})",
            file=out,
        )
    print(f"数据 sha256: {meta['training_data_sha256']}", file=out)
    print(f"用时 elapsed: {elapsed:.1f} s", file=out)
    return model


def evaluate(
    data_csv: Path | str, model_dir: Path | str, as_json: bool = False, out: TextIO = sys.stdout
) -> Evaluation:
    """Score the model in ``model_dir`` on ``data_csv``; with ``as_json`` the last line printed is one
    JSON object (accuracy, macro_f1, n, per-class scores, confusion matrix, ECE, model version)."""
    texts, labels = read_labelled_csv(data_csv)
    model = load_model(model_dir)
    started = time.perf_counter()
    probabilities = model.predict_proba(texts)
    elapsed = time.perf_counter() - started
    predicted = [model.labels[i] for i in probabilities.argmax(axis=1)]
    result = score(labels, predicted, model.labels)
    known = [i for i, label in enumerate(labels) if label in model.labels]
    truth = np.array([model.labels.index(labels[i]) for i in known], dtype=np.int64)
    ece = expected_calibration_error(probabilities[known], truth) if known else float("nan")
    unknown = sorted(set(labels) - set(model.labels))
    print(f"模型 model: {Path(model_dir)} (version {model.metadata.get('version')})", file=out)
    print(result.render(), file=out)
    print(f"校准误差 ECE = {ece:.4f}", file=out)
    if unknown:
        print(f"注意：模型不认识的类别（全部计为错误）: {', '.join(unknown)}", file=out)
    print(f"用时 {elapsed:.2f} s, {len(texts) / elapsed:.0f} 条/秒", file=out)
    if as_json:
        summary = {
            **result.to_dict(),
            "ece": round(ece, 4),
            "model_version": model.metadata.get("version"),
            "unknown_labels": unknown,
        }
        print(json.dumps(summary, ensure_ascii=False), file=out)
    return result


def candidate(
    train_csv: Path | str,
    holdout_csv: Path | str,
    model_dir: Path | str,
    against: Path | str | None = None,
    out: TextIO = sys.stdout,
) -> dict[str, Any]:
    """Train a candidate on ``train_csv`` into ``model_dir``, then score it and the model in ``against``
    (the one in use, if any) on the same ``holdout_csv``. The last line printed is one JSON object:
    ``version``, ``metadata``, ``candidate`` and ``baseline`` (``Evaluation.to_dict()``, or null)."""
    texts, labels = read_labelled_csv(train_csv)
    held_texts, held_labels = read_labelled_csv(holdout_csv)
    model = train_model(texts, labels)
    save_model(model, model_dir)
    result: dict[str, Any] = {
        "version": model.metadata["version"],
        "metadata": model.metadata,
        "candidate": _score(model, held_texts, held_labels).to_dict(),
        "baseline": None,
    }
    if against is not None:
        current = load_model(against)
        result["baseline"] = _score(current, held_texts, held_labels).to_dict()
        result["baseline_version"] = current.metadata.get("version")
    print(json.dumps(result, ensure_ascii=False), file=out)
    return result


def _score(model: TextClassifier, texts: list[str], labels: list[str]) -> Evaluation:
    """Scores over the union of both label sets, so two models scored on one slice are comparable."""
    predicted = [model.labels[i] for i in model.predict_proba(texts).argmax(axis=1)]
    return score(labels, predicted, sorted(set(labels) | set(predicted)))


def predict(model_dir: Path | str, text: str, out: TextIO = sys.stdout) -> Prediction:
    """Classify one text; prints the label, its confidence and the top 3."""
    prediction = load_model(model_dir).predict_one(text, k=3)
    print(f"类别 label: {prediction.label}", file=out)
    print(f"置信度 confidence: {prediction.confidence:.3f}", file=out)
    for rank, (label, probability) in enumerate(prediction.top, 1):
        print(f"  {rank}. {label} {probability:.3f}", file=out)
    return prediction
