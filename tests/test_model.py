"""Models on raw data: standardization, labels, validation and early stopping."""

from typing import Any

import numpy as np
import pytest

from glassnet.core.errors import GlassnetError
from glassnet.core.model import Standardizer, balanced_weights, split_rows, train
from glassnet.io.modelfile import load_model, save_model


def blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    X = rng.normal(size=(n, 4)) + np.eye(3, 4)[y] * 4 + np.array([100.0, -50.0, 0.0, 1e3])
    labels = np.array(["red", "green", "blue"], dtype=object)[y]
    return X, labels


def test_classifier_learns_and_maps_labels_back():
    X, y = blobs()
    model, result = train(X, y, layers=[16], epochs=30, batch_size=16, seed=0)
    assert model.classes == ["blue", "green", "red"]
    assert np.mean(model.predict(X) == y) > 0.95
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert model.network.dtype == np.float32
    assert len(result.history) == 30 and result.history[-1].val_accuracy is not None


def test_standardization_is_fitted_on_training_rows_only():
    X, y = blobs()
    model, _ = train(X, y, layers=[4], epochs=1, validation_split=0.2, seed=5)
    order = np.random.default_rng(5).permutation(len(y))
    train_rows = np.sort(order[round(0.2 * len(y)) :])
    np.testing.assert_allclose(model.scaler.mean, X[train_rows].mean(axis=0))
    assert not np.allclose(model.scaler.mean, X.mean(axis=0))


def test_regression_with_standardized_targets():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 3))
    y = 1000 + 300 * X[:, 0] - 200 * X[:, 1] ** 2
    model, _ = train(X, y, task="regression", layers=[32], epochs=60, batch_size=16, lr=3e-3, seed=0)
    pred = model.predict(X)
    assert pred.shape == (400,)
    assert 1 - np.mean((pred - y) ** 2) / np.var(y) > 0.95


def test_early_stopping_restores_the_best_weights():
    X, y = blobs(120)
    flip = np.random.default_rng(1).random(120) < 0.4  # noisy labels: the validation loss turns up
    y = np.where(flip, np.roll(y, 1), y)
    model, result = train(X, y, layers=[64, 64], epochs=400, batch_size=8, lr=0.01, patience=5, seed=0)
    assert result.reason == "no_improvement"
    best = min(h.val_loss for h in result.history)
    assert result.history[result.best_epoch - 1].val_loss == best
    assert "restored" in result.message
    assert len(model.history) == result.epochs > result.best_epoch
    order = np.random.default_rng(0).permutation(len(y))
    val_rows = np.sort(order[: round(0.1 * len(y))])
    out = model.outputs(X[val_rows])
    E = model.network.loss(out, model.encode_targets(y[val_rows]))
    assert E == pytest.approx(best, rel=1e-5)


def test_single_class_and_bad_shapes_are_rejected():
    X = np.ones((10, 2))
    with pytest.raises(GlassnetError, match="single class"):
        train(X, ["a"] * 10)
    with pytest.raises(GlassnetError, match="differ in rows"):
        train(X, ["a", "b"])
    with pytest.raises(GlassnetError, match="unknown task"):
        train(X, ["a", "b"] * 5, task="ranking")


def test_labels_never_seen_in_training():
    X, y = blobs(60)
    model, _ = train(X, y, layers=[4], epochs=1)
    with pytest.raises(GlassnetError, match="labels never seen in training: purple"):
        model.encode_targets(["red", "purple"])


def test_feature_count_must_match():
    X, y = blobs(60)
    model, _ = train(X, y, layers=[4], epochs=1)
    with pytest.raises(GlassnetError, match="expected 4 feature columns"):
        model.predict(np.ones((2, 3)))


def test_standardizer_handles_constant_columns():
    s = Standardizer.fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
    np.testing.assert_array_equal(s.scale, [1.0, 1.0])
    np.testing.assert_array_equal(s.transform(np.array([[2.0, 5.0]])), [[0.0, 0.0]])


@pytest.mark.parametrize(
    "n, fraction, seed", [(1, 0.0, 0), (10, 0.1, 0), (150, 0.2, 3), (999, 0.25, 42), (7, 0.5, 11)]
)
def test_split_rows_holds_out_the_first_rows_of_the_seeds_permutation(n, fraction, seed):
    train_rows, held = split_rows(n, fraction, seed)
    order = np.random.default_rng(seed).permutation(n)
    k = round(n * fraction)
    assert held.tolist() == sorted(order[:k].tolist()) and train_rows.tolist() == sorted(order[k:].tolist())


