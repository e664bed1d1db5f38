"""scikit-learn estimators: the full estimator checks, scikit-learn's MLP parameters, pipelines, grid search,
warm starts, a Dask cluster."""

import re

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from glassnet.io.modelfile import load_model, save_model
from glassnet.sklearn import GlassClassifier, GlassRegressor


@pytest.mark.parametrize("estimator", [GlassClassifier(), GlassRegressor()], ids=lambda e: type(e).__name__)
def test_passes_check_estimator_in_full(estimator, monkeypatch):
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")  # so that the Array API check runs instead of skipping
    results = check_estimator(estimator, on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] != "passed"]
    assert failed == []
    assert len(results) > 50


def test_pipeline_and_grid_search():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), GlassClassifier(batch_size=32, random_state=0))
    search = GridSearchCV(pipe, {"glassclassifier__hidden_layer_sizes": [(4,), (32,)]}, cv=3)
    search.fit(X, y)
    assert search.best_params_ == {"glassclassifier__hidden_layer_sizes": (32,)}
    assert search.best_score_ > 0.9


def test_fitted_network_is_a_normal_glassnet_model(tmp_path):
    X, y = load_iris(return_X_y=True)
    clf = GlassClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0).fit(X, y)
    save_model(clf.model_, tmp_path / "iris.safetensors")
    loaded = load_model(tmp_path / "iris.safetensors")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    trace = clf.network.traced_step(clf.model_.network_inputs(X[:1]), np.eye(3)[[y[0]]], 0.1)
    assert trace.sizes == [4, 8, 3] and len(trace.parameters) == 4 * 8 + 8 * 3 + 8 + 3
    ort = pytest.importorskip("onnxruntime")
    from glassnet.io.onnx_export import to_onnx

    clf = GlassClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0).fit(X, y)
    session = ort.InferenceSession(
        to_onnx(clf.model_).SerializeToString(), providers=["CPUExecutionProvider"]
    )
    proba, label = session.run(None, {"features": X.astype(np.float32)})
    assert np.max(np.abs(proba - clf.predict_proba(X))) <= 1e-5
    assert (label == clf.predict(X)).all()


def test_curves_and_scores():
    X, y = load_iris(return_X_y=True)
    clf = GlassClassifier(max_iter=30, random_state=0).fit(X, y)
    assert len(clf.loss_curve_) == clf.n_iter_ == 30 and clf.validation_scores_ is None
    assert clf.loss_curve_[-1] < clf.loss_curve_[0] and clf.best_loss_ == min(clf.loss_curve_)
    clf = GlassClassifier(max_iter=30, early_stopping=True, n_iter_no_change=np.inf, random_state=0).fit(X, y)
    assert len(clf.loss_curve_) == len(clf.validation_scores_) == clf.n_iter_ == 30
    assert 0.0 <= clf.validation_scores_[-1] <= 1.0
    assert clf.best_validation_score_ == max(clf.validation_scores_) and clf.best_loss_ is None
    X, y = make_regression(n_samples=200, n_features=4, noise=1.0, random_state=0)
    reg = GlassRegressor(max_iter=80, early_stopping=True, random_state=0).fit(X, y)
    assert reg.validation_scores_[-1] > 0.9 and reg.score(X, y) > 0.9


def test_nothing_is_held_out_without_early_stopping():
    X, y = load_iris(return_X_y=True)
    clf = GlassClassifier(max_iter=3, validation_fraction=0.5, random_state=0).fit(X, y)
    assert clf.t_ == 3 * 150
    clf = GlassClassifier(max_iter=3, validation_fraction=0.5, early_stopping=True, random_state=0).fit(X, y)
    assert clf.t_ == 3 * 75


def test_parameters_are_scikit_learns_mlp_parameters_with_its_defaults():
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    for ours, theirs in ((GlassClassifier(), MLPClassifier()), (GlassRegressor(), MLPRegressor())):
        mlp = theirs.get_params()
        del mlp["max_fun"]  # lbfgs only
        mlp.pop("loss", None)  # MLPRegressor's squared_error is glassnet's loss
        params = ours.get_params()
        assert {k: params[k] for k in mlp} == mlp
        own = {"dropout", "dtype", "threads"} | (
            {"class_weight"} if isinstance(ours, GlassClassifier) else set()
        )
        assert set(params) - set(mlp) == own


