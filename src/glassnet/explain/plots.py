"""Training plots (matplotlib): loss and accuracy curves, the confusion matrix, and for 2-D data the
decision boundary. Everything drawn comes from the model's history and predictions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.core.errors import GlassnetError
from glassnet.core.model import Model

from ..io.files import atomic_write

PLOT_FORMATS = ("png", "pdf", "svg")


def check_plot(path: str | os.PathLike[str]) -> str:
    """The format a plot file's name asks for (png, pdf or svg); raises GlassnetError for any other name,
    or when matplotlib is not installed, so that a command can refuse before any work."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in PLOT_FORMATS:
        raise GlassnetError(
            f"cannot plot to {str(path)!r}: expected a name ending "
            + ", ".join(f".{f}" for f in PLOT_FORMATS[:-1])
            + f" or .{PLOT_FORMATS[-1]}"
        )
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise GlassnetError("--plot needs matplotlib: pip install 'glassnet[plot]'") from None
    return suffix


def plot_training(
    model: Model,
    path: str | os.PathLike[str],
    X: NDArray[Any] | None = None,
    y: NDArray[Any] | None = None,
    confusion: list[list[int]] | None = None,
) -> None:
    """Save the loss curves, accuracy curves (classifiers), confusion matrix (if given) and, for 2-D
    features, the decision boundary over the points (X, y), as PNG, PDF or SVG as the name's suffix says."""
    import io

    form = check_plot(path)
    fig = training_figure(model, X, y, confusion)
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format=form, dpi=100)
    plt.close(fig)
    atomic_write(Path(path), buffer.getvalue())


def training_figure(
    model: Model,
    X: NDArray[Any] | None = None,
    y: NDArray[Any] | None = None,
    confusion: list[list[int]] | None = None,
) -> Any:
    """The matplotlib Figure that ``plot_training`` saves: one panel per view."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise GlassnetError("--plot needs matplotlib: pip install 'glassnet[plot]'") from None

    panels = ["loss"]
    if model.task == "classification":
        panels.append("accuracy")
        if confusion is not None:
            panels.append("confusion")
    if X is not None and X.shape[1] == 2 and model.task == "classification":
        panels.append("boundary")
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.2), squeeze=False)
    epochs = [h["epoch"] for h in model.history]
    for ax, panel in zip(axes[0], panels, strict=True):
        if panel == "loss":
            ax.plot(epochs, [h["loss"] for h in model.history], label="train")
            if any("val_loss" in h for h in model.history):
                ax.plot(epochs, [h.get("val_loss", np.nan) for h in model.history], label="validation")
            ax.set(title="loss", xlabel="epoch")
            ax.legend()
        elif panel == "accuracy":
            ax.plot(epochs, [h.get("accuracy", np.nan) for h in model.history], label="train")
            if any("val_accuracy" in h for h in model.history):
                ax.plot(epochs, [h.get("val_accuracy", np.nan) for h in model.history], label="validation")
            ax.set(title="accuracy", xlabel="epoch")
            ax.legend()
        elif panel == "confusion":
            assert confusion is not None and model.classes is not None
            m = np.asarray(confusion)
            ax.imshow(m, cmap="Blues")
            ticks = range(len(model.classes))
            ax.set_xticks(ticks, [str(c) for c in model.classes], rotation=90, fontsize=7)
            ax.set_yticks(ticks, [str(c) for c in model.classes], fontsize=7)
            ax.set(title="confusion matrix (test)", xlabel="predicted", ylabel="true")
            if len(model.classes) <= 12:
                for (i, j), v in np.ndenumerate(m):
                    ax.text(j, i, str(v), ha="center", va="center", fontsize=7)
        else:
            assert X is not None and y is not None and model.classes is not None
            lo, hi = X.min(axis=0) - 0.3, X.max(axis=0) + 0.3
            gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
            proba = model.predict_proba(np.c_[gx.ravel(), gy.ravel()])
            index = {c: k for k, c in enumerate(model.classes)}
            colors = np.array([index.get(v, 0) for v in y])
            k = len(model.classes)
            if k == 2:  # the probability of the second class, shaded
                ax.contourf(gx, gy, proba[:, 1].reshape(gx.shape), levels=20, cmap="RdBu", alpha=0.7)
                ax.scatter(X[:, 0], X[:, 1], c=colors, cmap="RdBu", edgecolors="k", linewidths=0.4, s=22)
            else:  # each region in its predicted class's colour
                regions = proba.argmax(axis=1).reshape(gx.shape)
                ax.contourf(
                    gx, gy, regions, levels=np.arange(k + 1) - 0.5, cmap="tab10", vmin=0, vmax=9, alpha=0.45
                )
                ax.scatter(
                    X[:, 0],
                    X[:, 1],
                    c=colors,
                    cmap="tab10",
                    vmin=0,
                    vmax=9,
                    edgecolors="k",
                    linewidths=0.4,
                    s=22,
                )
            ax.set(title="decision boundary", xlabel=model.feature_names[0], ylabel=model.feature_names[1])
    fig.tight_layout()
    return fig