def test_split_rows_never_holds_out_every_row():
    with pytest.raises(GlassnetError, match="too few"):
        split_rows(1, 0.9, 0)
    train_rows, held = split_rows(10, 0.99, 0, keep_one=True)
    assert len(train_rows) == 1 and len(held) == 9
    with pytest.raises(GlassnetError, match=r"\[0, 1\)"):
        split_rows(10, 1.0, 0)


@pytest.mark.needs("sklearn")
def test_the_model_the_estimators_and_the_loader_hold_out_the_same_rows():
    from glassnet.io.data import generate, load
    from glassnet.sklearn import GlassClassifier

    X, y = blobs(120)
    train_rows, _ = split_rows(120, 0.25, 7)
    model, _ = train(X, y, layers=[4], epochs=1, validation_split=0.25, seed=7)
    np.testing.assert_array_equal(model.scaler.mean, Standardizer.fit(X[train_rows]).mean)

    moons, (train_rows, test_rows) = generate("moons", seed=7), split_rows(400, 0.2, 7)
    dataset = load("moons", seed=7)
    np.testing.assert_array_equal(dataset.train.X, moons.X[train_rows])
    np.testing.assert_array_equal(dataset.test.X, moons.X[test_rows])

    clf = GlassClassifier(hidden_layer_sizes=(4,), max_iter=1, validation_fraction=0.25, random_state=0)
    clf.set_params(early_stopping=True).fit(X, y)
    seed = int(np.random.RandomState(0).randint(0, 2**31 - 1))  # the seed the estimator draws
    train_rows, held = split_rows(120, 0.25, seed, keep_one=True)
    assert clf.t_ == len(train_rows)
    assert clf.validation_scores_ == [pytest.approx(np.mean(clf.predict(X[held]) == y[held]))]


