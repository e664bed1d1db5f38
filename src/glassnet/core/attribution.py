"""Where one prediction's net inputs come from: each source's share, layer by layer and input to output.

For one input row x (the network's own inputs, i.e. standardized features), ``layer_contributions`` splits
every net input z_j = sum_s a_s * w_sj + b_j into its terms a_s * w_sj and the bias; ``input_contributions``
carries that back to the inputs with the proportional (LRP-0) rule, so that every output's net input is a
sum of one share per input plus the biases' share; ``path_contributions`` gives each path
i -> h -> ... -> o its own share. Every sum is exact up to floating-point rounding: all arithmetic is
float64, whatever the network's dtype.

>>> import numpy as np
>>> from glassnet.core.examples import worked_example
>>> net, x, t, lr = worked_example()
>>> layers = layer_contributions(net, x[0])
>>> np.round(layers[0].products[:, 0], 4), float(layers[0].bias[0])  # net_h1 = w1*i1 + w2*i2 + b1
(array([0.0075, 0.02  ]), 0.35)
>>> round(float(layers[0].products[:, 0].sum() + layers[0].bias[0]), 9), round(float(layers[0].z[0]), 9)
(0.3775, 0.3775)
>>> shares = input_contributions(net, x[0])
>>> out = shares.layers[-1]  # the output layer: one share per input, and the biases' shares
>>> bool(np.allclose(out.inputs.sum(axis=0) + out.bias.sum(axis=0), layers[-1].z))
True
>>> paths = path_contributions(net, x[0])  # (inputs, hidden, outputs): the path i1 -> h1 -> o1 ...
>>> paths.shape, bool(np.allclose(paths.sum(axis=1), out.inputs))
((2, 2, 2), True)
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from .errors import GlassnetError
from .steps import forward

if TYPE_CHECKING:
    from .network import Network

F64 = NDArray[np.float64]

MAX_PATHS = 20_000_000  # path_contributions refuses more paths than this (160 MB of float64)

RULE = (
    "Layer by layer, net_j = sum_s a_s * w_sj + b_j, term by term. Input to output (proportional split, "
    "LRP-0 with the biases as sources): a first-layer net input is split into x_i * w_ij per input i and "
    "its bias b_j; a later term a_h * w_hk is split among the sources of net_h in proportion to their "
    "shares of net_h (bias included), so input i gets share_i(net_h) / net_h * a_h * w_hk and the biases "
    "of earlier layers get theirs likewise; b_k is the bias share of layer k itself. A term whose net_h is "
    "exactly 0 cannot be split and is counted with the bias of the receiving layer. The input shares plus "
    "the bias shares of a net input sum to it exactly (up to floating-point rounding)."
)


@dataclass
class LayerContributions:
    """One layer's net inputs, term by term: ``products[s, j] = sources[s] * weights[s, j]``.

    ``sources`` are the previous layer's outputs (the inputs x for the first layer), ``bias[j]`` is the
    bias of neuron j (0 without biases), ``z = products.sum(axis=0) + bias`` and ``a`` = activation(z).
    """

    sources: F64
    weights: F64
    products: F64
    bias: F64
    z: F64
    a: F64


@dataclass
class InputShares:
    """One layer's net inputs split among the network's inputs and the biases.

    ``inputs[i, j]`` is input i's share of net_j; ``bias[m, j]`` is the share of layer m's biases (m = 0 is
    the first layer; rows up to this layer), so ``inputs.sum(axis=0) + bias.sum(axis=0)`` equals net_j.
    """

    inputs: F64
    bias: F64


@dataclass
class InputContributions:
    """``input_contributions``' answer: ``layers[l]`` splits the net inputs of layer l + 1; ``rule`` says
    how, in words."""

    layers: list[InputShares]
    rule: str = RULE


def _row(network: Network, x: Any) -> F64:
    """``x`` as one float64 row of the network's inputs, or an error saying what was expected."""
    row = np.asarray(x, dtype=np.float64)
    if row.ndim == 2 and row.shape[0] == 1:
        row = row[0]
    if row.shape != (network.sizes[0],):
        raise GlassnetError(
            f"expected one input row of {network.sizes[0]} values (shape ({network.sizes[0]},)); "
            f"received shape {row.shape}"
        )
    if not np.isfinite(row).all():
        raise GlassnetError(
            f"the input row holds NaN or inf (at input i{int(np.argmin(np.isfinite(row))) + 1})"
        )
    return row


