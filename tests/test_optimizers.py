"""Each optimizer's update formula, rewritten independently; tests/test_against_torch.py has PyTorch's."""

import numpy as np
import pytest

from glassnet.core.errors import GlassnetError
from glassnet.core.optimizers import (
    SGD,
    Adam,
    Momentum,
    Outer,
    accumulate,
    cosine,
    make_optimizer,
    make_schedule,
    step_decay,
)


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


def test_momentum_with_weight_decay_on_a_weight_matrix():
    """v <- mu v + g + lambda w; w <- w - lr v (PyTorch's form), lambda on matrices only; mu = 0 is SGD."""
    rng = np.random.default_rng(4)
    W = rng.normal(size=(3, 2))
    grads = [rng.normal(size=(3, 2)) for _ in range(3)]
    expected, v = W.copy(), np.zeros((3, 2))
    for g in grads:
        v = 0.9 * v + g + 0.3 * expected
        expected = expected - 0.05 * v
    opt = Momentum(0.05, momentum=0.9, weight_decay=0.3)
    for g in grads:
        opt.update([W], [g])
    np.testing.assert_allclose(W, expected, rtol=1e-14)
    W0, g = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    W1 = W0.copy()
    Momentum(0.1, momentum=0.0).update([W0], [g])  # mu = 0 is allowed, and is plain gradient descent
    SGD(0.1).update([W1], [g])
    np.testing.assert_allclose(W0, W1, rtol=1e-15)


def test_adam_with_weight_decay_on_a_weight_matrix():
    rng = np.random.default_rng(5)
    W = rng.normal(size=(2, 3))
    grads = [rng.normal(size=(2, 3)) for _ in range(3)]
    expected, m, v = W.copy(), np.zeros((2, 3)), np.zeros((2, 3))
    b1, b2, eps, lr, lam = 0.9, 0.999, 1e-8, 0.01, 0.2
    for t, g in enumerate(grads, start=1):
        g = g + lam * expected
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        expected = expected - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    opt = Adam(lr, weight_decay=lam)
    for g in grads:
        opt.update([W], [g])
    np.testing.assert_allclose(W, expected, rtol=1e-12)


def test_defaults_are_the_documented_ones():
    assert Adam().settings() == {
        "name": "adam", "lr": 1e-3, "weight_decay": 0.0, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8
    }  # fmt: skip
    assert Momentum(0.1).settings() == {"name": "momentum", "lr": 0.1, "weight_decay": 0.0, "momentum": 0.9}
    assert step_decay(1)(2) == pytest.approx(0.1)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Momentum(0.1, momentum=1.0), r"^momentum must be in \[0, 1\); received: momentum=1.0$"),
        (lambda: Adam(0.1, beta1=1.0), r"^beta1 must be in \[0, 1\); received: beta1=1.0$"),
        (lambda: Adam(0.1, beta2=-0.1), r"^beta2 must be in \[0, 1\); received: beta2=-0.1$"),
        (lambda: Adam(0.1, eps=0.0), r"^eps must be a finite number > 0; received: eps=0.0$"),
        (lambda: Adam(0.1, eps=-1e-8), r"^eps must be a finite number > 0; received: eps=-1e-08$"),
        (lambda: Adam(0.1, eps=float("inf")), r"^eps must be a finite number > 0; received: eps=inf$"),
        (lambda: step_decay(0), r"^step schedule needs step_size >= 1 and 0 < gamma <= 1; received 0, 0.1$"),
        (lambda: step_decay(2, 0.0), "step schedule needs"),
        (lambda: step_decay(2, 1.5), "step schedule needs"),
        (lambda: cosine(0), r"^cosine schedule needs epochs >= 1; received: epochs=0$"),
        (lambda: SGD(0.1, weight_decay=-0.1), r"^weight_decay must be a finite number >= 0; received: -0.1$"),
        (
            lambda: SGD(0.1, weight_decay=float("inf")),
            r"^weight_decay must be a finite number >= 0; received: inf$",
        ),
    ],
)
def test_bad_hyper_parameters_are_refused_naming_them(make, message):
    with pytest.raises(GlassnetError, match=message):
        make()


def test_the_edges_of_the_ranges_are_allowed():
    assert Adam(0.1, beta1=0.0, beta2=0.0).beta1 == 0.0
    assert step_decay(1, 1.0)(5) == 1.0
    assert cosine(1)(1) == 1.0


def test_cosine_ends_at_its_floor_and_step_decays_every_third_of_the_epochs():
    assert [round(cosine(4, floor=0.2)(e), 6) for e in (1, 3, 5)] == [1.0, 0.6, 0.2]
    step = make_schedule("step", 9)  # x0.1 every 3 epochs
    assert [round(step(e), 12) for e in (1, 3, 4, 6, 7)] == [1.0, 1.0, 0.1, 0.1, 0.01]
    assert make_schedule("step", 2)(2) == pytest.approx(0.1)  # fewer than 3 epochs: x0.1 every epoch


