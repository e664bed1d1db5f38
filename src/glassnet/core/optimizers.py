"""Step 6's update rule, simplest first: plain gradient descent, then momentum, then Adam.

An optimizer changes parameters in place from their gradients:  ``update(params, grads)``. It keeps its
own state (velocities, moments) in the order of ``params``, so one optimizer serves one network.

>>> import numpy as np
>>> w = np.array([0.4]); SGD(lr=0.5).update([w], [np.array([0.082167041])])
>>> w
array([0.35891648])
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .errors import GlassnetError

Array = NDArray[np.floating]


def check_learning_rate(lr: float) -> float:
    """Return ``lr`` as a float if it is a finite number > 0, else raise GlassnetError."""
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating, np.integer)):
        raise GlassnetError(f"learning rate must be a finite number > 0; received: lr={lr!r}")
    value = float(lr)
    if not math.isfinite(value) or value <= 0:
        raise GlassnetError(f"learning rate must be a finite number > 0; received: lr={lr!r}")
    return value


class Optimizer:
    """Base class. ``lr`` is the learning rate eta; schedules change it between epochs."""

    name = "optimizer"

    def __init__(self, lr: float) -> None:
        self.lr = check_learning_rate(lr)
        self._buffers: list[Array] = []

    def _scratch(self, grads: Sequence[Array]) -> list[Array]:
        if len(self._buffers) != len(grads):
            self._buffers = [np.empty_like(g) for g in grads]
        return self._buffers

    def update(self, params: Sequence[Array], grads: Sequence[Array]) -> None:
        """Change every parameter in place, given its gradient dE/dparam."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr})"


class SGD(Optimizer):
    """Plain gradient descent: w <- w - lr * dE/dw."""

    name = "sgd"

    def update(self, params: Sequence[Array], grads: Sequence[Array]) -> None:
        lr = self.lr
        for p, g, step in zip(params, grads, self._scratch(grads), strict=True):
            np.multiply(g, lr, out=step)
            p -= step
