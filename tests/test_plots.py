"""Training plots: the panels a model's figure has."""

import numpy as np
import pytest

from glassnet.core.model import train


@pytest.mark.needs("matplotlib")
def test_plots_have_every_panel():
    from glassnet.explain.plots import training_figure

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


@pytest.mark.needs("matplotlib")
@pytest.mark.parametrize("suffix, start", [(".png", b"\x89PNG"), (".pdf", b"%PDF"), (".svg", b"<?xml")])
def test_the_plot_file_has_the_format_its_name_says(tmp_path, suffix, start):
    from glassnet.explain.plots import plot_training

    X = np.random.default_rng(0).normal(size=(40, 2))
    model, _ = train(X, X[:, 0] > 0, layers=[4], epochs=2)
    path = tmp_path / f"curves{suffix.upper()}"
    plot_training(model, path)
    data = path.read_bytes()
    assert data.startswith(start) and (suffix != ".svg" or b"<svg" in data)


@pytest.mark.parametrize("name", ["curves.jpg", "curves", "curves.png.txt"])
def test_a_plot_name_of_unknown_format_is_refused(tmp_path, name):
    from glassnet.core.errors import GlassnetError
    from glassnet.explain.plots import check_plot

    with pytest.raises(GlassnetError, match=r"expected a name ending \.png, \.pdf or \.svg"):
        check_plot(str(tmp_path / name))


def test_a_missing_matplotlib_is_named_before_any_work(monkeypatch):
    import sys

    from glassnet.core.errors import GlassnetError
    from glassnet.explain.plots import check_plot

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(GlassnetError, match=r"pip install 'glassnet\[plot\]'"):
        check_plot("curves.png")
