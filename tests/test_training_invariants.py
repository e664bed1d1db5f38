"""The training loop against independent computations: weighted shuffled batches, chunked evaluation, the
divergence rule's floor, and the rows of the next update."""

import math

import numpy as np
import pytest

from glassnet.core.network import Network
from glassnet.core.optimizers import SGD
from glassnet.core.training import (
    LOSS_FLOOR,
    EpochInfo,
    TrainingState,
    _exploded,
    evaluate,
    fit,
)

from . import plain_numpy


@pytest.mark.parametrize("loss, output", [("mse", "identity"), ("categorical_crossentropy", "softmax")])
def test_weighted_shuffled_batches_equal_plain_numpy_with_rows_and_weights_gathered_independently(
    loss, output
):
    """Two epochs of shuffled batches of 3 (the last one short) with weights 1, 2, 3, ...: glassnet's
    weights afterwards equal a plain NumPy run that gathers each batch's rows and weights itself, forms
    each example's gradient alone (plain_numpy, one row at a time) and takes their weighted mean."""
    rng = np.random.default_rng(4)
    n, sizes, lr, seed = 11, [3, 4, 3], 0.2, 9
    X = rng.normal(size=(n, 3))
    T = np.eye(3)[rng.integers(0, 3, size=n)] if loss != "mse" else rng.normal(size=(n, 3))
    w = np.arange(1.0, n + 1)
    net = Network(sizes, activation="tanh", output_activation=output, loss=loss, seed=2)
    weights = [W for W, _ in net.get_weights()]
    biases = [b for _, b in net.get_weights()]
    fs = ["tanh", output]
    fit(net, X, T, SGD(lr), epochs=2, batch_size=3, shuffle=True, seed=seed, sample_weight=w)

    normalized = w * n / w.sum()  # documented: the weights are scaled to mean 1 over the training set
    order_rng = np.random.default_rng(seed)  # documented: each epoch permutes the rows with this Generator
    for _ in range(2):
        order = order_rng.permutation(n)
        for start in range(0, n, 3):
            rows = order[start : start + 3]
            m = len(rows)
            total_W = [np.zeros_like(W) for W in weights]
            total_b = [np.zeros_like(b) for b in biases]
            for i in rows:
                x, t = X[i : i + 1], T[i : i + 1]
                zs, acts = plain_numpy.forward(weights, biases, fs, x)
                gW, gb = plain_numpy.backward(weights, biases, fs, loss, zs, acts, t)
                for l in range(len(weights)):
                    total_W[l] += normalized[i] / m * gW[l]
                    total_b[l] += normalized[i] / m * gb[l]
            weights, biases = plain_numpy.update(weights, biases, total_W, total_b, lr)
    for layer, W, b in zip(net.layers, weights, biases, strict=True):
        np.testing.assert_allclose(layer.W, W, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(layer.b, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("loss, output", [("mse", "sigmoid"), ("categorical_crossentropy", "softmax")])
def test_evaluate_in_chunks_equals_one_full_forward_pass(loss, output):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(23, 4))
    T = np.eye(3)[rng.integers(0, 3, size=23)]
    net = Network([4, 5, 3], activation="relu", output_activation=output, loss=loss, seed=1)
    (z, a) = net.propagate(X)[-1]
    full_loss = net.loss(a, T, z)
    full_accuracy = float(np.mean(a.argmax(axis=1) == T.argmax(axis=1)))
    for chunk in (1, 4, 10, 23, 100):
        loss_value, accuracy = evaluate(net, X, T, batch_size=chunk)
        assert loss_value == pytest.approx(full_loss, rel=1e-12), chunk
        assert accuracy == pytest.approx(full_accuracy, rel=1e-12), chunk


def _state(initial_loss: float) -> TrainingState:
    state = TrainingState(0, 0, np.arange(4), {}, 0.1, initial_loss=initial_loss)
    state.history.append(EpochInfo(1, initial_loss, 0.0, 0.1))
    return state


def test_the_divergence_rule_does_not_fire_on_a_small_rise_from_a_small_starting_loss():
    """A run that starts at loss 0.001 and rises to 0.5 has not diverged: the rule compares with
    max(starting loss, LOSS_FLOOR), not with the tiny starting loss alone."""
    start = 0.001
    assert 0.5 > 100 * start and 0.5 < 100 * LOSS_FLOOR
    assert _exploded(_state(start), EpochInfo(2, 0.5, 0.0, 0.1)) is None
    assert "exploded" in (_exploded(_state(start), EpochInfo(2, 101.0 * LOSS_FLOOR, 0.0, 0.1)) or "")
    assert "exploded" in (_exploded(_state(5.0), EpochInfo(2, 501.0, 0.0, 0.1)) or "")


def test_a_run_starting_near_zero_loss_trains_on_without_diverging():
    """fit itself: a linear model started at the exact answer (loss ~0) with a learning rate that makes
    the loss rise above 100 times its start but stay far below 100 x LOSS_FLOOR runs all its epochs."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 2))
    T = X @ np.array([[1.0], [-2.0]]) + 0.05 * rng.normal(size=(40, 1))
    net = Network([2, 1], activation="identity", loss="mse", seed=0)
    net.set_weights([(np.array([[1.0], [-2.0]]), np.zeros(1))])
    result = fit(net, X, T, SGD(0.45), epochs=30, batch_size=1, seed=0)
    first = result.history[0].loss
    assert result.reason == "max_epochs", result.message
    assert max(h.loss for h in result.history) > 100 * min(first, 0.0025)


@pytest.mark.parametrize("stop_after", [0, 1, 2, 6, 7, 8, 13])
def test_next_rows_names_the_row_of_the_next_update_wherever_the_run_stands(stop_after):
    """After any number of updates (mid-epoch, at an epoch's end, in a later epoch), ``next_rows`` names
    the row the run's next update takes: checked against the input that update's trace shows."""
    n, seed = 7, 5
    X = np.arange(n, dtype=float)[:, None] * np.ones((1, 2))  # row i holds (i, i): its trace names it
    T = np.zeros((n, 1))
    net = Network([2, 1], activation="identity", loss="mse", seed=0)
    state = TrainingState.start(n, seed, lr=1e-3)
    if stop_after:
        updates = []
        result = fit(
            net, X, T, SGD(1e-3), epochs=10, batch_size=1, seed=seed,
            on_batch=lambda epoch, batch, E: updates.append(batch),
            stop_requested=lambda: len(updates) >= stop_after,
        )  # fmt: skip
        state = result.state
        assert state is not None and state.updates == stop_after
    expected = state.next_rows(1)
    seen: list[int] = []
    fit(
        net, X, T, SGD(1e-3), epochs=None, max_updates=state.updates + 1, batch_size=1, resume=state,
        trace=lambda k: k == 1, on_trace=lambda tr: seen.append(int(tr.inputs["i1"])),
    )  # fmt: skip
    assert seen == [int(expected[0])]
    assert math.isfinite(float(expected[0]))