def test_infinite_validation_loss_does_not_break_saving(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = X[:, 0] * 2.0
    first_validation_row = np.random.default_rng(5).permutation(40)[0]
    y[first_validation_row] = 1e200
    model, _ = train(X, y, task="regression", layers=[4], epochs=2, dtype="float64", seed=5)
    assert all(np.isfinite(v) for h in model.history for v in h.values())
    save_model(model, tmp_path / "r.safetensors")
    assert load_model(tmp_path / "r.safetensors").history == model.history


def test_a_class_seen_only_in_validation_rows_is_still_a_class():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    y = np.array(["a", "b"] * 25, dtype=object)
    y[np.random.default_rng(4).permutation(50)[0]] = "c"
    model, _ = train(X, y, layers=[4], epochs=1, seed=4)
    assert model.classes == ["a", "b", "c"]


# ------------------------------------------------------------------ features by name (issue 11, item 2)
@pytest.fixture(scope="module")
def named_model():
    X, y = blobs(120)
    names = ["alpha", "beta", "gamma", "delta"]
    model, _ = train(X, y, feature_names=names, layers=[8], epochs=20, batch_size=16, seed=0)
    return model, X, y, names


def test_a_dataframe_is_matched_by_column_name():
    pd = pytest.importorskip("pandas")
    X, y = blobs(120)
    names = ["alpha", "beta", "gamma", "delta"]
    model, _ = train(X, y, feature_names=names, layers=[8], epochs=20, batch_size=16, seed=0)
    df = pd.DataFrame(X, columns=names)
    expected = model.predict(X)
    reversed_df = df.iloc[:, ::-1]
    np.testing.assert_array_equal(model.predict(reversed_df), expected)
    np.testing.assert_array_equal(model.predict_proba(reversed_df), model.predict_proba(X))
    with_extra = reversed_df.assign(notes=np.arange(len(df)), label=y)  # extra columns are ignored
    np.testing.assert_array_equal(model.predict(with_extra), expected)
    before = reversed_df.copy()
    model.predict(reversed_df)
    pd.testing.assert_frame_equal(reversed_df, before)  # the caller's frame is left as it was


def test_a_dataframe_without_the_features_is_refused_by_name(named_model):
    pd = pytest.importorskip("pandas")
    model, X, _, names = named_model
    df = pd.DataFrame(X, columns=names).drop(columns=["beta", "delta"])
    with pytest.raises(GlassnetError, match="lacks 2 feature columns the model was trained on: beta, delta"):
        model.predict(df)
    with pytest.raises(GlassnetError, match="column names"):
        model.predict(pd.DataFrame(X, columns=[1.5, 2.5, 3.5, 4.5]))
    with pytest.raises(GlassnetError, match="more than one column named 'alpha'"):
        model.predict(pd.DataFrame(np.c_[X, X[:, :1]], columns=[*names, "alpha"]))
    text = pd.DataFrame(X, columns=names).astype({"gamma": object})
    text.loc[3, "gamma"] = "n/a"
    with pytest.raises(GlassnetError, match="feature column 'gamma' is not numeric"):
        model.predict(text)


def test_a_dataframe_with_positional_columns_is_taken_in_order(named_model):
    pd = pytest.importorskip("pandas")
    model, X, _, _ = named_model
    np.testing.assert_array_equal(model.predict(pd.DataFrame(X)), model.predict(X))
    with pytest.raises(GlassnetError, match="expected 4 feature columns"):
        model.predict(pd.DataFrame(X[:, :3]))


def test_an_array_of_the_wrong_width_names_the_expected_features(named_model):
    model, X, _, _ = named_model
    with pytest.raises(GlassnetError, match=r"expected 4 feature columns \(alpha, beta, gamma, delta\)"):
        model.predict(X[:, :3])
    with pytest.raises(GlassnetError, match=r"one example.*reshape\(1, -1\)"):
        model.predict(X[0])
    np.testing.assert_array_equal(model.predict(X[:5].tolist()), model.predict(X[:5]))  # nested lists
    with pytest.raises(GlassnetError, match="not numeric"):
        model.predict([["a", "b", "c", "d"]])


# ------------------------------------------------------------------ labels keep their type (item 3)
def test_integer_labels_stay_integers():
    X, labels = blobs(120)
    y = np.unique(labels, return_inverse=True)[1]  # numpy integers 0, 1, 2
    model, _ = train(X, y, layers=[8], epochs=20, batch_size=16, seed=0)
    assert model.classes == [0, 1, 2] and all(type(c) is int for c in model.classes)
    pred = model.predict(X)
    assert all(type(v) is int for v in pred.tolist())
    assert float(np.mean(pred == y)) > 0.9
    # a label written 1.0 or held as a numpy integer is class 1; the text "1" is not
    np.testing.assert_array_equal(model.encode_targets([1.0, np.int64(2), 0]), np.eye(3)[[1, 2, 0]])
    with pytest.raises(GlassnetError, match=r"labels never seen in training: '1' \(a string\)"):
        model.encode_targets(["1"])
    with pytest.raises(GlassnetError, match=r"labels never seen in training: 1\.5"):
        model.encode_targets([1.5])
    with pytest.raises(GlassnetError, match=r"never seen in training: True \(true/false\)"):
        model.encode_targets([True])  # True == 1 in Python, but it is not the class 1
    with pytest.raises(GlassnetError, match=r"labels must be strings, numbers or true/false; received \[1\]"):
        model.encode_targets(np.array([0, [1]], dtype=object))


def test_float_labels_stay_floats_and_equal_integers_are_one_class():
    X, _ = blobs(60)
    y = np.tile([0.0, 1.0, 2.5], 20)
    model, _ = train(X, y, layers=[4], epochs=1, seed=0)
    assert model.classes == [0.0, 1.0, 2.5] and all(type(c) is float for c in model.classes)
    mixed = np.array([0, 1.0, 1, 0.0] * 15, dtype=object)  # 1.0 and 1 are one class: the int
    model, _ = train(X, mixed, layers=[4], epochs=1, seed=0)
    assert model.classes == [0, 1] and all(type(c) is int for c in model.classes)


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        (["a", 1] * 30, "mix"),
        ([True, 1, False, 0] * 15, "mix"),
        ([0.0, 1.0, float("nan")] * 20, "NaN"),
        (np.array([0.0, 1.0, np.nan] * 20, dtype=np.float32), "NaN"),
        (["a", None, "b"] * 20, "None"),
        ([b"a", b"b"] * 30, "must be strings, numbers or true/false; received b'a'"),
    ],
)
def test_labels_that_cannot_be_classes_are_refused(labels, match):
    X, _ = blobs(60)
    with pytest.raises(GlassnetError, match=match):
        train(X, labels, layers=[4], epochs=1)


