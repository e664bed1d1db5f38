"""The network: construction, names, bias modes, dtypes and bad input."""

import numpy as np
import pytest

from glassnet.core.errors import GlassnetError
from glassnet.core.examples import worked_example
from glassnet.core.network import Network


def test_weights_are_shaped_inputs_by_units():
    net = Network([3, 5, 2])
    assert [layer.W.shape for layer in net.layers] == [(3, 5), (5, 2)]
    assert [layer.b.shape for layer in net.layers] == [(5,), (2,)]


@pytest.mark.parametrize(
    "bias, shapes, names",
    [
        ("per_neuron", [(2,), (2,)], ["b1", "b2", "b3", "b4"]),
        ("shared", [(1,), (1,)], ["b1", "b2"]),
        ("none", [None, None], []),
    ],
)
def test_bias_modes(bias, shapes, names):
    net = Network([2, 2, 2], bias=bias)
    assert [None if layer.b is None else layer.b.shape for layer in net.layers] == shapes
    assert [n for n in net.parameters() if n.startswith("b")] == names


def test_frozen_biases_do_not_move():
    net = Network([2, 2, 2], train_biases=False, init="uniform", seed=0)
    before = {k: v for k, v in net.parameters().items() if k.startswith("b")}
    net.step([0.1, 0.2], [0.0, 1.0], 0.5)
    after = {k: v for k, v in net.parameters().items() if k.startswith("b")}
    assert before == after


def test_several_hidden_layers_get_layered_names():
    net = Network([2, 3, 2, 1])
    assert net.neuron_names == [["i1", "i2"], ["h1_1", "h1_2", "h1_3"], ["h2_1", "h2_2"], ["o1"]]
    refs = {r.name: (r.source, r.targets) for r in net.parameter_refs}
    assert refs["w1"] == ("i1", ("h1_1",)) and refs["w7"] == ("h1_1", ("h2_1",))
    assert refs["w13"] == ("h2_1", ("o1",))


@pytest.mark.parametrize("init", ["uniform", "xavier", "he", "auto"])
def test_initializers_are_seeded(init):
    a = Network([4, 6, 3], init=init, seed=3).parameters()
    b = Network([4, 6, 3], init=init, seed=3).parameters()
    c = Network([4, 6, 3], init=init, seed=4).parameters()
    assert a == b and a != c


def test_uniform_initializer_respects_its_range():
    net = Network([50, 50, 50], init="uniform", init_range=(-0.1, 0.3), seed=0)
    values = np.array(list(net.parameters().values()))
    assert values.min() >= -0.1 and values.max() < 0.3


def test_float32_network_trains_in_float32():
    net = Network([2, 3, 2], dtype="float32", seed=0)
    E = net.step(np.array([[0.05, 0.1]]), np.array([[0.01, 0.99]]), 0.5)
    assert all(layer.W.dtype == np.float32 for layer in net.layers)
    assert net.predict([[0.05, 0.1]]).dtype == np.float32 and np.isfinite(E)


def test_step_never_mutates_the_callers_arrays():
    x, t = np.array([[0.05, 0.1]]), np.array([[0.01, 0.99]])
    net = Network([2, 2, 2], seed=0)
    net.step(x, t, 0.5)
    np.testing.assert_array_equal(x, [[0.05, 0.1]])
    np.testing.assert_array_equal(t, [[0.01, 0.99]])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sizes": [2, 0, 1]}, r"sizes=\[2, 0, 1\]"),
        ({"sizes": [3]}, "at least an input and an output"),
        ({"sizes": [2, 2.5, 1]}, "integers"),
        ({"sizes": [2, 2], "activation": "sigmod"}, "unknown activation 'sigmod'"),
        ({"sizes": [2, 2], "loss": "hinge"}, "unknown loss 'hinge'"),
        ({"sizes": [2, 2], "bias": "some"}, "unknown bias mode 'some'"),
        ({"sizes": [2, 2], "init": "zeros"}, "unknown initializer 'zeros'"),
        ({"sizes": [2, 2], "dtype": "int32"}, "unsupported dtype"),
        ({"sizes": [2, 2, 2], "activation": ["tanh", "relu"]}, "one hidden activation per hidden layer"),
    ],
)
def test_bad_construction(kwargs, match):
    with pytest.raises(GlassnetError, match=match):
        Network(**kwargs)


@pytest.mark.parametrize(
    "x, t, match",
    [
        ([[0.1, 0.2, 0.3]], [[0.0, 1.0]], r"input of shape \(batch, 2\).*\(1, 3\)"),
        ([[0.1, 0.2]], [[0.0]], r"target of shape \(batch, 2\).*\(1, 1\)"),
        ([[0.1, np.nan]], [[0.0, 1.0]], "input contains NaN or inf"),
        ([[0.1, 0.2]], [[np.inf, 1.0]], "target contains NaN or inf"),
        ([["a", "b"]], [[0.0, 1.0]], "input must be numeric"),
        ([[0.1, 0.2], [0.3, 0.4]], [[0.0, 1.0]], "differ in batch size"),
    ],
)
def test_bad_examples(x, t, match):
    with pytest.raises(GlassnetError, match=match):
        Network([2, 2, 2]).step(x, t, 0.5)


