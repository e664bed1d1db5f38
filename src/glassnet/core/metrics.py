"""Scores for a trained model: accuracy, per-class precision/recall/F1, confusion matrix; MSE, MAE, R^2.

>>> import numpy as np
>>> confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), 3).tolist()
[[1, 0, 0], [0, 1, 1], [0, 0, 1]]
>>> round(r2(np.array([1.0, 2.0, 3.0]), np.array([1.1, 1.9, 3.2])), 4)
0.97
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def confusion_matrix(true: NDArray[np.integer], pred: NDArray[np.integer], classes: int) -> NDArray[np.int64]:
    """Counts (classes, classes): row = true class, column = predicted class."""
    m = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(m, (true, pred), 1)
    return m


def classification_report(
    true: NDArray[np.integer], pred: NDArray[np.integer], labels: list[Any]
) -> dict[str, Any]:
    """Accuracy, per-class precision/recall/F1/support and the confusion matrix (JSON-ready)."""
    m = confusion_matrix(true, pred, len(labels))
    tp = np.diag(m).astype(np.float64)
    predicted = m.sum(axis=0)
    actual = m.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    per_class = [
        {"label": label, "precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, actual, strict=True)
    ]
    return {
        "accuracy": float(tp.sum() / max(1, len(true))),
        "per_class": per_class,
        "macro_f1": float(f1.mean()) if len(labels) else 0.0,
        "labels": labels,
        "confusion_matrix": m.tolist(),
    }


def r2(true: NDArray[np.floating], pred: NDArray[np.floating]) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot (over all outputs)."""
    ss_res = float(np.sum((true - pred) ** 2))
    ss_tot = float(np.sum((true - np.mean(true, axis=0)) ** 2))
    return 1.0 - ss_res / ss_tot if ss_tot > 0 else (1.0 if ss_res == 0 else 0.0)


def regression_report(true: NDArray[np.floating], pred: NDArray[np.floating]) -> dict[str, float]:
    """MSE, MAE and R^2."""
    err = np.asarray(pred, dtype=np.float64) - np.asarray(true, dtype=np.float64)
    return {"mse": float(np.mean(err**2)), "mae": float(np.mean(np.abs(err))), "r2": r2(true, pred)}
