"""Losses: how far the outputs a are from the targets t (step 3), with dE/da and the output delta.

All arrays are shaped (batch, outputs). A loss's value is the mean over the batch of the per-example
loss; for one example that is exactly the classic E_total.

Pairings with a simplified output delta dE/dz (the mathematical assumption behind each):
  - binary_crossentropy after sigmoid:      delta = (a - t) / (outputs * batch)
  - categorical_crossentropy after softmax: delta = (a - t) / batch   (targets sum to 1 per row;
    otherwise (a sum(t) - t) / batch, the full product)

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
    """Base class: ``terms`` per output, ``value`` (scalar), ``grad`` dE/da and ``delta`` dE/dz."""

    name = "loss"

    def terms(self, a: Array, t: Array) -> Array:
        """Per-example, per-output contributions, shape (batch, outputs); a row sums to that example's E."""
        raise NotImplementedError

    def value(self, a: Array, t: Array) -> float:
        """E: the mean over the batch of each example's loss."""
        return float(self.terms(a, t).sum()) / a.shape[0]

    def grad(self, a: Array, t: Array) -> Array:
        """dE/da, shape (batch, outputs)."""
        raise NotImplementedError

    def delta(self, z: Array, a: Array, t: Array, activation: Activation) -> Array:
        """The output-layer delta dE/dz = dE/da * da/dz (step 4)."""
        return activation.backward(z, a, self.grad(a, t))

    def simplified_with(self, activation: Activation) -> bool:
        """Whether the output delta for this activation is the simplified (a - t) form."""
        return False

    def terms_from(self, z: Array, a: Array, t: Array, activation: Activation) -> Array:
        """``terms``, computed from the net inputs z where that is more accurate (cross-entropies)."""
        return self.terms(a, t)

    def value_from(self, z: Array, a: Array, t: Array, activation: Activation) -> float:
        """``value``, computed from the net inputs z where that is more accurate (cross-entropies)."""
        return self.value(a, t)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class HalfSSE(Loss):
    """E = sum over outputs of 1/2 (t - a)^2 (the worked example's);  dE/da = a - t."""

    name = "half_sse"

    def terms(self, a: Array, t: Array) -> Array:
        return 0.5 * (t - a) ** 2

    def value(self, a: Array, t: Array) -> float:
        d = a - t
        return 0.5 * float(np.vdot(d, d)) / a.shape[0]

    def grad(self, a: Array, t: Array) -> Array:
        g = np.subtract(a, t)
        if a.shape[0] != 1:
            g /= a.shape[0]
        return g


class MSE(Loss):
    """E = mean over outputs of (t - a)^2;  dE/da = 2 (a - t) / outputs."""

    name = "mse"

    def terms(self, a: Array, t: Array) -> Array:
        return (t - a) ** 2 / a.shape[1]

    def value(self, a: Array, t: Array) -> float:
        d = a - t
        return float(np.vdot(d, d)) / a.size

    def grad(self, a: Array, t: Array) -> Array:
        g = np.subtract(a, t)
        g *= 2.0 / a.size
        return g


class BinaryCrossEntropy(Loss):
    """E = -mean over outputs of t log a + (1 - t) log(1 - a);  targets in [0, 1].

    dE/da = (a - t) / (a (1 - a) outputs). After a sigmoid the a (1 - a) cancels: delta = (a - t) / outputs.
    """

    name = "binary_crossentropy"

    def terms(self, a: Array, t: Array) -> Array:
        return -(t * _safe_log(a) + (1.0 - t) * _safe_log(1.0 - a)) / a.shape[1]

    def grad(self, a: Array, t: Array) -> Array:
        eps = np.finfo(a.dtype).eps
        return (a - t) / (np.clip(a * (1.0 - a), eps, None) * a.size)

    def simplified_with(self, activation: Activation) -> bool:
        return isinstance(activation, Sigmoid)

    def terms_from(self, z: Array, a: Array, t: Array, activation: Activation) -> Array:
        """After a sigmoid, from z: max(z, 0) - z t + log(1 + e^{-|z|}), exact for any |z|."""
        if not isinstance(activation, Sigmoid):
            return self.terms(a, t)
        return (np.maximum(z, 0.0) - z * t + np.log1p(np.exp(-np.abs(z)))) / a.shape[1]

    def value_from(self, z: Array, a: Array, t: Array, activation: Activation) -> float:
        return float(self.terms_from(z, a, t, activation).sum()) / a.shape[0]

    def delta(self, z: Array, a: Array, t: Array, activation: Activation) -> Array:
        if self.simplified_with(activation):
            g = np.subtract(a, t)
            g *= 1.0 / a.size
            return g
        return super().delta(z, a, t, activation)


class CategoricalCrossEntropy(Loss):
    """E = -sum over outputs of t log a;  targets one-hot (or rows of probabilities).

    dE/da = -t / a. After a softmax the Jacobian collapses: delta = a - t.
    """

    name = "categorical_crossentropy"

    def terms(self, a: Array, t: Array) -> Array:
        return -t * _safe_log(a)

    def value(self, a: Array, t: Array) -> float:
        return -float(np.vdot(t, _safe_log(a))) / a.shape[0]

    def grad(self, a: Array, t: Array) -> Array:
        return -t / (np.maximum(a, np.finfo(a.dtype).tiny) * a.shape[0])

    def simplified_with(self, activation: Activation) -> bool:
        return isinstance(activation, Softmax)

    def terms_from(self, z: Array, a: Array, t: Array, activation: Activation) -> Array:
        """After a softmax, from z: -t log softmax(z), exact however far apart the net inputs are."""
        if not isinstance(activation, Softmax):
            return self.terms(a, t)
        return -t * Softmax.log_forward(z)

    def value_from(self, z: Array, a: Array, t: Array, activation: Activation) -> float:
        if not isinstance(activation, Softmax):
            return self.value(a, t)
        return -float(np.vdot(t, Softmax.log_forward(z))) / a.shape[0]

    def delta(self, z: Array, a: Array, t: Array, activation: Activation) -> Array:
        """After a softmax, dE/dz_j = a_j * sum_k t_k - t_j per row: a - t when the row of targets sums to
        1 (one-hot or probabilities, the usual case and the shortcut), the full Jacobian-vector product
        otherwise (e.g. targets that are not probabilities)."""
        if self.simplified_with(activation):
            s = t.sum(axis=1, keepdims=True)
            if np.all(s == 1.0):
                g = np.subtract(a, t)
            else:
                g = a * s
                g -= t
            if a.shape[0] != 1:
                g *= 1.0 / a.shape[0]
            return g
        return super().delta(z, a, t, activation)


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