def test_code_written_for_mlp_classifier_runs_unchanged():
    X, y = load_iris(return_X_y=True)
    settings = dict(
        hidden_layer_sizes=(20, 10),
        activation="logistic",
        solver="sgd",
        alpha=1e-3,
        batch_size=16,
        learning_rate="invscaling",
        learning_rate_init=0.5,
        power_t=0.25,
        max_iter=40,
        shuffle=True,
        tol=1e-5,
        momentum=0.8,
        nesterovs_momentum=False,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=5,
        random_state=0,
    )
    clf = GlassClassifier(**settings).fit(X, y)
    assert clf.score(X, y) > 0.9 and clf.out_activation_ == "softmax" and clf.n_layers_ == 4
    assert [w.shape for w in clf.coefs_] == [(4, 20), (20, 10), (10, 3)]
    assert [b.shape for b in clf.intercepts_] == [(20,), (10,), (3,)]
    assert clf.network.activations[0].name == "sigmoid"
    opt = clf.optimizer_
    assert (opt.name, opt.momentum, opt.nesterov) == ("momentum", 0.8, False)
    rows = 150 - 30  # invscaling: eta_init / (samples seen + 1) ** power_t, per epoch
    assert opt.lr == pytest.approx(0.5 / ((clf.n_iter_ - 1) * rows + 1) ** 0.25)
    assert opt.weight_decay == pytest.approx(1e-3 / 16)  # alpha / batch rows


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"solver": "lbfgs"}, "solver='lbfgs' is not supported: glassnet trains by mini-batch"),
        ({"learning_rate": "adaptive"}, "learning_rate='adaptive' is not supported"),
        ({"learning_rate": 0.01}, "set the rate itself with learning_rate_init=0.01"),
        ({"activation": "softplus"}, "The 'activation' parameter of GlassClassifier must be a str among"),
        ({"batch_size": "all"}, "The 'batch_size' parameter of GlassClassifier must be"),
        ({"dropout": 1.0}, "The 'dropout' parameter of GlassClassifier must be a float in the range"),
        ({"momentum": 1.0}, "The 'momentum' parameter of GlassClassifier must be a float in the range"),
    ],
)
def test_values_glassnet_cannot_honour_are_refused_by_name(setting, message):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=re.escape(message)):
        GlassClassifier(**setting).fit(X, y)


def test_batch_size_auto_alpha_and_the_adam_settings():
    X, y = load_iris(return_X_y=True)
    clf = GlassClassifier(max_iter=2, beta_1=0.8, beta_2=0.99, epsilon=1e-6, random_state=0).fit(X, y)
    assert clf.optimizer_.t == 2  # "auto": min(200, 150) rows, one batch an epoch
    assert (clf.optimizer_.beta1, clf.optimizer_.beta2, clf.optimizer_.eps) == (0.8, 0.99, 1e-6)
    assert clf.optimizer_.weight_decay == pytest.approx(1e-4 / 150)
    assert clf.model_.settings["batch_size"] == 150 and clf.model_.settings["activation"] == "relu"
    small = GlassClassifier(max_iter=50, batch_size=10, alpha=0.0, random_state=0).fit(X, y)
    large = GlassClassifier(max_iter=50, batch_size=10, alpha=1.0, random_state=0).fit(X, y)
    assert np.linalg.norm(large.coefs_[0]) < 0.6 * np.linalg.norm(small.coefs_[0])


