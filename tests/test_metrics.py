"""Classification and regression scores, against scikit-learn."""

import numpy as np
import pytest


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
    assert report["confusion_matrix"] == metrics.confusion_matrix(true, pred).tolist()
    a, b = rng.normal(size=50), rng.normal(size=50)
    scores = regression_report(a, b)
    assert scores["mse"] == pytest.approx(metrics.mean_squared_error(a, b))
    assert scores["mae"] == pytest.approx(metrics.mean_absolute_error(a, b))
    assert scores["r2"] == pytest.approx(metrics.r2_score(a, b))
