"""Numerical robustness at net inputs up to +-1e4, in float32 and float64 (warnings fail the tests)."""

import math
import warnings

import numpy as np
import pytest

from glassnet.core.activations import Sigmoid, Softmax, get_activation
from glassnet.core.losses import get_loss
from glassnet.core.network import Network
from glassnet.core.training import TrainingWarning, fit

EXTREME = [-1e4, -1e3, -100.0, -30.0, 0.0, 30.0, 100.0, 1e3, 1e4]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_extremes(dtype):
    z = np.array([EXTREME], dtype=dtype)
    a = Sigmoid().forward(z)
    assert a.dtype == dtype and np.isfinite(a).all()
    assert a[0, -1] == 1.0 and 0 <= a[0, 0] < 1e-37
    expected = 1 / (1 + np.exp(-np.float64(30.0)))
    assert a[0, 5] == pytest.approx(expected, rel=float(np.finfo(dtype).eps) * 4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_log_softmax_extremes(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4 + 1], [1e4, 1e4 - 20, -1e4]], dtype=dtype)
    a = Softmax().forward(z)
    log_a = Softmax.log_forward(z)
    assert np.isfinite(a).all() and np.isfinite(log_a).all()
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-6)
    assert log_a[0, 1] == pytest.approx(-2e4, rel=1e-6)
    assert log_a[1, 2] == pytest.approx(-math.log1p(2 * math.exp(-1)), rel=1e-5)
    assert log_a[2, 1] == pytest.approx(-20 - math.log1p(math.exp(-20)), rel=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropies_from_net_inputs_are_exact(dtype):
    cce, bce = get_loss("categorical_crossentropy"), get_loss("binary_crossentropy")
    z = np.array([[1e4, -1e4], [-1e4, 1e4]], dtype=dtype)
    t = np.array([[0.0, 1.0], [0.0, 1.0]], dtype=dtype)
    a = Softmax().forward(z)
    assert cce.value(a, t, z, Softmax()) == pytest.approx((2e4 + 0.0) / 2, rel=1e-6)
    zb = np.array([[1e4], [-1e4], [0.0]], dtype=dtype)
    tb = np.array([[0.0], [0.0], [1.0]], dtype=dtype)
    ab = Sigmoid().forward(zb)
    assert bce.value(ab, tb, zb, Sigmoid()) == pytest.approx((1e4 + 0 + math.log(2)) / 3, rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["half_sse", "mse", "binary_crossentropy", "categorical_crossentropy"])
def test_log_of_zero_is_guarded(dtype, name):
    loss = get_loss(name)
    a = np.array([[0.0, 1.0]], dtype=dtype)
    t = np.array([[1.0, 0.0]], dtype=dtype)
    assert np.isfinite(loss.value(a, t)) and np.isfinite(loss.grad(a, t)).all()


PAIRS = [("categorical_crossentropy", "softmax"), ("binary_crossentropy", "sigmoid"), ("mse", "tanh")]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("loss, out", PAIRS)
def test_a_training_step_at_extreme_net_inputs_stays_finite(dtype, loss, out):
    net = Network([2, 3, 2], activation="tanh", output_activation=out, loss=loss, dtype=dtype, seed=0)
    net.set_parameters({"w7": 5e3, "w8": -5e3, "w9": 5e3, "w10": -5e3, "w11": 5e3, "w12": -5e3})
    x = np.array([[1.0, 1.0]])
    t = np.array([[0.0, 1.0]])
    z = net.propagate(net.as_inputs(x))[-1][0]
    assert np.abs(z).max() > 1e3
    E = net.step(x, t, 1e-6)
    assert np.isfinite(E) and all(np.isfinite(v) for v in net.parameters().values())


def test_dead_relus_are_reported_in_plain_words():
    net = Network([2, 8, 2], activation="relu", loss="categorical_crossentropy", seed=0)
    for layer in net.layers[:1]:
        layer.b[:] = -100.0  # every hidden ReLU starts dead
    X = np.random.default_rng(0).normal(size=(32, 2))
    T = np.eye(2)[(X[:, 0] > 0).astype(int)]
    with pytest.warns(TrainingWarning, match=r"hidden layer 1: 100% of its ReLUs are dead") as caught:
        result = fit(net, X, T, 0.1, epochs=2, batch_size=8, seed=0)
    assert any("ReLUs are dead" in w for w in result.warnings)
    assert caught[0].filename == __file__  # the warning points at the caller's line, not glassnet's


def test_saturated_sigmoids_are_reported():
    net = Network([2, 4, 1], activation="sigmoid", loss="mse", seed=0)
    net.layers[0].W[:] = 500.0
    X = np.abs(np.random.default_rng(0).normal(size=(16, 2))) + 1
    with pytest.warns(TrainingWarning, match="units are saturated"):
        fit(net, X, np.ones((16, 1)), 0.01, epochs=1, batch_size=4, seed=0)


def test_healthy_training_warns_nothing():
    net = Network([2, 8, 2], activation="relu", loss="categorical_crossentropy", seed=0)
    X = np.random.default_rng(0).normal(size=(32, 2))
    T = np.eye(2)[(X[:, 0] > 0).astype(int)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = fit(net, X, T, 0.1, epochs=3, batch_size=8, seed=0)
    assert result.warnings == []


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "softmax", "identity"])
def test_activation_derivatives_are_finite_at_extremes(name):
    act = get_activation(name)
    z = np.array([EXTREME])
    a = act.forward(z)
    assert np.isfinite(act.derivative(z, a)).all()
    assert np.isfinite(act.backward(z, a, np.ones_like(z))).all()