def test_tol_and_n_iter_no_change_stop_training_as_in_scikit_learn():
    from sklearn.neural_network import MLPClassifier

    X, y = load_iris(return_X_y=True)
    settings = dict(max_iter=200, tol=10.0, n_iter_no_change=3, random_state=0)
    clf = GlassClassifier(**settings).fit(X, y)
    assert clf.n_iter_ == MLPClassifier(**settings).fit(X, y).n_iter_ == 5  # the best, then 4 without
    clf = GlassClassifier(max_iter=20, tol=10.0, n_iter_no_change=np.inf, random_state=0).fit(X, y)
    assert clf.n_iter_ == 20


def test_verbose_prints_the_loss_of_every_epoch(capsys):
    X, y = load_iris(return_X_y=True)
    clf = GlassClassifier(max_iter=3, verbose=True, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"Iteration {k + 1}, loss = {loss:.8f}" for k, loss in enumerate(clf.loss_curve_)]


def test_warm_start_keeps_the_optimizer_state():
    X, y = load_iris(return_X_y=True)
    clf = GlassClassifier(max_iter=5, warm_start=True, random_state=0).fit(X, y)
    opt = clf.optimizer_
    steps, moments = opt.t, [m.copy() for m in opt.m]
    weights = clf.network.get_weights()
    clf.fit(X, y)
    assert clf.optimizer_ is opt and opt.t > steps  # Adam's step count and moments carried on
    assert not np.allclose(opt.m[0], moments[0])
    assert clf.n_iter_ == 10 and len(clf.loss_curve_) == 10
    cold = GlassClassifier(max_iter=5, random_state=0).fit(X, y)
    assert cold.optimizer_.t == steps  # without warm_start, a fresh start
    assert not np.array_equal(clf.network.get_weights()[0][0], weights[0][0])


def test_partial_fit_continues():
    X, y = load_iris(return_X_y=True)
    clf = GlassClassifier(random_state=0)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    first = clf.loss_curve_[-1]
    for _ in range(20):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 21 and clf.loss_curve_[-1] < first
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :2], y)


def test_grid_search_on_a_dask_cluster_finds_the_same_best_parameters():
    """The same search, single-process and through joblib's dask backend on a two-worker LocalCluster."""
    pytest.importorskip("distributed")
    import joblib
    from distributed import Client, LocalCluster

    X, y = load_iris(return_X_y=True)
    grid = {"hidden_layer_sizes": [(2,), (16,)], "learning_rate_init": [1e-3, 1e-2]}

    def search():
        return GridSearchCV(GlassClassifier(max_iter=40, random_state=0), grid, cv=3, n_jobs=-1)

    local = search().fit(X, y)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            assert len(client.scheduler_info()["workers"]) == 2
            with joblib.parallel_backend("dask"):
                remote = search().fit(X, y)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"])


@pytest.mark.needs("sklearn")
def test_partial_fit_sorts_classes_and_holds_nothing_out():
    from glassnet.sklearn import GlassClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    y = np.where(X[:, 0] > 0, "b", "a")
    clf = GlassClassifier(random_state=0).partial_fit(X, y, classes=["b", "a", "b"])
    assert clf.classes_.tolist() == ["a", "b"] and clf.t_ == 100


@pytest.mark.parametrize(("activation", "factor"), [("relu", 6.0), ("logistic", 2.0)])
def test_weights_and_biases_start_as_scikit_learns(activation, factor):
    """Uniform in +-sqrt(factor / (inputs + units)), biases too: zero biases would put every ReLU's kink
    through the mean of the standardized inputs, and a small data set's few updates barely move them."""
    from sklearn.neural_network import MLPClassifier

    X, y = load_iris(return_X_y=True)
    clf = GlassClassifier(hidden_layer_sizes=(300,), activation=activation, max_iter=1, solver="sgd")
    clf.set_params(learning_rate_init=1e-12, random_state=0).fit(X, y)  # the first weights, all but unmoved
    mlp = MLPClassifier(hidden_layer_sizes=(300,), activation=activation, max_iter=1, solver="sgd")
    with pytest.warns(ConvergenceWarning):
        mlp.set_params(learning_rate_init=1e-12, random_state=0).fit(X, y)
    for ours, theirs in ((clf.coefs_, mlp.coefs_), (clf.intercepts_, mlp.intercepts_)):
        for a, b, fans in zip(ours, theirs, [(4, 300), (300, 3)], strict=True):
            bound = np.sqrt(factor / sum(fans))
            assert np.abs(a).max() <= bound and np.abs(a).max() > 0.9 * bound
            assert np.std(a) == pytest.approx(np.std(b), rel=0.25)  # the same spread as scikit-learn's


