"""Turning linear-model scores into probabilities a dispatcher can trust.

A single temperature T is fitted on out-of-fold scores by minimising the negative
log-likelihood of ``softmax(scores / T)`` (Guo et al., 2017, "On Calibration of Modern Neural
Networks"). It keeps the ranking of labels, so accuracy is untouched, and costs one division
at prediction time (unlike CalibratedClassifierCV, which keeps one model per fold).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

_LOG_T_BOUNDS = (-6.0, 4.0)


def softmax(scores: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def negative_log_likelihood(probabilities: np.ndarray, truth: np.ndarray) -> float:
    picked = probabilities[np.arange(len(truth)), truth]
    return float(-np.mean(np.log(np.clip(picked, 1e-12, None))))


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The temperature minimising NLL; ``truth`` holds column indices into ``scores``."""

    def loss(log_t: float) -> float:
        return negative_log_likelihood(softmax(scores, float(np.exp(log_t))), truth)

    result = minimize_scalar(loss, bounds=_LOG_T_BOUNDS, method="bounded")
    return float(np.exp(result.x))


def expected_calibration_error(probabilities: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by bin size."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == truth
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            error += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return float(error)


def reliability_table(probabilities: np.ndarray, truth: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Per confidence bin: its range, how many predictions fell in it, mean confidence, accuracy."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == truth
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    rows = []
    for b in range(bins):
        members = which == b
        if members.any():
            rows.append(
                {
                    "low": float(edges[b]),
                    "high": float(edges[b + 1]),
                    "n": int(members.sum()),
                    "confidence": float(confidence[members].mean()),
                    "accuracy": float(correct[members].mean()),
                }
            )
    return rows
