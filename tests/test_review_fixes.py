"""Regression tests for problems found in review: each would fail if its fix were undone."""

import json
import socket
import sys

import numpy as np
import pytest

from glassnet import Network, fit
from glassnet.core.errors import GlassnetError
from glassnet.core.model import train
from glassnet.interfaces.checkpoint import save_checkpoint
from glassnet.interfaces.cli import main
from glassnet.interfaces.modelfile import load_model, save_model

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


@pytest.mark.needs("sklearn")
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


def explorer():
    """A client of the explorer's API (skips where the ``web`` extra is not installed)."""
    testclient = pytest.importorskip("fastapi.testclient")
    from glassnet.interfaces.web.app import create_app

    return testclient.TestClient(create_app())


def test_iris_in_the_explorer_without_scikit_learn(monkeypatch):
    client = explorer()
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    response = client.post("/api/sessions", json={"dataset": "iris"})
    assert response.status_code == 400 and "scikit-learn" in response.json()["detail"]


def test_explorer_rejects_a_non_finite_regression_target():
    csv = "x,y\n" + "\n".join(f"{k},{k * 2}" for k in range(30)) + "\n31,1e400\n"
    response = explorer().post("/api/sessions", json={"dataset": "csv", "csv": csv})
    assert response.status_code == 400 and "1e400" in response.json()["detail"]


@pytest.mark.needs("fastapi", "uvicorn")
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


# ------------------------------------------------------------------------------------ second review
def test_csv_byte_order_mark_quoted_newlines_and_true_line_numbers(tmp_path):
    from glassnet.interfaces.data import read_csv, read_csv_text

    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffa,b,y\n1,2,x\n".encode())
    assert read_csv(bom, "y").feature_names == ["a", "b"]
    assert read_csv_text("\ufeffa,b,y\n1,2,x\n", "y").feature_names == ["a", "b"]
    assert read_csv_text('a,b,y\n1,2,"x\ny"\n').y.tolist() == ["x\ny"]
    gaps = tmp_path / "gaps.csv"
    gaps.write_text("a,b,y\n\n1,2,x\n\n3,4,y\noops,5,z\n")
    with pytest.raises(GlassnetError, match="at line 6"):
        read_csv(gaps)


def test_predict_ignores_a_blank_target_column(tmp_path, capsys):
    data = write_csv(tmp_path / "d.csv")
    model = str(tmp_path / "m.safetensors")
    assert main(["train", data, "--epochs", "2", "--save", model, "--json"]) == 0
    capsys.readouterr()
    blank = tmp_path / "blank.csv"
    blank.write_text("a,b,label\n0.5,0.1,\n-1,2,\n")
    assert main(["predict", model, str(blank)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "label"


def test_a_corrupt_gzip_idx_file_is_an_error(tmp_path):
    import gzip

    from glassnet.interfaces.data import read_idx

    raw = bytearray(gzip.compress(bytes([0, 0, 8, 1]) + (100).to_bytes(4, "big") + bytes(range(100))))
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / "x.gz").write_bytes(bytes(raw))
    with pytest.raises(GlassnetError, match="cannot read IDX file"):
        read_idx(tmp_path / "x.gz")


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "binary_crossentropy"])
@pytest.mark.parametrize("output", ["identity", "relu", "tanh"])
def test_cross_entropy_needs_outputs_in_zero_one(loss, output):
    with pytest.raises(GlassnetError, match=r"must lie in \(0, 1\)"):
        Network([2, 2], output_activation=output, loss=loss)


@pytest.mark.needs("sklearn")
def test_partial_fit_sorts_classes_and_holds_nothing_out():
    from glassnet.sklearn import GlassClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    y = np.where(X[:, 0] > 0, "b", "a")
    clf = GlassClassifier(random_state=0).partial_fit(X, y, classes=["b", "a", "b"])
    assert clf.classes_.tolist() == ["a", "b"] and clf.t_ == 100


def test_float32_networks_pass_the_gradient_check():
    from glassnet.core.gradcheck import gradient_check

    net = Network([3, 4, 2], activation="tanh", loss="mse", dtype="float32", seed=0)
    rng = np.random.default_rng(0)
    assert gradient_check(net, rng.normal(size=(4, 3)), rng.normal(size=(4, 2))).max_relative_error < 1e-6
    assert net.dtype == np.float32  # checked on a float64 copy


@pytest.mark.parametrize("classes", [[True, False], [0.5, 2.0, 7.25]])
def test_onnx_labels_keep_the_classes_type(classes):
    ort = pytest.importorskip("onnxruntime")
    from glassnet.core.model import Model, Standardizer
    from glassnet.interfaces.onnx_export import to_onnx

    k = len(classes)
    net = Network([2, 3, k], activation="tanh", loss="categorical_crossentropy", seed=0)
    X = np.random.default_rng(0).normal(size=(50, 2))
    model = Model(net, "classification", ["a", "b"], "y", classes, Standardizer.fit(X))
    session = ort.InferenceSession(to_onnx(model).SerializeToString(), providers=["CPUExecutionProvider"])
    _, label = session.run(None, {"features": X.astype(np.float32)})
    assert label.tolist() == model.predict(X).tolist()


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


def test_estimators_export_onnx(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from glassnet.sklearn import GlassRegressor

    X = np.random.default_rng(0).normal(size=(80, 3))
    reg = GlassRegressor(max_iter=5, random_state=0).fit(X, X @ [1.0, 2.0, 3.0])
    reg.export_onnx(str(tmp_path / "r.onnx"))
    (pred,) = ort.InferenceSession(str(tmp_path / "r.onnx"), providers=["CPUExecutionProvider"]).run(
        None, {"features": X.astype(np.float32)}
    )
    assert np.max(np.abs(pred[:, 0] - reg.predict(X))) <= 1e-4


def test_resume_from_a_damaged_checkpoint_is_one_error_line(tmp_path):
    folder = tmp_path / "ck"
    folder.mkdir()
    (folder / "checkpoint.safetensors").write_bytes(b"\x10" + b"\x00" * 40)
    status, _, err = run("train", "--resume", str(folder))
    assert (
        status == 2 and err.startswith("error:") and "not a valid glassnet" in err and "Traceback" not in err
    )


@pytest.mark.needs("fastapi", "uvicorn")
def test_explore_prints_its_url_and_serves_the_page():
    import subprocess
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "glassnet", "explore", "--port", str(port), "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert (
            proc.stdout.readline().strip()
            == f"glassnet explorer on http://127.0.0.1:{port}/ (Ctrl-C to stop)"
        )
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    assert page.status == 200 and b'data-testid="step"' in page.read()
                    break
            except OSError:
                import time

                time.sleep(0.1)
        else:
            pytest.fail("the explorer did not answer")
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
