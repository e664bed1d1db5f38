"""Scores for a trained model: accuracy, balanced accuracy, per-class precision/recall/F1, confusion matrix,
ROC-AUC and log-loss of the predicted probabilities; MSE, MAE, R^2.

>>> import numpy as np
>>> confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), 3).tolist()
[[1, 0, 0], [0, 1, 1], [0, 0, 1]]
>>> round(r2(np.array([1.0, 2.0, 3.0]), np.array([1.1, 1.9, 3.2])), 4)
0.97
>>> roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
0.75
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import GlassnetError


def confusion_matrix(true: NDArray[np.integer], pred: NDArray[np.integer], classes: int) -> NDArray[np.int64]:
    """Counts (classes, classes): row = true class, column = predicted class. The class codes must be
    integers in 0..classes-1."""
    t, p = np.asarray(true), np.asarray(pred)
    for name, codes in (("true", t), ("predicted", p)):
        if codes.dtype.kind not in "iu":
            raise GlassnetError(
                f"{name} class codes must be integers 0..{classes - 1}; received {codes.dtype} values"
            )
        if codes.size and (codes.min() < 0 or codes.max() >= classes):
            raise GlassnetError(
                f"{name} class codes must lie in 0..{classes - 1}; received {codes.min()}..{codes.max()}"
            )
    if t.shape != p.shape:
        raise GlassnetError(f"true and predicted codes differ in shape: {t.shape} != {p.shape}")
    m = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(m, (t, p), 1)
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
        "balanced_accuracy": float(recall[actual > 0].mean()) if actual.any() else 0.0,
        "macro_f1": float(f1.mean()) if len(labels) else 0.0,
        "labels": labels,
        "confusion_matrix": m.tolist(),
    }


def balanced_accuracy(true: NDArray[np.integer], pred: NDArray[np.integer], classes: int) -> float:
    """The mean recall of the classes present in ``true`` (scikit-learn's balanced_accuracy_score)."""
    m = confusion_matrix(true, pred, classes)
    actual = m.sum(axis=1)
    if not actual.any():
        raise GlassnetError("balanced accuracy needs at least one example; received none")
    return float(np.mean(np.diag(m)[actual > 0] / actual[actual > 0]))


def _average_ranks(values: NDArray[np.floating]) -> NDArray[np.float64]:
    """Ranks 1..n of ``values`` in ascending order; tied values share the mean of their ranks."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    first = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], len(values))
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = ((starts + ends + 1) / 2.0)[np.cumsum(first) - 1]
    return ranks


def binary_roc_auc(positive: NDArray[np.bool_], score: NDArray[np.floating]) -> float:
    """The area under the ROC curve of ``score`` for the ``positive`` examples against the others.

    It is the probability that a random positive scores higher than a random negative, a tie counting
    one half (the Mann-Whitney U statistic over n_pos * n_neg), which is the trapezoidal area
    scikit-learn's roc_auc_score computes.
    """
    positive = np.asarray(positive, dtype=bool)
    score = np.asarray(score, dtype=np.float64)
    if positive.shape != score.shape or positive.ndim != 1:
        raise GlassnetError(
            f"expected one score per example; received {score.shape} scores for {positive.shape} labels"
        )
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise GlassnetError(
            f"ROC-AUC needs positive and negative examples; received {n_pos} positive and {n_neg} negative"
        )
    if not np.isfinite(score).all():
        raise GlassnetError("ROC-AUC scores contain NaN or inf")
    u = float(_average_ranks(score)[positive].sum()) - n_pos * (n_pos + 1) / 2.0
    return u / (n_pos * n_neg)


def _class_codes(true: NDArray[np.integer], proba: NDArray[np.floating]) -> NDArray[np.float64]:
    """``proba`` as (n, classes) float64, checked against the class codes ``true``."""
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim == 1:
        p = np.column_stack([1.0 - p, p])
    t = np.asarray(true)
    if p.ndim != 2 or p.shape[0] != t.shape[0] or p.shape[1] < 2:
        raise GlassnetError(
            f"expected probabilities shaped (examples, classes >= 2) for {t.shape[0]} examples; "
            f"received {np.shape(proba)}"
        )
    if t.size and (t.min() < 0 or t.max() >= p.shape[1]):
        raise GlassnetError(f"class codes must lie in 0..{p.shape[1] - 1}; received {t.min()}..{t.max()}")
    return p


def roc_auc(true: NDArray[np.integer], proba: NDArray[np.floating]) -> float:
    """ROC-AUC of class probabilities ``proba`` (n, classes), or (n,) of class 1, for class codes ``true``.

    Two classes: the binary area of class 1's probability. More: the one-vs-rest macro average, each
    class's area against all the others (scikit-learn's ``multi_class="ovr", average="macro"``); every
    class must then be present, and absent from some example.
    """
    p = _class_codes(true, proba)
    positive = np.asarray(true)[:, None] == np.arange(p.shape[1])
    if p.shape[1] == 2:
        return binary_roc_auc(positive[:, 1], p[:, 1])
    return float(np.mean([binary_roc_auc(positive[:, k], p[:, k]) for k in range(p.shape[1])]))


def log_loss(true: NDArray[np.integer], proba: NDArray[np.floating]) -> float:
    """The mean of -log(probability of the true class), each probability clipped to [eps, 1 - eps] (eps
    of float64), as scikit-learn's log_loss."""
    p = _class_codes(true, proba)
    if not len(p):
        raise GlassnetError("log-loss needs at least one example; received none")
    eps = np.finfo(np.float64).eps
    picked = np.clip(p[np.arange(len(p)), np.asarray(true)], eps, 1 - eps)
    return float(-np.mean(np.log(picked)))


def r2(true: NDArray[np.floating], pred: NDArray[np.floating]) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot, of each output, averaged over the outputs (as
    scikit-learn's r2_score does by default)."""
    t = np.asarray(true, dtype=np.float64).reshape(len(true), -1)
    p = np.asarray(pred, dtype=np.float64).reshape(len(pred), -1)
    scores = []
    for k in range(t.shape[1]):
        ss_res = float(np.sum((t[:, k] - p[:, k]) ** 2))
        ss_tot = float(np.sum((t[:, k] - np.mean(t[:, k])) ** 2))
        scores.append(1.0 - ss_res / ss_tot if ss_tot > 0 else (1.0 if ss_res == 0 else 0.0))
    return float(np.mean(scores))


def regression_report(true: NDArray[np.floating], pred: NDArray[np.floating]) -> dict[str, float]:
    """MSE, MAE and R^2."""
    err = np.asarray(pred, dtype=np.float64) - np.asarray(true, dtype=np.float64)
    return {"mse": float(np.mean(err**2)), "mae": float(np.mean(np.abs(err))), "r2": r2(true, pred)}
