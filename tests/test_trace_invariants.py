"""Invariants every step trace must satisfy, on random networks of every activation, loss and bias mode.

A trace is what the learner reads, so each relation the seven steps state must hold between its numbers:
the chain rule delta = dE/da * da/dz on every chain-rule layer, da/dz equal to a finite difference of the
activation itself, a hidden neuron's dE/da equal to the sum of its path terms delta_j * w, every parameter
moved by exactly -lr * its gradient (frozen biases not at all), and the loss terms summing to E.
"""

import zlib

import numpy as np
import pytest

from glassnet.core.activations import ACTIVATIONS, get_activation
from glassnet.core.losses import LOSSES
from glassnet.core.network import BIAS_MODES, Network

from .test_engine_vs_plain_numpy import targets, valid

H = 1e-6  # the finite difference's step in z (float64)


def random_trace(
    rng: np.random.Generator, hidden: str, output: str, loss: str, bias: str, train_biases: bool
):
    sizes = [int(rng.integers(1, 4)), *(int(rng.integers(1, 5)) for _ in range(int(rng.integers(1, 3))))]
    sizes.append(int(rng.integers(2, 4)))
    net = Network(
        sizes, activation=hidden, output_activation=output, loss=loss, bias=bias, train_biases=train_biases,
        init="uniform", init_range=(-1.0, 1.0), seed=int(rng.integers(2**32)),
    )  # fmt: skip
    x = rng.normal(size=(1, sizes[0]))
    t = targets(loss, rng, 1, sizes[-1])
    lr = float(rng.uniform(0.05, 1.0))
    return net.traced_step(x, t, lr), lr


def finite_difference(activation: str, z: list[float], k: int) -> float:
    """d a_k / d z_k of the activation over one layer's net inputs, by the central difference."""
    f = get_activation(activation)
    up, down = np.array([z]), np.array([z])
    up[0, k] += H
    down[0, k] -= H
    return float((f.forward(up)[0, k] - f.forward(down)[0, k]) / (2 * H))


CASES = [
    pytest.param(hidden, output, loss, id=f"{hidden}-{output}-{loss}")
    for hidden in ACTIVATIONS
    for loss in LOSSES
    for output in ACTIVATIONS
    if valid(output, loss)
]


@pytest.mark.parametrize(("hidden", "output", "loss"), CASES)
def test_every_trace_satisfies_the_relations_of_the_seven_steps(hidden, output, loss):
    rng = np.random.default_rng(zlib.crc32(f"{hidden}-{output}-{loss}".encode()))
    for bias in BIAS_MODES:
        for train_biases in (True, False):
            trace, lr = random_trace(rng, hidden, output, loss, bias, train_biases)
            case = f"{trace.sizes} {trace.activations} {loss} bias={bias} train_biases={train_biases}"
            # step 3: the loss terms add up to E
            assert sum(trace.loss_terms.values()) == pytest.approx(trace.loss_total, rel=1e-12, abs=1e-15)
            for layer in trace.layers:
                z = [n.z for n in layer.neurons]
                for k, n in enumerate(layer.neurons):
                    # f': da/dz is the derivative of the activation that computed a (softmax: its diagonal)
                    if not (layer.activation in ("relu", "leaky_relu") and abs(n.z) < 10 * H):
                        assert n.da_dz == pytest.approx(
                            finite_difference(layer.activation, z, k), rel=1e-6, abs=1e-9
                        ), f"da/dz of {n.name}: {case}"
                    # steps 4 and 5: the chain rule on every chain-rule layer
                    if layer.delta_form == "chain_rule":
                        assert n.delta == pytest.approx(n.dE_da * n.da_dz, rel=1e-12, abs=1e-300), case
                    # step 5: a hidden neuron's dE/da is the sum of delta_j * w over its paths (old weights)
                    if n.dE_da_terms:
                        assert sum(p["delta"] * p["w"] for p in n.dE_da_terms) == pytest.approx(
                            n.dE_da, rel=1e-12, abs=1e-15
                        ), f"dE/da of {n.name}: {case}"
                        for p in n.dE_da_terms:
                            assert p["delta"] == trace.neuron(p["via"]).delta
                            assert p["w"] == trace.parameter(p["weight"]).old
            # step 6: new = old - lr * grad for every trained parameter; a frozen bias stays
            for p in trace.parameters:
                if p.kind == "bias" and not train_biases:
                    assert p.new == p.old, case
                else:
                    assert p.new == pytest.approx(p.old - lr * p.grad, rel=1e-12, abs=1e-15), (
                        f"{p.name}: {case}"
                    )
                if p.kind == "weight":  # dE/dw = dE/da * da/dz * dz/dw on a chain-rule layer
                    layer = trace.layers[p.layer - 1]
                    target = trace.neuron(p.targets[0])
                    assert p.grad == pytest.approx(target.delta * p.dz_dw, rel=1e-12, abs=1e-300), case
                    if layer.delta_form == "chain_rule":
                        assert p.dE_da == target.dE_da and p.da_dz == target.da_dz
