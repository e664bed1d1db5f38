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
import warnings
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
    "interrupted": "training was asked to stop (its state can be resumed)",
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
    warnings: list[str] = field(default_factory=list)
    state: TrainingState | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        data = asdict(self)
        data.pop("state")
        return data


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
        return _finite([arr])


def _finite(arrays: list[Array]) -> bool:
    """``all_finite`` for several arrays, without its own errstate (for callers already inside one)."""
    return all(
        math.isfinite(float(np.add.reduce(a, axis=None))) or bool(np.isfinite(a).all()) for a in arrays
    )


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
        z, a = net.propagate(X[start : start + batch_size])[-1]
        t = T[start : start + batch_size]
        total += net.loss(a, t, z) * a.shape[0]
        correct += _accuracy(a, t) * a.shape[0]
    return total / n, correct / n


@dataclass
class TrainingState:
    """Everything ``fit`` needs to continue exactly where it stopped (a checkpoint's contents, less the
    network's weights and the optimizer's state, which live in those objects).

    ``epoch`` epochs are complete; ``batch`` batches of the next one are done, in the permutation
    ``order``; ``rng_state`` is the Generator's state at that point (shuffling and dropout).
    """

    epoch: int
    batch: int
    order: NDArray[np.int64]
    rng_state: dict[str, Any]
    base_lr: float
    updates: int = 0
    total: float = 0.0
    correct: float = 0.0
    history: list[EpochInfo] = field(default_factory=list)
    best: float = math.inf
    best_epoch: int | None = None
    stale: int = 0
    best_weights: list[tuple[Array, Array | None]] | None = None
    epoch_start: list[Array] | None = None


def _diagnose(net: Network) -> list[str]:
    """Plain-words warnings about hidden layers dominated by dead ReLUs or saturated sigmoid/tanh units,
    judged on the last batch the network saw."""
    values = net.last_values
    notes = []
    for l, ((z, a), act) in enumerate(zip(values[:-1], net.activations[:-1], strict=False)):
        if act.name == "relu":
            dead = float(np.mean(np.all(z <= 0, axis=0)))
            if dead >= DOMINATES:
                notes.append(
                    f"hidden layer {l + 1}: {dead:.0%} of its ReLUs are dead (output 0 for every example of "
                    "the last batch), so they no longer learn; try a lower learning rate, He initialization "
                    "or leaky_relu"
                )
        elif act.name in ("sigmoid", "tanh"):
            slope = act.derivative(z, a)
            saturated = float(np.mean(np.mean(slope < SATURATED_SLOPE, axis=0) > 0.5))
            if saturated >= DOMINATES:
                notes.append(
                    f"hidden layer {l + 1}: {saturated:.0%} of its {act.name} units are saturated (slope "
                    f"below {SATURATED_SLOPE} for most examples), so gradients barely pass; try standardized "
                    "inputs, a lower learning rate or relu"
                )
    return notes


DOMINATES = 0.9
SATURATED_SLOPE = 0.01


def _interrupted(net: Network, state: TrainingState, message: str) -> FitResult:
    """The result of a run stopped on request: ``state`` is where to resume."""
    last_loss = state.history[-1].loss if state.history else math.nan
    return FitResult(
        "interrupted",
        message,
        state.epoch,
        state.updates,
        last_loss,
        state.history,
        state.best_epoch,
        _diagnose(net),
        state,
    )