@pytest.mark.parametrize("lr", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_learning_rate_names_the_value(lr):
    with pytest.raises(GlassnetError, match=f"lr={lr}"):
        Network([2, 2, 2]).step([0.1, 0.2], [0.0, 1.0], lr)


def test_set_parameters_rejects_unknown_names_and_non_finite_values():
    net = Network([2, 2, 2])
    with pytest.raises(GlassnetError, match="unknown parameter 'w9'"):
        net.set_parameters({"w9": 1.0})
    with pytest.raises(GlassnetError, match="w1=nan"):
        net.set_parameters({"w1": float("nan")})


def test_trace_is_for_one_example():
    with pytest.raises(GlassnetError, match="one example"):
        Network([2, 2, 2]).traced_step(np.zeros((2, 2)), np.zeros((2, 2)), 0.5)


def test_traced_step_refuses_to_update_on_an_infinite_loss():
    net = Network([2, 2], output_activation="identity", loss="mse", seed=0)
    net.set_parameters({"w1": 1e200, "w2": 1e200, "w3": 1e200, "w4": 1e200})
    before = net.parameters()
    with pytest.raises(GlassnetError, match="diverged"):
        net.traced_step([3.0, 4.0], [1.0, 2.0], 0.1)
    assert net.parameters() == before


def test_bad_values_are_quoted_by_their_first_row_not_in_full():
    X = np.zeros((5000, 2))
    X[1234, 1] = np.nan
    with pytest.raises(GlassnetError) as caught:
        Network([2, 1]).predict(X)
    assert "row 1234 of 5000" in str(caught.value) and len(str(caught.value)) < 200


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "binary_crossentropy"])
@pytest.mark.parametrize("output", ["identity", "relu", "tanh"])
def test_cross_entropy_needs_outputs_in_zero_one(loss, output):
    with pytest.raises(GlassnetError, match=r"must lie in \(0, 1\)"):
        Network([2, 2], output_activation=output, loss=loss)


def test_forward_and_predict_take_one_1d_row_and_nested_lists():
    """A 1-D row is one example ((1, outputs), not a batch of scalars); lists are converted."""
    net = Network([3, 4, 2], seed=0)
    row = np.array([0.5, -1.0, 2.0])
    expected = net.predict(row.reshape(1, -1))
    assert net.predict(row).shape == (1, 2)
    np.testing.assert_allclose(net.forward(row), expected)
    np.testing.assert_allclose(net.forward([row.tolist()]), expected)
    np.testing.assert_allclose(net.predict([row.tolist()]), expected)
    with pytest.raises(GlassnetError, match=r"expected input of shape \(batch, 3\)"):
        net.forward(np.ones(4))


def test_a_network_too_large_for_memory_is_refused_before_allocating(monkeypatch):
    from glassnet.core import checks

    monkeypatch.setattr(checks, "physical_memory", lambda: 8 << 30)
    with pytest.raises(GlassnetError, match=r"layers 4,50000,50000,3 .* 18\.6 GiB in float32.* 8\.0 GiB"):
        Network([4, 50000, 50000, 3], dtype="float32")


def test_float32_weights_are_the_float64_draws_rounded():
    from glassnet.core.initializers import initialize_weights

    W = initialize_weights("he", 3, 4, np.random.default_rng(0), "relu", dtype=np.float32)
    assert W.dtype == np.float32  # drawn straight into float32: no float64 matrix as large
    for init in ("he", "xavier", "uniform"):
        w64 = Network([3, 700, 2000, 2], activation="relu", init=init, seed=7, dtype="float64")
        w32 = Network([3, 700, 2000, 2], activation="relu", init=init, seed=7, dtype="float32")
        for l64, l32 in zip(w64.layers, w32.layers, strict=True):
            assert l32.W.dtype == np.float32
            assert np.array_equal(l32.W, l64.W.astype(np.float32))


def test_glorot_draws_weights_and_biases_by_scikit_learns_rule():
    import math

    for hidden, k in (("sigmoid", 2.0), ("relu", 6.0)):
        net = Network([30, 20, 3], activation=hidden, output_activation="softmax", init="glorot", seed=0)
        for layer in net.layers:
            r = math.sqrt(k / sum(layer.W.shape))  # the hidden activation sets every layer's range
            assert np.abs(layer.W).max() <= r and np.abs(layer.W).max() > 0.8 * r
            assert layer.b is not None and 0 < np.abs(layer.b).max() <= r


def test_gradients_by_name_and_the_checks_of_backward_and_update():
    """The hand-run steps: gradients read by name, targets checked, and gradients applied only once."""
    net, x, t, lr = worked_example()
    net.forward(x)
    with pytest.raises(GlassnetError, match="shape"):
        net.backward(np.array([[1.0, 2.0, 3.0]]))
    with pytest.raises(GlassnetError, match="one target row per input row"):
        net.backward(np.zeros((4, 2)))
    net.backward(t)
    assert round(net.gradient("w5"), 9) == 0.082167041
    with pytest.raises(GlassnetError, match="unknown parameter 'w99'"):
        net.gradient("w99")
    net.update(lr)
    assert round(net.parameters()["w5"], 8) == 0.35891648
    with pytest.raises(GlassnetError, match="already applied"):
        net.update(lr)
    assert round(net.parameters()["w5"], 8) == 0.35891648
    net.traced_step(x, t, lr)
    with pytest.raises(GlassnetError, match="already applied"):
        net.update(lr)
    net.step(x, t, lr)
    with pytest.raises(GlassnetError, match="keep_gradients=True"):
        net.gradient("w5")
