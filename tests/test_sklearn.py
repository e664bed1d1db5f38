"""scikit-learn estimators: the full estimator checks, pipelines, grid search, warm starts, a Dask cluster."""

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_regression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from glassnet.interfaces.modelfile import load_model, save_model
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
    pipe = make_pipeline(StandardScaler(), GlassClassifier(random_state=0))
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
    from glassnet.interfaces.onnx_export import to_onnx

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
    assert len(clf.loss_curve_) == len(clf.validation_scores_) == clf.n_iter_ == 30
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert 0.0 <= clf.validation_scores_[-1] <= 1.0
    X, y = make_regression(n_samples=200, n_features=4, noise=1.0, random_state=0)
    reg = GlassRegressor(max_iter=80, random_state=0).fit(X, y)
    assert reg.validation_scores_[-1] > 0.9 and reg.score(X, y) > 0.9


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
    grid = {"hidden_layer_sizes": [(2,), (16,)], "learning_rate": [1e-3, 1e-2]}

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
