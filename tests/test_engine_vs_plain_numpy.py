"""glassnet's engine (core/steps.py) computes the numbers of a plain NumPy rewrite (tests/plain_numpy.py).

The rewrite imports only NumPy and writes every formula itself, so agreement here means two independent
implementations agree: every z and a, the loss, every gradient and every parameter after one SGD step, to
1e-12 relative, for every hidden activation x output activation x loss x bias mode x frozen or trained
biases, with the gradients formed (a traced step) and fused into the update, with no hidden layer,
one, and two or three, on one example and on a batch.

An absolute floor applies only where a value is ~0: below 1e-12 times the largest value of its kind in that
network (|z|, |a|, |delta or gradient|, |parameter|), a difference that small also passes. Such values are
sums that cancel; the gradient of a bias shared by a softmax layer's neurons is one, exactly 0 in exact
arithmetic (softmax ignores a shift of all its net inputs), ~1e-17 in floating point on either side.
"""

import zlib

import numpy as np
import pytest

from glassnet.core.activations import ACTIVATIONS
from glassnet.core.errors import GlassnetError
from glassnet.core.losses import LOSSES
from glassnet.core.network import BIAS_MODES, Network
from glassnet.core.optimizers import SGD

from . import plain_numpy as reference

RTOL = 1e-12

CROSS_ENTROPY_OUTPUTS = ("sigmoid", "softmax")  # they take log(a), so a must lie in (0, 1)


def valid(output: str, loss: str) -> bool:
    return not loss.endswith("crossentropy") or output in CROSS_ENTROPY_OUTPUTS


OUTPUTS_AND_LOSSES = [
    pytest.param(f, loss, id=f"{f}-{loss}") for loss in LOSSES for f in ACTIVATIONS if valid(f, loss)
]
HIDDEN = [None, *ACTIVATIONS]  # None: no hidden layer


def targets(loss: str, rng: np.random.Generator, batch: int, outputs: int) -> np.ndarray:
    if loss == "categorical_crossentropy":
        return rng.dirichlet(np.ones(outputs), size=batch)  # rows of probabilities that sum to 1
    return rng.uniform(0.0, 1.0, size=(batch, outputs))  # in [0, 1], as binary_crossentropy needs


def largest(arrays) -> float:
    """The largest |value| among ``arrays`` (None entries skipped): the scale of their kind in a network."""
    return max(float(np.abs(v).max()) for v in arrays if v is not None)


def check_one(rng, hidden, output, loss, bias, train_biases, n_hidden, batch):
    """Build a random network, run one step in both implementations and compare every number."""
    sizes = [int(rng.integers(1, 5))]
    sizes += [int(rng.integers(1, 6)) for _ in range(n_hidden)]
    sizes += [int(rng.integers(2 if output == "softmax" else 1, 5))]  # a 1-unit softmax is always 1
    net = Network(
        sizes,
        activation=hidden or "sigmoid",  # unused without hidden layers
        output_activation=output,
        loss=loss,
        bias=bias,
        train_biases=train_biases,
        init="uniform",
        # biases too, so a bias that is ignored shows; glassnet's default range keeps net inputs within a
        # few units, short of the saturation where both sides' last digits go to cancelling terms
        init_range=(-0.5, 0.5),
        seed=int(rng.integers(2**32)),
    )
    x = rng.normal(size=(batch, sizes[0]))
    t = targets(loss, rng, batch, sizes[-1])
    lr = float(rng.uniform(0.05, 1.0))
    weights = [W for W, _ in net.get_weights()]  # copies: net.step changes the network's own arrays
    biases = [b for _, b in net.get_weights()]
    fs = [layer.activation.name for layer in net.layers]
    case = f"sizes={sizes} {fs} {loss} bias={bias} train_biases={train_biases} batch={batch}"

    def same(fast, ref, what, scale):
        """Equal to RTOL relative; where a value is ~0 (below RTOL * scale) the difference must be too."""
        np.testing.assert_allclose(fast, ref, rtol=RTOL, atol=RTOL * scale, err_msg=f"{what}: {case}")

    # step 2: forward
    zs, activations = reference.forward(weights, biases, fs, x)
    values = net.propagate(x)
    z_scale, a_scale = largest(zs), largest(activations[1:])
    for l, (z, a) in enumerate(values):
        same(z, zs[l], f"z of layer {l + 1}", z_scale)
        same(a, activations[l + 1], f"a of layer {l + 1}", a_scale)

    # step 3: loss
    E = reference.loss(loss, activations[-1], t)
    same(net.loss(values[-1][1], t, values[-1][0]), E, "loss", 0.0)

    # steps 4-6: one SGD step
    grad_W, grad_b = reference.backward(weights, biases, fs, loss, zs, activations, t)
    new_weights, new_biases = reference.update(weights, biases, grad_W, grad_b, lr, train_biases)
    fused = Network(
        sizes,
        activation=hidden or "sigmoid",
        output_activation=output,
        loss=loss,
        bias=bias,
        train_biases=train_biases,
    )
    fused.set_weights(net.get_weights())
    same(fused.step(x, t, lr), E, "loss returned by step", 0.0)
    same(net.train_step(x, t, SGD(lr), form_gradients=True), E, "loss returned by the traced path", 0.0)
    s = net.last_step
    # a sum that cancels (e.g. a bias shared by a softmax layer's neurons: softmax ignores a shift of all
    # its net inputs, so that gradient is exactly 0) is ~0 at the scale of the deltas it adds up
    delta_L = reference.output_delta(loss, fs[-1], zs[-1], activations[-1], t)
    grad_scale = largest([delta_L, *grad_W, *grad_b])
    parameter_scale = largest(new_weights + new_biases)
    for l, (layer, fused_layer) in enumerate(zip(net.layers, fused.layers, strict=True)):
        same(s.grad_W[l], grad_W[l], f"dE/dW of layer {l + 1}", grad_scale)
        same(layer.W, new_weights[l], f"W of layer {l + 1} after the update", parameter_scale)
        same(fused_layer.W, new_weights[l], f"W of layer {l + 1} after the fused update", parameter_scale)
        if bias == "none":
            assert layer.b is None and s.grad_b[l] is None and new_biases[l] is None
        else:
            same(s.grad_b[l], grad_b[l], f"dE/db of layer {l + 1}", grad_scale)
            same(layer.b, new_biases[l], f"b of layer {l + 1} after the update", parameter_scale)
            same(fused_layer.b, new_biases[l], f"b of layer {l + 1} after the fused update", parameter_scale)
            if not train_biases:
                np.testing.assert_array_equal(layer.b, biases[l], err_msg=f"frozen b moved: {case}")


@pytest.mark.parametrize(("output", "loss"), OUTPUTS_AND_LOSSES)
@pytest.mark.parametrize("hidden", HIDDEN, ids=lambda h: h or "no_hidden")
def test_engine_equals_plain_numpy(hidden, output, loss):
    rng = np.random.default_rng(zlib.crc32(f"{hidden}-{output}-{loss}".encode()))
    depths = [0] if hidden is None else [1, int(rng.integers(2, 4))]
    for bias in BIAS_MODES:
        for train_biases in (True, False):
            for n_hidden in depths:
                for batch in (1, int(rng.integers(2, 7))):
                    check_one(rng, hidden, output, loss, bias, train_biases, n_hidden, batch)


def test_the_combinations_left_out_are_those_the_network_refuses():
    for output in ACTIVATIONS:
        for loss in LOSSES:
            if not valid(output, loss):
                with pytest.raises(GlassnetError, match="sigmoid or softmax output layer"):
                    Network([2, 3, 2], output_activation=output, loss=loss)
