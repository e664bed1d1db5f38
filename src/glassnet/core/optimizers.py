"""Step 6's update rule, simplest first: plain gradient descent, then momentum, then Adam.

An optimizer changes parameters in place from their gradients:  ``update(params, grads)``. It keeps its
own state (velocities, moments) in the order of ``params``, so one optimizer serves one network.

>>> import numpy as np
>>> w = np.array([0.4]); SGD(lr=0.5).update([w], [np.array([0.082167041])])
>>> w
array([0.35891648])
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from .blas import gemm_tn
from .errors import GlassnetError
from .options import OPTIONS

Array = NDArray[np.floating]


def check_learning_rate(lr: float) -> float:
    """Return ``lr`` as a float if it is a finite number > 0 (options.py), else raise GlassnetError."""
    return float(OPTIONS["lr"].check(lr))


class Outer(NamedTuple):
    """A weight gradient not yet formed: dE/dW = a_prev^T @ delta, shape (inputs, units). An update rule
    that adds it to an array with ``accumulate`` lets BLAS form it inside the update, in one pass."""

    a_prev: Array
    delta: Array

    def formed(self) -> Array:
        """The gradient itself, as a new array."""
        return self.a_prev.T @ self.delta


Gradient = Array | Outer


def accumulate(y: Array, alpha: float, g: Gradient, beta: float = 1.0) -> None:
    """y <- beta * y + alpha * g, in place. For an ``Outer`` g this is one BLAS gemm (``blas.gemm_tn``),
    which forms the product inside the update."""
    if isinstance(g, Outer):
        gemm_tn(alpha, g.a_prev, g.delta, beta, y)
        return
    if y.size == 1:
        # A bias shared by its layer. NumPy's in-place ufuncs take 3x as long on a one-element array
        # (0.85 against 0.28 us): computed on the element, a worked-example step takes 25.5 us, not 27.
        y[0] = beta * y[0] + alpha * g[0]
        return
    if beta != 1.0:
        y *= beta
    y += alpha * g


class Optimizer:
    """Base class: it owns the loop over the parameters and their state; a subclass writes one ``rule``.

    ``lr`` is the learning rate eta; schedules change it between epochs. ``weight_decay`` lambda adds L2
    regularization, E + lambda/2 * sum(W^2), to the weight matrices (parameters with 2 or more dimensions;
    biases are not decayed): their gradient gains lambda * W. A rule receives that lambda as ``decay``
    (0 for a bias).

    ``fuses``: whether the rule accepts a weight's gradient as an ``Outer`` (formed inside the update).
    """

    name = "optimizer"
    fuses = True

    def __init__(self, lr: float, weight_decay: float = 0.0) -> None:
        self.lr = check_learning_rate(lr)
        if not OPTIONS["weight_decay"].accepts(weight_decay):
            raise GlassnetError(f"weight_decay must be a finite number >= 0; received: {weight_decay!r}")
        self.weight_decay = float(weight_decay)
        self.slots: list[list[Array]] = []  # the state of each parameter, in the order of ``update``'s

    def update(self, params: Sequence[Array], grads: Sequence[Gradient]) -> None:
        """Change every parameter in place, given its gradient dE/dparam (an array, or an ``Outer``)."""
        if len(self.slots) != len(params):
            self.slots = [self.new_slots(p) for p in params]
        self.begin_step()
        for p, g, slots in zip(params, grads, self.slots, strict=True):
            self.rule(p, g, slots, self.weight_decay if p.ndim >= 2 else 0.0)

    def new_slots(self, p: Array) -> list[Array]:
        """The state a parameter like ``p`` needs, zeroed (none for plain gradient descent)."""
        return []

    def begin_step(self) -> None:
        """Called once per update before the parameters' rules (Adam counts its steps here)."""

    def rule(self, p: Array, g: Gradient, slots: list[Array], decay: float) -> None:
        """Change one parameter ``p`` in place from its gradient ``g``."""
        raise NotImplementedError

    def settings(self) -> dict[str, Any]:
        """The hyper-parameters that rebuild this optimizer with ``make_optimizer``."""
        return {"name": self.name, "lr": self.lr, "weight_decay": self.weight_decay}

    def get_state(self) -> tuple[dict[str, Any], list[Array]]:
        """Everything a checkpoint needs: scalars (JSON-ready) and state arrays, slot by slot (every
        parameter's first slot, then every parameter's second). Plain SGD has none."""
        width = len(self.slots[0]) if self.slots else 0
        return {}, [slots[k] for k in range(width) for slots in self.slots]

    def set_state(self, scalars: dict[str, Any], arrays: Sequence[Array]) -> None:
        """Restore what ``get_state`` returned."""
        width = len(self.new_slots(np.zeros(1)))
        if width == 0 or len(arrays) % width:
            if scalars or arrays:
                raise GlassnetError(
                    f"{self.name} keeps {width} state arrays per parameter; "
                    f"the checkpoint holds {len(arrays)}"
                )
            self.slots = []
            return
        n = len(arrays) // width
        self.slots = [[np.array(arrays[k * n + i]) for k in range(width)] for i in range(n)]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr})"


class SGD(Optimizer):
    """Plain gradient descent: w <- w - lr * (dE/dw + lambda * w)."""

    name = "sgd"

    def rule(self, p: Array, g: Gradient, slots: list[Array], decay: float) -> None:
        accumulate(p, -self.lr, g, beta=1.0 - self.lr * decay)  # w (1 - lr lambda) - lr dE/dw


