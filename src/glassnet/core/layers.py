"""A fully connected layer, and dropout.

>>> layer = Dense(np.ones((2, 3)), np.zeros(3), get_activation("identity"))
>>> layer.inputs, layer.units
(2, 3)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .activations import Activation, get_activation  # noqa: F401  (get_activation: the doctest)

Array = NDArray[np.floating]


@dataclass
class Dense:
    """One fully connected layer: z = a_prev @ W + b, a = activation(z).

    W has shape (inputs, units); b has shape (units,) per neuron, (1,) when shared by the layer,
    or is None.
    """

    W: Array
    b: Array | None
    activation: Activation

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

    def mask(self, rng: np.random.Generator, like: Array) -> Array:
        """A mask shaped like ``like``: 0 with probability ``rate``, else 1 / (1 - rate)."""
        keep = rng.random(like.shape, dtype=like.dtype) >= self.rate
        return keep * like.dtype.type(1.0 / (1.0 - self.rate))
