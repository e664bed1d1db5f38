"""Values that a new user passed through the Python API and that got a bare TypeError, NumPy's own error or
nothing at all: each is now refused in one sentence that quotes it (found by trying the library from outside;
the options test covers the table's own ranges at every edge)."""

import numpy as np
import pytest

import glassnet
from glassnet import Network, fit, make_optimizer, train
from glassnet.core.errors import GlassnetError

X = np.random.default_rng(0).normal(size=(20, 2))
Y = np.arange(20) % 2
T = np.eye(2)[Y]


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: train(X, Y, seed=-1), "seed must be an integer >= 0 or None; received: seed=-1"),
        (lambda: train(X, Y, seed=1.5), "received: seed=1.5"),
        (lambda: fit(Network([2, 2]), X, T, 0.1, seed=True), "received: seed=True"),
        (lambda: fit(Network([2, 2]), X, T, 0.1, seed=2**200), "seed must be at most 2**128 - 1"),
        (lambda: train(X, Y, layers="3,4"), "layers must be a list of hidden layer sizes"),
        (lambda: train(X, Y, layers=[0]), "received: layers=[0]"),
        (lambda: train(X, Y, layers=[True]), "received: layers=[True]"),
        (lambda: Network("3,,4"), "received: sizes='3,,4'"),
        (lambda: Network([2, 3, 2], train_biases="no"), "train_biases must be True or False"),
        (lambda: Network([2, 3, 2], init="uniform", init_range="0.5"), "init_range must be two finite"),
        (lambda: Network([2, 3, 2], init="uniform", init_range=(1,)), "received: (1,)"),
        (lambda: make_optimizer("sgd", 0.1, momentum=0.5), "sgd takes no option 'momentum'"),
        (lambda: make_optimizer("nesterov", 0.1, beta1=0.5), "nesterov takes no option 'beta1'"),
    ],
)
def test_a_bad_value_is_refused_in_words_that_quote_it(call, words):
    with pytest.raises(GlassnetError) as caught:
        call()
    assert words in str(caught.value)


def test_the_optimizers_take_their_own_options_by_name():
    assert make_optimizer("nesterov", 0.1, momentum=0.5).nesterov
    assert make_optimizer("momentum", 0.1, momentum=0.5, weight_decay=0.1).momentum == 0.5
    assert make_optimizer("adam", 0.1, beta1=0.8).beta1 == 0.8


@pytest.mark.parametrize("package", [glassnet, glassnet.io, glassnet.explain])
def test_dir_lists_the_names_loaded_on_first_use(package):
    assert set(package.__all__) <= set(dir(package))


@pytest.mark.parametrize("loss", ["binary_crossentropy", "categorical_crossentropy"])
@pytest.mark.parametrize("bad", [2.0, -0.5])
def test_a_cross_entropy_refuses_targets_that_are_not_probabilities(loss, bad):
    """Beyond [0, 1] a cross-entropy turns negative and training runs away (a new user saw E = -2.5)."""
    net = Network([2, 3, 2], loss=loss, seed=0)
    targets = np.array([[0.0, 1.0], [bad, 0.0]])
    for call in (
        lambda: net.step(X[:2], targets, 0.1),
        lambda: net.traced_step(X[:2], targets, 0.1),
        lambda: fit(net, X[:2], targets, 0.1, epochs=1),
    ):
        with pytest.raises(
            GlassnetError, match=rf"every target must lie in \[0, 1\]; received {bad!r} \(row 1"
        ):
            call()
    net.step(X[:2], np.array([[0.0, 1.0], [0.25, 0.75]]), 0.1)  # probabilities are fine
    Network([2, 3, 2], loss="mse", seed=0).step(X[:2], targets, 0.1)  # and any number for the others
