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
from collections.abc import Callable, Sequence
from typing import Any

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
    """Base class. ``lr`` is the learning rate eta; schedules change it between epochs.

    ``weight_decay`` lambda adds L2 regularization, E + lambda/2 * sum(W^2), to the weight matrices
    (parameters with 2 or more dimensions; biases are not decayed): their gradient gains lambda * W.
    """

    name = "optimizer"

    def __init__(self, lr: float, weight_decay: float = 0.0) -> None:
        self.lr = check_learning_rate(lr)
        if not (math.isfinite(weight_decay) and weight_decay >= 0):
            raise GlassnetError(f"weight_decay must be a finite number >= 0; received: {weight_decay!r}")
        self.weight_decay = float(weight_decay)
        self._buffers: list[Array] = []
        self._decay_buffers: list[Array] = []

    def _decayed(self, params: Sequence[Array], grads: Sequence[Array]) -> Sequence[Array]:
        """The gradients with lambda * W added to the weight matrices' (new arrays; the originals stay)."""
        if self.weight_decay == 0.0:
            return grads
        if len(self._decay_buffers) != len(grads):
            self._decay_buffers = [np.empty_like(g) for g in grads]
        out: list[Array] = []
        for p, g, buf in zip(params, grads, self._decay_buffers, strict=True):
            if p.ndim >= 2:
                np.multiply(p, self.weight_decay, out=buf)
                buf += g
                out.append(buf)
            else:
                out.append(g)
        return out

    def settings(self) -> dict[str, Any]:
        """The hyper-parameters that rebuild this optimizer with ``make_optimizer``."""
        return {"name": self.name, "lr": self.lr, "weight_decay": self.weight_decay}

    def get_state(self) -> tuple[dict[str, Any], list[Array]]:
        """Everything a checkpoint needs: scalars (JSON-ready) and state arrays. Plain SGD has none."""
        return {}, []

    def set_state(self, scalars: dict[str, Any], arrays: Sequence[Array]) -> None:
        """Restore what ``get_state`` returned."""
        if scalars or arrays:
            raise GlassnetError(
                f"{self.name} keeps no state; the checkpoint holds {len(arrays)} state arrays"
            )

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
    """Plain gradient descent: w <- w - lr * dE/dw (plus lr * lambda * w with weight decay)."""

    name = "sgd"

    def update(self, params: Sequence[Array], grads: Sequence[Array]) -> None:
        lr = self.lr
        grads = self._decayed(params, grads)
        for p, g, step in zip(params, grads, self._scratch(grads), strict=True):
            np.multiply(g, lr, out=step)
            p -= step