class Momentum(Optimizer):
    """Gradient descent with momentum mu (PyTorch's form):  v <- mu v + g;  w <- w - lr v, where
    g = dE/dw + lambda w.

    With ``nesterov=True`` the step looks ahead:  w <- w - lr (g + mu v), computed as
    w - lr ((1 + mu) v - mu v_old), since g = v - mu v_old: so g need never be formed.
    """

    name = "momentum"

    def __init__(self, lr: float, momentum: float = 0.9, nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        self.momentum = float(OPTIONS["momentum"].check(momentum))
        self.nesterov = bool(nesterov)

    @property
    def velocity(self) -> list[Array]:
        """v of every parameter."""
        return [slots[0] for slots in self.slots]

    def settings(self) -> dict[str, Any]:
        return {
            **super().settings(),
            "name": "nesterov" if self.nesterov else "momentum",
            "momentum": self.momentum,
        }

    def new_slots(self, p: Array) -> list[Array]:
        return [np.zeros_like(p)]

    def rule(self, p: Array, g: Gradient, slots: list[Array], decay: float) -> None:
        (v,) = slots
        mu = self.momentum
        v_old = v.copy() if self.nesterov else v
        accumulate(v, 1.0, g, beta=mu)  # v <- mu v + dE/dw
        if decay:
            accumulate(v, decay, p)  #       + lambda w
        if self.nesterov:  # w <- w - lr ((1 + mu) v - mu v_old)
            accumulate(p, -self.lr * (1.0 + mu), v)
            accumulate(p, self.lr * mu, v_old)
        else:
            accumulate(p, -self.lr, v)  # w <- w - lr v

    def __repr__(self) -> str:
        return f"Momentum(lr={self.lr}, momentum={self.momentum}, nesterov={self.nesterov})"


class Adam(Optimizer):
    """Adam (Kingma & Ba):  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
    w <- w - lr * m_hat / (sqrt(v_hat) + eps), with m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t).

    It squares g, so it takes every gradient formed (``fuses`` is False).
    """

    name = "adam"
    fuses = False

    def __init__(
        self,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr, weight_decay)
        self.beta1, self.beta2 = float(OPTIONS["beta1"].check(beta1)), float(OPTIONS["beta2"].check(beta2))
        self.eps = float(OPTIONS["eps"].check(eps))
        self.t = 0
        self.scratches: dict[int, Array] = {}  # id(parameter) -> its scratch array

    @property
    def m(self) -> list[Array]:
        return [slots[0] for slots in self.slots]

    @property
    def v(self) -> list[Array]:
        return [slots[1] for slots in self.slots]

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def get_state(self) -> tuple[dict[str, Any], list[Array]]:
        return {"t": self.t}, super().get_state()[1]

    def set_state(self, scalars: dict[str, Any], arrays: Sequence[Array]) -> None:
        t = scalars.get("t")
        if not isinstance(t, int) or t < 0 or len(arrays) % 2:
            raise GlassnetError(f"bad Adam state: t={t!r} with {len(arrays)} arrays")
        super().set_state({}, arrays)
        self.t = t

    def new_slots(self, p: Array) -> list[Array]:
        return [np.zeros_like(p), np.zeros_like(p)]

    def begin_step(self) -> None:
        self.t += 1

    def rule(self, p: Array, g: Gradient, slots: list[Array], decay: float) -> None:
        assert not isinstance(g, Outer)  # fuses is False: the step forms every gradient
        m, v = slots
        b1, b2 = self.beta1, self.beta2
        if decay:
            g = g + decay * p
        # In place, through one scratch array per parameter: written as new arrays, these lines made six
        # temporaries as large as W per update and took 5x as long (3.9 ms against 0.77 ms per update of
        # the README recipe's 784-512-256-10 float32 network, one thread, this project's test machine).
        tmp = self.scratch(p)
        m *= b1
        m += np.multiply(g, 1.0 - b1, out=tmp)  # m <- b1 m + (1 - b1) g
        v *= b2
        np.multiply(g, g, out=tmp)
        v += np.multiply(tmp, 1.0 - b2, out=tmp)  # v <- b2 v + (1 - b2) g^2
        np.sqrt(v, out=tmp)  # sqrt(v_hat) + eps, with v_hat = v / (1 - b2^t)
        tmp *= 1.0 / math.sqrt(1.0 - b2**self.t)
        tmp += self.eps
        np.divide(m, tmp, out=tmp)  # m / (sqrt(v_hat) + eps)
        tmp *= self.lr / (1.0 - b1**self.t)  # lr * m_hat / (sqrt(v_hat) + eps), m_hat = m / (1 - b1^t)
        p -= tmp

    def scratch(self, p: Array) -> Array:
        """A scratch array shaped like ``p``, kept from update to update."""
        tmp = self.scratches.get(id(p))
        if tmp is None or tmp.shape != p.shape or tmp.dtype != p.dtype:
            tmp = self.scratches[id(p)] = np.empty_like(p)
        return tmp

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr}, beta1={self.beta1}, beta2={self.beta2}, eps={self.eps})"


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "momentum": Momentum, "adam": Adam}
# Every name ``make_optimizer`` takes, simplest first: the CLI, the explorer and the file checks use this.
OPTIMIZER_NAMES = ("sgd", "momentum", "nesterov", "adam")


def make_optimizer(name: str, lr: float, **options: Any) -> Optimizer:
    """The optimizer called ``name`` (sgd, momentum, nesterov, adam) with learning rate ``lr``."""
    if name not in OPTIMIZER_NAMES:
        raise GlassnetError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZER_NAMES)}")
    cls = Momentum if name == "nesterov" else OPTIMIZERS[name]
    if name == "nesterov":
        options = {**options, "nesterov": True}
    takes = [p for p in inspect.signature(cls).parameters if p != "lr"]
    for option in options:
        if option not in takes:
            raise GlassnetError(f"{name} takes no option {option!r}; its options are {', '.join(takes)}")
    return cls(lr, **options)


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
