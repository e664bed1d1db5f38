"""Properties of activations and losses."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from glassnet.core.activations import ACTIVATIONS, get_activation
from glassnet.core.errors import GlassnetError
from glassnet.core.losses import LOSSES, get_loss
from glassnet.core.steps import output_delta

finite = st.floats(-50, 50, allow_nan=False)
rows = arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)), elements=finite)


@given(z=rows)
def test_softmax_rows_sum_to_one(z):
    a = get_activation("softmax").forward(z)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-12)
    assert (a >= 0).all()


@given(z=rows, shift=finite)
def test_softmax_is_shift_invariant(z, shift):
    softmax = get_activation("softmax")
    np.testing.assert_allclose(softmax.forward(z + shift), softmax.forward(z), rtol=1e-9, atol=1e-15)


@given(z=rows)
def test_sigmoid_stays_in_range_and_symmetric(z):
    sig = get_activation("sigmoid")
    a = sig.forward(z)
    assert ((a >= 0) & (a <= 1)).all()
    np.testing.assert_allclose(a + sig.forward(-z), 1.0, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_extreme_net_inputs_stay_finite(name, dtype):
    z = np.array([[-1e4, -100.0, 0.0, 100.0, 1e4]], dtype=dtype)
    a = get_activation(name).forward(z)
    assert a.dtype == dtype and np.isfinite(a).all()


def test_sigmoid_is_accurate_far_left():
    a = get_activation("sigmoid").forward(np.array([[-30.0, -700.0]]))
    np.testing.assert_allclose(a[0, 0], 1 / (1 + np.exp(30.0)), rtol=1e-14)
    assert 0 < a[0, 1] < 1e-300


@given(
    a=arrays(np.float64, (3, 4), elements=st.floats(0, 1)),
    t=arrays(np.float64, (3, 4), elements=st.floats(0, 1)),
    name=st.sampled_from(sorted(LOSSES)),
)
def test_losses_are_never_negative_and_finite(a, t, name):
    value = get_loss(name).value(a, t)
    assert np.isfinite(value) and value >= 0


def test_half_sse_is_the_worked_example_loss():
    E = get_loss("half_sse")
    a = np.array([[0.75136507, 0.772928465]])
    t = np.array([[0.01, 0.99]])
    assert E.value(a, t) == pytest.approx(0.5 * (0.01 - 0.75136507) ** 2 + 0.5 * (0.99 - 0.772928465) ** 2)
    np.testing.assert_allclose(E.terms(a, t).sum(), E.value(a, t))


def test_simplified_deltas_equal_the_full_chain_rule():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 4))
    for loss, act in (("categorical_crossentropy", "softmax"), ("binary_crossentropy", "sigmoid")):
        L, f = get_loss(loss), get_activation(act)
        a = f.forward(z)
        t = np.eye(4)[[0, 2, 3]]
        assert L.pairs_with(f)
        full = f.backward(z, a, L.grad(a, t))
        np.testing.assert_allclose(output_delta(L, f, z, a, t)[1], full, rtol=1e-10)


@pytest.mark.parametrize("bad", ["sigmod", "", None, 3])
def test_unknown_names_are_rejected(bad):
    with pytest.raises(GlassnetError, match="unknown activation"):
        get_activation(bad)
    with pytest.raises(GlassnetError, match="unknown loss"):
        get_loss(bad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_derivatives_keep_the_dtype(name, dtype):
    f = get_activation(name)
    z = np.array([[-2.0, 0.0, 0.5, 3.0]], dtype=dtype)
    a = f.forward(z)
    assert f.derivative(z, a).dtype == dtype
    assert f.backward(z, a, np.ones_like(z)).dtype == dtype


def test_relu_and_leaky_relu_slopes_at_zero_are_those_of_the_left():
    """da/dz = 1 where z > 0, else 0 (relu) or alpha (leaky_relu): at z = 0 exactly, the left's."""
    z = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(get_activation("relu").derivative(z, z), [[0.0, 0.0, 1.0]])
    leaky = get_activation("leaky_relu")
    np.testing.assert_array_equal(leaky.derivative(z, leaky.forward(z)), [[0.01, 0.01, 1.0]])


def test_an_unknown_name_lists_every_known_one():
    with pytest.raises(
        GlassnetError, match="expected one of half_sse, mse, binary_crossentropy, categorical_"
    ):
        get_loss("hinge")
    with pytest.raises(
        GlassnetError, match="expected one of sigmoid, tanh, relu, leaky_relu, softmax, identity"
    ):
        get_activation("swish")


def test_unknown_names_are_refused_with_the_known_ones():
    with pytest.raises(
        GlassnetError, match=r"^unknown loss 'l1'; expected one of half_sse, mse, binary_crossentropy, "
    ):
        get_loss("l1")
    with pytest.raises(
        GlassnetError, match=r"^unknown activation 'gelu'; expected one of sigmoid, tanh, relu, "
    ):
        get_activation("gelu")
