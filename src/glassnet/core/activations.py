"""Activation functions a = f(z), each beside its derivative da/dz, written once.

Every activation works on arrays shaped (batch, units) and returns new arrays. ``derivative`` is f'
(da/dz, elementwise); ``backward`` is the chain rule through the activation, delta = dE/dz = dE/da * da/dz,
which the base class writes once for every elementwise activation. Softmax is not elementwise (each a_k
depends on every z_j of its row), so it alone overrides ``backward`` with its Jacobian.

>>> import numpy as np
>>> sig = get_activation("sigmoid")
>>> a = sig.forward(np.array([[0.3775]]))
>>> round(float(a[0, 0]), 9)
0.593269992
>>> round(float(sig.derivative(np.array([[0.3775]]), a)[0, 0]), 9)
0.241300709
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .errors import GlassnetError

Array = NDArray[np.floating]

# exp(-z) overflows below these net inputs; clamping there changes sigmoid(z) by less than the smallest
# normal number of the dtype, so results stay exact where they are representable and finite everywhere.
_EXP_LIMIT = {np.dtype(np.float64): 708.0, np.dtype(np.float32): 87.0, np.dtype(np.float16): 11.0}


class Activation:
    """Base class: a = f(z) elementwise, with da/dz expressed through z and a."""

    name = "activation"
    elementwise = True

    def forward(self, z: Array) -> Array:
        """Return a = f(z), shape (batch, units)."""
        raise NotImplementedError

    def derivative(self, z: Array, a: Array) -> Array:
        """Return da/dz elementwise, shape (batch, units) (for softmax: the diagonal of its Jacobian)."""
        raise NotImplementedError

    def backward(self, z: Array, a: Array, dE_da: Array) -> Array:
        """The chain rule through f: delta = dE/dz = dE/da * da/dz, shape (batch, units)."""
        return dE_da * self.derivative(z, a)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(Activation):
    """sigmoid(z) = 1 / (1 + e^-z);  da/dz = a (1 - a)."""

    name = "sigmoid"

    def forward(self, z: Array) -> Array:
        return 1.0 / (1.0 + np.exp(-np.maximum(z, -_EXP_LIMIT[z.dtype])))

    def derivative(self, z: Array, a: Array) -> Array:
        return a * (1.0 - a)


class Tanh(Activation):
    """tanh(z);  da/dz = 1 - a^2."""

    name = "tanh"

    def forward(self, z: Array) -> Array:
        return np.tanh(z)

    def derivative(self, z: Array, a: Array) -> Array:
        return 1.0 - a * a


class ReLU(Activation):
    """relu(z) = max(0, z);  da/dz = 1 where z > 0, else 0."""

    name = "relu"

    def forward(self, z: Array) -> Array:
        return np.maximum(z, 0.0)

    def derivative(self, z: Array, a: Array) -> Array:
        return (z > 0).astype(z.dtype)


class LeakyReLU(Activation):
    """leaky_relu(z) = z where z > 0, else alpha z;  da/dz = 1 or alpha."""

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01) -> None:
        self.alpha = alpha

    def forward(self, z: Array) -> Array:
        return np.maximum(z, self.alpha * z)

    def derivative(self, z: Array, a: Array) -> Array:
        return np.where(z > 0, 1.0, self.alpha).astype(z.dtype)

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha})"


class Identity(Activation):
    """identity(z) = z;  da/dz = 1."""

    name = "identity"

    def forward(self, z: Array) -> Array:
        return z.copy()

    def derivative(self, z: Array, a: Array) -> Array:
        return np.ones_like(z)


class Softmax(Activation):
    """softmax(z)_k = e^{z_k} / sum_j e^{z_j} over each row;  da_k/dz_j = a_k (1[k=j] - a_j).

    Not elementwise: ``backward`` applies the full Jacobian, delta_j = sum_k dE/da_k a_k (1[k=j] - a_j)
    = a_j (dE/da_j - sum_k dE/da_k a_k). ``derivative`` gives the Jacobian's diagonal a_k (1 - a_k), what a
    trace shows as da_k/dz_k.
    """

    name = "softmax"
    elementwise = False

    def forward(self, z: Array) -> Array:
        # subtracting the row's max changes nothing in exact arithmetic and keeps e^z from overflowing
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def derivative(self, z: Array, a: Array) -> Array:
        return a * (1.0 - a)

    def backward(self, z: Array, a: Array, dE_da: Array) -> Array:
        return a * (dE_da - (dE_da * a).sum(axis=1, keepdims=True))

    @staticmethod
    def log_forward(z: Array) -> Array:
        """log softmax(z) = z - max(z) - log(sum(e^{z - max(z)})): finite and exact where softmax
        underflows to 0 (net inputs far apart)."""
        shifted = z - z.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, Softmax, Identity)
}


def get_activation(name: str | Activation) -> Activation:
    """Return the activation called ``name`` (one of ACTIVATIONS), or ``name`` itself if it is one."""
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise GlassnetError(f"unknown activation {name!r}; expected one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()