def test_train_class_weight_balanced_and_mapping() -> None:

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2))
    y = np.where(X[:, 0] > 1.0, "rare", "common")
    _, plain = train(X, y, layers=[4], epochs=2, seed=0)
    _, ones = train(X, y, layers=[4], epochs=2, seed=0, class_weight={"rare": 1, "common": 1})
    assert plain.history[0].loss == ones.history[0].loss
    _, bal = train(X, y, layers=[4], epochs=2, seed=0, class_weight="balanced")
    assert bal.history[0].loss != plain.history[0].loss
    with pytest.raises(GlassnetError, match="'unknown'"):
        train(X, y, layers=[4], epochs=1, class_weight={"unknown": 2})
    with pytest.raises(GlassnetError, match="balanced"):
        train(X, y, layers=[4], epochs=1, class_weight="balance")
    with pytest.raises(GlassnetError, match="one weight per row"):
        train(X, y, layers=[4], epochs=1, sample_weight=np.ones(3))


def test_balanced_weights_give_every_class_the_same_total() -> None:
    labels = np.array(["b", "a", "b", "c", "b", "b", "a", "c", "b"])
    w = balanced_weights(labels)
    counts = {"a": 2, "b": 5, "c": 2}
    assert w.tolist() == [9 / (3 * counts[label]) for label in labels]  # n_samples / (n_classes * count)
    assert [w[labels == c].sum() for c in "abc"] == pytest.approx([3.0, 3.0, 3.0])
    # a class the model knows but these rows lack still counts in n_classes
    assert balanced_weights(labels, classes=["a", "b", "c", "d"]).tolist() == [
        9 / (4 * counts[label]) for label in labels
    ]
    assert balanced_weights([True, False, False, 7 > 3]).tolist() == [1.0, 1.0, 1.0, 1.0]


