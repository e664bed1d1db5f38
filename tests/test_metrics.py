"""Classification and regression scores, against scikit-learn."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassnet.core.errors import GlassnetError


@pytest.mark.needs("sklearn")
def test_metrics_agree_with_scikit_learn():
    from sklearn import metrics

    from glassnet.core.metrics import classification_report, regression_report

    rng = np.random.default_rng(0)
    true, pred = rng.integers(0, 4, 300), rng.integers(0, 4, 300)
    report = classification_report(true, pred, ["a", "b", "c", "d"])
    p, r, f, support = metrics.precision_recall_fscore_support(
        true, pred, labels=[0, 1, 2, 3], zero_division=0
    )
    assert [c["precision"] for c in report["per_class"]] == pytest.approx(p)
    assert [c["recall"] for c in report["per_class"]] == pytest.approx(r)
    assert [c["f1"] for c in report["per_class"]] == pytest.approx(f)
    assert [c["support"] for c in report["per_class"]] == support.tolist()
    assert report["accuracy"] == pytest.approx(metrics.accuracy_score(true, pred))
    assert report["balanced_accuracy"] == pytest.approx(metrics.balanced_accuracy_score(true, pred))
    assert report["confusion_matrix"] == metrics.confusion_matrix(true, pred).tolist()
    a, b = rng.normal(size=50), rng.normal(size=50)
    scores = regression_report(a, b)
    assert scores["mse"] == pytest.approx(metrics.mean_squared_error(a, b))
    assert scores["mae"] == pytest.approx(metrics.mean_absolute_error(a, b))
    assert scores["r2"] == pytest.approx(metrics.r2_score(a, b))


@pytest.mark.needs("sklearn")
@given(
    n=st.integers(2, 60),
    classes=st.integers(2, 5),
    levels=st.sampled_from([2, 5, None]),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=150, deadline=None)
def test_probability_scores_agree_with_scikit_learn_on_random_cases(n, classes, levels, seed):
    """ROC-AUC (binary, and one-vs-rest macro), log-loss and balanced accuracy; ``levels`` rounds the
    probabilities so that many of them tie."""
    from sklearn import metrics

    from glassnet.core.metrics import balanced_accuracy, log_loss, roc_auc

    rng = np.random.default_rng(seed)
    true = rng.integers(0, classes, n)
    proba = rng.dirichlet(np.ones(classes), n)
    if levels is not None:
        proba = np.round(proba * levels) / levels
        proba[:, -1] = 1.0 - proba[:, :-1].sum(axis=1)  # still sums to 1 (the last column may be < 0)
        proba = np.clip(proba, 0.0, 1.0)
        proba /= proba.sum(axis=1, keepdims=True)
    pred = proba.argmax(axis=1)
    labels = list(range(classes))
    assert log_loss(true, proba) == pytest.approx(metrics.log_loss(true, proba, labels=labels), rel=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # scikit-learn: "y_pred contains classes not in y_true"
        expected = metrics.balanced_accuracy_score(true, pred)
    assert balanced_accuracy(true, pred, classes) == pytest.approx(expected, rel=1e-12)
    present = np.bincount(true, minlength=classes)
    if (present == 0).any() or (present == n).any():
        with pytest.raises(GlassnetError, match="ROC-AUC needs positive and negative examples"):
            roc_auc(true, proba)
    elif classes == 2:
        assert roc_auc(true, proba) == pytest.approx(metrics.roc_auc_score(true, proba[:, 1]), abs=1e-12)
        assert roc_auc(true, proba[:, 1]) == roc_auc(true, proba)
    else:
        expected = metrics.roc_auc_score(true, proba, multi_class="ovr", average="macro", labels=labels)
        assert roc_auc(true, proba) == pytest.approx(expected, abs=1e-12)


@pytest.mark.needs("sklearn")
def test_roc_auc_counts_ties_as_halves_and_log_loss_clips_certain_mistakes():
    from sklearn import metrics

    from glassnet.core.metrics import binary_roc_auc, log_loss

    positive = np.array([0, 0, 1, 1, 0, 1], dtype=bool)
    score = np.array([0.5, 0.5, 0.5, 0.9, 0.1, 0.5])  # one positive above all; two tie with two negatives
    assert binary_roc_auc(positive, score) == pytest.approx(metrics.roc_auc_score(positive, score))
    assert binary_roc_auc(positive, score) == (3 + 2 * (1 + 0.5 + 0.5)) / 9
    assert binary_roc_auc(positive, np.full(6, 0.3)) == 0.5
    proba = np.array([[1.0, 0.0], [0.0, 1.0]])
    expected = metrics.log_loss([1, 1], proba, labels=[0, 1])
    assert log_loss(np.array([1, 1]), proba) == pytest.approx(expected) and np.isfinite(expected)


def test_scores_refuse_what_they_cannot_score():
    from glassnet.core.metrics import binary_roc_auc, log_loss, roc_auc

    with pytest.raises(GlassnetError, match="received 0 positive and 3 negative"):
        binary_roc_auc(np.zeros(3, dtype=bool), np.array([0.1, 0.2, 0.3]))
    with pytest.raises(GlassnetError, match="NaN or inf"):
        binary_roc_auc(np.array([True, False]), np.array([np.nan, 0.2]))
    with pytest.raises(GlassnetError, match=r"for 3 examples; received \(2, 2\)"):
        roc_auc(np.array([0, 1, 1]), np.array([[0.5, 0.5], [0.1, 0.9]]))
    with pytest.raises(GlassnetError, match=r"class codes must lie in 0..1; received 0..2"):
        log_loss(np.array([0, 2]), np.array([[0.5, 0.5], [0.1, 0.9]]))


@pytest.mark.needs("sklearn")
def test_the_scores_evaluate_and_train_report_agree_with_scikit_learn():
    from sklearn import metrics

    from glassnet.cli.common import classification_summary, scores
    from glassnet.core.model import train
    from glassnet.io.data import Table

    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 2))
    y = np.array(["low", "mid", "high"], dtype=object)[np.digitize(X[:, 0] + 0.3 * X[:, 1], [-0.5, 0.5])]
    model, _ = train(X, y, feature_names=["a", "b"], layers=[8], epochs=5, dtype="float64", seed=0)
    report = scores(model, Table(X, ["a", "b"], y, "target"), "test.csv")
    true = np.array([model.classes.index(v) for v in y])
    proba = model.predict_proba(X).astype(np.float64)
    labels = list(range(3))
    assert report["roc_auc"] == pytest.approx(
        metrics.roc_auc_score(true, proba, multi_class="ovr", labels=labels), abs=1e-12
    )
    assert report["log_loss"] == pytest.approx(metrics.log_loss(true, proba, labels=labels), rel=1e-9)
    assert report["balanced_accuracy"] == pytest.approx(
        metrics.balanced_accuracy_score(true, proba.argmax(axis=1))
    )
    lines = classification_summary(report, 150, "test ").splitlines()
    assert lines[0].startswith(f"test accuracy {report['accuracy']:.2%} on 150 examples, balanced accuracy ")
    assert lines[1] == f"test ROC-AUC {report['roc_auc']:.4f}, log-loss {report['log_loss']:.4f}"
    assert max(map(len, lines)) <= 80  # a terminal's width, unwrapped

    rows = y != "mid"  # a class of the model that this table lacks: ROC-AUC is undefined, the rest is not
    report = scores(model, Table(X[rows], ["a", "b"], y[rows], "target"), "test.csv")
    assert report["roc_auc"] is None and np.isfinite(report["log_loss"])
    assert "ROC-AUC n/a (a class is missing)" in classification_summary(report, int(rows.sum()))


def test_class_codes_out_of_range_and_multi_output_r2_as_scikit_learn() -> None:
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    from glassnet.core.metrics import balanced_accuracy, confusion_matrix, r2

    with pytest.raises(GlassnetError, match=r"true class codes must lie in 0\.\.1; received -1\.\.0"):
        confusion_matrix(np.array([0, -1]), np.array([0, 1]), 2)
    with pytest.raises(GlassnetError, match=r"must lie in 0\.\.1"):
        balanced_accuracy(np.array([0, 5]), np.array([0, 1]), 2)
    rng = np.random.default_rng(0)
    true = rng.normal(size=(50, 3)) * [1.0, 10.0, 0.1]
    pred = true + rng.normal(size=(50, 3))
    assert r2(true, pred) == pytest.approx(sklearn_metrics.r2_score(true, pred), rel=1e-12)
