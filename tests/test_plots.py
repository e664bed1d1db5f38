"""Training plots: the panels a model's figure has."""

import numpy as np
import pytest

from glassnet.core.model import train


@pytest.mark.needs("matplotlib")
def test_plots_have_every_panel():
    from glassnet.interfaces.plots import training_figure

    X = np.random.default_rng(0).normal(size=(90, 2))
    y = np.array(["a", "b", "c"], dtype=object)[np.argmax(np.c_[X, -X.sum(axis=1)], axis=1)]
    model, _ = train(X, y, layers=[8], epochs=3)
    fig = training_figure(model, X, y, [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert [ax.get_title() for ax in fig.axes] == [
        "loss",
        "accuracy",
        "confusion matrix (test)",
        "decision boundary",
    ]
    regressor, _ = train(X, X[:, 0], task="regression", layers=[4], epochs=2)
    assert [ax.get_title() for ax in training_figure(regressor).axes] == ["loss"]
