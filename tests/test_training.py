"""Step 7: training until converged, and why it stopped."""

from typing import Any, get_args

import numpy as np
import pytest

from glassnet.core.errors import GlassnetError
from glassnet.core.examples import worked_example
from glassnet.core.network import Network
from glassnet.core.optimizers import SGD
from glassnet.core.training import Reason, fit

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_T = np.array([[0], [1], [1], [0]], dtype=float)


def test_xor_learns_to_full_accuracy():
    net = Network(
        [2, 4, 1], activation="sigmoid", loss="half_sse", init="uniform", init_range=(-1, 1), seed=1
    )
    result = fit(net, XOR_X, XOR_T, 2.0, epochs=5000, batch_size=1, seed=1, loss_tol=0.005)
    out = net.predict(XOR_X)
    assert result.reason == "loss_tolerance"
    assert net.loss(out, XOR_T) < 0.01
    assert ((out >= 0.5) == (XOR_T == 1)).all()


def test_same_seed_same_training():
    def run():
        net = Network([2, 3, 1], seed=4)
        fit(net, XOR_X, XOR_T, 0.5, epochs=20, seed=9)
        return net.parameters()

    assert run() == run()


def test_stops_at_loss_tolerance():
    net, x, t, lr = worked_example()
    result = fit(net, x, t, lr, epochs=100_000, loss_tol=1e-3)
    assert result.reason == "loss_tolerance"
    assert result.history[-1].loss <= 1e-3 < result.history[-2].loss
    assert "tolerance" in result.message


def test_stops_when_every_weight_has_converged():
    net, x, t, lr = worked_example()
    result = fit(net, x, t, lr, epochs=1_000_000, weight_tol=1e-6)
    assert result.reason == "weights_converged"
    assert result.history[-1].max_weight_change <= 1e-6 < result.history[-2].max_weight_change


def test_stops_at_max_epochs():
    net, x, t, lr = worked_example()
    result = fit(net, x, t, lr, epochs=7)
    assert (result.reason, result.epochs, result.updates) == ("max_epochs", 7, 7)


def test_stops_without_improvement():
    net = Network([2, 2, 1], seed=0)
    # A learning rate this small cannot improve the loss by min_delta in an epoch.
    result = fit(net, XOR_X, XOR_T, 1e-9, epochs=100, patience=3, min_delta=1e-3)
    assert result.reason == "no_improvement" and result.epochs == 4


def test_divergence_stops_at_once_and_keeps_finite_weights():
    net = Network([2, 8, 1], activation="identity", loss="mse", seed=0)
    X = np.random.default_rng(0).normal(size=(64, 2)) * 100
    T = X.sum(axis=1, keepdims=True)
    result = fit(net, X, T, 10.0, epochs=50, batch_size=8)
    assert result.reason == "diverged"
    assert "lower learning rate" in result.message and f"epoch {result.epochs}" in result.message
    assert all(np.isfinite(v) for v in net.parameters().values())


def test_batches_and_full_batch_agree_for_one_epoch_without_shuffle():
    a = Network([2, 3, 1], seed=2)
    b = Network([2, 3, 1], seed=2)
    fit(a, XOR_X, XOR_T, 0.5, epochs=1, batch_size=None, shuffle=False)
    fit(b, XOR_X, XOR_T, 0.5, epochs=1, batch_size=4, shuffle=True, seed=3)  # order does not matter
    np.testing.assert_allclose(list(a.parameters().values()), list(b.parameters().values()), rtol=1e-12)


def test_every_reason_is_reachable_and_has_a_message():
    """Each stop reason of ``Reason`` happens in some run, with words that say so."""
    net, x, t, lr = worked_example()
    runs = [
        fit(net, x, t, lr, epochs=100_000, loss_tol=1e-3),
        fit(worked_example()[0], x, t, lr, epochs=1_000_000, weight_tol=1e-6),
        fit(Network([2, 2, 1], seed=0), XOR_X, XOR_T, 1e-9, epochs=100, patience=3, min_delta=1e-3),
        fit(worked_example()[0], x, t, lr, epochs=7),
        fit(Network([2, 8, 1], activation="identity", loss="mse", seed=0), XOR_X * 1e3, XOR_T, 1e3, epochs=9),
        fit(worked_example()[0], x, t, lr, epochs=9, stop_requested=lambda: True),
    ]
    words = {
        "loss_tolerance": "tolerance",
        "weights_converged": "every weight has converged",
        "no_improvement": "no improvement",
        "max_epochs": "maximum",
        "diverged": "diverged",
        "interrupted": "interrupted",
    }
    assert sorted(r.reason for r in runs) == sorted(get_args(Reason)) == sorted(words)
    for r in runs:
        assert words[r.reason] in r.message


