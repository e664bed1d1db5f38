"""glassnet train / evaluate / predict through the entry point."""

import csv
import io
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from glassnet.cli import main

from .test_cli import run


def write_csv(path, rows=60):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 2))
    lines = ["a,b,label"] + [f"{a:.4f},{b:.4f},{'yes' if a > b else 'no'}" for a, b in X]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture
def csv_files(tmp_path):
    rng = np.random.default_rng(0)

    def write(name, n, seed):
        r = np.random.default_rng(seed)
        X = r.normal(size=(n, 3))
        species = np.where(X[:, 0] + 0.5 * X[:, 1] > 0, "setosa", "virginica")
        path = tmp_path / name
        with path.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["sepal", "species", "petal", "width"])
            for row, label in zip(X, species, strict=True):
                w.writerow([row[0], label, row[1], row[2]])
        return str(path)

    del rng
    return write("train.csv", 300, 1), write("test.csv", 100, 2), tmp_path


@pytest.mark.needs("matplotlib")
def test_train_evaluate_predict_round_trip(csv_files, capsys):
    train_csv, test_csv, folder = csv_files
    model = str(folder / "m.safetensors")
    plot = str(folder / "curves.png")
    assert (
        main(
            [
                "train",
                train_csv,
                "--target",
                "species",
                "--test",
                test_csv,
                "--layers",
                "16",
                "--epochs",
                "30",
                "--save",
                model,
                "--plot",
                plot,
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["test_accuracy"] > 0.9 and len(out["history"]) == 30
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(out["history"][-1])
    assert (folder / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    assert main(["evaluate", model, test_csv, "--json"]) == 0  # target defaults to the model's column
    report = json.loads(capsys.readouterr().out)
    assert report["accuracy"] == out["test_accuracy"]
    assert [c["label"] for c in report["per_class"]] == ["setosa", "virginica"]
    assert np.sum(report["confusion_matrix"]) == 100

    assert main(["predict", model, test_csv]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert (
        rows[0] == ["species"] and len(rows) == 101 and set(r[0] for r in rows[1:]) <= {"setosa", "virginica"}
    )

    assert main(["predict", model, test_csv, "--proba"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["species", "p_setosa", "p_virginica"]
    assert abs(float(rows[1][1]) + float(rows[1][2]) - 1) < 1e-5


def test_regression_from_csv(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    path = tmp_path / "r.csv"
    np.savetxt(path, np.c_[X, 10 + 3 * X[:, 0] - X[:, 1]], delimiter=",", header="a,b,price", comments="")
    model = str(tmp_path / "r.safetensors")
    assert main(["train", str(path), "--test", str(path), "--epochs", "40", "--save", model, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["task"] == "regression" and out["test_r2"] > 0.95
    assert main(["evaluate", model, str(path), "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)) >= {"mse", "mae", "r2"}


@pytest.mark.needs("matplotlib")
def test_named_dataset_with_plot_of_the_decision_boundary(tmp_path, capsys):
    plot = tmp_path / "moons.png"
    assert main(["train", "moons", "--layers", "16,16", "--epochs", "40", "--plot", str(plot), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["test_accuracy"] > 0.8
    assert plot.stat().st_size > 10_000


def test_fashion_mnist_short_run(capsys):
    """A few epochs on the official split: a loose floor that a broken engine cannot reach."""
    assert (
        main(["train", "fashion-mnist", "--layers", "64", "--epochs", "2", "--batch-size", "128", "--json"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["test_accuracy"] > 0.80


@pytest.mark.parametrize(
    "text, words",
    [
        ("a,b,y\n1,x,0\n2,3,1\n", "non-numeric value 'x' in feature column 'b' at line 2"),
        ("a,b,y\n1,,0\n2,3,1\n", "missing value in column 'b'"),
        ("", "is empty"),
        ("a,b,y\n1,2,0\n2,3,0\n", "single class"),
        ("a,b,y\n1,nan,0\n2,3,1\n", "missing value"),
        ("a,b,y\n1,inf,0\n2,3,1\n", "not finite"),
    ],
)
def test_bad_csvs_are_one_error_line(tmp_path, text, words):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    status, _, err = run("train", str(path), "--epochs", "1")
    assert status == 2 and err.strip().startswith("error:") and words in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_target_column(csv_files):
    train_csv, _, _ = csv_files
    status, _, err = run("train", train_csv, "--target", "colour")
    assert status == 2 and "no column named 'colour'" in err


def test_unseen_test_labels_stop_before_training(csv_files, tmp_path):
    train_csv, _, _ = csv_files
    test = tmp_path / "odd.csv"
    test.write_text("sepal,species,petal,width\n1,setosa,2,3\n1,daisy,2,3\n")
    model = tmp_path / "m.safetensors"
    status, _, err = run("train", train_csv, "--target", "species", "--test", str(test), "--save", str(model))
    assert status == 2 and "labels never seen in training: daisy" in err and not model.exists()


def test_feature_mismatch_at_evaluate_and_predict(csv_files, tmp_path):
    train_csv, _, folder = csv_files
    model = str(folder / "m.safetensors")
    assert main(["train", train_csv, "--target", "species", "--epochs", "1", "--save", model, "--json"]) == 0
    other = tmp_path / "other.csv"
    other.write_text("sepal,petal,species\n1,2,setosa\n")
    for command in ("evaluate", "predict"):
        status, _, err = run(command, model, str(other))
        assert status == 2 and "lacks 1 feature column(s) the model was trained on: width" in err


def test_divergence_stops_and_never_overwrites_the_model(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)) * 1e3
    path = tmp_path / "r.csv"
    np.savetxt(path, np.c_[X, X @ [1e3, -1e3]], delimiter=",", header="a,b,y", comments="")
    model = tmp_path / "m.safetensors"
    assert run("train", str(path), "--task", "regression", "--epochs", "1", "--save", str(model))[0] == 0
    previous = model.read_bytes()
    status, _, err = run(
        "train",
        str(path),
        "--task",
        "regression",
        "--optimizer",
        "sgd",
        "--lr",
        "1e6",
        "--epochs",
        "20",
        "--save",
        str(model),
    )
    assert status == 2
    assert (
        "diverged in epoch 1" in err and "lower learning rate" in err and "no model file was written" in err
    )
    assert model.read_bytes() == previous


def test_bad_model_file_is_one_error_line(tmp_path, csv_files):
    _, test_csv, _ = csv_files
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 100)
    for command in ("evaluate", "predict"):
        status, _, err = run(command, str(bad), test_csv)
        assert status == 2 and err.startswith("error:") and "not a valid glassnet model" in err


def test_save_into_a_missing_folder_fails_before_training(csv_files):
    train_csv, _, folder = csv_files
    status, _, err = run("train", train_csv, "--save", str(folder / "no" / "m.safetensors"))
    assert status == 2 and "does not exist" in err


def test_training_warnings_are_warning_lines(csv_files, capsys):
    train_csv, _, _ = csv_files
    saturating = ["--layers", "8", "--activation", "tanh", "--lr", "10", "--epochs", "3"]
    assert main(["train", train_csv, "--target", "species", *saturating, "--json"]) == 0
    captured = capsys.readouterr()
    (warning,) = json.loads(captured.out)["warnings"]
    assert warning.startswith("hidden layer 1: 100% of its tanh units are saturated")
    assert captured.err.splitlines() == [f"warning: {warning}"]


def test_the_progress_bar_shows_epoch_batch_losses_accuracy_and_time():
    import io

    from rich.console import Console

    from glassnet.cli.train import train_progress
    from glassnet.core.training import EpochInfo

    console = Console(file=io.StringIO(), force_terminal=True, width=160)
    progress, on_batch, on_epoch = train_progress(console, epochs=2, batches=16)
    with progress:
        on_batch(1, 16, 0.61)
        on_epoch(EpochInfo(1, 0.61, 0.1, 0.01, val_loss=0.55, val_accuracy=0.875))
        progress.refresh()
        shown = console.file.getvalue()
    assert "epoch 1/2" in shown and "batch 16/16" in shown and "loss 0.6100" in shown
    assert "val 0.5500" in shown and "acc 87.50%" in shown and "0:00:00" in shown


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


@pytest.mark.needs("sklearn")
def test_evaluate_on_a_named_dataset_uses_the_models_own_split(tmp_path, capsys):
    model = str(tmp_path / "iris.safetensors")
    assert main(["train", "iris", "--seed", "3", "--epochs", "20", "--save", model, "--json"]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert main(["evaluate", model, "iris", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == trained["test_accuracy"]


def test_predict_ignores_a_blank_target_column(tmp_path, capsys):
    data = write_csv(tmp_path / "d.csv")
    model = str(tmp_path / "m.safetensors")
    assert main(["train", data, "--epochs", "2", "--save", model, "--json"]) == 0
    capsys.readouterr()
    blank = tmp_path / "blank.csv"
    blank.write_text("a,b,label\n0.5,0.1,\n-1,2,\n")
    assert main(["predict", model, str(blank)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "label"


@pytest.mark.needs("sklearn")
def test_evaluate_and_train_report_balanced_accuracy_roc_auc_and_log_loss(tmp_path):
    model = str(tmp_path / "iris.safetensors")
    status, out, _ = run("train", "iris", "--epochs", "5", "--save", model)
    assert status == 0
    assert "balanced accuracy" in out and "test ROC-AUC" in out and "log-loss" in out
    status, out, _ = run("evaluate", model, "iris", "--json")
    report = json.loads(out)
    assert status == 0 and 0.0 <= report["roc_auc"] <= 1.0 and report["log_loss"] > 0
    status, out, _ = run("train", "iris", "--epochs", "5", "--json")
    summary = json.loads(out)
    assert {"test_balanced_accuracy", "test_roc_auc", "test_log_loss"} <= set(summary)
    status, out, _ = run("evaluate", model, "iris")
    assert f"ROC-AUC {report['roc_auc']:.4f}, log-loss {report['log_loss']:.4f}" in out.splitlines()


@pytest.mark.needs("sklearn")
def test_an_exploding_run_is_an_error_and_writes_no_model(tmp_path):
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    path = tmp_path / "diabetes.csv"
    header = ",".join(f"x{k}" for k in range(10)) + ",y"
    np.savetxt(path, np.c_[X, y], delimiter=",", header=header, comments="")
    model = tmp_path / "m.safetensors"
    status, _, err = run("train", str(path), "--lr", "100", "--epochs", "10", "--save", str(model))
    assert status == 2
    assert err.startswith("error:") and "exploded" in err and "no model file was written" in err
    assert not model.exists()


def test_no_hidden_layer_class_weight_monitor_and_init_options(csv_files, capsys):
    train_csv, test_csv, folder = csv_files
    model = str(folder / "logistic.safetensors")
    args = ["train", train_csv, "--target", "species", "--layers", "none", "--epochs", "40", "--lr", "0.05"]
    args += ["--class-weight", "setosa=2,virginica=1", "--monitor", "val_accuracy", "--patience", "5"]
    assert main([*args, "--init", "xavier", "--save", model]) == 0
    capsys.readouterr()
    assert main(["predict", model, test_csv]) == 0
    assert "setosa" in capsys.readouterr().out
    status, _, err = run("train", train_csv, "--target", "species", "--class-weight", "rose=2")
    assert status == 2 and "'rose'" in err and "setosa" in err
    status, _, err = run("train", train_csv, "--target", "species", "--class-weight", "heavy")
    assert status == 2 and "balanced" in err


def test_init_from_continues_a_saved_model(csv_files, capsys):
    train_csv, test_csv, folder = csv_files
    first = str(folder / "first.safetensors")
    assert (
        main(["train", train_csv, "--target", "species", "--layers", "8", "--epochs", "3", "--save", first])
        == 0
    )
    more = str(folder / "more.safetensors")
    args = ["train", train_csv, "--target", "species", "--epochs", "3", "--init-from", first, "--save", more]
    assert main(args) == 0
    capsys.readouterr()
    assert main(["evaluate", more, test_csv]) == 0
    status, _, err = run("train", train_csv, "--target", "species", "--layers", "9", "--init-from", first)
    assert status == 2 and err.startswith("error:") and "layer sizes" in err


def test_sample_weight_column_weighs_rows_and_is_not_a_feature(tmp_path, capsys):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(120, 2))
    w = np.where(X[:, 0] > 0, 3.0, 1.0)
    label = np.where(X[:, 0] + X[:, 1] > 0, "p", "n")
    path = tmp_path / "w.csv"
    rows = ["a,b,w,label"] + [f"{a:.4f},{b:.4f},{c},{d}" for (a, b), c, d in zip(X, w, label, strict=True)]
    path.write_text("\n".join(rows) + "\n")
    model = tmp_path / "m.safetensors"
    args = ["train", str(path), "--epochs", "3", "--sample-weight", "w", "--json", "--save", str(model)]
    assert main(args) == 0
    capsys.readouterr()
    from glassnet.io.modelfile import load_model

    assert load_model(model).feature_names == ["a", "b"]
    status, _, err = run("train", str(path), "--sample-weight", "weight")
    assert status == 2 and "'weight'" in err and "a, b, w" in err
    status, _, err = run("train", str(path), "--sample-weight", "label")
    assert status == 2 and "the target" in err


def test_sample_weight_column_reaches_training(tmp_path):
    path = tmp_path / "neg.csv"
    path.write_text("a,w,label\n" + "".join(f"{k},{-1 if k == 3 else 1},{'xy'[k % 2]}\n" for k in range(20)))
    status, _, err = run("train", str(path), "--sample-weight", "w", "--epochs", "1")
    assert status == 2 and err.startswith("error:")
    assert "sample weights must be finite and >= 0; row 3 has -1.0" in err


def test_missing_test_feature_columns_stop_before_training(csv_files, tmp_path, monkeypatch, capsys):
    from glassnet.cli import train as train_command

    def never(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(train_command, "train_model", never)
    train_csv, _, _ = csv_files
    test = tmp_path / "noash.csv"
    test.write_text("sepal,species,petal\n1,setosa,2\n1,virginica,2\n")
    model = tmp_path / "m.safetensors"
    status = main(["train", train_csv, "--target", "species", "--test", str(test), "--save", str(model)])
    (line,) = capsys.readouterr().err.splitlines()
    assert status == 2 and "lacks 1 feature column(s)" in line and "width" in line
    assert not model.exists()


@pytest.mark.needs("matplotlib")
def test_a_failing_plot_keeps_the_trained_model_and_says_so(csv_files, tmp_path, monkeypatch, capsys):
    from glassnet.cli import train as train_command
    from glassnet.core.errors import GlassnetError

    def broken(*args, **kwargs):
        raise GlassnetError("the plot went wrong")

    monkeypatch.setattr(train_command, "plot_training", broken)
    train_csv, test_csv, _ = csv_files
    model = tmp_path / "m.safetensors"
    plot = tmp_path / "p.png"
    args = ["train", train_csv, "--target", "species", "--test", test_csv, "--epochs", "1"]
    assert main([*args, "--save", str(model), "--plot", str(plot)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error:") and "the plot went wrong" in line
    assert f"the model was saved to {model}" in line
    assert model.exists() and not plot.exists()


@pytest.mark.parametrize(
    "options, words",
    [
        (["--task", "regression"], "--task is for CSV files; 'iris' is a named dataset with a fixed task"),
        (["--target", "foo"], "--target is for CSV files; 'iris' is a named dataset with a fixed task"),
        (["--task", "classification", "--target", "foo"], "--task and --target are for CSV files"),
    ],
)
def test_task_and_target_on_a_named_dataset_are_an_error(options, words):
    status, out, err = run("train", "iris", "--epochs", "1", *options)
    assert status == 2 and err.startswith("error:") and words in err and len(err.splitlines()) == 1
    assert out == ""


@pytest.mark.parametrize(
    "plot, words", [("p.jpg", "expected a name ending .png, .pdf or .svg"), ("p.png", "")]
)
def test_plot_problems_are_found_before_training(tmp_path, monkeypatch, capsys, plot, words):
    import sys

    from glassnet.cli import train as train_command

    def never(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(train_command, "train_model", never)
    if not words:  # matplotlib is missing
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        words = "--plot needs matplotlib: pip install 'glassnet[plot]'"
    status = main(["train", "iris", "--plot", str(tmp_path / plot)])
    (line,) = capsys.readouterr().err.splitlines()
    assert status == 2 and line.startswith("error:") and words in line


@pytest.mark.needs("sklearn")
def test_after_early_stopping_the_restored_epochs_numbers_are_reported():
    args = ("train", "iris", "--patience", "2", "--epochs", "300")
    status, out, _ = run(*args, "--json")
    summary = json.loads(out)
    assert status == 0 and summary["stopped"] == "no_improvement"
    history = summary["history"]
    best = min(history, key=lambda h: h["val_loss"])
    assert best["epoch"] < summary["epochs"]  # the weights kept are not the last epoch's
    assert summary["model_epoch"] == best["epoch"]
    assert summary["model_metrics"] == {k: best[k] for k in ("loss", "val_loss", "accuracy", "val_accuracy")}
    status, out, _ = run(*args)
    assert status == 0 and "final epoch" not in out
    line = f"model: epoch {best['epoch']} of {summary['epochs']} (the best): loss {best['loss']:.4f}, "
    assert line + f"validation loss {best['val_loss']:.4f}" in out


def test_the_progress_bar_fits_an_80_column_terminal():
    import io
    import re

    from rich.console import Console

    from glassnet.cli.train import train_progress
    from glassnet.core.training import EpochInfo

    console = Console(file=io.StringIO(), force_terminal=True, width=80, color_system=None)
    progress, on_batch, on_epoch = train_progress(console, epochs=300, batches=1024)
    with progress:
        on_batch(120, 1024, 0.61)
        on_epoch(EpochInfo(120, 0.6123, 0.1, 0.01, val_loss=0.5512, val_accuracy=0.875))
        progress.refresh()
        out = Console(file=io.StringIO(), width=80, color_system=None)
        out.print(progress.get_renderable())
        shown = out.file.getvalue()
    assert "…" not in shown, shown
    assert "epoch 120/300" in shown and "batch 1024/1024" in shown and "loss 0.6123" in shown
    assert "val 0.5512" in shown and "acc 87.50%" in shown
    assert len(shown.splitlines()) == 1 and re.search(r" -:--:--$", shown.strip()), shown


@pytest.mark.needs("sklearn")
def test_output_off_a_terminal_is_never_wrapped(tmp_path):
    import subprocess
    import sys

    folder = tmp_path / ("a-long-folder-name-" * 4)
    folder.mkdir()
    model = folder / "model.safetensors"
    proc = subprocess.run(
        [sys.executable, "-m", "glassnet", "train", "iris", "--epochs", "2", "--save", str(model)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)},  # no COLUMNS
    )
    assert proc.returncode == 0
    assert f"model saved to {model}\n" in proc.stdout
    assert "final epoch: loss " in proc.stdout and "validation accuracy " in proc.stdout.splitlines()[2]


def write_rating_csv(path, continuous=False):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    rating = X[:, 0] * 2 + 5.5 if continuous else np.clip(np.round(X[:, 0] * 2 + 5.5), 1, 10)
    rating[:10] = np.arange(1, 11)  # every value 1..10 appears
    lines = ["a,b,rating"] + [f"{a:.4f},{b:.4f},{r:g}" for (a, b), r in zip(X, rating, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.needs("sklearn")
def test_the_task_and_why_are_said(tmp_path):
    data = write_rating_csv(tmp_path / "r.csv")
    status, out, err = run("train", data, "--epochs", "1")
    assert status == 0 and "warning" not in err
    assert out.splitlines()[0] == (
        "task: classification (target 'rating' holds 10 integer values; --task regression to predict numbers)"
    )
    status, out, _ = run("train", data, "--epochs", "1", "--json")
    assert json.loads(out)["task_reason"] == (
        "target 'rating' holds 10 integer values; --task regression to predict numbers"
    )
    status, out, _ = run("train", write_csv(tmp_path / "d.csv"), "--epochs", "1")
    assert out.splitlines()[0] == "task: classification (target 'label' holds text: 2 classes)"
    status, out, _ = run("train", data, "--epochs", "1", "--task", "regression")
    assert out.splitlines()[0] == "task: regression (--task regression)"
    status, out, _ = run("train", "iris", "--epochs", "1")
    assert out.splitlines()[0] == "task: classification (iris is a classification dataset)"


def test_continuous_targets_are_regression_and_forced_classes_are_warned_about(tmp_path):
    data = write_rating_csv(tmp_path / "r.csv", continuous=True)
    status, out, err = run("train", data, "--epochs", "1")
    assert status == 0 and out.splitlines()[0].startswith("task: regression (target 'rating' holds numbers")
    status, out, err = run("train", data, "--epochs", "1", "--task", "classification")
    assert status == 0 and out.splitlines()[0].startswith("task: classification (--task classification")
    (warning,) = [line for line in err.splitlines() if line.startswith("warning:")]
    assert "one class per distinct value" in warning and "not integers" in warning


@pytest.mark.needs("sklearn")
def test_regression_losses_say_their_units(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    path = tmp_path / "r.csv"
    np.savetxt(path, np.c_[X, 100 + 30 * X[:, 0]], delimiter=",", header="a,b,price", comments="")
    status, out, _ = run("train", str(path), "--test", str(path), "--epochs", "3")
    assert status == 0
    assert "validation loss" in out and "(MSE of the standardized target)" in out
    assert re.search(r"test R\^2: -?[\d.]+, MSE [\d.e+]+ \(in target units\)", out), out
    status, out, _ = run("train", str(path), "--epochs", "3", "--json")
    summary = json.loads(out)
    assert summary["loss"] == "mse" and summary["loss_units"] == "standardized target"
    assert summary["target_std"] == pytest.approx(np.std(30 * X[:160, 0]), rel=0.3)  # on the training rows
    status, out, _ = run("train", "iris", "--epochs", "1", "--json")
    assert "loss_units" not in json.loads(out) and json.loads(out)["loss"] == "categorical_crossentropy"


def test_a_regression_progress_bar_names_the_standardized_mse():
    import io

    from rich.console import Console

    from glassnet.cli.train import train_progress
    from glassnet.core.training import EpochInfo

    console = Console(file=io.StringIO(), force_terminal=True, width=80, color_system=None)
    progress, _, on_epoch = train_progress(console, epochs=300, batches=1024, regression=True)
    on_epoch(EpochInfo(120, 0.6123, 0.1, 0.01, val_loss=0.5512))
    out = Console(file=io.StringIO(), width=80, color_system=None)
    out.print(progress.get_renderable())
    shown = out.file.getvalue()
    assert "std mse 0.6123 val 0.5512" in shown and "acc" not in shown and "…" not in shown


# ------------------------------------------------------------------ found by a new user's trial
def run_here(*args, cwd=None, columns=True):
    """``python -m glassnet`` in ``cwd``, off a terminal, with or without COLUMNS set."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)}
    if columns:
        env["COLUMNS"] = "200"
    proc = subprocess.run(
        [sys.executable, "-m", "glassnet", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=cwd,
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_off_a_terminal_nothing_is_cut_or_squeezed(tmp_path):
    status, out, _ = run_here("demo", columns=False)
    assert status == 0
    assert "= 0.74136507 * 0.186815602 * 0.593269992 = 0.082167041" in out
    rng = np.random.default_rng(0)
    names = [f"class_{k:02d}_with_a_long_descriptive_name" for k in range(26)]
    X = rng.normal(size=(520, 3))
    lines = ["a,b,c,kind"] + [f"{a:.3f},{b:.3f},{c:.3f},{names[k % 26]}" for k, (a, b, c) in enumerate(X)]
    data = tmp_path / "many.csv"
    data.write_text("\n".join(lines) + "\n")
    model = str(tmp_path / "m.safetensors")
    assert run_here("train", str(data), "--epochs", "1", "--save", model, columns=False)[0] == 0
    status, out, _ = run_here("evaluate", model, str(data), columns=False)
    assert status == 0 and "confusion matrix: 26 classes need about" in out and "--json gives it whole" in out
    row = next(line for line in out.splitlines() if names[3] in line)
    assert len(row.split()) >= 5  # the per-class row is whole: label, precision, recall, F1, support


def test_true_and_false_labels_are_booleans(tmp_path):
    from glassnet.io.modelfile import load_model

    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 2))
    data = tmp_path / "b.csv"
    data.write_text("a,b,y\n" + "".join(f"{a:.4f},{b:.4f},{a > 0}\n" for a, b in X))  # True/False
    model = str(tmp_path / "m.safetensors")
    assert run_here("train", str(data), "--epochs", "5", "--save", model)[0] == 0
    predicted = load_model(model).predict(X)
    assert predicted.dtype == bool and (predicted == (X[:, 0] > 0)).mean() > 0.5


def test_a_test_file_needs_no_sample_weight_column(tmp_path):
    train_csv = tmp_path / "train.csv"
    test_csv = tmp_path / "test.csv"
    write_csv(test_csv)
    lines = test_csv.read_text().splitlines()
    train_csv.write_text(
        "\n".join(["w," + lines[0]] + [f"{1 + k % 2}," + r for k, r in enumerate(lines[1:])])
    )
    status, out, err = run_here(
        "train", str(train_csv), "--sample-weight", "w", "--test", str(test_csv), "--epochs", "2"
    )
    assert status == 0, err
    assert "test accuracy" in out


def test_init_from_refuses_another_activation_and_save_keeps_a_file_that_is_not_a_model(tmp_path):
    data = write_csv(tmp_path / "d.csv")
    model = str(tmp_path / "m.safetensors")
    assert run_here("train", data, "--epochs", "1", "--save", model)[0] == 0
    status, _, err = run_here("train", data, "--init-from", model, "--activation", "tanh", "--epochs", "1")
    assert status == 2 and "keeps the model's activation 'relu'" in err
    victim = tmp_path / "victim.csv"
    victim.write_text("x,y\n1,2\n")
    status, _, err = run_here("train", data, "--epochs", "1", "--save", str(victim))
    assert status == 2 and "is not a model file" in err and victim.read_text() == "x,y\n1,2\n"
    assert run_here("train", data, "--epochs", "1", "--save", model)[0] == 0  # a model file is replaced
    status, _, err = run_here("train", data, "--layers", "")
    assert status == 2 and "expected comma-separated integers" in err


def test_resume_works_from_another_folder_and_stdin_cannot_be_checkpointed(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    write_csv(work / "d.csv")
    status, _, err = run_here(
        "train", "d.csv", "--epochs", "1", "--checkpoint", "ck", "--save", "m.safetensors", cwd=work
    )
    assert status == 0, err
    status, _, err = run_here("train", "--resume", "work/ck", "--epochs", "2", cwd=tmp_path)
    assert status == 0, err
    assert (work / "m.safetensors").exists() and not (tmp_path / "m.safetensors").exists()
    status, _, err = run_here("train", "d.csv", "--resume", "ck", "--epochs", "3", cwd=work)  # same file
    assert status == 0, err
    status, _, err = run_here("train", "-", "--checkpoint", "ck2", cwd=work)
    assert status == 2 and "not '-' (stdin)" in err
