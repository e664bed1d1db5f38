"""Check backpropagation against finite differences, parameter by parameter (float64).

The numerical derivative uses the fourth-order central stencil
    dE/dw ~ (E(w - 2h) - 8 E(w - h) + 8 E(w + h) - E(w + 2h)) / (12 h),
whose error is O(h^4), and the relative error of a parameter is |analytic - numeric| / max(|analytic|,
|numeric|, floor * max(1, largest |analytic|)): the floor keeps gradients that are zero up to rounding
from dividing by ~0, at the scale of the network's own gradients.
A parameter whose perturbations move a ReLU's net input across 0 (its kink, where E has no derivative)
is marked ``at_kink`` and left out of the maximum: there the difference quotient measures the kink.

>>> import numpy as np
>>> net = Network([3, 4, 2], activation="tanh", loss="mse", seed=1)
>>> rng = np.random.default_rng(1)
>>> report = gradient_check(net, rng.normal(size=(4, 3)), rng.normal(size=(4, 2)))
>>> report.max_relative_error < 1e-6
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .network import Network


@dataclass
class GradCheckEntry:
    """One parameter: backprop's gradient, the finite-difference estimate and their relative error."""

    name: str
    analytic: float
    numeric: float
    relative_error: float
    at_kink: bool = False


@dataclass
class GradCheckReport:
    """All parameters, and the worst one."""

    entries: list[GradCheckEntry]

    @property
    def max_relative_error(self) -> float:
        """The largest relative error over parameters where E is differentiable (not at a ReLU kink)."""
        return max((e.relative_error for e in self.entries if not e.at_kink), default=0.0)

    @property
    def worst(self) -> GradCheckEntry:
        return max(self.entries, key=lambda e: (not e.at_kink, e.relative_error))


def _pattern(net: Network, values: list[tuple[Any, Any]]) -> list[bytes]:
    """Which side of the kink every net input of a ReLU-family layer is on."""
    return [
        np.packbits(z > 0).tobytes()
        for (z, _), act in zip(values, net.activations, strict=True)
        if act.name in ("relu", "leaky_relu")
    ]


def gradient_check(net: Network, x: Any, t: Any, h: float = 1e-3, floor: float = 1e-6) -> GradCheckReport:
    """Compare dE/dparam from backpropagation with finite differences for every parameter of ``net``.

    ``x`` (batch, inputs) and ``t`` (batch, outputs); the network is left exactly as it was. The check
    runs on a float64 copy of a float32 network, since float32 rounding would swamp the differences.
    """
    if net.dtype != np.float64:
        net = net.astype("float64")
    x = net.as_inputs(x)
    t = net.as_targets(t)  # any numbers: the check is of the maths, not of the data
    net.check_finite(x, t)
    net.forward(x)
    net.backward(t)
    pattern = _pattern(net, net.propagate(x))
    analytics = {ref.name: float(net.grad_of(ref)[ref.index]) for ref in net.parameter_refs}
    scale = floor * max(1.0, *(abs(g) for g in analytics.values()))
    entries = []
    for ref in net.parameter_refs:
        analytic = analytics[ref.name]
        array = net.array_of(ref)
        original = float(array[ref.index])
        losses, crossed = [], False
        for k in (-2, -1, 1, 2):
            array[ref.index] = original + k * h
            values = net.propagate(x)
            losses.append(net.loss(values[-1][1], t, values[-1][0]))
            crossed = crossed or _pattern(net, values) != pattern
        array[ref.index] = original
        numeric = (losses[0] - 8 * losses[1] + 8 * losses[2] - losses[3]) / (12 * h)
        rel = abs(analytic - numeric) / max(abs(analytic), abs(numeric), scale)
        entries.append(GradCheckEntry(ref.name, analytic, numeric, rel, crossed))
    return GradCheckReport(entries)
