"""Step 7: repeat steps 2-6 over the data until the network has converged, and say why it stopped.

An epoch visits every example once, in batches: ``batch_size=1`` is the seven steps' per-example
gradient descent, ``None`` is full-batch. Shuffling permutes an index with the seeded Generator and
gathers each batch into a reused buffer: the dataset itself is never copied.

Stopping rules, checked after every epoch (the first that holds wins; ``Reason`` names them):
  - ``loss_tolerance``:    the epoch's loss (or the validation loss) <= loss_tol; with ``data_loss=True``
    (and no validation set) the loss over every training row with the epoch's last weights instead of
    the epoch's running mean (whose terms were each taken before an update): the number a page shows;
  - ``stuck``:             (with ``data_loss=True``) some layer passes no gradient (``data_pass``): every
    one of its units has slope f'(z) = 0 on every training row (dead ReLUs, sigmoids saturated to 0 or 1),
    so no weight up to that layer can change again and the outputs no longer depend on the inputs (an
    output layer whose delta is its loss's a - t always passes one);
  - ``weights_converged``: no weight or bias moved more than weight_tol during the epoch;
  - ``no_improvement``:    the monitored number did not improve (by more than ``min_delta``) for
    ``patience`` epochs: ``monitor="val_loss"`` (the default) watches the validation loss (the training
    loss without a validation set), ``"val_accuracy"`` the validation accuracy (classification with a
    validation set); the best weights are restored when a validation set is monitored;
  - ``max_epochs``:        the maximum number of epochs was reached;
  - ``max_updates``:       the run has made ``max_updates`` updates in all (checked after every update,
    counting those before a resume, as ``epochs`` counts epochs); the run can be resumed from its state;
  - ``diverged``:          the loss became NaN or inf (training stops at once, keeping finite weights),
    or an epoch's training or validation loss exploded: it exceeded ``EXPLODES`` (100) times
    max(its starting value, ``LOSS_FLOOR`` (1)). The starting value is the loss of the initial weights
    (the first epoch's loss when a resumed state does not hold it); the floor keeps a run that starts
    near 0 loss from counting a small rise as divergence;
  - ``interrupted``:       ``stop_requested()`` answered True; the run can be resumed from its state.

``fit`` is the only training loop; the model recipe, the scikit-learn estimators, the CLI and the web
explorer all call it. It reads as its pieces: ``epoch_order`` (the order of an epoch's rows, which
``TrainingState.next_rows`` also reads), ``_Epochs.batches`` (the batches of an epoch),
``_Epochs.run_epoch`` (one epoch of updates), ``_stop_reason`` (the rules above) and ``_stop_message``.

>>> import numpy as np
>>> from glassnet.core.examples import worked_example
>>> net, x, t, lr = worked_example()
>>> result = fit(net, x, t, lr, epochs=100_000, loss_tol=1e-4)
>>> result.reason, result.epochs
('loss_tolerance', 5494)
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from . import blas
from .errors import GlassnetError
from .network import Network
from .optimizers import SGD, Optimizer
from .options import MAX_THREADS as MAX_THREADS  # declared with the other ranges in options.py
from .options import OPTIONS

if TYPE_CHECKING:
    from .trace import StepTrace

Array = NDArray[np.floating]

Monitor = Literal["val_loss", "val_accuracy"]
MONITORS: tuple[str, ...] = ("val_loss", "val_accuracy")

Reason = Literal[
    "loss_tolerance",
    "stuck",
    "weights_converged",
    "no_improvement",
    "max_epochs",
    "max_updates",
    "diverged",
    "interrupted",
]


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
    """How training ended: the ``reason``, a plain-words ``message`` and the history."""

    reason: Reason
    message: str
    epochs: int
    updates: int
    loss: float
    history: list[EpochInfo] = field(default_factory=list)
    best_epoch: int | None = None
    warnings: list[str] = field(default_factory=list)
    state: TrainingState | None = field(default=None, repr=False)
    data_loss: float | None = None  # with data_loss=True: the loss over the training rows at the end

    def to_dict(self) -> dict[str, Any]:
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
    for a in arrays:
        if not math.isfinite(float(np.add.reduce(a, axis=None))) and not np.isfinite(a).all():
            return False
    return True


def _check_data(net: Network, X: Any, T: Any, what: str) -> tuple[Array, Array]:
    X = net.as_inputs(X)
    T = net.as_targets(T)
    net.loss_fn.check_targets(T)
    if X.shape[0] != T.shape[0]:
        raise GlassnetError(f"{what}: inputs and targets differ in rows: {X.shape[0]} != {T.shape[0]}")
    for name, arr in (("inputs", X), ("targets", T)):
        if not all_finite(arr):
            rows = np.flatnonzero(~np.isfinite(arr).all(axis=1))
            raise GlassnetError(f"{what} {name} contain NaN or inf (first at row {int(rows[0])})")
    return np.ascontiguousarray(X), np.ascontiguousarray(T)


def check_sample_weight(sample_weight: Any, n: int, what: str = "row") -> NDArray[np.float64]:
    """``sample_weight`` as (n,) float64 weights, one per ``what``; GlassnetError for a wrong shape or a
    weight that is negative, NaN or inf."""
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise GlassnetError(
            f"sample_weight must be numbers, one per {what}; received: {sample_weight!r:.80}"
        ) from None
    if w.shape != (n,):
        raise GlassnetError(f"sample_weight must hold one weight per {what} ({n}); got shape {w.shape}")
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if len(bad):
        raise GlassnetError(
            f"sample weights must be finite and >= 0; row {int(bad[0])} has {float(w[bad[0]])!r}"
        )
    return w


def _normalized_weights(sample_weight: Any, n: int, dtype: np.dtype[Any]) -> Array | None:
    """``sample_weight`` checked and scaled to mean 1 in ``dtype``, or None when there are none or all are
    equal (then weighting changes nothing); GlassnetError for weights that are all 0."""
    if sample_weight is None:
        return None
    w = check_sample_weight(sample_weight, n, "training row")
    total = float(w.sum())
    if not total > 0:
        raise GlassnetError("sample weights are all 0: at least one example must have a weight > 0")
    if np.all(w == w[0]):
        return None
    return (w * (n / total)).astype(dtype)


def evaluate(net: Network, X: Array, T: Array, batch_size: int = 4096) -> tuple[float, float]:
    """(loss, accuracy) of the network on (X, T), in batches of ``batch_size``."""
    total, correct = 0.0, 0.0
    n = X.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):  # a loss of inf is a value to report, not an error
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
    initial_loss: float | None = None
    initial_val_loss: float | None = None
    data_loss: float | None = None  # with data_loss: the loss over the training data at the last check
    batch_size: int | None = None  # the rows per batch of the epoch in progress (None: not known)
    stuck: tuple[str, str] | None = None  # the layer the rule ``stuck`` found, in words, and its activation

    @classmethod
    def start(cls, n: int, seed: int | None, lr: float) -> TrainingState:
        """The state of a run on ``n`` training rows that has made no update yet: resuming from it is
        starting afresh with ``seed`` (``fit`` takes its starting losses then)."""
        rng = np.random.default_rng(seed)
        return cls(0, 0, np.arange(n), dict(rng.bit_generator.state), lr)

    def next_rows(self, batch_size: int | None, shuffle: bool = True) -> NDArray[np.intp]:
        """The training rows the run's next update takes, without making it: the rows of the epoch in
        progress from its position on, or, at an epoch's start, those of the order ``epoch_order`` is about
        to draw (from a copy of the run's Generator). ``batch_size`` must be the one the run goes on with.

        >>> state = TrainingState.start(4, seed=0, lr=0.1)
        >>> state.next_rows(2, shuffle=False), state.next_rows(None, shuffle=False)
        (array([0, 1]), array([0, 1, 2, 3]))
        """
        n = len(self.order)
        bs = _batch_size(batch_size, n)
        order = self.order
        if self.batch == 0:
            rng = np.random.default_rng()
            rng.bit_generator.state = self.rng_state
            order = epoch_order(order, rng, shuffle)
        return np.asarray(order[self.batch * bs : self.batch * bs + bs], dtype=np.intp)

    def restart_epoch(self) -> TrainingState:
        """A copy of this state whose epoch in progress is cut short (its running numbers dropped, no
        ``EpochInfo``): the next update starts a new epoch, with a new order. A run needs this to go on
        with another batch size, since ``batch`` counts batches of the old size.

        >>> state = TrainingState(2, 3, np.arange(8), {}, 0.1, updates=19)
        >>> fresh = state.restart_epoch()
        >>> (fresh.epoch, fresh.batch, fresh.updates), (state.epoch, state.batch)
        ((3, 0, 19), (2, 3))
        """
        fresh = copy.deepcopy(self)
        if fresh.batch:
            fresh.epoch, fresh.batch, fresh.total, fresh.correct = fresh.epoch + 1, 0, 0.0, 0.0
        return fresh


def epoch_order(order: NDArray[np.int64], rng: np.random.Generator, shuffle: bool) -> NDArray[np.int64]:
    """The order in which a fresh epoch visits the rows: a permutation drawn from ``rng`` when shuffling
    (and there is more than one row), else ``order`` as it is."""
    n = len(order)
    return rng.permutation(n) if shuffle and n > 1 else order


EXPLODES = 100.0
LOSS_FLOOR = 1.0


def _exploded(state: TrainingState, info: EpochInfo) -> str | None:
    """Words for an epoch whose training or validation loss exploded (above ``EXPLODES`` times
    max(starting loss, ``LOSS_FLOOR``)), or None."""
    first = state.history[0]
    for what, now, start in (
        ("training", info.loss, state.initial_loss if state.initial_loss is not None else first.loss),
        (
            "validation",
            info.val_loss,
            state.initial_val_loss if state.initial_val_loss is not None else first.val_loss,
        ),
    ):
        if now is None or start is None or not math.isfinite(start):
            continue
        if now > EXPLODES * max(start, LOSS_FLOOR):
            return (
                f"the {what} loss {now:.6g} exploded: above {EXPLODES:g} x max(its starting value "
                f"{start:.6g}, {LOSS_FLOOR:g})"
            )
    return None


DOMINATES = 0.9
SATURATED_SLOPE = 0.01


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


class TrainingWarning(UserWarning):
    """Something about training a person should know: dead ReLUs, saturated units."""


def divergence_message(epoch: int, lr: float, restored: bool, exploded: str | None = None) -> str:
    """The words for a run whose loss became NaN or inf in ``epoch`` at learning rate ``lr``; ``restored``
    says the weights overflowed too and were put back as they were at the epoch's start. ``exploded``
    instead describes a loss that stayed finite but exploded (see ``_exploded``)."""
    if exploded is not None:
        return f"training diverged in epoch {epoch}: {exploded}; try a lower learning rate than {lr:g}"
    kept = (
        f"restored the weights from the start of epoch {epoch}, the last known finite ones"
        if restored
        else "kept the last finite weights"
    )
    return (
        f"training diverged in epoch {epoch}: the loss became NaN or inf; {kept}; "
        f"try a lower learning rate than {lr:g}"
    )


# ---------------------------------------------------------------------------------------------- the pieces
@dataclass(frozen=True)
class _Rules:
    """The stopping rules of one ``fit`` call, checked once when it starts."""

    epochs: int | None
    loss_tol: float | None
    weight_tol: float | None
    patience: int | None
    min_delta: float
    monitor: str = "val_loss"
    max_updates: int | None = None
    data_loss: bool = False

    def __post_init__(self) -> None:
        if self.monitor not in MONITORS:
            raise GlassnetError(f"monitor must be one of {', '.join(MONITORS)}; received: {self.monitor!r}")
        most = self.max_updates
        if most is not None and (isinstance(most, bool) or not isinstance(most, int) or most < 1):
            raise GlassnetError(
                f"max_updates must be an integer >= 1 or None; received: max_updates={most!r}"
            )
        if self.epochs is None and most is None:
            raise GlassnetError("epochs=None needs max_updates: a run with neither limit might never end")
        if not isinstance(self.data_loss, bool):
            raise GlassnetError(f"data_loss must be True or False; received: data_loss={self.data_loss!r}")
        OPTIONS["epochs"].check(self.epochs, none=most is not None)  # options.py: the shared ranges
        for name in ("loss_tol", "weight_tol", "patience"):
            if getattr(self, name) is not None:
                OPTIONS[name].check(getattr(self, name))
        OPTIONS["min_delta"].check(self.min_delta)


def _batch_size(batch_size: int | None, n: int) -> int:
    """The rows per batch: ``batch_size`` (at most n), or n for full-batch (None)."""
    bs = OPTIONS["batch_size"].check(batch_size, none=True)
    return n if bs is None else min(bs, n)


_EpochEnd = Literal["complete", "interrupted", "paused", "diverged", "overflowed"]


class _Epochs:
    """What stays fixed across the epochs of one ``fit`` call (the data, the optimizer, the Generator, the
    batch buffers, the callbacks, the rules) and what one epoch does with it: its batches, its updates,
    its numbers."""

    def __init__(
        self,
        net: Network,
        X: Array,
        T: Array,
        opt: Optimizer,
        rng: np.random.Generator,
        bs: int,
        shuffle: bool,
        classification: bool,
        on_batch: BatchCallback | None,
        stop_requested: Callable[[], bool] | None,
        trace: Callable[[int], bool] | None,
        on_trace: Callable[[StepTrace], None] | None,
        first_update: int,
        val: tuple[Array, Array] | None,
        rules: _Rules,
        w: Array | None = None,
        keep_gradients: bool = False,
    ) -> None:
        self.w, self.keep_gradients = w, keep_gradients
        self.w_buf = None if w is None else np.empty(bs, net.dtype)
        self.net, self.X, self.T, self.opt, self.rng, self.n = net, X, T, opt, rng, X.shape[0]
        self.bs, self.shuffle, self.classification = bs, shuffle, classification
        self.val, self.rules = val, rules
        self.keep_best = val is not None and rules.patience is not None  # restored if patience runs out
        self.on_batch, self.stop_requested = on_batch, stop_requested
        self.trace, self.on_trace, self.first_update = trace, on_trace, first_update
        self.x_buf = np.empty((bs, X.shape[1]), net.dtype)
        self.t_buf = np.empty((bs, T.shape[1]), net.dtype)
        self.last_finite = [np.empty_like(p) for p in net.trainable]

    def batches(
        self, order: NDArray[np.int64], first: int
    ) -> Iterator[tuple[Array, Array, Array | None, int]]:
        """The batches of one epoch in ``order``, from batch number ``first`` on, as (x, t, w, end): ``w``
        holds the examples' weights (None when every example weighs 1) and ``end`` is the position just
        past the batch. One example is a view of the data; a shuffled batch is gathered into a reused
        buffer; an unshuffled one is a view."""
        X, T, W, bs, n = self.X, self.T, self.w, self.bs, self.n
        for start in range(first * bs, n, bs):
            stop = min(start + bs, n)
            if bs == 1:
                j = int(order[start])
                yield X[j : j + 1], T[j : j + 1], None if W is None else W[j : j + 1], stop
            elif not self.shuffle:
                yield X[start:stop], T[start:stop], None if W is None else W[start:stop], stop
            else:
                m = stop - start
                xb, tb = self.x_buf[:m], self.t_buf[:m]
                np.take(X, order[start:stop], axis=0, out=xb, mode="clip")  # indices are valid
                np.take(T, order[start:stop], axis=0, out=tb, mode="clip")
                wb = None
                if W is not None and self.w_buf is not None:
                    wb = self.w_buf[:m]
                    np.take(W, order[start:stop], out=wb, mode="clip")
                yield xb, tb, wb, stop

    def run_epoch(self, state: TrainingState, epoch: int) -> _EpochEnd:
        """One epoch (or the rest of one): an update per batch, counted in ``state``. It ends complete,
        interrupted (``stop_requested`` between two batches), paused (``max_updates`` reached between two
        batches), diverged (a loss of NaN or inf: no update was made) or overflowed (an update made a
        weight inf or NaN: the epoch's first weights are put back)."""
        net, opt, rng, n = self.net, self.opt, self.rng, self.n
        most = self.rules.max_updates
        if state.batch == 0:  # a fresh epoch: draw its order, note where the weights started
            state.total = state.correct = 0.0
            state.order = epoch_order(state.order, rng, self.shuffle)
            state.epoch_start = (
                [p.copy() for p in net.trainable] if self.rules.weight_tol is not None else None
            )
        train_step, trace, classification = net.train_step, self.trace, self.classification
        on_batch, stop_requested = self.on_batch, self.stop_requested
        for saved, p in zip(self.last_finite, net.trainable, strict=True):
            np.copyto(saved, p)
        end: _EpochEnd = "complete"
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected, reported
            for xb, tb, wb, stop in self.batches(state.order, state.batch):
                if trace is not None and trace(state.updates + 1 - self.first_update):
                    E = self._traced_update(xb, tb)
                else:
                    E = train_step(xb, tb, opt, rng, wb, self.keep_gradients)
                if not math.isfinite(E):
                    end = "diverged"
                    break
                state.updates += 1
                state.batch += 1
                state.total += E * xb.shape[0]
                if classification and net.last_output is not None:
                    state.correct += _accuracy(net.last_output, tb) * xb.shape[0]
                if on_batch is not None:
                    on_batch(epoch, state.batch, E)
                if most is not None and state.updates >= most and stop < n:
                    end = "paused"
                    break
                if stop_requested is not None and stop_requested() and stop < n:
                    end = "interrupted"
                    break
            finite = _finite(net.trainable)
        if not finite:
            for saved, p in zip(self.last_finite, net.trainable, strict=True):
                np.copyto(p, saved)
            return "overflowed"
        return end

    def _traced_update(self, x: Array, t: Array) -> float:
        """One update by ``Network.traced_step`` (no dropout), its trace handed to ``on_trace``; returns
        its loss."""
        assert self.on_trace is not None
        try:
            trace = self.net.traced_step(x, t, self.opt)
        except GlassnetError:  # the data were checked: its one complaint is a loss of NaN or inf
            return math.nan
        self.on_trace(trace)
        return trace.loss_total

    def close_epoch(self, state: TrainingState, epoch: int, seconds: float) -> EpochInfo:
        """The epoch's numbers (its mean loss and accuracy, the validation loss, the largest weight change),
        added to ``state`` with the best monitored loss so far (for ``patience``)."""
        net, n, classification = self.net, len(state.order), self.classification
        info = EpochInfo(epoch, state.total / n, seconds, self.opt.lr)
        if classification:
            info.accuracy = state.correct / n
        if self.val is not None:
            info.val_loss, val_acc = evaluate(net, *self.val)
            if classification:
                info.val_accuracy = val_acc
        if state.epoch_start is not None:
            info.max_weight_change = max(
                float(np.max(np.abs(p - q))) for p, q in zip(net.trainable, state.epoch_start, strict=True)
            )
        state.history.append(info)
        state.epoch, state.batch = epoch, 0
        monitored = _monitored(info, self.rules.monitor)
        if monitored < state.best - self.rules.min_delta:
            state.best, state.best_epoch, state.stale = monitored, epoch, 0
            if self.keep_best:
                state.best_weights = net.get_weights()
        else:
            state.stale += 1
        return info


def _start(resume: TrainingState | None, n: int, rng: np.random.Generator, lr: float) -> TrainingState:
    """A fresh state, or ``resume`` with the Generator set back to where it was."""
    if resume is None:
        return TrainingState(0, 0, np.arange(n), dict(rng.bit_generator.state), lr)
    if len(resume.order) != n:
        raise GlassnetError(
            f"the checkpoint was made on {len(resume.order)} training rows; this data has {n}"
        )
    rng.bit_generator.state = resume.rng_state
    return resume


def _monitored(info: EpochInfo, monitor: str) -> float:
    """The number early stopping watches after epoch ``info``, lower being better: the validation loss
    (the training loss without a validation set), or minus the validation accuracy."""
    if monitor == "val_accuracy" and info.val_accuracy is not None:
        return -info.val_accuracy
    return info.val_loss if info.val_loss is not None else info.loss


def data_pass(
    net: Network, X: Array, T: Array | None = None, batch_size: int = 4096
) -> tuple[float, int | None]:
    """One forward pass over (X, T) in batches: (the loss over every row, as ``evaluate`` computes it, or
    NaN without T; the first layer (1-based, the output layer last) none of whose units has a slope f'(z)
    other than 0 on any row, or None). No gradient passes such a layer (the rule ``stuck``). Layers whose
    activation is not elementwise (softmax), and an output layer whose delta is its loss's a - t, always
    pass one.

    >>> net = Network([1, 2, 1], activation="relu")
    >>> net.set_weights([(np.array([[-1.0, -2.0]]), np.zeros(2)), (np.ones((2, 1)), np.zeros(1))])
    >>> data_pass(net, np.array([[1.0], [2.0]]))[1], data_pass(net, np.array([[-1.0]]))[1]
    (1, None)
    """
    last = len(net.layers) - 1
    acts = net.activations
    checked = [
        l for l, f in enumerate(acts) if f.elementwise and not (l == last and net.loss_fn.pairs_with(f))
    ]
    alive = dict.fromkeys(checked, False)
    total, n = 0.0, X.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):  # a loss of inf is a value to report, not an error
        for start in range(0, n, batch_size):
            values = net.propagate(X[start : start + batch_size])
            if T is not None:
                z, a = values[-1]
                total += net.loss(a, T[start : start + batch_size], z) * a.shape[0]
            for l, seen in alive.items():
                if not seen:
                    z, a = values[l]
                    alive[l] = bool((acts[l].derivative(z, a) != 0).any())
    dead = next((l + 1 for l, seen in alive.items() if not seen), None)
    return (total / n if T is not None else math.nan), dead


def _stop_reason(
    state: TrainingState,
    info: EpochInfo,
    rules: _Rules,
    data: tuple[Network, Array, Array] | None = None,
) -> Reason | None:
    """The first stopping rule that holds after the epoch ``info``, or None to go on. With
    ``rules.data_loss``, ``data`` is (net, X, T) and the loss over the training data goes into
    ``state.data_loss``."""
    monitored = info.val_loss if info.val_loss is not None else info.loss
    state.data_loss, state.stuck = None, None
    dead = None
    if rules.data_loss and data is not None:
        state.data_loss, dead = data_pass(*data)
        if info.val_loss is None:
            monitored = state.data_loss
    if rules.loss_tol is not None and monitored <= rules.loss_tol:
        return "loss_tolerance"
    if dead is not None and data is not None:
        net = data[0]
        where = "the output layer" if dead == len(net.layers) else f"hidden layer {dead}"
        state.stuck = (where, net.activations[dead - 1].name)
        return "stuck"
    change = info.max_weight_change
    if rules.weight_tol is not None and change is not None and change <= rules.weight_tol:
        return "weights_converged"
    if rules.patience is not None and state.stale >= rules.patience:
        return "no_improvement"
    return None


def _stop_message(reason: Reason, state: TrainingState, rules: _Rules, restored: bool) -> str:
    """Why training stopped, in words, for the reasons checked after an epoch and ``max_updates``. With
    ``data_loss``, the loss quoted is the loss over the training data (the validation loss if judged)."""
    tol, data = rules.loss_tol, state.data_loss
    if reason == "max_updates":
        message = f"reached the maximum of {rules.max_updates:,} updates"
        if data is not None:
            above = f", still above the tolerance {tol:g}" if tol is not None and data > tol else ""
            message += f"; the loss over the training data is {data:.6g}{above}"
        return message
    last = state.history[-1]
    monitored = last.val_loss if last.val_loss is not None else last.loss
    if reason == "loss_tolerance" and data is not None and last.val_loss is None:
        return (
            f"the loss over the training data {data:.6g} <= tolerance {tol:g} after {state.updates:,} "
            f"updates (epoch {last.epoch})"
        )
    if reason == "loss_tolerance":
        return f"loss {monitored:.6g} <= tolerance {tol:g} after {last.epoch} epochs"
    if reason == "stuck" and data is not None and state.stuck is not None:
        return _stuck_message(state, *state.stuck, data, tol)
    if reason == "weights_converged":
        return f"every weight has converged: none moved more than {rules.weight_tol:g} in epoch {last.epoch}"
    if reason == "no_improvement":
        if rules.monitor == "val_accuracy":
            best = f"best validation accuracy {-state.best:.2%} in epoch {state.best_epoch}"
        else:
            best = f"best loss {state.best:.6g} in epoch {state.best_epoch}"
        message = f"no improvement for {rules.patience} epochs; {best}"
        return message + "; restored its weights" if restored else message
    return f"reached the maximum of {rules.epochs} epochs"


def _stuck_message(state: TrainingState, where: str, activation: str, data: float, tol: float | None) -> str:
    """The words for the rule ``stuck``: which layer passes no gradient, why, and what to try."""
    if activation == "relu":
        why, advice = (
            "its ReLUs are dead: net input <= 0",
            "another seed, a lower learning rate or leaky_relu",
        )
    else:
        why, advice = f"its {activation} units are saturated", "standardized inputs or a lower learning rate"
    loss = f"the loss over the training data is {data:.6g}"
    if tol is not None and data > tol:
        loss = f"the loss over the training data {data:.6g} is still above the tolerance {tol:g}"
    return (
        f"training is stuck after {state.updates:,} updates (epoch {state.epoch}): no unit of {where} has a "
        f"slope other than 0 on any training row ({why}), so no gradient passes it, no weight up to it "
        f"can change and the outputs no longer depend on the inputs; {loss}; try {advice}"
    )


def _interrupted(net: Network, state: TrainingState, rng: np.random.Generator, message: str) -> FitResult:
    """The result of a run stopped on request: ``state`` (with the Generator's state) is where to resume."""
    state.rng_state = dict(rng.bit_generator.state)
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


# ---------------------------------------------------------------------------------------------- the loop
def fit(
    net: Network,
    X: Any,
    T: Any,
    optimizer: Optimizer | float,
    *,
    epochs: int | None = 1000,
    max_updates: int | None = None,
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
    trace: Callable[[int], bool] | None = None,
    on_trace: Callable[[StepTrace], None] | None = None,
    sample_weight: Any = None,
    monitor: Monitor = "val_loss",
    keep_gradients: bool = False,
    threads: int | None = None,
    data_loss: bool = False,
    warn: bool = True,
) -> FitResult:
    """Train ``net`` on inputs X (n, inputs) and targets T (n, outputs) until a stopping rule holds.

    ``optimizer`` is an Optimizer or a learning rate for plain gradient descent. ``schedule(epoch)``
    gives a factor for the base learning rate of each epoch (1-based). ``on_batch(epoch, batch, loss)``
    and ``on_epoch(info)`` let an interface show progress; the loop itself prints nothing.

    Checkpoints: ``on_checkpoint(state)`` is called after every epoch with a ``TrainingState``; passing
    such a state back as ``resume`` (with the network and optimizer as they were then) continues the run
    bit for bit. ``stop_requested()`` is asked after every batch; when it answers True, training stops
    there with reason ``interrupted`` and ``FitResult.state`` holds the state to resume from.

    Traces: with ``batch_size=1``, ``trace(k)`` is asked before the k-th update of this call (k = 1, 2,
    ...); when it answers True, that update is made by ``Network.traced_step`` (every number recorded, no
    dropout) and its ``StepTrace`` is passed to ``on_trace``. ``TrainingState.next_rows`` names the rows
    the next update of a run will take.

    Updates: ``max_updates`` stops the run once it has made that many updates in all (reason
    ``max_updates``; like ``epochs`` it counts the updates before a resume); ``epochs=None`` leaves the
    epochs unlimited (it needs ``max_updates``). An interface that trains a run a few updates at a time
    calls ``fit(..., resume=state, max_updates=state.updates + k)`` again and again: the epochs' ends, the
    rules and the row order are those of one uninterrupted run.

    ``data_loss=True`` computes the loss over every training row after each epoch (one more forward pass
    over the data; ``FitResult.data_loss``): ``loss_tol`` then judges that loss rather than the epoch's
    running mean, its message quotes it, and the rule ``stuck`` is checked (see the module's docstring).
    ``warn=False`` leaves the notes about dead or saturated units in ``FitResult.warnings`` without issuing
    a ``TrainingWarning`` (for an interface that shows them itself).

    Weights: ``sample_weight`` (n,) weighs each training example: the loss and its gradient become
    weighted means, E = sum_i w_i E_i / sum_i w_i over the training set. The weights are scaled to mean 1
    once, and each batch's E is the batch mean of w_i E_i, so all-ones weights give exactly the numbers of
    unweighted training. The validation loss and accuracies stay unweighted (what the model gets right
    on held-out rows as they come).

    ``keep_gradients=True`` forms every update's dE/dW (readable in ``net.last_step`` after the call)
    instead of letting BLAS form it inside the update; slower, for an interface that shows them.
    ``threads`` limits NumPy's BLAS to that many threads for the call (``blas.threads``; None, the
    default, leaves it as it is: by default one per core). On a busy machine one thread is often faster.
    """
    check_threads(threads)
    with blas.threads(threads):
        return _fit(
            net, X, T, optimizer, epochs=epochs, max_updates=max_updates, batch_size=batch_size,
            shuffle=shuffle, seed=seed,
            loss_tol=loss_tol, weight_tol=weight_tol, patience=patience, min_delta=min_delta,
            validation=validation, classification=classification, schedule=schedule, on_batch=on_batch,
            on_epoch=on_epoch, resume=resume, on_checkpoint=on_checkpoint, stop_requested=stop_requested,
            trace=trace, on_trace=on_trace, sample_weight=sample_weight, monitor=monitor,
            keep_gradients=keep_gradients, data_loss=data_loss, warn=warn,
        )  # fmt: skip


def check_threads(threads: Any) -> int | None:
    """``threads`` if it is None or an integer from 1 to ``MAX_THREADS`` (options.py), else GlassnetError."""
    result: int | None = OPTIONS["threads"].check(threads, none=True)
    return result


def _fit(
    net: Network,
    X: Any,
    T: Any,
    optimizer: Optimizer | float,
    *,
    epochs: int | None,
    max_updates: int | None,
    batch_size: int | None,
    shuffle: bool,
    seed: int | None,
    loss_tol: float | None,
    weight_tol: float | None,
    patience: int | None,
    min_delta: float,
    validation: tuple[Any, Any] | None,
    classification: bool,
    schedule: Callable[[int], float] | None,
    on_batch: BatchCallback | None,
    on_epoch: EpochCallback | None,
    resume: TrainingState | None,
    on_checkpoint: Callable[[TrainingState], None] | None,
    stop_requested: Callable[[], bool] | None,
    trace: Callable[[int], bool] | None,
    on_trace: Callable[[StepTrace], None] | None,
    sample_weight: Any,
    monitor: Monitor,
    keep_gradients: bool,
    data_loss: bool,
    warn: bool,
) -> FitResult:
    """``fit`` within its thread limit."""
    X, T = _check_data(net, X, T, "training data")
    w = _normalized_weights(sample_weight, X.shape[0], net.dtype)
    if trace is not None and w is not None:
        raise GlassnetError("a step trace shows the seven unweighted steps: trace takes no sample_weight")
    opt = optimizer if isinstance(optimizer, Optimizer) else SGD(optimizer)
    rules = _Rules(epochs, loss_tol, weight_tol, patience, min_delta, monitor, max_updates, data_loss)
    n = X.shape[0]
    bs = _batch_size(batch_size, n)
    if trace is not None and (on_trace is None or bs != 1):
        raise GlassnetError("a step trace follows one example: trace needs batch_size=1 and an on_trace")
    val = _check_data(net, *validation, "validation data") if validation is not None else None
    if monitor == "val_accuracy" and (val is None or not classification):
        raise GlassnetError(
            "monitor='val_accuracy' watches the accuracy on a validation set: it needs classification and "
            "validation data (e.g. a validation split > 0)"
        )
    rng = np.random.default_rng(OPTIONS["seed"].check(seed, none=True))
    state = _start(resume, n, rng, opt.lr)
    if state.batch and state.batch_size not in (None, bs):
        raise GlassnetError(
            f"the run stopped after batch {state.batch} of epoch {state.epoch + 1} in batches of "
            f"{state.batch_size}; going on in batches of {bs} would skip or repeat rows: finish the epoch "
            "with the same batch_size, or resume from state.restart_epoch()"
        )
    state.batch_size = bs
    if state.updates == 0 and state.initial_loss is None:  # the starting losses, to judge an explosion by
        with np.errstate(over="ignore", invalid="ignore"):
            state.initial_loss = evaluate(net, X, T)[0]
            state.initial_val_loss = evaluate(net, *val)[0] if val is not None else None
    loop = _Epochs(
        net,
        X,
        T,
        opt,
        rng,
        bs,
        shuffle,
        classification,
        on_batch=on_batch,
        stop_requested=stop_requested,
        trace=trace,
        on_trace=on_trace,
        first_update=state.updates,
        val=val,
        rules=rules,
        w=w,
        keep_gradients=keep_gradients,
    )
    reason: Reason = "max_epochs"
    most = rules.max_updates
    while most is None or state.updates < most:
        if epochs is not None and state.epoch >= epochs:
            break
        epoch = state.epoch + 1
        started = time.perf_counter()
        if schedule is not None:
            opt.lr = state.base_lr * schedule(epoch)
        end = loop.run_epoch(state, epoch)
        if end == "diverged" or end == "overflowed":
            message = divergence_message(epoch, opt.lr, restored=end == "overflowed")
            return FitResult(
                "diverged", message, epoch, state.updates, math.nan, state.history, state.best_epoch
            )
        if end == "interrupted":
            return _interrupted(net, state, rng, f"interrupted in epoch {epoch} after batch {state.batch}")
        if end == "paused":
            break
        info = loop.close_epoch(state, epoch, time.perf_counter() - started)
        if on_epoch is not None:
            on_epoch(info)
        exploded = _exploded(state, info)
        if exploded is not None:
            message = divergence_message(epoch, opt.lr, restored=False, exploded=exploded)
            return FitResult(
                "diverged", message, epoch, state.updates, info.loss, state.history, state.best_epoch
            )
        if on_checkpoint is not None:
            state.rng_state = dict(rng.bit_generator.state)
            on_checkpoint(state)
        stop = _stop_reason(state, info, rules, (net, X, T))
        if stop is not None:
            reason = stop
            break
        more = (epochs is None or state.epoch < epochs) and (most is None or state.updates < most)
        if stop_requested is not None and stop_requested() and more:
            return _interrupted(net, state, rng, f"interrupted after epoch {epoch}")
    if most is not None and state.updates >= most and reason == "max_epochs":
        reason = "max_updates"
    state.rng_state = dict(rng.bit_generator.state)
    restored = reason == "no_improvement" and state.best_weights is not None
    if restored and state.best_weights is not None:
        net.set_weights(state.best_weights)
    notes = _diagnose(net)
    for note in notes if warn else ():
        warnings.warn(note, TrainingWarning, stacklevel=3)
    if rules.data_loss and (reason == "max_updates" or state.data_loss is None):  # maybe mid-epoch
        state.data_loss = data_pass(net, X, T)[0]
    message = _stop_message(reason, state, rules, restored)
    loss = state.history[-1].loss if state.history else math.nan
    return FitResult(
        reason, message, state.epoch, state.updates, loss, state.history, state.best_epoch, notes, state,
        state.data_loss,
    )  # fmt: skip