@pytest.mark.parametrize("stop_after", [5, 8])  # inside epoch 2, and at its end
def test_an_interrupted_run_resumes_bit_for_bit_from_its_results_state(stop_after):
    def run(**kwargs):
        net = Network([2, 3, 1], seed=4)
        return net, fit(net, XOR_X, XOR_T, 0.5, epochs=4, seed=7, **kwargs)

    whole, _ = run()
    updates = []
    part, stopped = run(
        on_batch=lambda *_: updates.append(1), stop_requested=lambda: len(updates) >= stop_after
    )
    assert stopped.reason == "interrupted" and stopped.updates == stop_after
    run_again = Network([2, 3, 1], seed=4)
    run_again.set_weights(part.get_weights())
    fit(run_again, XOR_X, XOR_T, 0.5, epochs=4, seed=None, resume=stopped.state)
    assert run_again.parameters() == whole.parameters()


def test_traced_updates_are_chosen_by_number_and_change_nothing():
    T = np.eye(2)[XOR_T[:, 0].astype(int)]
    plain, traced = Network([2, 3, 2], seed=1), Network([2, 3, 2], seed=1)
    asked, traces = [], []

    def every_third(k):
        asked.append(k)
        return k % 3 == 0

    fit(plain, XOR_X, T, 0.5, epochs=3, seed=2)
    fit(traced, XOR_X, T, 0.5, epochs=3, seed=2, trace=every_third, on_trace=traces.append)
    assert asked == list(range(1, 13)) and len(traces) == 4
    assert traced.parameters() == plain.parameters()
    assert {p.name: p.new for p in traces[-1].parameters} == traced.parameters()  # update 12 was the last


def test_a_trace_follows_one_example():
    with pytest.raises(GlassnetError, match="batch_size=1"):
        fit(Network([2, 2, 1]), XOR_X, XOR_T, 0.5, batch_size=2, trace=lambda k: True, on_trace=print)
    with pytest.raises(GlassnetError, match="on_trace"):
        fit(Network([2, 2, 1]), XOR_X, XOR_T, 0.5, trace=lambda k: True)


def test_an_update_that_overflows_the_weights_restores_the_epochs_first_weights():
    net = Network([2, 3, 1], activation="identity", loss="mse", seed=0)
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    T = np.array([[5.0], [-4.0], [2.0]])
    opt = SGD(0.01)
    starts = [[p.copy() for p in net.trainable]]

    def on_epoch(info):
        starts.append([p.copy() for p in net.trainable])
        if info.epoch == 2:  # epoch 3's first update: a finite loss, but lr * grad overflows to inf
            opt.lr = 1e308

    result = fit(net, X, T, opt, epochs=5, batch_size=1, seed=0, on_epoch=on_epoch)
    assert result.reason == "diverged" and result.epochs == 3 and result.updates == 7  # the 7th overflowed
    assert "restored the weights from the start of epoch 3" in result.message
    assert [h.loss for h in result.history] == pytest.approx([10.72, 5.24], abs=0.01)  # it was learning
    for restored, start in zip(net.trainable, starts[2], strict=True):
        np.testing.assert_array_equal(restored, start)
    assert not np.array_equal(starts[2][0], starts[0][0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"loss_tol": -1.0}, "loss_tol"),
        ({"weight_tol": float("nan")}, "weight_tol"),
        ({"patience": 0}, "patience"),
    ],
)
def test_bad_settings(kwargs, match):
    with pytest.raises(GlassnetError, match=match):
        fit(Network([2, 2, 1]), XOR_X, XOR_T, 0.5, **kwargs)


def test_training_data_with_nan_is_rejected():
    X = XOR_X.copy()
    X[2, 1] = np.nan
    with pytest.raises(GlassnetError, match="row 2"):
        fit(Network([2, 2, 1]), X, XOR_T, 0.5)


