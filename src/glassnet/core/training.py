"""Step 7: repeat steps 2-6 over the data until the network has converged, and say why it stopped.

An epoch visits every example once, in batches: ``batch_size=1`` is the seven steps' per-example
gradient descent, ``None`` is full-batch. Shuffling permutes an index with the seeded Generator and
gathers each batch into a reused buffer: the dataset itself is never copied.

Stopping rules, checked after every epoch (the first that holds wins):
  - ``loss_tol``:   the epoch's loss (or the validation loss) <= loss_tol;
  - ``weight_tol``: no weight or bias moved more than weight_tol during the epoch;
  - ``patience``:   the monitored loss did not improve for ``patience`` epochs (the best weights are
    restored when a validation set is monitored);
  - ``epochs``:     the maximum number of epochs was reached;
  - diverged:       the loss became NaN or inf; training stops at once, keeping the last finite weights.

>>> import numpy as np
>>> from glassnet.core.examples import worked_example
>>> net, x, t, lr = worked_example()
>>> result = fit(net, x, t, lr, epochs=100_000, loss_tol=1e-4)
>>> result.reason, result.epochs
('loss_tolerance', 5494)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import GlassnetError
from .network import Network
from .optimizers import SGD, Optimizer

Array = NDArray[np.floating]

REASONS = {
    "loss_tolerance": "the loss fell to the tolerance",
    "weights_converged": "every weight has converged (none moved more than the tolerance in an epoch)",
    "no_improvement": "the loss stopped improving",
    "max_epochs": "the maximum number of epochs was reached",
    "diverged": "the loss became NaN or inf",
}


@dataclass
class EpochInfo:
    """What one epoch produced; one entry of ``FitResult.history``."""

    epoch: int
    loss: float
    seconds: float
    lr: float
    val_loss: float | None = None
    accuracy: float | None = None
    val_accuracy: float | None = None
    max_weight_change: float | None = None


@dataclass
class FitResult:
    """How training ended: ``reason`` (a key of REASONS), a plain-words ``message`` and the history."""

    reason: str
    message: str
    epochs: int
    updates: int
    loss: float
    history: list[EpochInfo] = field(default_factory=list)
    best_epoch: int | None = None

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


BatchCallback = Callable[[int, int, float], None]
EpochCallback = Callable[[EpochInfo], None]


def _accuracy(a: Array, t: Array) -> float:
    """Share of rows whose predicted class matches the target's (argmax; 0.5 threshold for one output)."""
    if a.shape[1] == 1:
        return float(np.mean((a[:, 0] >= 0.5) == (t[:, 0] >= 0.5)))
    return float(np.mean(a.argmax(axis=1) == t.argmax(axis=1)))


def all_finite(arr: Array) -> bool:
    """Whether every value is finite, in one pass: a sum of finite values is finite unless it overflows,
    and any NaN or inf makes it NaN or inf; only then is each value checked."""
    with np.errstate(over="ignore", invalid="ignore"):
        if math.isfinite(float(np.sum(arr))):
            return True
    return bool(np.isfinite(arr).all())


def _check_data(net: Network, X: Any, T: Any, what: str) -> tuple[Array, Array]:
    X = net.as_inputs(X)
    T = net.as_targets(T)
    if X.shape[0] != T.shape[0]:
        raise GlassnetError(f"{what}: inputs and targets differ in rows: {X.shape[0]} != {T.shape[0]}")
    for name, arr in (("inputs", X), ("targets", T)):
        if not all_finite(arr):
            rows = np.flatnonzero(~np.isfinite(arr).all(axis=1))
            raise GlassnetError(f"{what} {name} contain NaN or inf (first at row {int(rows[0])})")
    return np.ascontiguousarray(X), np.ascontiguousarray(T)


def evaluate(net: Network, X: Array, T: Array, batch_size: int = 4096) -> tuple[float, float]:
    """(loss, accuracy) of the network on (X, T), in batches of ``batch_size``."""
    total, correct = 0.0, 0.0
    n = X.shape[0]
    for start in range(0, n, batch_size):
        a = net.predict(X[start : start + batch_size])
        t = T[start : start + batch_size]
        total += net.loss(a, t) * a.shape[0]
        correct += _accuracy(a, t) * a.shape[0]
    return total / n, correct / n


