"""Backpropagation against finite differences (float64): every activation, loss, and random networks."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from glassnet.core.activations import ACTIVATIONS, get_activation
from glassnet.core.errors import GlassnetError
from glassnet.core.gradcheck import gradient_check
from glassnet.core.losses import LOSSES, get_loss
from glassnet.core.network import BIAS_MODES, Network

LIMIT = 1e-6


def targets_for(loss, rng, batch, outputs):
    if loss == "categorical_crossentropy":
        return np.eye(outputs)[rng.integers(0, outputs, size=batch)]
    if loss == "binary_crossentropy":
        return rng.uniform(0.0, 1.0, size=(batch, outputs))
    return rng.normal(size=(batch, outputs))


# Output activations that make sense for each loss: cross-entropies need outputs in (0, 1).
PAIRINGS = [
    (hidden, out, loss)
    for hidden in ACTIVATIONS
    for loss in LOSSES
    for out in (["sigmoid", "softmax"] if loss.endswith("crossentropy") else list(ACTIVATIONS))
    if not (loss == "categorical_crossentropy" and out == "sigmoid")
]


@pytest.mark.parametrize("hidden, output, loss", PAIRINGS)
def test_every_activation_and_loss_pairing(hidden, output, loss):
    rng = np.random.default_rng(11)
    net = Network([3, 5, 4], activation=hidden, output_activation=output, loss=loss, seed=5)
    x = rng.normal(size=(6, 3))
    report = gradient_check(net, x, targets_for(loss, rng, 6, 4))
    assert sum(e.at_kink for e in report.entries) < len(report.entries) // 4
    assert report.max_relative_error <= LIMIT, report.worst


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_derivative_matches_central_difference(name):
    act = get_activation(name)
    z = np.random.default_rng(0).normal(size=(5, 4)) * 3
    z = z[np.abs(z) > 1e-3].reshape(-1, 4)[:4]  # away from ReLU's kink
    h = 1e-6
    # Jacobian-vector product through backward vs. finite differences along a random direction g.
    g = np.random.default_rng(1).normal(size=z.shape)
    a = act.forward(z)
    analytic = act.backward(z, a, g.copy())
    numeric = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[i] += h
        zm[i] -= h
        numeric[i] = np.sum(g * (act.forward(zp) - act.forward(zm))) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_gradient_matches_central_difference(name):
    rng = np.random.default_rng(2)
    loss = get_loss(name)
    a = rng.uniform(0.1, 0.9, size=(3, 4))
    if name == "categorical_crossentropy":
        a /= a.sum(axis=1, keepdims=True)
    t = targets_for(name, rng, 3, 4)
    h = 1e-6
    numeric = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        ap, am = a.copy(), a.copy()
        ap[i] += h
        am[i] -= h
        numeric[i] = (loss.value(ap, t) - loss.value(am, t)) / (2 * h)
    np.testing.assert_allclose(loss.grad(a, t), numeric, rtol=1e-6, atol=1e-9)


@given(
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=5),
    hidden=st.sampled_from(sorted(ACTIVATIONS)),
    loss=st.sampled_from(sorted(LOSSES)),
    bias=st.sampled_from(BIAS_MODES),
    batch=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_random_architectures(sizes, hidden, loss, bias, batch, seed):
    rng = np.random.default_rng(seed)
    out = {"categorical_crossentropy": "softmax", "binary_crossentropy": "sigmoid"}.get(loss, "identity")
    # a softmax over one unit is refused (it always outputs 1.0)
    assume(not (out == "softmax" and sizes[-1] == 1))
    net = Network(sizes, activation=hidden, output_activation=out, loss=loss, bias=bias, seed=seed)
    report = gradient_check(net, rng.normal(size=(batch, sizes[0])), targets_for(loss, rng, batch, sizes[-1]))
    assume(not any(e.at_kink for e in report.entries))
    assert report.max_relative_error <= LIMIT, report.worst


def test_gradcheck_catches_a_wrong_derivative(monkeypatch):
    """A gradient check that cannot fail is worthless: break sigmoid's derivative and watch it fail."""
    from glassnet.core import activations

    def wrong(self, z, a, grad_a, out=None):
        return np.multiply(grad_a, a, out=grad_a if out is None else out)  # forgot the (1 - a) factor

    monkeypatch.setattr(activations.Sigmoid, "backward", wrong)
    net = Network([2, 3, 2], seed=0)
    rng = np.random.default_rng(0)
    assert gradient_check(net, rng.normal(size=(2, 2)), rng.normal(size=(2, 2))).max_relative_error > 1e-2


def test_gradcheck_leaves_the_network_unchanged():
    net = Network([2, 3, 2], seed=0)
    before = net.parameters()
    rng = np.random.default_rng(0)
    gradient_check(net, rng.normal(size=(2, 2)), rng.normal(size=(2, 2)))
    assert net.parameters() == before


def test_float32_networks_pass_the_gradient_check():
    from glassnet.core.gradcheck import gradient_check

    net = Network([3, 4, 2], activation="tanh", loss="mse", dtype="float32", seed=0)
    rng = np.random.default_rng(0)
    assert gradient_check(net, rng.normal(size=(4, 3)), rng.normal(size=(4, 2))).max_relative_error < 1e-6
    assert net.dtype == np.float32  # checked on a float64 copy


@pytest.mark.parametrize(
    "t",
    [
        np.array([[0.2, 0.3, 0.1], [1.0, 1.0, 0.0]]),  # rows that do not sum to 1
        np.array([[2.0, -1.0, 0.5], [0.0, 0.0, 0.0]]),  # not probabilities at all
    ],
)
def test_softmax_crossentropy_gradient_with_targets_that_are_not_distributions(t):
    net = Network([2, 3, 3], activation="tanh", loss="categorical_crossentropy", seed=4)
    x = np.array([[0.3, -0.7], [1.1, 0.4]])
    assert gradient_check(net, x, t).max_relative_error < 1e-6


def test_a_single_unit_softmax_is_refused():
    with pytest.raises(GlassnetError, match=r"single unit always outputs 1\.0"):
        Network([2, 3, 1], output_activation="softmax")
