"""glassnet predict (and evaluate) on real-world CSV files: integer labels, columns the model does not use,
separators, gzip and standard input, an id column, --output and --proba."""

import csv
import gzip
import io
import json
import subprocess
import sys

import numpy as np
import pytest

from glassnet.cli import main

from .test_cli import run


def rows_of(text):
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def int_model(tmp_path, capsys):
    """A model trained on a CSV whose classes are the integers 0, 1, 2."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    train = tmp_path / "train.csv"
    train.write_text("a,b,y\n" + "".join(f"{a:.6f},{b:.6f},{c}\n" for (a, b), c in zip(X, y, strict=True)))
    model = tmp_path / "m.safetensors"
    assert main(["train", str(train), "--epochs", "30", "--save", str(model), "--json"]) == 0
    capsys.readouterr()
    return str(model), X, y


def test_test_labels_written_as_floats_match_integer_classes(int_model, tmp_path, capsys):
    _, X, y = int_model
    train = tmp_path / "train.csv"
    test = tmp_path / "test.csv"  # pandas writes an int column with a missing value as floats: 0.0, 1.0
    test.write_text(
        "a,b,y\n" + "".join(f"{a:.6f},{b:.6f},{float(c)}\n" for (a, b), c in zip(X, y, strict=True))
    )
    assert main(["train", str(train), "--test", str(test), "--epochs", "5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["test_accuracy"] > 0.5


def test_evaluate_reads_float_labels_as_the_models_integer_classes(int_model, tmp_path, capsys):
    model, X, y = int_model
    test = tmp_path / "test.csv"
    test.write_text("a,b,y\n" + "".join(f"{a:.6f},{b:.6f},{c}.0\n" for (a, b), c in zip(X, y, strict=True)))
    assert main(["evaluate", model, str(test), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] > 0.8


def test_predict_ignores_columns_the_model_does_not_use_and_says_so(int_model, tmp_path, capsys):
    model, _, _ = int_model
    data = tmp_path / "new.csv"
    data.write_text("note,b,a,extra\nabc,0.5,1,\n,-1,-2,x\n")
    assert main(["predict", model, str(data)]) == 0
    captured = capsys.readouterr()
    assert rows_of(captured.out)[0] == ["y"] and len(rows_of(captured.out)) == 3
    assert {r[0] for r in rows_of(captured.out)[1:]} <= {"0", "1", "2"}
    assert captured.err == f"note: ignored 2 column(s) of {data} the model does not use: note, extra\n"


def test_predict_with_an_id_probabilities_and_an_output_file(int_model, tmp_path, capsys):
    model, _, _ = int_model
    data = tmp_path / "new.csv"
    data.write_text("key,a,b\nk1,1,0.5\nk2,-2,-1\n")
    out = tmp_path / "pred.csv"
    assert main(["predict", model, str(data), "--id", "key", "--proba", "--output", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == f"wrote 2 predictions to {out}\n"
    rows = rows_of(out.read_text())
    assert rows[0] == ["key", "y", "p_0", "p_1", "p_2"]
    assert [r[0] for r in rows[1:]] == ["k1", "k2"]
    for row in rows[1:]:
        p = [float(v) for v in row[2:]]
        assert abs(sum(p) - 1) < 1e-5 and row[1] == str(int(np.argmax(p)))
    assert not list(tmp_path.glob(".*partial"))


def test_predict_output_never_overwrites_an_input(int_model, tmp_path):
    model, _, _ = int_model
    data = tmp_path / "new.csv"
    data.write_text("a,b\n1,2\n")
    before = data.read_bytes()
    for target in (data, tmp_path / "m.safetensors"):
        status, out, err = run("predict", model, str(data), "--output", str(target))
        assert status == 2 and "is also an input of this command" in err and out == ""
    assert data.read_bytes() == before


def test_semicolon_decimal_comma_gzip_and_stdin(int_model, tmp_path):
    model, _, _ = int_model
    plain = "a,b\n1.5,0.25\n-2,-1\n"
    (tmp_path / "plain.csv").write_text(plain)
    status, expected, err = run("predict", model, str(tmp_path / "plain.csv"))
    assert status == 0 and err == ""
    (tmp_path / "semi.csv").write_text("a;b\n1,5;0,25\n-2;-1\n")
    status, out, err = run("predict", model, str(tmp_path / "semi.csv"))
    assert status == 0 and out == expected
    assert err == f"note: read {tmp_path / 'semi.csv'} as semicolon-separated with decimal commas\n"
    status, out, err = run("predict", model, str(tmp_path / "semi.csv"), "--sep", ";", "--decimal", ",")
    assert status == 0 and out == expected and err == ""
    (tmp_path / "tab.tsv").write_text(plain.replace(",", "\t"))
    status, out, err = run("predict", model, str(tmp_path / "tab.tsv"), "--sep", "tab")
    assert status == 0 and out == expected and err == ""
    (tmp_path / "d.csv.gz").write_bytes(gzip.compress(plain.encode()))
    status, out, err = run("predict", model, str(tmp_path / "d.csv.gz"))
    assert status == 0 and out == expected
    proc = subprocess.run(
        [sys.executable, "-m", "glassnet", "predict", model, "-"],
        input=plain,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0 and proc.stdout == expected and proc.stderr == ""


def test_a_wrong_separator_and_a_pandas_index_are_one_clear_error(int_model, tmp_path):
    model, _, _ = int_model
    (tmp_path / "semi.csv").write_text("a;b;y\n1,5;2;0\n")
    status, _, err = run("evaluate", model, str(tmp_path / "semi.csv"), "--sep", ",")
    assert status == 2 and err.startswith("error:") and len(err.splitlines()) == 1
    (tmp_path / "index.csv").write_text(",a,b,y\n0,1,2,0\n")
    status, _, err = run("evaluate", model, str(tmp_path / "index.csv"))
    assert status == 2 and "index=False" in err and len(err.splitlines()) == 1
    status, _, err = run("train", "-", "--test", "-")
    assert status == 2 and "only one input can be '-'" in err


def test_train_with_an_id_column(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 2))
    path = tmp_path / "d.csv"
    path.write_text("id,a,b,y\n" + "".join(f"r{k},{a},{b},{int(a > b)}\n" for k, (a, b) in enumerate(X)))
    model = tmp_path / "m.safetensors"
    assert main(["train", str(path), "--id", "id", "--epochs", "2", "--save", str(model), "--json"]) == 0
    capsys.readouterr()
    assert main(["predict", str(model), str(path), "--id", "id"]) == 0
    captured = capsys.readouterr()
    assert rows_of(captured.out)[0] == ["id", "y"] and rows_of(captured.out)[1][0] == "r0"
    assert captured.err == f"note: ignored 1 column(s) of {path} the model does not use: y\n"


def test_predict_into_a_pipe_that_closes_ends_quietly(int_model, tmp_path):
    """`glassnet predict m.safetensors big.csv | head -3`: the status of a SIGPIPE'd tool, no traceback."""
    model, _, _ = int_model
    data = tmp_path / "big.csv"
    data.write_text("a,b\n" + "0.5,-0.5\n" * 50_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "glassnet", "predict", model, str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    for _ in range(3):
        proc.stdout.readline()
    proc.stdout.close()
    with proc.stderr:
        stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert stderr == ""


def test_the_reading_progress_bar_shows_only_for_large_files():
    from rich.console import Console

    from glassnet.cli.reading import reading_progress

    for total, shown in ((30 << 20, True), (1 << 20, False)):
        console = Console(file=io.StringIO(), force_terminal=True, width=120)
        with reading_progress(console) as on_progress:
            on_progress(total // 2, total)
        assert ("reading" in console.file.getvalue()) is shown


def test_a_separator_of_more_than_one_character_is_a_usage_error():
    status, _, err = run("predict", "m.safetensors", "d.csv", "--sep", ";;")
    assert status == 2 and "expected one character such as ';' or 'tab'; received: ';;'" in err
