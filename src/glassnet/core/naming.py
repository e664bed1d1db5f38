"""Names a learner can point at: neurons i1.., h1.., o1.. and parameters w1.., b1.., and where each lives.

>>> neuron_names([2, 2, 2])
[['i1', 'i2'], ['h1', 'h2'], ['o1', 'o2']]
>>> [ref.name for ref in parameter_refs([2, 2, 2], "shared")]
['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8', 'b1', 'b2']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

ParameterKind = Literal["weight", "bias"]


@dataclass(frozen=True)
class ParameterRef:
    """Where a named parameter lives: ``layers[layer].W[index]`` or ``layers[layer].b[index]``."""

    name: str
    kind: ParameterKind
    layer: int
    index: tuple[int, ...]
    source: str | None  # the sending neuron (weights) or None (biases)
    targets: tuple[str, ...]  # the receiving neuron(s)


def neuron_names(sizes: Sequence[int]) -> list[list[str]]:
    """Human names per layer: inputs i1.., hidden h1.. (h{layer}_{k} with several hidden layers), outputs o1..

    >>> neuron_names([1, 2, 1, 1])
    [['i1'], ['h1_1', 'h1_2'], ['h2_1'], ['o1']]
    """
    hidden = len(sizes) - 2
    names = [[f"i{k + 1}" for k in range(sizes[0])]]
    for layer in range(1, len(sizes) - 1):
        prefix = "h" if hidden == 1 else f"h{layer}_"
        names.append([f"{prefix}{k + 1}" for k in range(sizes[layer])])
    names.append([f"o{k + 1}" for k in range(sizes[-1])])
    return names


def parameter_refs(sizes: Sequence[int], bias: str) -> list[ParameterRef]:
    """Every weight and bias with its name, in the order w1, w2, ... then biases b1, b2, ...

    Weights are numbered layer by layer, within a layer by receiving neuron, then by sending neuron.
    Biases are numbered b1, b2, ... per layer when ``bias`` is "shared", per neuron when "per_neuron";
    there are none for "none".
    """
    names = neuron_names(sizes)
    weights: list[ParameterRef] = []
    biases: list[ParameterRef] = []
    for l, (inputs, units) in enumerate(pairwise(sizes)):
        for j in range(units):
            for i in range(inputs):
                name = f"w{len(weights) + 1}"
                weights.append(ParameterRef(name, "weight", l, (i, j), names[l][i], (names[l + 1][j],)))
        if bias == "shared":
            biases.append(ParameterRef(f"b{len(biases) + 1}", "bias", l, (0,), None, tuple(names[l + 1])))
        elif bias == "per_neuron":
            for j in range(units):
                biases.append(ParameterRef(f"b{len(biases) + 1}", "bias", l, (j,), None, (names[l + 1][j],)))
    return weights + biases