@pytest.mark.parametrize("estimator", [GlassClassifier, GlassRegressor])
def test_integer_sample_weights_are_repeated_rows(estimator):
    """With one batch an epoch, weight k is k copies of the row (0: the row left out), standardization,
    alpha and stopping included."""
    X, y = load_iris(return_X_y=True)
    rng = np.random.default_rng(0)
    w = rng.integers(0, 4, len(y))
    target = y if estimator is GlassClassifier else X[:, 0] + y
    settings = dict(hidden_layer_sizes=(8,), batch_size=1000, max_iter=30, alpha=0.1, random_state=0)
    weighted = estimator(**settings).fit(X, target, sample_weight=w)
    repeated = estimator(**settings).fit(X.repeat(w, axis=0), target.repeat(w))
    assert weighted.n_iter_ == repeated.n_iter_
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-9)
    predict = "predict_proba" if estimator is GlassClassifier else "predict"
    np.testing.assert_allclose(getattr(weighted, predict)(X), getattr(repeated, predict)(X), rtol=1e-7)


def test_class_weight_balanced_lifts_the_rare_class():
    from sklearn.utils.class_weight import compute_sample_weight

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2))
    y = np.where(X[:, 0] + 0.5 * rng.normal(size=400) > 1.6, "rare", "common")  # about 1 in 18
    settings = dict(hidden_layer_sizes=(8,), batch_size=32, max_iter=30, random_state=0)
    plain = GlassClassifier(**settings).fit(X, y)
    balanced = GlassClassifier(class_weight="balanced", **settings).fit(X, y)
    rare = y == "rare"
    assert np.mean(balanced.predict(X[rare]) == "rare") > np.mean(plain.predict(X[rare]) == "rare") + 0.2
    mapping = GlassClassifier(class_weight={"rare": 3.0, "common": 1.0}, **settings).fit(X, y)
    weights = compute_sample_weight({"rare": 3.0, "common": 1.0}, y)
    by_rows = GlassClassifier(**settings).fit(X, y, sample_weight=weights)
    np.testing.assert_array_equal(mapping.predict_proba(X), by_rows.predict_proba(X))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sample_weight": -np.ones(150)}, r"sample weights must be finite and >= 0; row 0 has -1\.0"),
        ({"sample_weight": np.ones(149)}, r"one weight per row \(150\); got shape \(149,\)"),
        ({"sample_weight": np.zeros(150)}, "sample weights must contain at least one non-zero number"),
        ({"sample_weight": (np.arange(150) < 50).astype(float)}, "only class 0 has any"),
    ],
)
def test_bad_sample_weights_are_refused_by_name(kwargs, message):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=message):
        GlassClassifier(max_iter=2).fit(X, y, **kwargs)


def test_a_network_too_big_for_memory_is_refused_before_allocating(monkeypatch):
    from glassnet.core import checks

    monkeypatch.setattr(checks, "physical_memory", lambda: 8 << 30)
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=r"50000,50000.*GiB.* 8\.0 GiB"):
        GlassClassifier(hidden_layer_sizes=(50000, 50000), max_iter=1, dtype="float32").fit(X, y)


def test_early_stopping_watches_the_validation_score_as_scikit_learn(monkeypatch):
    from glassnet import sklearn as estimators

    seen = []
    real_fit = estimators.fit

    def spy(*args, **kwargs):
        seen.append(kwargs["monitor"])
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(estimators, "fit", spy)
    X, y = load_iris(return_X_y=True)
    GlassClassifier(hidden_layer_sizes=(4,), max_iter=3, early_stopping=True, random_state=0).fit(X, y)
    GlassClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    assert seen == ["val_accuracy", "val_loss"]
