"""Trained on the real messages of ../shared (never copied into the repo), scored on raw text."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from classifier.bootstrap import read_bootstrap, read_categories, template_groups
from classifier.calibration import expected_calibration_error
from classifier.cli import read_labelled_csv
from classifier.evaluate import evaluate
from classifier.model import train_model
from classifier.segment import build_segmenter

# Measured 0.877 on 2026-12-02 (docs/benchmarks.md). The target is 0.90, which no
# configuration chosen by cross-validation on train_seg reached; this floor guards the level we have.
DEV_MACRO_F1_FLOOR = 0.87
DEV_ECE_CEILING = 0.08  # measured 0.059
# The starting model (bootstrap corpus only) on real messages, by level-1 class: measured 0.806
# (issue 16 asks for 0.80; it was 0.62 with the template calls alone).
BOOTSTRAP_LEVEL1_FLOOR = 0.80


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


def test_bootstrap_model_on_real_messages_by_level1(shared_data: Path) -> None:
    texts, labels = read_bootstrap()
    # a fresh segmenter: the process-wide one may have learnt another test's place names
    model = train_model(texts, labels, groups=template_groups(texts), segmenter=build_segmenter())
    level1 = {c.name: c.level1 for c in read_categories()}
    dev_texts, dev_labels = read_labelled_csv(shared_data / "dev_raw.csv")
    predicted = [level1[p.label] for p in model.predict_batch(dev_texts)]
    result = evaluate(dev_labels, predicted)
    assert result.accuracy >= BOOTSTRAP_LEVEL1_FLOOR, result.render()
