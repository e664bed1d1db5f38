"""Losses: how far the outputs a are from the targets t (step 3), and dE/da, each formula written once.

All arrays are shaped (batch, outputs). A loss class writes two formulas for one example: its ``terms``
(one per output; they sum to the example's loss E_i) and ``example_grad`` dE_i/da. The base class turns
them into the batch's numbers, once for every loss: E = 1/m sum_i w_i E_i and dE/da = w_i/m dE_i/da, the
mean over the m examples of the batch, each weighted by w_i (1 when no weights are given). For one example
E is exactly the classic E_total.

The canonical pairs (``pair_delta``): after a sigmoid, binary cross-entropy's dE/da = (a - t) / (a (1 - a))
meets da/dz = a (1 - a), and after a softmax, categorical cross-entropy's -t/a meets the softmax Jacobian;
the products collapse to dE/dz = a - t (up to the scale), which is both cheaper and exact where a (1 - a)
or a underflows to 0.

>>> import numpy as np
>>> E = get_loss("half_sse")
>>> a = np.array([[0.75136507, 0.772928465]]); t = np.array([[0.01, 0.99]])
>>> round(E.value(a, t), 9)
0.298371109
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .activations import Activation, Sigmoid, Softmax
from .errors import GlassnetError

Array = NDArray[np.floating]


def _safe_log(a: Array) -> Array:
    """log(a) with a clamped to the dtype's smallest normal number, so log(0) stays finite."""
    return np.log(np.maximum(a, np.finfo(a.dtype).tiny))


class Loss:
    """Base class: a subclass gives ``terms`` and ``example_grad`` for one example; this class takes the
    (weighted) mean over the batch, in ``value`` and ``grad``."""

    name = "loss"

    # ------------------------------------------------------------------ one example: the subclass's formulas
    def terms(self, a: Array, t: Array, z: Array | None = None, f: Activation | None = None) -> Array:
        """Each example's loss, output by output, shape (batch, outputs); a row sums to that example's E_i.

        Given the net inputs ``z`` and the output activation ``f``, a cross-entropy is computed from z
        where that stays exact for net inputs of any size (log-softmax, softplus)."""
        raise NotImplementedError

    def example_grad(self, a: Array, t: Array) -> Array:
        """dE_i/da of each example's loss, shape (batch, outputs)."""
        raise NotImplementedError

    def pairs_with(self, f: Activation) -> bool:
        """Whether this loss after activation ``f`` is a canonical pair, whose dE/dz is ``pair_delta``."""
        return False

    probabilities = False  # whether the targets are probabilities, in [0, 1] (the cross-entropies)

    def check_targets(self, t: Array) -> None:
        """Raise GlassnetError quoting the first target out of [0, 1] if this loss compares probabilities
        (beyond them a cross-entropy turns negative and training runs away). NaN is left to the finite
        checks."""
        if self.probabilities and (np.any(t < 0.0) or np.any(t > 1.0)):
            row, col = np.argwhere((t < 0.0) | (t > 1.0))[0]
            raise GlassnetError(
                f"{self.name} compares probabilities: every target must lie in [0, 1]; received "
                f"{float(t[row, col])!r} (row {int(row)}, output {int(col) + 1})"
            )

    def pair_delta(self, a: Array, t: Array) -> Array:
        """dE_i/dz of each example for a canonical pair (see the module's docstring)."""
        raise GlassnetError(f"{self.name} forms no canonical pair")

    # ------------------------------------------------------------------ the batch: a weighted mean, once
    @staticmethod
    def batch_mean(per_example: Array, w: Array | None = None) -> Array:
        """Row i of ``per_example`` times w_i / m (times 1 / m without weights): a row's share of the
        batch's mean, so that the rows sum to the mean."""
        m = per_example.shape[0]
        if w is None:
            return per_example / m if m != 1 else per_example
        return per_example * (w / m)[:, None]

    def value(
        self,
        a: Array,
        t: Array,
        z: Array | None = None,
        f: Activation | None = None,
        w: Array | None = None,
    ) -> float:
        """E = 1/m sum_i w_i E_i: the batch's mean loss, each example weighted by w_i (1 without ``w``)."""
        return self.mean(self.terms(a, t, z, f), w)

    def mean(self, terms: Array, w: Array | None = None) -> float:
        """E = 1/m sum_i w_i E_i from the examples' ``terms`` (batch, outputs)."""
        return float(self.batch_mean(terms, w).sum())

    def grad(self, a: Array, t: Array, w: Array | None = None) -> Array:
        """dE/da = w_i/m dE_i/da, shape (batch, outputs): the derivative of ``value``."""
        return self.batch_mean(self.example_grad(a, t), w)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class HalfSSE(Loss):
    """E_i = sum over outputs of 1/2 (t - a)^2 (the worked example's);  dE_i/da = a - t."""

    name = "half_sse"

    def terms(self, a: Array, t: Array, z: Array | None = None, f: Activation | None = None) -> Array:
        return 0.5 * (t - a) ** 2

    def example_grad(self, a: Array, t: Array) -> Array:
        return a - t