class Momentum(Optimizer):
    """Gradient descent with momentum mu (PyTorch's form):  v <- mu v + g;  w <- w - lr v.

    With ``nesterov=True`` the step looks ahead:  w <- w - lr (g + mu v).
    """

    name = "momentum"

    def __init__(self, lr: float, momentum: float = 0.9, nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        if not 0.0 <= momentum < 1.0:
            raise GlassnetError(f"momentum must be in [0, 1); received: momentum={momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.velocity: list[Array] = []

    def settings(self) -> dict[str, Any]:
        return {
            **super().settings(),
            "name": "nesterov" if self.nesterov else "momentum",
            "momentum": self.momentum,
        }

    def get_state(self) -> tuple[dict[str, Any], list[Array]]:
        return {}, list(self.velocity)

    def set_state(self, scalars: dict[str, Any], arrays: Sequence[Array]) -> None:
        self.velocity = [np.array(a) for a in arrays]

    def update(self, params: Sequence[Array], grads: Sequence[Array]) -> None:
        if len(self.velocity) != len(params):
            self.velocity = [np.zeros_like(p) for p in params]
        grads = self._decayed(params, grads)
        lr, mu = self.lr, self.momentum
        for p, g, v, step in zip(params, grads, self.velocity, self._scratch(grads), strict=True):
            v *= mu
            v += g
            if self.nesterov:
                np.multiply(v, mu, out=step)
                step += g
                step *= lr
            else:
                np.multiply(v, lr, out=step)
            p -= step

    def __repr__(self) -> str:
        return f"Momentum(lr={self.lr}, momentum={self.momentum}, nesterov={self.nesterov})"


class Adam(Optimizer):
    """Adam (Kingma & Ba):  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
    w <- w - lr * m_hat / (sqrt(v_hat) + eps), with m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t).
    """

    name = "adam"

    def __init__(
        self,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr, weight_decay)
        for label, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= beta < 1.0:
                raise GlassnetError(f"{label} must be in [0, 1); received: {label}={beta!r}")
        if not (math.isfinite(eps) and eps > 0):
            raise GlassnetError(f"eps must be a finite number > 0; received: eps={eps!r}")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.t = 0
        self.m: list[Array] = []
        self.v: list[Array] = []

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def get_state(self) -> tuple[dict[str, Any], list[Array]]:
        return {"t": self.t}, [*self.m, *self.v]

    def set_state(self, scalars: dict[str, Any], arrays: Sequence[Array]) -> None:
        t = scalars.get("t")
        if not isinstance(t, int) or t < 0 or len(arrays) % 2:
            raise GlassnetError(f"bad Adam state: t={t!r} with {len(arrays)} arrays")
        half = len(arrays) // 2
        self.t = t
        self.m = [np.array(a) for a in arrays[:half]]
        self.v = [np.array(a) for a in arrays[half:]]

    def update(self, params: Sequence[Array], grads: Sequence[Array]) -> None:
        if len(self.m) != len(params):
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        grads = self._decayed(params, grads)
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step_size = self.lr / (1.0 - b1**self.t)
        root_bc2 = math.sqrt(1.0 - b2**self.t)
        for p, g, m, v, tmp in zip(params, grads, self.m, self.v, self._scratch(grads), strict=True):
            m *= b1
            np.multiply(g, 1.0 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp *= 1.0 / root_bc2
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p -= tmp

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr}, beta1={self.beta1}, beta2={self.beta2}, eps={self.eps})"


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "momentum": Momentum, "adam": Adam}
# Every name ``make_optimizer`` takes, simplest first: the CLI, the explorer and the file checks use this.
OPTIMIZER_NAMES = ("sgd", "momentum", "nesterov", "adam")


def make_optimizer(name: str, lr: float, **options: Any) -> Optimizer:
    """The optimizer called ``name`` (sgd, momentum, nesterov, adam) with learning rate ``lr``."""
    if name == "nesterov":
        options.pop("nesterov", None)
        return Momentum(lr, nesterov=True, **options)
    if name not in OPTIMIZERS:
        raise GlassnetError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZER_NAMES)}")
    return OPTIMIZERS[name](lr, **options)


# ---------------------------------------------------------------------------------------------- schedules
def constant() -> Callable[[int], float]:
    """The learning rate stays as given."""
    return lambda epoch: 1.0


def step_decay(step_size: int, gamma: float = 0.1) -> Callable[[int], float]:
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs."""
    if step_size < 1 or not 0 < gamma <= 1:
        raise GlassnetError(
            f"step schedule needs step_size >= 1 and 0 < gamma <= 1; received {step_size}, {gamma}"
        )
    return lambda epoch: gamma ** ((epoch - 1) // step_size)


def cosine(epochs: int, floor: float = 0.0) -> Callable[[int], float]:
    """Cosine annealing over ``epochs``: factor 1 in epoch 1 down to ``floor`` after the last epoch."""
    if epochs < 1:
        raise GlassnetError(f"cosine schedule needs epochs >= 1; received: epochs={epochs!r}")
    return lambda epoch: floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * (epoch - 1) / epochs))


SCHEDULES = ("constant", "step", "cosine")


def make_schedule(name: str, epochs: int) -> Callable[[int], float]:
    """A schedule by name: constant, step (x0.1 every third of ``epochs``) or cosine (over ``epochs``)."""
    if name == "constant":
        return constant()
    if name == "step":
        return step_decay(max(1, epochs // 3), 0.1)
    if name == "cosine":
        return cosine(epochs)
    raise GlassnetError(f"unknown schedule {name!r}; expected one of {', '.join(SCHEDULES)}")