def test_train_balanced_is_sample_weight_balanced_weights() -> None:
    """train's class_weight="balanced" weighs the training rows with balanced_weights, nothing else."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 2))
    y = np.where(X[:, 0] > 0.8, "rare", "common")
    run = dict(layers=[4], epochs=2, seed=0, validation_split=0.0)  # every row trains
    _, by_class = train(X, y, class_weight="balanced", **run)
    _, by_rows = train(X, y, sample_weight=balanced_weights(y), **run)
    assert [e.loss for e in by_class.history] == [e.loss for e in by_rows.history]


@pytest.mark.needs("sklearn")
def test_balanced_weights_are_scikit_learns() -> None:
    from sklearn.utils.class_weight import compute_sample_weight

    labels = np.random.default_rng(2).choice(["x", "y", "z"], size=200, p=[0.7, 0.2, 0.1])
    np.testing.assert_array_equal(balanced_weights(labels), compute_sample_weight("balanced", labels))
    numbers = np.random.default_rng(3).integers(0, 5, size=77)
    np.testing.assert_array_equal(balanced_weights(numbers), compute_sample_weight("balanced", numbers))


@pytest.mark.needs("sklearn")
def test_an_exploding_loss_is_divergence_not_success() -> None:
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    _, result = train(X, y, task="regression", optimizer="adam", lr=100.0, epochs=20, seed=0)
    assert result.reason == "diverged"
    assert "exploded" in result.message and "100 x max(its starting value" in result.message
    _, ok = train(X, y, task="regression", optimizer="adam", lr=1e-3, epochs=20, seed=0)
    assert ok.reason == "max_epochs"


def test_train_init_chooses_the_first_weights() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = np.where(X[:, 0] > 0, "a", "b")
    first = {}
    for init in ("auto", "he", "xavier", "uniform"):
        model, _ = train(X, y, layers=[5], epochs=1, init=init, seed=0)
        first[init] = model.network.layers[0].W.copy()
    assert not np.array_equal(first["he"], first["xavier"])
    with pytest.raises(GlassnetError, match="initializer"):
        train(X, y, layers=[5], epochs=1, init="lecun")


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_no_hidden_layers_trains_saves_loads_and_predicts(task: str, tmp_path: Any) -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 2))
    y: Any = np.where(X[:, 0] + X[:, 1] > 0, "p", "n") if task == "classification" else 3 * X[:, 0] - X[:, 1]
    model, result = train(X, y, task=task, layers=[], epochs=30, lr=0.05, batch_size=16, seed=0)
    assert model.network.sizes == [2, 2 if task == "classification" else 1]
    assert result.reason == "max_epochs"
    path = tmp_path / "m.safetensors"
    save_model(model, path)
    loaded = load_model(path)
    if task == "classification":
        assert np.array_equal(loaded.predict(X), model.predict(X))
        assert float(np.mean(loaded.predict(X) == y)) > 0.9
    else:
        np.testing.assert_allclose(loaded.predict(X), model.predict(X))


def test_train_refuses_layers_that_do_not_fit_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    from glassnet.core import checks

    monkeypatch.setattr(checks, "physical_memory", lambda: 16 << 30)
    X = np.zeros((10, 4))
    y = np.array(["a", "b"] * 5)
    with pytest.raises(GlassnetError, match=r"layers 4,50000,50000,2 .*GiB.* 16\.0 GiB of memory"):
        train(X, y, layers=[50000, 50000], epochs=1)


def test_train_continues_from_a_saved_model(tmp_path: Any) -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 2)) * 5 + 3
    y = np.where(X[:, 0] > 3, "hi", "lo")
    first, r1 = train(X, y, layers=[8], activation="tanh", epochs=5, seed=0)
    path = tmp_path / "m.safetensors"
    save_model(first, path)
    saved = load_model(path)
    before = saved.network.get_weights()
    more, _ = train(X[:60] * 2, y[:60], layers=[8], epochs=5, seed=0, init_from=saved)
    assert more.scaler is saved.scaler  # the saved model's standardization, not one fitted on this data
    assert [a.name for a in more.network.activations] == ["tanh", "softmax"]
    _, r3 = train(X, y, layers=[8], epochs=5, seed=0, init_from=saved)
    assert r3.history[0].loss < r1.history[-1].loss < r1.history[0].loss  # it goes on where it stopped
    for (W0, _), (W1, _) in zip(before, saved.network.get_weights(), strict=True):
        assert np.array_equal(W0, W1)  # the saved model is left alone
    with pytest.raises(GlassnetError, match="layer sizes"):
        train(X, y, layers=[9], epochs=1, init_from=saved)
    with pytest.raises(GlassnetError, match="feature names"):
        train(X, y, layers=[8], epochs=1, feature_names=["p", "q"], init_from=saved)
    with pytest.raises(GlassnetError, match="task"):
        train(X, X[:, 0], task="regression", layers=[8], epochs=1, init_from=saved)


def test_resume_with_more_epochs_than_the_checkpoint_planned() -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 2))
    y = np.where(X[:, 0] > 0, "a", "b")
    saved = []
    train(X, y, layers=[4], epochs=3, seed=0, on_checkpoint=saved.append)
    assert saved[-1].state.epoch == 3
    resumed, result = train(X, y, layers=[4], epochs=6, seed=0, resume=saved[-1])
    assert result.epochs == 6 and [h.epoch for h in result.history] == [1, 2, 3, 4, 5, 6]
    straight, _ = train(X, y, layers=[4], epochs=6, seed=0)
    for (W0, _), (W1, _) in zip(resumed.network.get_weights(), straight.network.get_weights(), strict=True):
        assert np.array_equal(W0, W1)  # a constant schedule: as if 6 epochs had been planned from the start


# ------------------------------------------------------------------ found by a new user of the Python API
def test_predict_returns_labels_of_their_own_kind_for_scikit_learns_metrics() -> None:
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    X, labels = blobs(90)
    y = np.unique(labels, return_inverse=True)[1]  # integer classes 0, 1, 2
    model, _ = train(X, y, layers=[8], epochs=30, batch_size=16, seed=0)
    p = model.predict(X)
    assert p.dtype == np.int64 and sklearn_metrics.accuracy_score(y, p) > 0.5
    text, _ = train(X, np.array(["a", "b", "c"])[y], layers=[8], epochs=2, seed=0)
    assert text.predict(X).dtype.kind == "U"


def test_train_takes_a_data_frames_column_names_and_names_a_text_column() -> None:
    pd = pytest.importorskip("pandas")
    X, y = blobs(60)
    frame = pd.DataFrame(X, columns=[f"f{k}" for k in range(X.shape[1])])
    model, _ = train(frame, y, layers=[4], epochs=2, seed=0)
    assert model.feature_names == list(frame.columns)
    assert (model.predict(frame) == model.predict(frame[frame.columns[::-1]])).all()
    with pytest.raises(GlassnetError, match="feature column 'note' is not numeric"):
        train(frame.assign(note="x"), y, layers=[4], epochs=1)


def test_init_from_takes_the_saved_models_layers_by_default() -> None:
    X, y = blobs(60)
    first, _ = train(X, y, layers=[5, 3], epochs=2, seed=0)
    more, _ = train(X, y, epochs=2, seed=0, init_from=first)
    assert more.network.sizes == first.network.sizes
