"""A fully connected layer, dropout, and the arrays of one step that the network reuses from step to step.

>>> layer = Dense(np.ones((2, 3)), np.zeros(3), get_activation("identity"))
>>> layer.inputs, layer.units
(2, 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .activations import Activation, get_activation  # noqa: F401  (get_activation: the doctest)

Array = NDArray[np.floating]


@dataclass
class Dense:
    """One fully connected layer: z = a_prev @ W + b, a = activation(z).

    W has shape (inputs, units); b has shape (units,) per neuron, (1,) when shared by the layer,
    or is None. ``grad_W`` and ``grad_b`` hold dE/dW and dE/db after ``Network.backward``.
    """

    W: Array
    b: Array | None
    activation: Activation
    grad_W: Array = field(init=False, repr=False)
    grad_b: Array | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.grad_W = np.zeros_like(self.W)
        self.grad_b = None if self.b is None else np.zeros_like(self.b)

    @property
    def inputs(self) -> int:
        return int(self.W.shape[0])

    @property
    def units(self) -> int:
        return int(self.W.shape[1])


@dataclass(frozen=True)
class Dropout:
    """Inverted dropout of a hidden layer's outputs while training: each output is zeroed with probability
    ``rate`` and the others are scaled by 1 / (1 - rate), so an output's expected value is unchanged and
    prediction needs no dropout at all. Backpropagation multiplies dE/da by the same mask.
    """

    rate: float

    def mask(self, rng: np.random.Generator, out: Array) -> Array:
        """Draw a mask into ``out``: 0 with probability ``rate``, else 1 / (1 - rate)."""
        rng.random(out=out, dtype=out.dtype)
        np.greater_equal(out, self.rate, out=out)
        out *= 1.0 / (1.0 - self.rate)
        return out


class StepValues:
    """Every array of one step, for one batch size, reused from step to step so training allocates little.

    Layer l (0-based) has, for a batch of B examples and ``units`` neurons:

    - ``z[l]``      (B, units)  net inputs, z = a_prev @ W + b
    - ``f[l]``      (B, units)  the activation's outputs f(z), before any dropout
    - ``a[l + 1]``  (B, units)  the outputs the next layer receives: f(z) times the dropout mask while
      training with dropout, else ``f[l]`` itself; ``a[0]`` is the input batch
    - ``mask[l]``   (B, units)  a hidden layer's dropout mask (only when dropout is in use)
    - ``dE_da[l]``  (B, units)  a hidden layer's dE/da = delta_{l+1} @ W_{l+1}^T, from ``Network.backward``
    - ``output_dE_da``  (B, outputs)  the output layer's dE/da, or None where the loss and the output
      activation pair to the simplified delta a - t, which never forms it
    - ``delta[l]``  (B, units)  dE/dz from ``Network.backward``
    """

    def __init__(self, layers: Sequence[Dense], batch: int, dtype: np.dtype[Any]) -> None:
        shapes = [(batch, layer.units) for layer in layers]
        self.z = [np.empty(s, dtype) for s in shapes]
        self.f = [np.empty(s, dtype) for s in shapes]
        self.a: list[Array] = [np.empty((batch, layers[0].inputs), dtype), *self.f]
        self.dE_da = [np.empty(s, dtype) for s in shapes[:-1]]
        self.output_dE_da: Array | None = None
        self.delta: list[Array] = [np.empty(s, dtype) for s in shapes]
        self.ones = np.ones(batch, dtype)
        self.mask: list[Array] = []
        self.dropped_out: list[Array] = []
        self.dropped = False  # whether the latest forward pass applied dropout

    def use_dropout(self, on: bool) -> None:
        """Point ``a`` at the dropped-out outputs (allocated on first use) or back at ``f``."""
        if on and not self.mask:
            self.mask = [np.empty_like(f) for f in self.f[:-1]]
            self.dropped_out = [np.empty_like(f) for f in self.f[:-1]]
        if on != self.dropped:
            self.a[1:-1] = self.dropped_out if on else self.f[:-1]
            self.dropped = on