class MSE(Loss):
    """E_i = mean over the n outputs of (t - a)^2;  dE_i/da = 2 (a - t) / n."""

    name = "mse"

    def terms(self, a: Array, t: Array, z: Array | None = None, f: Activation | None = None) -> Array:
        return (t - a) ** 2 / a.shape[1]

    def example_grad(self, a: Array, t: Array) -> Array:
        return 2.0 * (a - t) / a.shape[1]


class BinaryCrossEntropy(Loss):
    """E_i = -mean over the n outputs of t log a + (1 - t) log(1 - a);  targets in [0, 1].

    dE_i/da = (a - t) / (a (1 - a) n). After a sigmoid the a (1 - a) cancels: dE_i/dz = (a - t) / n.
    """

    name = "binary_crossentropy"
    probabilities = True

    def terms(self, a: Array, t: Array, z: Array | None = None, f: Activation | None = None) -> Array:
        n = a.shape[1]
        if z is not None and isinstance(f, Sigmoid):
            # from z: log(1 + e^{-|z|}) stays exact where a or 1 - a rounds to 0 (|z| beyond ~37 in float64)
            return (np.maximum(z, 0.0) - z * t + np.log1p(np.exp(-np.abs(z)))) / n
        return -(t * _safe_log(a) + (1.0 - t) * _safe_log(1.0 - a)) / n

    def example_grad(self, a: Array, t: Array) -> Array:
        eps = np.finfo(a.dtype).eps
        return (a - t) / (np.clip(a * (1.0 - a), eps, None) * a.shape[1])

    def pairs_with(self, f: Activation) -> bool:
        return isinstance(f, Sigmoid)

    def pair_delta(self, a: Array, t: Array) -> Array:
        return (a - t) / a.shape[1]


class CategoricalCrossEntropy(Loss):
    """E_i = -sum over outputs of t log a;  targets one-hot (or rows of probabilities).

    dE_i/da = -t / a. After a softmax the Jacobian collapses: dE_i/dz_j = a_j sum_k t_k - t_j, which is
    a - t when a row of targets sums to 1 (one-hot or probabilities, the usual case).
    """

    name = "categorical_crossentropy"
    probabilities = True

    def terms(self, a: Array, t: Array, z: Array | None = None, f: Activation | None = None) -> Array:
        if z is not None and isinstance(f, Softmax):
            # from z: log softmax(z) stays exact where softmax(z) underflows to 0 (net inputs far apart)
            return -t * Softmax.log_forward(z)
        return -t * _safe_log(a)

    def example_grad(self, a: Array, t: Array) -> Array:
        return -t / np.maximum(a, np.finfo(a.dtype).tiny)

    def pairs_with(self, f: Activation) -> bool:
        return isinstance(f, Softmax)

    def pair_delta(self, a: Array, t: Array) -> Array:
        return a * t.sum(axis=1, keepdims=True) - t


LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (HalfSSE, MSE, BinaryCrossEntropy, CategoricalCrossEntropy)
}


def get_loss(name: str | Loss) -> Loss:
    """Return the loss called ``name`` (one of LOSSES), or ``name`` itself if it is one."""
    if isinstance(name, Loss):
        return name
    if not isinstance(name, str) or name not in LOSSES:
        raise GlassnetError(f"unknown loss {name!r}; expected one of {', '.join(LOSSES)}")
    return LOSSES[name]()