def fit(
    net: Network,
    X: Any,
    T: Any,
    optimizer: Optimizer | float,
    *,
    epochs: int = 1000,
    batch_size: int | None = 1,
    shuffle: bool = True,
    seed: int | None = None,
    loss_tol: float | None = None,
    weight_tol: float | None = None,
    patience: int | None = None,
    min_delta: float = 0.0,
    validation: tuple[Any, Any] | None = None,
    classification: bool = False,
    schedule: Callable[[int], float] | None = None,
    on_batch: BatchCallback | None = None,
    on_epoch: EpochCallback | None = None,
) -> FitResult:
    """Train ``net`` on inputs X (n, inputs) and targets T (n, outputs) until a stopping rule holds.

    ``optimizer`` is an Optimizer or a learning rate for plain gradient descent. ``schedule(epoch)``
    gives a factor for the base learning rate of each epoch (1-based). ``on_batch(epoch, batch, loss)``
    and ``on_epoch(info)`` let an interface show progress; the loop itself prints nothing.
    """
    X, T = _check_data(net, X, T, "training data")
    opt = optimizer if isinstance(optimizer, Optimizer) else SGD(optimizer)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise GlassnetError(f"epochs must be an integer >= 1; received: epochs={epochs!r}")
    n = X.shape[0]
    bs = n if batch_size is None else batch_size
    if isinstance(bs, bool) or not isinstance(bs, int) or bs < 1:
        raise GlassnetError(
            f"batch_size must be an integer >= 1 or None; received: batch_size={batch_size!r}"
        )
    bs = min(bs, n)
    for name, value in (("loss_tol", loss_tol), ("weight_tol", weight_tol)):
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise GlassnetError(f"{name} must be a finite number >= 0; received: {name}={value!r}")
    if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int) or patience < 1):
        raise GlassnetError(f"patience must be an integer >= 1; received: patience={patience!r}")
    val = _check_data(net, *validation, "validation data") if validation is not None else None

    rng = np.random.default_rng(seed)
    order = np.arange(n)
    x_buf = np.empty((bs, X.shape[1]), net.dtype)
    t_buf = np.empty((bs, T.shape[1]), net.dtype)
    base_lr = opt.lr
    history: list[EpochInfo] = []
    best = math.inf
    best_epoch: int | None = None
    best_weights = None
    stale = 0
    updates = 0
    reason = "max_epochs"
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        if schedule is not None:
            opt.lr = base_lr * schedule(epoch)
        if shuffle and n > 1:
            rng.shuffle(order)
        before = [p.copy() for p in net._trainable] if weight_tol is not None else None
        total = 0.0
        correct = 0.0
        diverged = False
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected, reported
            for batch, start in enumerate(range(0, n, bs)):
                stop = min(start + bs, n)
                if bs == 1:
                    j = int(order[start])
                    xb, tb = X[j : j + 1], T[j : j + 1]
                elif not shuffle:
                    xb, tb = X[start:stop], T[start:stop]
                else:
                    m = stop - start
                    xb, tb = x_buf[:m], t_buf[:m]
                    np.take(X, order[start:stop], axis=0, out=xb, mode="clip")  # indices are valid
                    np.take(T, order[start:stop], axis=0, out=tb, mode="clip")
                E = net.train_step(xb, tb, opt, rng)
                if not math.isfinite(E):
                    diverged = True
                    break
                updates += 1
                total += E * xb.shape[0]
                if classification:
                    correct += _accuracy(net._last.a[-1] if net._last else xb, tb) * xb.shape[0]
                if on_batch is not None:
                    on_batch(epoch, batch + 1, E)
        if diverged:
            reason = "diverged"
            message = (
                f"training diverged in epoch {epoch}: the loss became NaN or inf; kept the last finite "
                f"weights; try a lower learning rate than {opt.lr:g}"
            )
            return FitResult(reason, message, epoch, updates, math.nan, history, best_epoch)
        info = EpochInfo(epoch, total / n, time.perf_counter() - started, opt.lr)
        if classification:
            info.accuracy = correct / n
        if val is not None:
            info.val_loss, val_acc = evaluate(net, *val)
            if classification:
                info.val_accuracy = val_acc
        if before is not None:
            info.max_weight_change = max(
                float(np.max(np.abs(p - q))) for p, q in zip(net._trainable, before, strict=True)
            )
        history.append(info)
        if on_epoch is not None:
            on_epoch(info)
        monitored = info.val_loss if info.val_loss is not None else info.loss
        if monitored < best - min_delta:
            best, best_epoch, stale = monitored, epoch, 0
            if val is not None and patience is not None:
                best_weights = net.get_weights()
        else:
            stale += 1
        if loss_tol is not None and monitored <= loss_tol:
            reason = "loss_tolerance"
            break
        if (
            weight_tol is not None
            and info.max_weight_change is not None
            and info.max_weight_change <= weight_tol
        ):
            reason = "weights_converged"
            break
        if patience is not None and stale >= patience:
            reason = "no_improvement"
            break
    if reason == "no_improvement" and best_weights is not None:
        net.set_weights(best_weights)
    last = history[-1]
    monitored = last.val_loss if last.val_loss is not None else last.loss
    if reason == "loss_tolerance":
        message = f"loss {monitored:.6g} <= tolerance {loss_tol:g} after {last.epoch} epochs"
    elif reason == "weights_converged":
        message = f"every weight has converged: none moved more than {weight_tol:g} in epoch {last.epoch}"
    elif reason == "no_improvement":
        message = f"no improvement for {patience} epochs; best loss {best:.6g} in epoch {best_epoch}"
        if best_weights is not None:
            message += "; restored its weights"
    else:
        message = f"reached the maximum of {epochs} epochs"
    return FitResult(reason, message, last.epoch, updates, last.loss, history, best_epoch)