def test_optimizer_state_is_checked_when_restored():
    with pytest.raises(
        GlassnetError, match=r"^sgd keeps 0 state arrays per parameter; the checkpoint holds 1"
    ):
        SGD(0.1).set_state({}, [np.zeros(2)])
    with pytest.raises(GlassnetError, match="sgd keeps 0 state arrays"):
        SGD(0.1).set_state({"t": 3}, [])
    SGD(0.1).set_state({}, [])
    adam = Adam(0.1)
    adam.set_state({"t": 0}, [])  # a fresh Adam's state
    assert adam.t == 0 and adam.slots == []
    for t, arrays in ((-1, []), (1.5, []), (2, [np.zeros(2)])):
        with pytest.raises(GlassnetError, match=rf"^bad Adam state: t={t!r} with {len(arrays)} arrays$"):
            Adam(0.1).set_state({"t": t}, arrays)


def test_adams_scratch_array_is_kept_and_renewed_when_the_parameter_changes():
    """One scratch array per parameter, reused from update to update (the point of updating in place),
    and made anew when the parameter's shape or dtype is no longer the scratch array's."""
    adam, w = Adam(0.1), np.zeros((2, 3))
    tmp = adam.scratch(w)
    assert adam.scratch(w) is tmp and tmp.shape == (2, 3) and tmp.dtype == np.float64
    w.shape = (3, 2)  # the same array object, another shape
    assert adam.scratch(w).shape == (3, 2)
    w.dtype = np.float32  # the same array object, read as float32: (3, 4)
    assert adam.scratch(w).dtype == np.float32 and adam.scratch(w).shape == (3, 4)


def test_make_optimizer_passes_its_options_on():
    nesterov = make_optimizer("nesterov", 0.1, momentum=0.5, nesterov=False, weight_decay=0.2)
    assert (nesterov.nesterov, nesterov.momentum, nesterov.weight_decay) == (True, 0.5, 0.2)
    assert make_optimizer("adam", 0.1, beta1=0.5).beta1 == 0.5
    with pytest.raises(
        GlassnetError, match=r"^unknown optimizer 'rmsprop'; expected one of sgd, momentum, nes"
    ):
        make_optimizer("rmsprop", 0.1)


def test_make_schedule_step_uses_whole_thirds_and_names_the_schedules():
    assert [make_schedule("step", 10)(e) for e in (3, 4)] == [1.0, pytest.approx(0.1)]  # every 3 epochs
    with pytest.raises(
        GlassnetError, match=r"^unknown schedule 'linear'; expected one of constant, step, cosine$"
    ):
        make_schedule("linear", 10)


@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0])
def test_accumulate_adds_a_gradient_given_or_formed_inside_the_update(beta):
    """y <- beta y + alpha g, for g an array or an ``Outer`` a_prev^T @ delta that BLAS forms in place."""
    rng = np.random.default_rng(6)
    a_prev, delta, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 4)), rng.normal(size=(3, 4))
    expected = beta * y - 0.3 * (a_prev.T @ delta)
    fused, formed = y.copy(), y.copy()
    accumulate(fused, -0.3, Outer(a_prev, delta), beta)
    accumulate(formed, -0.3, Outer(a_prev, delta).formed(), beta)
    np.testing.assert_allclose(fused, expected, rtol=1e-12)
    np.testing.assert_allclose(formed, expected, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(1,), (1, 1)])
@pytest.mark.parametrize(
    "make",
    [
        lambda: SGD(0.3, weight_decay=0.1),
        lambda: Momentum(0.3, 0.9, weight_decay=0.1),
        lambda: Momentum(0.3, 0.9, nesterov=True, weight_decay=0.1),
    ],
)
def test_a_one_element_parameter_is_updated_bit_for_bit_as_a_larger_one(make, shape, dtype):
    """accumulate computes a one-element array (a shared bias, a 1x1 W) on its element, where NumPy's
    in-place ufuncs are slow: the numbers must be those of the array path."""
    rng = np.random.default_rng(3)
    wide_shape = (*shape[:-1], 3)
    small, wide = make(), make()
    p_wide = rng.normal(size=wide_shape).astype(dtype)
    p_small = p_wide[..., :1].copy()
    for _ in range(3):
        g_wide = rng.normal(size=wide_shape).astype(dtype)
        wide.update([p_wide], [g_wide])
        small.update([p_small], [g_wide[..., :1].copy()])
        assert p_small.dtype == dtype
        np.testing.assert_array_equal(p_small, p_wide[..., :1])
