"""Step 1, initialize: draw starting weights, shaped (inputs, units), from a numpy Generator.

>>> import numpy as np
>>> W = initialize_weights("xavier", 2, 3, np.random.default_rng(0), "sigmoid")
>>> W.shape
(2, 3)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .errors import GlassnetError

INITIALIZERS = ("auto", "uniform", "xavier", "he", "glorot")


def initialize_weights(
    name: str,
    inputs: int,
    units: int,
    rng: np.random.Generator,
    activation: str,
    init_range: tuple[float, float] = (-0.5, 0.5),
    dtype: DTypeLike = np.float64,
) -> NDArray[np.floating]:
    """Return a weight matrix of shape (inputs, units) and ``dtype``.

    The numbers are drawn in float64 a block of rows at a time and stored in ``dtype``: a float32 matrix
    holds the float64 draws rounded, and never needs a float64 copy of the whole matrix.

    - ``uniform``: U(low, high) with (low, high) = ``init_range``;
    - ``xavier`` (Glorot uniform): U(-r, r), r = sqrt(6 / (inputs + units)), for sigmoid/tanh/softmax;
    - ``he``: N(0, 2 / inputs), for the ReLU family;
    - ``auto``: ``he`` before a ReLU-family activation, ``xavier`` otherwise;
    - ``glorot``: scikit-learn MLP's scheme: U(-r, r), r = sqrt(k / (inputs + units)) with k = 2 for a
      sigmoid and 6 otherwise; ``Network`` passes the hidden activation for every layer, as scikit-learn
      does, and draws the biases from the same range (``glorot_bound``).
    """
    if name == "auto":
        name = "he" if activation in ("relu", "leaky_relu") else "xavier"
    if name == "uniform":
        refusal = f"init_range must be two finite numbers low < high; received: {init_range!r}"
        try:
            low, high = (float(v) for v in init_range)
        except (TypeError, ValueError):  # not a pair of numbers ("0.5", (1,), None)
            raise GlassnetError(refusal) from None
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise GlassnetError(refusal)
        return _draw(lambda rows: rng.uniform(low, high, size=(rows, units)), inputs, units, dtype)
    if name == "xavier":
        r = math.sqrt(6.0 / (inputs + units))
        return _draw(lambda rows: rng.uniform(-r, r, size=(rows, units)), inputs, units, dtype)
    if name == "glorot":
        r = glorot_bound(inputs, units, activation)
        return _draw(lambda rows: rng.uniform(-r, r, size=(rows, units)), inputs, units, dtype)
    if name == "he":
        sd = math.sqrt(2.0 / inputs)
        return _draw(lambda rows: rng.normal(0.0, sd, size=(rows, units)), inputs, units, dtype)
    raise GlassnetError(f"unknown initializer {name!r}; expected one of {', '.join(INITIALIZERS)}")


def glorot_bound(inputs: int, units: int, activation: str) -> float:
    """r of the ``glorot`` initializer: sqrt(2 / (inputs + units)) for a sigmoid, else sqrt(6 / ...).

    >>> round(glorot_bound(4, 2, "relu"), 6)
    1.0
    """
    return math.sqrt((2.0 if activation == "sigmoid" else 6.0) / (inputs + units))


BLOCK = 1 << 20  # values drawn at a time


def _draw(
    draw: Callable[[int], NDArray[np.float64]], inputs: int, units: int, dtype: DTypeLike
) -> NDArray[np.floating]:
    """``draw(rows)`` for blocks of rows, in order (the same numbers as one draw of every row), into an
    (inputs, units) array of ``dtype``."""
    out: NDArray[np.floating] = np.empty((inputs, units), dtype)
    step = max(1, BLOCK // units)
    for start in range(0, inputs, step):
        stop = min(start + step, inputs)
        out[start:stop] = draw(stop - start)
    return out