def test_fit_never_changes_the_callers_arrays():
    X, T = XOR_X.copy(), XOR_T.copy()
    fit(Network([2, 2, 1], seed=0), X, T, 0.5, epochs=3, batch_size=2, seed=0)
    np.testing.assert_array_equal(X, XOR_X)
    np.testing.assert_array_equal(T, XOR_T)


def test_fit_never_ends_with_infinite_weights():
    net = Network([2, 2], output_activation="identity", loss="mse", seed=0)
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    result = fit(net, X, X, 1e300, epochs=5, shuffle=False)
    assert result.reason == "diverged"
    assert all(np.isfinite(v) for v in net.parameters().values())


# ------------------------------------------------------------------ example weights
def _weight_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 3))
    T = np.eye(2)[(X[:, 0] > 0.3).astype(int)]
    return X, T


def test_all_ones_sample_weight_gives_the_unweighted_numbers_bit_for_bit() -> None:
    X, T = _weight_data()
    runs = []
    for sw in (None, np.ones(40)):
        net = Network([3, 4, 2], activation="tanh", loss="categorical_crossentropy", seed=0)
        fit(net, X, T, 0.1, epochs=3, batch_size=8, seed=1, sample_weight=sw)
        runs.append(net.get_weights())
    for (W0, b0), (W1, b1) in zip(*runs, strict=True):
        assert np.array_equal(W0, W1) and np.array_equal(b0, b1)


def test_sample_weight_is_a_weighted_mean_of_loss_and_gradient() -> None:
    """Full batch: weighting an example by 2 is duplicating it."""
    X, T = _weight_data()
    w = np.ones(40)
    w[:10] = 2.0
    net_w = Network([3, 4, 2], activation="tanh", loss="categorical_crossentropy", seed=0)
    res_w = fit(net_w, X, T, 0.1, epochs=2, batch_size=None, shuffle=False, sample_weight=w)
    net_d = Network([3, 4, 2], activation="tanh", loss="categorical_crossentropy", seed=0)
    Xd, Td = np.vstack([X, X[:10]]), np.vstack([T, T[:10]])
    res_d = fit(net_d, Xd, Td, 0.1, epochs=2, batch_size=None, shuffle=False)
    assert res_w.history[0].loss == pytest.approx(res_d.history[0].loss, rel=1e-12)
    for (W0, _), (W1, _) in zip(net_w.get_weights(), net_d.get_weights(), strict=True):
        np.testing.assert_allclose(W0, W1, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("bad", [np.ones(5), [1.0] * 39 + [-1.0], [1.0] * 39 + [np.nan], np.zeros(40)])
def test_bad_sample_weight_is_refused(bad: Any) -> None:
    X, T = _weight_data()
    net = Network([3, 2], loss="categorical_crossentropy", seed=0)
    with pytest.raises(GlassnetError, match=r"sample.weight"):
        fit(net, X, T, 0.1, epochs=1, sample_weight=bad)


def test_early_stopping_can_watch_validation_accuracy() -> None:
    X, T = _weight_data()
    net = Network([3, 8, 2], activation="tanh", loss="categorical_crossentropy", seed=0)
    result = fit(
        net,
        X[:30],
        T[:30],
        0.5,
        epochs=500,
        patience=3,
        classification=True,
        validation=(X[30:], T[30:]),
        monitor="val_accuracy",
    )
    assert result.reason == "no_improvement"
    assert "best validation accuracy" in result.message
    best = max(info.val_accuracy for info in result.history if info.val_accuracy is not None)
    assert result.history[(result.best_epoch or 0) - 1].val_accuracy == best
    with pytest.raises(GlassnetError, match="validation set"):
        fit(net, X, T, 0.1, epochs=1, classification=True, monitor="val_accuracy")
    with pytest.raises(GlassnetError, match="monitor"):
        fit(net, X, T, 0.1, epochs=1, monitor="accuracy")  # type: ignore[arg-type]


def test_a_trace_refuses_sample_weights() -> None:
    X, T = _weight_data()
    net = Network([3, 2], loss="categorical_crossentropy", seed=0)
    w = np.arange(40.0)
    with pytest.raises(GlassnetError, match="unweighted"):
        fit(net, X, T, 0.1, epochs=1, trace=lambda k: True, on_trace=lambda tr: None, sample_weight=w)
