"""Trained on the real messages of ../shared (never copied into the repo), scored on raw text."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from classifier.calibration import expected_calibration_error
from classifier.cli import read_labelled_csv
from classifier.evaluate import evaluate
from classifier.model import train_model

# Measured 0.876 on 2026-11-22 (docs/benchmarks.md). The target is 0.90, which no
# configuration chosen by cross-validation on train_seg reached; this floor guards the level we have.
DEV_MACRO_F1_FLOOR = 0.87
DEV_ECE_CEILING = 0.08  # measured 0.045


def test_train_seg_to_dev_raw(shared_data: Path) -> None:
    model = train_model(*read_labelled_csv(shared_data / "train_seg.csv"))
    texts, labels = read_labelled_csv(shared_data / "dev_raw.csv")
    probabilities = model.predict_proba(texts)
    predicted = [model.labels[i] for i in probabilities.argmax(axis=1)]
    result = evaluate(labels, predicted, model.labels)
    assert result.n == 494
    assert result.macro_f1 >= DEV_MACRO_F1_FLOOR, result.render()
    truth = np.array([model.labels.index(label) for label in labels])
    assert expected_calibration_error(probabilities, truth) <= DEV_ECE_CEILING
