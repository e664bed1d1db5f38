"""Each optimizer's update formula, rewritten independently; tests/test_against_torch.py has PyTorch's."""

import numpy as np
import pytest

from glassnet.core.errors import GlassnetError
from glassnet.core.optimizers import SGD, Adam, Momentum, cosine, make_optimizer, make_schedule, step_decay


def test_sgd_formula():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(3, 2))
    g = rng.normal(size=(3, 2))
    expected = w - 0.1 * g
    SGD(0.1).update([w], [g])
    np.testing.assert_array_equal(w, expected)


def test_sgd_leaves_gradients_alone():
    w, g = np.ones(3), np.full(3, 2.0)
    SGD(0.5).update([w], [g])
    np.testing.assert_array_equal(g, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(w, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), "0.1", None, True])
def test_bad_learning_rates(lr):
    with pytest.raises(GlassnetError, match="learning rate"):
        SGD(lr)


def test_momentum_formula_over_three_steps():
    rng = np.random.default_rng(1)
    w = rng.normal(size=4)
    grads = [rng.normal(size=4) for _ in range(3)]
    expected, v = w.copy(), np.zeros(4)
    for g in grads:
        v = 0.9 * v + g
        expected = expected - 0.05 * v
    opt = Momentum(0.05, momentum=0.9)
    for g in grads:
        opt.update([w], [g])
    np.testing.assert_allclose(w, expected, rtol=1e-14)


def test_nesterov_formula_over_three_steps():
    rng = np.random.default_rng(2)
    w = rng.normal(size=4)
    grads = [rng.normal(size=4) for _ in range(3)]
    expected, v = w.copy(), np.zeros(4)
    for g in grads:
        v = 0.8 * v + g
        expected = expected - 0.1 * (g + 0.8 * v)
    opt = Momentum(0.1, momentum=0.8, nesterov=True)
    for g in grads:
        opt.update([w], [g])
    np.testing.assert_allclose(w, expected, rtol=1e-14)


def test_adam_formula_over_three_steps():
    rng = np.random.default_rng(3)
    w = rng.normal(size=(2, 3))
    grads = [rng.normal(size=(2, 3)) for _ in range(3)]
    expected, m, v = w.copy(), np.zeros((2, 3)), np.zeros((2, 3))
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        expected = expected - lr * m_hat / (np.sqrt(v_hat) + eps)
    opt = Adam(lr)
    for g in grads:
        opt.update([w], [g])
    np.testing.assert_allclose(w, expected, rtol=1e-12)


def test_weight_decay_adds_lambda_w_to_weight_matrices_only():
    W, b = np.ones((2, 2)), np.ones(2)
    gW, gb = np.zeros((2, 2)), np.zeros(2)
    SGD(0.1, weight_decay=0.5).update([W, b], [gW, gb])
    np.testing.assert_allclose(W, 1 - 0.1 * 0.5)
    np.testing.assert_array_equal(b, [1.0, 1.0])
    np.testing.assert_array_equal(gW, 0.0)  # the caller's gradient is untouched


def test_schedules():
    assert [round(cosine(4)(e), 6) for e in (1, 2, 3, 4)] == [1.0, 0.853553, 0.5, 0.146447]
    assert [step_decay(2, 0.5)(e) for e in (1, 2, 3, 4, 5)] == [1, 1, 0.5, 0.5, 0.25]
    assert make_schedule("constant", 10)(7) == 1.0


def test_make_optimizer_names():
    assert isinstance(make_optimizer("nesterov", 0.1), Momentum) and make_optimizer("nesterov", 0.1).nesterov
    with pytest.raises(GlassnetError, match="unknown optimizer 'rmsprop'"):
        make_optimizer("rmsprop", 0.1)
    with pytest.raises(GlassnetError, match="momentum"):
        Momentum(0.1, momentum=1.5)
    with pytest.raises(GlassnetError, match="beta2"):
        Adam(0.1, beta2=1.0)
