"""The step functions of core/steps.py called directly (the engine's results are checked against plain
NumPy in test_engine_vs_plain_numpy.py)."""

import math

import numpy as np
import pytest

from glassnet.core import optimizers, steps
from glassnet.core.activations import Sigmoid, Softmax, Tanh
from glassnet.core.blas import gemm_tn
from glassnet.core.layers import Dense
from glassnet.core.losses import BinaryCrossEntropy, CategoricalCrossEntropy, HalfSSE, get_loss
from glassnet.core.network import Network
from glassnet.core.optimizers import SGD, Momentum
from glassnet.core.steps import step, trainable


def test_trainable_lists_each_weight_matrix_then_its_bias_where_there_is_one():
    net = Network([2, 3, 1], seed=0)
    W1, W2 = (layer.W for layer in net.layers)
    b1, b2 = (layer.b for layer in net.layers)
    assert [p is q for p, q in zip(trainable(net.layers), [W1, b1, W2, b2], strict=True)] == [True] * 4
    assert [p is q for p, q in zip(trainable(net.layers, False), [W1, W2], strict=True)] == [True] * 2
    no_bias = Network([2, 3, 1], bias="none", seed=0)
    assert len(trainable(no_bias.layers, True)) == 2 and len(no_bias.trainable) == 2


@pytest.mark.parametrize("make", [lambda: SGD(0.1, weight_decay=0.01), lambda: Momentum(0.1, nesterov=True)])
@pytest.mark.parametrize("sizes", [[64, 64, 3], [63, 64, 3]], ids=["64x64: fused", "63x64: formed"])
def test_a_fused_update_equals_the_formed_one_and_fuses_64x64_weights_and_more(monkeypatch, make, sizes):
    calls = []
    monkeypatch.setattr(optimizers, "gemm_tn", lambda *args: calls.append(1) or gemm_tn(*args))
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(5, sizes[0])), rng.random((5, 3))
    fused, formed = Network(sizes, seed=0), Network(sizes, seed=0)
    opt_fused, opt_formed = make(), make()
    for _ in range(2):
        step(fused.layers, fused.loss_fn, x, t, opt_fused)
        step(formed.layers, formed.loss_fn, x, t, opt_formed, form_gradients=True)
    for a, b in zip(fused.trainable, formed.trainable, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert len(calls) == (2 if sizes[0] == 64 else 0)  # one update of W1 per step, through BLAS


def _layers(rng):
    return [
        Dense(rng.normal(size=(3, 4)), rng.normal(size=4), Tanh()),
        Dense(rng.normal(size=(4, 2)), rng.normal(size=2), Sigmoid()),
    ]


def test_step_and_update_train_the_biases_unless_told_not_to():
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(5, 3)), rng.uniform(size=(5, 2))
    layers = _layers(rng)
    before = [layer.b.copy() for layer in layers]
    steps.step(layers, HalfSSE(), x, t, SGD(0.1))
    assert all(not np.array_equal(layer.b, b) for layer, b in zip(layers, before, strict=True))
    s = steps.forward(layers, x)
    steps.loss(s, HalfSSE(), t)
    steps.backward(s, layers, HalfSSE(), t)
    grad_W, grad_b = steps.gradients(s, layers)
    before = [layer.b.copy() for layer in layers]
    steps.update(SGD(0.1), layers, grad_W, grad_b)
    for layer, b, g in zip(layers, before, grad_b, strict=True):
        np.testing.assert_allclose(layer.b, b - 0.1 * g, rtol=1e-15)


@pytest.mark.parametrize("name", ["half_sse", "mse", "binary_crossentropy", "categorical_crossentropy"])
def test_a_weighted_loss_is_the_weighted_mean_of_the_examples_losses(name):
    rng = np.random.default_rng(1)
    a = rng.uniform(0.1, 0.9, size=(4, 3))
    a /= a.sum(axis=1, keepdims=True)
    t = np.eye(3)[[0, 2, 1, 1]]
    w = np.array([1.0, 2.0, 0.5, 3.0])
    loss = get_loss(name)
    each = [loss.value(a[i : i + 1], t[i : i + 1]) for i in range(4)]
    assert loss.value(a, t, w=w) == pytest.approx(float(np.dot(w, each)) / 4, rel=1e-12)
    assert loss.value(a, t, w=w) != pytest.approx(loss.value(a, t), rel=1e-6)


def test_step_3_and_4_use_the_exact_forms_at_net_inputs_far_apart():
    """Softmax of net inputs 1e4 apart underflows to exactly 0; E must still be the true 2e4 / 2 (from
    log-softmax), and delta the canonical a - t, not the chain rule's product that underflows to 0."""
    z = np.array([[1e4, -1e4], [-1e4, 1e4]])
    x = np.eye(2)
    layers = [Dense(z.copy(), None, Softmax())]  # z = x @ W with x the identity
    t = np.array([[0.0, 1.0], [0.0, 1.0]])
    s = steps.forward(layers, x)
    assert steps.loss(s, CategoricalCrossEntropy(), t, Softmax()) == pytest.approx(1e4, rel=1e-12)
    assert steps.step(layers, CategoricalCrossEntropy(), x, t, SGD(1e-9)).E == pytest.approx(1e4, rel=1e-12)
    dE_da, delta = steps.output_delta(CategoricalCrossEntropy(), Softmax(), s.z[-1], s.a[-1], t)
    assert dE_da is None
    np.testing.assert_array_equal(delta, (s.a[-1] - t) / 2)
    # a sigmoid at net inputs 40 and -800: a rounds to 1 and to about 3e-308, where log(1 - a) and log(a)
    # are lost; the softplus form from z keeps E exact
    sb = steps.forward([Dense(np.array([[40.0, -800.0]]), None, Sigmoid())], np.ones((1, 1)))
    tb = np.array([[0.0, 1.0]])
    exact = (40.0 + math.log1p(math.exp(-40.0)) + 800.0) / 2
    assert steps.loss(sb, BinaryCrossEntropy(), tb, Sigmoid()) == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize(
    ("A", "B"),
    [
        ([[0.0]], [[np.inf, np.nan]]),  # one-element A: dot would scale B by 0
        ([[np.inf], [np.nan]], [[0.0]]),  # one-element B
        ([[0.0, 1.0]], [[np.inf, 2.0], [3.0, 4.0]]),
        (np.arange(12.0).reshape(3, 4), np.arange(8.0).reshape(4, 2)),
    ],
)
def test_product_is_matmul_bit_for_bit_and_keeps_0_times_inf_nan(A, B):
    from glassnet.core.steps import product

    A, B = np.asarray(A), np.asarray(B)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(product(A, B), A @ B)  # NaN where @ has NaN
