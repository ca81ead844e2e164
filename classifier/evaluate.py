"""Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ClassScores:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    n: int
    accuracy: float
    macro_f1: float
    per_class: list[ClassScores]
    labels: list[str]
    # confusion[i][j]: how many of true label i were predicted as label j
    confusion: list[list[int]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "per_class": {
                c.label: {
                    "precision": round(c.precision, 4),
                    "recall": round(c.recall, 4),
                    "f1": round(c.f1, 4),
                    "support": c.support,
                }
                for c in self.per_class
            },
            "labels": self.labels,
            "confusion": self.confusion,
        }

    def render(self) -> str:
        """A plain-text report for a terminal (Chinese labels are two columns wide)."""
        width = max([_width(label) for label in self.labels] + [8])
        lines = [
            f"样本数 n = {self.n}",
            f"准确率 accuracy = {self.accuracy:.4f}",
            f"宏平均F1 macro-F1 = {self.macro_f1:.4f}",
            "",
            f"{_pad('类别', width)}  precision  recall      f1  support",
        ]
        for c in self.per_class:
            lines.append(f"{_pad(c.label, width)}  {c.precision:9.4f}  {c.recall:6.4f}  {c.f1:6.4f}  {c.support:7d}")
        lines += ["", "混淆矩阵 confusion matrix (行 = 真实, 列 = 预测; 列号见行首):"]
        cell = max(4, len(str(max((max(r) for r in self.confusion), default=0))) + 1)
        lines.append(_pad("", width + 5) + "".join(f"{j + 1:>{cell}}" for j in range(len(self.labels))))
        for i, (label, row) in enumerate(zip(self.labels, self.confusion, strict=True)):
            lines.append(f"{i + 1:>3}  {_pad(label, width)}" + "".join(f"{v:>{cell}}" for v in row))
        return "\n".join(lines)


def evaluate(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str] | None = None) -> Evaluation:
    """Scores of ``predicted`` against ``truth``; ``labels`` fixes the order (default: sorted union)."""
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} true labels but {len(predicted)} predictions")
    label_list = list(labels) if labels is not None else sorted(set(truth) | set(predicted))
    extra = sorted((set(truth) | set(predicted)) - set(label_list))
    label_list += extra
    index = {label: i for i, label in enumerate(label_list)}
    confusion = np.zeros((len(label_list), len(label_list)), dtype=np.int64)
    for t, p in zip(truth, predicted, strict=True):
        confusion[index[t], index[p]] += 1
    tp = np.diag(confusion).astype(float)
    predicted_count = confusion.sum(axis=0)
    support = confusion.sum(axis=1)
    precision = np.divide(tp, predicted_count, out=np.zeros_like(tp), where=predicted_count > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denominator = precision + recall
    f1 = np.divide(2 * precision * recall, denominator, out=np.zeros_like(tp), where=denominator > 0)
    # like sklearn's f1_score(average="macro"): every class seen in the truth or the predictions
    present = (support > 0) | (predicted_count > 0)
    n = int(confusion.sum())
    return Evaluation(
        n=n,
        accuracy=float(tp.sum() / n) if n else 0.0,
        macro_f1=float(f1[present].mean()) if present.any() else 0.0,
        per_class=[
            ClassScores(label, float(precision[i]), float(recall[i]), float(f1[i]), int(support[i]))
            for i, label in enumerate(label_list)
        ],
        labels=label_list,
        confusion=confusion.tolist(),
    )


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))
