"""Dropout: zeroes hidden outputs at rate p while training, scales the rest, and backpropagates exactly."""

import copy

import numpy as np
import pytest

from glassnet.core.errors import GlassnetError
from glassnet.core.network import Network


def test_dropout_rate_and_scaling():
    net = Network([50, 400, 1], activation="relu", loss="mse", dropout=0.25, seed=0)
    x = np.random.default_rng(0).uniform(0.5, 1.0, size=(64, 50))
    net.forward(x, np.random.default_rng(1))
    v = net.last_step
    dropped = v.masks[0] == 0
    assert 0.22 < dropped.mean() < 0.28
    kept = ~dropped
    np.testing.assert_allclose(v.a[1][kept], v.out[0][kept] / 0.75, rtol=1e-12)
    assert (v.a[1][dropped] == 0).all()


def test_no_dropout_without_a_generator_or_at_prediction():
    net = Network([3, 8, 2], dropout=0.5, seed=0)
    x = np.ones((4, 3))
    a = net.forward(x).copy()
    np.testing.assert_array_equal(a, net.predict(x))


def test_dropout_gradient_matches_finite_differences_with_the_same_mask():
    net = Network([3, 6, 5, 2], activation="tanh", loss="mse", dropout=0.3, seed=2)
    rng = np.random.default_rng(3)
    x, t = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    state = np.random.default_rng(7)

    def loss_with_mask():
        g = copy.deepcopy(state)
        return net.loss(net.forward(x, g), t)

    g = copy.deepcopy(state)
    net.forward(x, g)
    net.backward(t)
    analytic = net.last_step.grad_W[0].copy()
    h = 1e-6
    numeric = np.zeros_like(analytic)
    for i in np.ndindex(analytic.shape):
        net.layers[0].W[i] += h
        up = loss_with_mask()
        net.layers[0].W[i] -= 2 * h
        down = loss_with_mask()
        net.layers[0].W[i] += h
        numeric[i] = (up - down) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_dropout_training_is_reproducible():
    from glassnet.core.training import fit

    def run():
        net = Network([4, 16, 2], loss="categorical_crossentropy", dropout=0.2, seed=0)
        X = np.random.default_rng(0).normal(size=(40, 4))
        T = np.eye(2)[(X[:, 0] > 0).astype(int)]
        fit(net, X, T, 0.1, epochs=5, batch_size=8, seed=3)
        return net.parameters()

    assert run() == run()


@pytest.mark.parametrize("rate", [-0.1, 1.0, 2, "0.5"])
def test_bad_dropout_rates(rate):
    with pytest.raises(GlassnetError, match="dropout"):
        Network([2, 2, 1], dropout=rate)