class TrainingWarning(UserWarning):
    """Something about training a person should know: dead ReLUs, saturated units."""


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
    resume: TrainingState | None = None,
    on_checkpoint: Callable[[TrainingState], None] | None = None,
    stop_requested: Callable[[], bool] | None = None,
) -> FitResult:
    """Train ``net`` on inputs X (n, inputs) and targets T (n, outputs) until a stopping rule holds.

    ``optimizer`` is an Optimizer or a learning rate for plain gradient descent. ``schedule(epoch)``
    gives a factor for the base learning rate of each epoch (1-based). ``on_batch(epoch, batch, loss)``
    and ``on_epoch(info)`` let an interface show progress; the loop itself prints nothing.

    Checkpoints: ``on_checkpoint(state)`` is called after every epoch with a ``TrainingState``; passing
    such a state back as ``resume`` (with the network and optimizer as they were then) continues the run
    bit for bit. ``stop_requested()`` is asked after every batch; when it answers True, training stops
    there with reason ``interrupted`` and ``FitResult.state`` holds the state to resume from.
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
    if resume is None:
        state = TrainingState(0, 0, np.arange(n), dict(rng.bit_generator.state), opt.lr)
    else:
        state = resume
        if len(state.order) != n:
            raise GlassnetError(
                f"the checkpoint was made on {len(state.order)} training rows; this data has {n}"
            )
        rng.bit_generator.state = state.rng_state
    x_buf = np.empty((bs, X.shape[1]), net.dtype)
    t_buf = np.empty((bs, T.shape[1]), net.dtype)
    keep_best = val is not None and patience is not None
    last_finite = [np.empty_like(p) for p in net.trainable]
    reason = "max_epochs"
    while state.epoch < epochs:
        epoch = state.epoch + 1
        started = time.perf_counter()
        if schedule is not None:
            opt.lr = state.base_lr * schedule(epoch)
        if state.batch == 0:  # a fresh epoch: draw its order, note where the weights started
            state.total = state.correct = 0.0
            if shuffle and n > 1:
                state.order = rng.permutation(n)
            state.epoch_start = [p.copy() for p in net.trainable] if weight_tol is not None else None
        for saved, p in zip(last_finite, net.trainable, strict=True):  # restored if this epoch overflows
            np.copyto(saved, p)
        order = state.order
        starts = range(state.batch * bs, n, bs)
        diverged = interrupted = False
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected, reported
            for start in starts:
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
                state.updates += 1
                state.batch += 1
                state.total += E * xb.shape[0]
                if classification and net.last_output is not None:
                    state.correct += _accuracy(net.last_output, tb) * xb.shape[0]
                if on_batch is not None:
                    on_batch(epoch, state.batch, E)
                if stop_requested is not None and stop_requested() and stop < n:
                    interrupted = True
                    break
            finite = _finite(net.trainable)
        if diverged or not finite:
            kept = "kept the last finite weights"
            if not finite:
                for saved, p in zip(last_finite, net.trainable, strict=True):
                    np.copyto(p, saved)
                kept = f"restored the weights from the start of epoch {epoch}, the last known finite ones"
            message = (
                f"training diverged in epoch {epoch}: the loss became NaN or inf; {kept}; "
                f"try a lower learning rate than {opt.lr:g}"
            )
            return FitResult(
                "diverged", message, epoch, state.updates, math.nan, state.history, state.best_epoch
            )
        if interrupted:
            state.rng_state = dict(rng.bit_generator.state)
            return _interrupted(net, state, f"interrupted in epoch {epoch} after batch {state.batch}")
        info = EpochInfo(epoch, state.total / n, time.perf_counter() - started, opt.lr)
        if classification:
            info.accuracy = state.correct / n
        if val is not None:
            info.val_loss, val_acc = evaluate(net, *val)
            if classification:
                info.val_accuracy = val_acc
        if state.epoch_start is not None:
            info.max_weight_change = max(
                float(np.max(np.abs(p - q))) for p, q in zip(net.trainable, state.epoch_start, strict=True)
            )
        state.history.append(info)
        state.epoch, state.batch = epoch, 0
        monitored = info.val_loss if info.val_loss is not None else info.loss
        if monitored < state.best - min_delta:
            state.best, state.best_epoch, state.stale = monitored, epoch, 0
            if keep_best:
                state.best_weights = net.get_weights()
        else:
            state.stale += 1
        if on_epoch is not None:
            on_epoch(info)
        if on_checkpoint is not None:
            state.rng_state = dict(rng.bit_generator.state)
            on_checkpoint(state)
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
        if patience is not None and state.stale >= patience:
            reason = "no_improvement"
            break
        if stop_requested is not None and stop_requested() and state.epoch < epochs:
            return _interrupted(net, state, f"interrupted after epoch {epoch}")
    state.rng_state = dict(rng.bit_generator.state)
    restored = reason == "no_improvement" and state.best_weights is not None
    if restored:
        assert state.best_weights is not None
        net.set_weights(state.best_weights)
    last = state.history[-1]
    monitored = last.val_loss if last.val_loss is not None else last.loss
    if reason == "loss_tolerance":
        message = f"loss {monitored:.6g} <= tolerance {loss_tol:g} after {last.epoch} epochs"
    elif reason == "weights_converged":
        message = f"every weight has converged: none moved more than {weight_tol:g} in epoch {last.epoch}"
    elif reason == "no_improvement":
        message = (
            f"no improvement for {patience} epochs; best loss {state.best:.6g} in epoch {state.best_epoch}"
        )
        if restored:
            message += "; restored its weights"
    else:
        message = f"reached the maximum of {epochs} epochs"
    notes = _diagnose(net)
    for note in notes:
        warnings.warn(note, TrainingWarning, stacklevel=2)
    return FitResult(
        reason, message, last.epoch, state.updates, last.loss, state.history, state.best_epoch, notes, state
    )
