"""Step 1, initialize: draw starting weights, shaped (inputs, units), from a numpy Generator.

>>> import numpy as np
>>> W = initialize_weights("xavier", 2, 3, np.random.default_rng(0), "sigmoid")
>>> W.shape
(2, 3)
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from .errors import GlassnetError

INITIALIZERS = ("auto", "uniform", "xavier", "he")


def initialize_weights(
    name: str,
    inputs: int,
    units: int,
    rng: np.random.Generator,
    activation: str,
    init_range: tuple[float, float] = (-0.5, 0.5),
) -> NDArray[np.float64]:
    """Return a weight matrix of shape (inputs, units).

    - ``uniform``: U(low, high) with (low, high) = ``init_range``;
    - ``xavier`` (Glorot uniform): U(-r, r), r = sqrt(6 / (inputs + units)), for sigmoid/tanh/softmax;
    - ``he``: N(0, 2 / inputs), for the ReLU family;
    - ``auto``: ``he`` before a ReLU-family activation, ``xavier`` otherwise.
    """
    if name == "auto":
        name = "he" if activation in ("relu", "leaky_relu") else "xavier"
    if name == "uniform":
        low, high = init_range
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise GlassnetError(f"init_range must be two finite numbers low < high; received: {init_range!r}")
        return rng.uniform(low, high, size=(inputs, units))
    if name == "xavier":
        r = math.sqrt(6.0 / (inputs + units))
        return rng.uniform(-r, r, size=(inputs, units))
    if name == "he":
        return rng.normal(0.0, math.sqrt(2.0 / inputs), size=(inputs, units))
    raise GlassnetError(f"unknown initializer {name!r}; expected one of {', '.join(INITIALIZERS)}")
