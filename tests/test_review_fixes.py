"""Regression tests for problems found in review: each would fail if its fix were undone."""

import json
import socket
import sys

import numpy as np
import pytest
from fastapi.testclient import TestClient

from glassnet import Network, fit
from glassnet.core.errors import GlassnetError
from glassnet.core.model import train
from glassnet.interfaces.checkpoint import save_checkpoint
from glassnet.interfaces.cli import main
from glassnet.interfaces.modelfile import load_model, save_model
from glassnet.interfaces.web.app import create_app

from .test_cli import run


def write_csv(path, rows=60):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 2))
    lines = ["a,b,label"] + [f"{a:.4f},{b:.4f},{'yes' if a > b else 'no'}" for a, b in X]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_save_never_overwrites_an_input_or_another_output(tmp_path):
    data = write_csv(tmp_path / "d.csv")
    before = (tmp_path / "d.csv").read_bytes()
    status, _, err = run("train", data, "--epochs", "1", "--save", data)
    assert status == 2 and "is also an input of this command" in err
    assert (tmp_path / "d.csv").read_bytes() == before
    same = str(tmp_path / "out")
    status, _, err = run("train", data, "--epochs", "1", "--save", same, "--plot", same)
    assert status == 2 and "another output of this command" in err


def test_an_unwritable_save_fails_before_training(tmp_path):
    data = write_csv(tmp_path / "d.csv")
    status, _, err = run("train", data, "--epochs", "1", "--save", "/proc/m.safetensors")
    assert (
        status == 2
        and err.startswith("error: cannot save to '/proc/m.safetensors'")
        and "Traceback" not in err
    )


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


def test_evaluate_on_a_named_dataset_uses_the_models_own_split(tmp_path, capsys):
    model = str(tmp_path / "iris.safetensors")
    assert main(["train", "iris", "--seed", "3", "--epochs", "20", "--save", model, "--json"]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert main(["evaluate", model, "iris", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == trained["test_accuracy"]


def test_unseen_test_labels_stop_before_training(tmp_path):
    data = write_csv(tmp_path / "d.csv")
    test = tmp_path / "t.csv"
    test.write_text("a,b,label\n1,2,maybe\n")
    model = tmp_path / "m.safetensors"
    status, _, err = run("train", data, "--test", str(test), "--save", str(model))
    assert status == 2 and "labels never seen in training: maybe" in err and not model.exists()


def test_resume_refuses_options_that_differ_from_the_checkpoint(tmp_path):
    data = write_csv(tmp_path / "d.csv")
    folder = str(tmp_path / "ck")
    assert run("train", data, "--epochs", "1", "--checkpoint", folder)[0] == 0
    status, _, err = run("train", "--resume", folder, "--epochs", "10")
    assert status == 2 and "epochs=10 (checkpoint: 1)" in err


def test_a_checkpoint_with_unusable_settings_is_refused(tmp_path):
    saved = {}
    rng = np.random.default_rng(0)
    train(
        rng.normal(size=(20, 2)),
        ["a", "b"] * 10,
        layers=[3],
        epochs=1,
        on_checkpoint=lambda c: saved.update(c=c),
    )
    save_checkpoint(tmp_path / "ck", saved["c"], {"data": "d.csv", "layers": None})
    status, _, err = run("train", "--resume", str(tmp_path / "ck"))
    assert status == 2 and "unusable settings" in err and "layers=None" in err


def test_traced_step_refuses_to_update_on_an_infinite_loss():
    net = Network([2, 2], output_activation="identity", loss="mse", seed=0)
    net.set_parameters({"w1": 1e200, "w2": 1e200, "w3": 1e200, "w4": 1e200})
    before = net.parameters()
    with pytest.raises(GlassnetError, match="diverged"):
        net.traced_step([3.0, 4.0], [1.0, 2.0], 0.1)
    assert net.parameters() == before


def test_fit_never_ends_with_infinite_weights():
    net = Network([2, 2], output_activation="identity", loss="mse", seed=0)
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    result = fit(net, X, X, 1e300, epochs=5, shuffle=False)
    assert result.reason == "diverged"
    assert all(np.isfinite(v) for v in net.parameters().values())


def test_iris_in_the_explorer_without_scikit_learn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    response = TestClient(create_app()).post("/api/sessions", json={"dataset": "iris"})
    assert response.status_code == 400 and "scikit-learn" in response.json()["detail"]


def test_explorer_rejects_a_non_finite_regression_target():
    csv = "x,y\n" + "\n".join(f"{k},{k * 2}" for k in range(30)) + "\n31,1e400\n"
    response = TestClient(create_app()).post("/api/sessions", json={"dataset": "csv", "csv": csv})
    assert response.status_code == 400 and "1e400" in response.json()["detail"]


def test_explore_on_a_busy_port_is_one_error_line(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["explore", "--port", str(port), "--no-browser"]) == 2
    assert capsys.readouterr().err.startswith(f"error: cannot listen on 127.0.0.1:{port}")


def test_bad_values_are_quoted_by_their_first_row_not_in_full():
    X = np.zeros((5000, 2))
    X[1234, 1] = np.nan
    with pytest.raises(GlassnetError) as caught:
        Network([2, 1]).predict(X)
    assert "row 1234 of 5000" in str(caught.value) and len(str(caught.value)) < 200
