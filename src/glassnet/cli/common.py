"""What the commands share: the rich console, strict one-line JSON, checks of an output path before any work,
and the scores of a model on labelled data."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from glassnet.core.errors import GlassnetError
from glassnet.core.metrics import classification_report, log_loss, regression_report, roc_auc
from glassnet.core.model import Model

from ..io.data import Table, select_features, target_values


def escape(text: str) -> str:
    """``text`` as rich shows it verbatim: square brackets are not taken as markup."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


OFF_TERMINAL_WIDTH = 200  # the widest line of a trace panel or a report table fits


def rich_console(stderr: bool = False) -> Any:
    """A rich console on stdout (or stderr), without highlighting, that wraps lines on a terminal only; rich
    is imported only when needed."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            """A reader that went away ends the command as main() ends it for plain prints."""
            raise BrokenPipeError

    console = _Console(highlight=False, stderr=stderr)
    if not console.is_terminal:  # a log or a pipe gets whole lines, for grep, never wrapped or cut
        console.soft_wrap = True
        if "COLUMNS" not in os.environ:  # rich would lay tables and panels out in 80 columns
            console.width = OFF_TERMINAL_WIDTH
    return console


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: such values become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def strict_json(value: Any) -> str:
    """One line of strict JSON."""
    return json.dumps(_finite(value), allow_nan=False)


def check_save_path(path: str | None, inputs: Sequence[str | None] = ()) -> None:
    """Refuse, before any work, a save that could not happen or would overwrite one of the inputs."""
    if path is None:
        return
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise GlassnetError(f"cannot save to {path!r}: folder {str(folder)!r} does not exist")
    if target.is_dir():
        raise GlassnetError(f"cannot save to {path!r}: it is a folder; expected a file name")
    for other in inputs:
        if other is not None and Path(other).exists() and target.exists() and target.samefile(other):
            raise GlassnetError(f"cannot save to {path!r}: it is also an input of this command ({other!r})")
        if other is not None and target.resolve() == Path(other).resolve():
            raise GlassnetError(f"cannot save to {path!r}: another output of this command goes there too")
    try:  # a folder we cannot write to fails here, not after the whole training run
        probe = tempfile.NamedTemporaryFile(dir=folder, prefix=".glassnet-probe-", delete=True)
        probe.close()
    except OSError as exc:
        raise GlassnetError(f"cannot save to {path!r}: {exc.strerror or exc}") from None


def check_model_path(path: str | None, inputs: Sequence[str | None] = ()) -> None:
    """``check_save_path`` for a model file, which also refuses to replace an existing file that is not a
    safetensors file (a CSV given to --save by mistake is kept)."""
    check_save_path(path, inputs)
    if path is None or not Path(path).is_file():
        return
    try:
        with open(path, "rb") as f:
            size = int.from_bytes(f.read(8), "little")
            header = f.read(min(size, 1 << 20))
    except OSError as exc:
        raise GlassnetError(f"cannot save to {path!r}: {exc.strerror or exc}") from None
    if not (0 < size <= Path(path).stat().st_size - 8 and header.startswith(b"{")):
        raise GlassnetError(
            f"cannot save to {path!r}: it exists and is not a model file (safetensors); "
            "choose another name or remove it first"
        )


def scores(model: Model, table: Table, source: str) -> dict[str, Any]:
    """Scores of ``model`` on a table whose target column is present.

    A classifier's: accuracy, balanced accuracy, per-class precision/recall/F1, the confusion matrix, and
    ROC-AUC (one-vs-rest macro for more than two classes) and log-loss of its probabilities; ROC-AUC is
    None when some class is missing from the table (or is all of it). A regressor's: MSE, MAE, R^2.
    """
    X = select_features(table, model.feature_names, source)
    if model.task == "classification":
        assert model.classes is not None
        true = model.encode_targets(table.y).argmax(axis=1)
        proba = model.outputs(X).astype(np.float64)
        report = classification_report(true, proba.argmax(axis=1), list(model.classes))
        try:
            report["roc_auc"] = roc_auc(true, proba)
        except GlassnetError:
            report["roc_auc"] = None
        report["log_loss"] = log_loss(true, proba)
        return report
    values = target_values(table.y, "regression")
    return regression_report(values, np.asarray(model.predict(X), dtype=np.float64).reshape(values.shape))


def classification_summary(report: dict[str, Any], examples: int, prefix: str = "") -> str:
    """A classifier's scores from ``scores`` in two short lines: accuracy and balanced accuracy on
    ``examples`` examples, then ROC-AUC and log-loss; ``prefix`` starts each line (e.g. "test ")."""
    auc = "n/a (a class is missing)" if report["roc_auc"] is None else f"{report['roc_auc']:.4f}"
    return (
        f"{prefix}accuracy {report['accuracy']:.2%} on {examples:,} examples, "
        f"balanced accuracy {report['balanced_accuracy']:.2%}\n"
        f"{prefix}ROC-AUC {auc}, log-loss {report['log_loss']:.4f}"
    )