def layer_contributions(network: Network, x: Any) -> list[LayerContributions]:
    """Every layer's net inputs for one row ``x`` (shape (inputs,)), as their terms a_s * w_sj and bias.

    ``z`` and ``a`` are step 2's (``steps.forward``), run in float64 on the network's parameters; the
    terms are what each z sums.
    """
    row = _row(network, x)
    net = network if network.dtype == np.float64 else network.astype("float64")
    s = forward(net.layers, row[None, :])
    out: list[LayerContributions] = []
    for l, layer in enumerate(net.layers):
        W = np.asarray(layer.W, dtype=np.float64)
        bias = np.zeros(W.shape[1]) if layer.b is None else np.broadcast_to(layer.b, (W.shape[1],))
        a_prev = s.a[l][0]
        out.append(LayerContributions(a_prev, W, a_prev[:, None] * W, np.array(bias), s.z[l][0], s.out[l][0]))
    return out


def _split(z: F64) -> tuple[F64, NDArray[np.bool_]]:
    """1 / net_h where it can divide, 0 where net_h is exactly 0; and where it is."""
    zero = z == 0.0
    return np.divide(1.0, z, out=np.zeros_like(z), where=~zero), zero


def input_contributions(network: Network, x: Any) -> InputContributions:
    """Every layer's net inputs for one row ``x`` split among the inputs and the biases (``RULE``).

    For layer 1, ``inputs[i, j] = x_i * w_ij`` and ``bias[0, j] = b_j``. For a later layer with terms
    T[h, k] = a_h * w_hk, input i's share is sum_h inputs_prev[i, h] / net_h * T[h, k], and layer m's
    biases' share is sum_h bias_prev[m, h] / net_h * T[h, k] (plus b_k for this layer's own row, and the
    terms whose net_h is exactly 0).
    """
    layers = layer_contributions(network, x)
    first = layers[0]
    shares = [InputShares(first.products.copy(), first.bias[None, :].copy())]
    for before, layer in pairwise(layers):
        prev = shares[-1]
        inverse, zero = _split(before.z)
        T = layer.products
        inputs = (prev.inputs * inverse) @ T
        bias = np.vstack([(prev.bias * inverse) @ T, layer.bias + T[zero].sum(axis=0)])
        shares.append(InputShares(inputs, bias))
    return InputContributions(shares)


def path_contributions(network: Network, x: Any) -> F64:
    """Each path's share of the output net inputs for one row ``x``: an array of shape (inputs, hidden
    sizes..., outputs) whose entry [i, h, ..., o] is the share the path i -> h -> ... -> o carries.

    Along a path the term a_h * w_hk is split in proportion to the share of net_h the path so far carries
    (``RULE``): for one hidden layer, path[i, h, o] = x_i * w_ih / net_h * a_h * w_ho. Summed over the
    hidden neurons it gives ``input_contributions``' input shares of the outputs; the biases' shares are
    not on any path. Without a hidden layer it is the first layer's terms x_i * w_io. More than
    ``MAX_PATHS`` paths is an error (``input_contributions`` has no such limit).
    """
    layers = layer_contributions(network, x)
    count = int(np.prod(network.sizes, dtype=np.float64))
    if count > MAX_PATHS:
        raise GlassnetError(
            f"{count:,} paths through {'-'.join(map(str, network.sizes))} are too many to list; expected at "
            f"most {MAX_PATHS:,} (input_contributions gives each input's share without the paths)"
        )
    paths = layers[0].products
    net = layers[0].z
    for layer in layers[1:]:
        inverse, _ = _split(net)
        paths = (paths * inverse)[..., None] * layer.products  # broadcast over the new last axis
        net = layer.z
    return np.asarray(paths, dtype=np.float64)
