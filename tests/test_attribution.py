"""Contributions to net inputs (core.attribution): every sum is exact, for every activation and bias mode."""

import numpy as np
import pytest

from glassnet.core.activations import ACTIVATIONS
from glassnet.core.attribution import (
    MAX_PATHS,
    input_contributions,
    layer_contributions,
    path_contributions,
)
from glassnet.core.errors import GlassnetError
from glassnet.core.network import BIAS_MODES, Network

SHAPES = [[3, 2], [4, 5, 3], [3, 4, 5, 2], [2, 3, 3, 2, 3]]


def _network(sizes, activation, bias, seed):
    return Network(
        sizes,
        activation=activation,
        output_activation=activation,
        bias=bias,
        seed=seed,
        init="uniform",
        init_range=(-1.0, 1.0),
    )


def _close(a, b):
    scale = max(1.0, float(np.max(np.abs(b))))
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12 * scale)


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("bias", BIAS_MODES)
@pytest.mark.parametrize("sizes", SHAPES)
def test_every_sum_is_exact_on_random_networks(activation, bias, sizes):
    for seed in range(5):
        net = _network(sizes, activation, bias, seed)
        x = np.random.default_rng(seed).normal(size=sizes[0]) * 2
        layers = layer_contributions(net, x)
        forward = net.propagate(x[None, :])
        for layer, (z, a) in zip(layers, forward, strict=True):
            _close(layer.products.sum(axis=0) + layer.bias, layer.z)
            _close(layer.z, z[0])
            _close(layer.a, a[0])
            np.testing.assert_array_equal(layer.products, layer.sources[:, None] * layer.weights)
        shares = input_contributions(net, x)
        assert len(shares.layers) == len(layers)
        for m, (share, layer) in enumerate(zip(shares.layers, layers, strict=True)):
            assert share.inputs.shape == (sizes[0], sizes[m + 1]) and share.bias.shape == (
                m + 1,
                sizes[m + 1],
            )
            _close(share.inputs.sum(axis=0) + share.bias.sum(axis=0), layer.z)
        paths = path_contributions(net, x)
        assert paths.shape == tuple(sizes)
        _close(paths.sum(axis=tuple(range(1, len(sizes) - 1))), shares.layers[-1].inputs)


def test_one_hidden_layer_follows_the_stated_rule():
    net = _network([3, 4, 2], "tanh", "per_neuron", 1)
    x = np.array([0.5, -1.0, 2.0])
    (first, second) = layer_contributions(net, x)
    paths = path_contributions(net, x)
    for i in range(3):
        for h in range(4):
            for o in range(2):
                expected = x[i] * first.weights[i, h] / first.z[h] * first.a[h] * second.weights[h, o]
                assert paths[i, h, o] == pytest.approx(expected, rel=1e-12)
    shares = input_contributions(net, x).layers[-1]
    # the hidden biases' share: b_h / net_h of each term, and the output's own bias
    expected_bias = (first.bias / first.z) @ second.products
    np.testing.assert_allclose(shares.bias[0], expected_bias, rtol=1e-12)
    np.testing.assert_array_equal(shares.bias[1], second.bias)


def test_a_net_input_of_exactly_zero_goes_to_the_bias_share():
    net = Network([2, 2, 1], activation="sigmoid", bias="per_neuron")
    net.set_weights(
        [
            (np.array([[1.0, 1.0], [1.0, -1.0]]), np.array([0.0, 0.0])),
            (np.array([[2.0], [3.0]]), np.array([0.5])),
        ]
    )
    x = np.array([1.0, -1.0])  # net_h1 = 0: sigmoid(0) * 2 = 1 cannot be split among the inputs
    shares = input_contributions(net, x).layers[-1]
    z = layer_contributions(net, x)[-1].z
    assert shares.bias[1, 0] == pytest.approx(0.5 + 1.0)
    _close(shares.inputs.sum(axis=0) + shares.bias.sum(axis=0), z)
    assert np.isfinite(path_contributions(net, x)).all()


def test_float32_networks_are_explained_in_float64():
    net = Network([3, 4, 2], activation="relu", seed=0, dtype="float32")
    x = np.array([0.1, 0.2, 0.3], dtype=np.float32)
    layers = layer_contributions(net, x)
    assert all(layer.products.dtype == np.float64 for layer in layers)
    np.testing.assert_allclose(layers[-1].a, net.predict(x[None, :])[0], rtol=1e-5)


def test_bad_rows_and_too_many_paths_are_errors():
    net = Network([3, 2, 2], seed=0)
    with pytest.raises(GlassnetError, match=r"expected one input row of 3 values .*received shape \(2,\)"):
        layer_contributions(net, [1.0, 2.0])
    with pytest.raises(GlassnetError, match=r"NaN or inf .*i2"):
        input_contributions(net, [1.0, np.nan, 0.0])
    big = Network([1000, 1000, 30], seed=0)
    assert 1000 * 1000 * 30 > MAX_PATHS
    with pytest.raises(GlassnetError, match="30,000,000 paths through 1000-1000-30 are too many"):
        path_contributions(big, np.zeros(1000))
    assert layer_contributions(net, [[1.0, 2.0, 3.0]])[0].sources.shape == (3,)
