"""One CSV row through a saved model (interfaces.rowexplain and ``glassnet explain --model``): the
forward pass is the model's, the contributions add up, the step runs on a copy, and every mistake is one
error line."""

import copy
import json

import numpy as np
import pytest

from glassnet.cli import main
from glassnet.core.network import Network
from glassnet.explain.rowexplain import (
    DEFAULT_LR,
    ROW_NUMBERING,
    explain_row,
    read_row,
    row_html,
    weight_name,
)
from glassnet.io.modelfile import load_model

from .test_cli import run


def _write(path, header, rows):
    path.write_text(",".join(header) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return str(path)


def _train(capsys, data, save, *options):
    assert main(["train", data, "--epochs", "15", "--save", save, "--json", *options]) == 0
    capsys.readouterr()
    return save


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A classifier (3-4-3), a regressor (2-5-1) and a large classifier (60-32-10), with their CSVs."""
    tmp = tmp_path_factory.mktemp("rows")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3)).round(4)
    label = np.where(X[:, 0] + X[:, 1] > 0.3, "yes", np.where(X[:, 2] > 0, "maybe", "no"))
    out = {"X": X, "label": label}
    out["cls_csv"] = _write(
        tmp / "c.csv", ["a", "b", "c", "label"], [[*r, k] for r, k in zip(X, label, strict=True)]
    )
    out["cls_nolabel"] = _write(tmp / "c_new.csv", ["c", "b", "a"], [[r[2], r[1], r[0]] for r in X[:5]])
    R = rng.normal(size=(100, 2)).round(4)
    y = (3 * R[:, 0] - R[:, 1] + 10).round(4)
    out["R"], out["y"] = R, y
    out["reg_csv"] = _write(tmp / "r.csv", ["u", "v", "price"], [[*r, v] for r, v in zip(R, y, strict=True)])
    B = rng.random(size=(80, 60)).round(3)
    digit = rng.integers(0, 10, size=80)
    out["big_csv"] = _write(
        tmp / "big.csv",
        [*(f"p{i}" for i in range(60)), "digit"],
        [[*r, d] for r, d in zip(B, digit, strict=True)],
    )
    out["tmp"] = tmp
    return out


@pytest.fixture(scope="module")
def models(files):
    tmp = files["tmp"]
    paths = {}
    for name, data, layers in (("cls", "cls_csv", "4"), ("reg", "reg_csv", "5"), ("big", "big_csv", "32")):
        paths[name] = str(tmp / f"{name}.safetensors")
        assert main(["train", files[data], "--layers", layers, "--epochs", "15", "--save", paths[name]]) == 0
    return paths


def _explain(models, files, name, data, row, **kwargs):
    model = load_model(models[name])
    found = read_row(model, files[data], row)
    e = explain_row(model, found.features, target=found.target, row=row, source=files[data], **kwargs)
    return model, found, e


def test_the_forward_pass_is_the_models_and_the_prediction_its_class(models, files):
    model, found, e = _explain(models, files, "cls", "cls_csv", 7)
    assert e["row"] == 7 and e["row_numbering"] == ROW_NUMBERING
    np.testing.assert_array_equal(found.features, files["X"][6])
    proba = model.predict_proba(found.features[None, :])[0]
    assert [n["a"] for n in e["forward"][-1]["neurons"]] == [float(p) for p in proba]
    values = model.network.propagate(model.network_inputs(found.features[None, :]))
    for layer, (z, a) in zip(e["forward"], values, strict=True):
        assert [n["z"] for n in layer["neurons"]] == [float(v) for v in z[0]]
        assert [n["a"] for n in layer["neurons"]] == [float(v) for v in a[0]]
    p = e["prediction"]
    assert p["class"] == model.predict(found.features[None, :])[0] and p["probability"] == float(proba.max())
    assert p["class"] in {"yes", "maybe", "no"} and p["output"] == f"o{int(proba.argmax()) + 1}"
    assert [f["name"] for f in e["features"]] == ["a", "b", "c"]
    f = e["features"][1]
    assert f["raw"] == files["X"][6, 1]
    assert f["standardized"] == pytest.approx((f["raw"] - f["mean"]) / f["scale"], rel=1e-6)
    json.dumps(e, allow_nan=False)


def test_contributions_sum_to_the_net_inputs(models, files):
    _, _, e = _explain(models, files, "cls", "cls_csv", 3, top_k=2)
    c = e["contributions"]
    for layer, forward in zip(c["layers"], e["forward"], strict=True):
        for n, f in zip(layer["neurons"], forward["neurons"], strict=True):
            assert (
                len(n["terms"]) == 2
                and n["rest"]["count"]
                == len(e["features"] if layer["layer"] == 1 else e["forward"][0]["neurons"]) - 2
            )
            total = sum(t["value"] for t in n["terms"]) + n["rest"]["sum"] + n["bias"]
            assert total == pytest.approx(n["z"], abs=1e-12)
            assert n["z"] == pytest.approx(f["z"], rel=1e-5, abs=1e-6)  # float64 against the float32 pass
            for t in n["terms"]:
                assert t["value"] == pytest.approx(t["a"] * t["w"], rel=1e-15)
    for out in c["inputs_to_outputs"]:
        total = sum(s["value"] for s in out["inputs"]) + out["rest"]["sum"] + out["bias_share"]
        assert total == pytest.approx(out["z"], abs=1e-12)
        assert sum(out["bias_share_by_layer"]) == pytest.approx(out["bias_share"], abs=1e-12)
    for paths, out in zip(c["paths"], c["inputs_to_outputs"], strict=True):
        total = sum(p["value"] for p in paths["paths"]) + paths["rest"]["sum"] + out["bias_share"]
        assert total == pytest.approx(out["z"], abs=1e-12)
        assert len(paths["paths"][0]["path"]) == 3 and paths["paths"][0]["path"][0] in {"a", "b", "c"}
    assert "LRP-0" in c["rule"]


def test_weight_names_are_the_networks():
    sizes = [3, 4, 2, 3]
    net = Network(sizes, bias="shared")
    for ref in net.parameter_refs:
        if ref.kind == "weight":
            assert weight_name(sizes, ref.layer, *ref.index) == ref.name


def test_the_step_runs_on_a_copy_with_the_models_learning_rate(models, files):
    model = load_model(models["cls"])
    before = copy.deepcopy(model.network.get_weights())
    found = read_row(model, files["cls_csv"], 5)
    e = explain_row(model, found.features, target=found.target)
    for (W, b), (W0, b0) in zip(model.network.get_weights(), before, strict=True):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)
    assert e["target"]["value"] == files["label"][4]
    k = model.classes.index(files["label"][4])
    assert e["target"]["encoded"] == {f"o{j + 1}": float(j == k) for j in range(3)}
    s = e["step"]
    assert (
        s["learning_rate"] == model.settings["lr"]
        and s["learning_rate_source"] == "the model's training setting lr"
    )
    assert s["optimizer"] == "sgd" and s["full"] and s["trace"]["learning_rate"] == s["learning_rate"]
    assert e["loss"] == pytest.approx(-np.log(e["forward"][-1]["neurons"][k]["a"]), rel=1e-5)
    assert s["loss"] == pytest.approx(e["loss"], rel=1e-6) and s["loss_after"] < s["loss"]
    grads = sorted((abs(p["grad"]) for p in s["trace"]["parameters"]), reverse=True)
    assert [abs(g["grad"]) for g in s["largest_gradients"]] == grads[:10]
    assert explain_row(model, found.features, target=found.target, lr=0.5)["step"]["learning_rate"] == 0.5
    del model.settings["lr"]
    s = explain_row(model, found.features, target=found.target)["step"]
    assert s["learning_rate"] == DEFAULT_LR and "stores no learning rate" in s["learning_rate_source"]


def test_a_row_without_the_target_has_no_loss(models, files, capsys):
    model = load_model(models["cls"])
    found = read_row(model, files["cls_nolabel"], 2)
    np.testing.assert_array_equal(found.features, files["X"][1])  # columns matched by name
    e = explain_row(model, found.features, target=found.target)
    assert found.target is None and e["target"] is None and e["loss"] is None and e["step"] is None
    assert main(["explain", "--model", models["cls"], "--data", files["cls_nolabel"], "--row", "2"]) == 0
    out = capsys.readouterr().out
    assert "(the file has no 'label' column): no loss and no training step" in out and "loss (" not in out


def test_a_regression_row_in_target_units(models, files):
    model, found, e = _explain(models, files, "reg", "reg_csv", 10)
    p = e["prediction"]
    assert p["value"] == pytest.approx(float(model.predict(found.features[None, :])[0]), rel=1e-6)
    assert p["value"] == pytest.approx(
        p["outputs"][0]["network_output"] * p["target_scale"] + p["target_mean"], rel=1e-6
    )
    y = files["y"][9]
    assert e["target"]["value"] == y
    assert e["target"]["encoded"]["o1"] == pytest.approx((y - p["target_mean"]) / p["target_scale"], rel=1e-6)
    assert e["loss"] is not None and e["step"]["full"] and "probability" not in p


def test_the_terminal_view_of_a_small_model_shows_the_seven_steps(models, files, capsys):
    assert main(["explain", "--model", models["cls"], "--data", files["cls_csv"], "--row", "7"]) == 0
    out = capsys.readouterr().out
    assert "row 7 of" in out and "row 1 is the first data row after the header" in out
    assert "predicted class '" in out and "with probability" in out
    assert "Step 1. Initialize" in out and "Step 7. Repeat" in out and "net_h1 = " in out
    assert "the model's training setting lr" in out


def test_a_large_model_stays_short(models, files, capsys):
    assert main(["explain", "--model", models["big"], "--data", files["big_csv"], "--row", "80"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) < 110, len(lines)
    assert max(len(line) for line in lines) < 1000
    assert "Step 1. Initialize" not in out and "the 10 largest gradients of 2,282" in out
    assert "(50 more features" not in out and "features: the 10 of 60 farthest from the mean" in out
    assert "(22 more with smaller |a|)" in out and "more inputs: sum" in out
    assert (
        main(
            [
                "explain",
                "--model",
                models["big"],
                "--data",
                files["big_csv"],
                "--row",
                "80",
                "--json",
                "--top",
                "3",
            ]
        )
        == 0
    )
    e = json.loads(capsys.readouterr().out)
    s = e["step"]
    assert not s["full"] and s["trace"] is None and len(s["largest_gradients"]) == 3
    assert s["rest"]["count"] == 2282 - 3 and s["parameters"] == 2282
    assert e["top_k"] == 3 and len(e["contributions"]["inputs_to_outputs"][0]["inputs"]) == 3
    assert len(e["features"]) == 60  # JSON lists every feature


def test_json_is_strict_and_says_how_rows_count(models, files):
    status, out, err = run(
        "explain", "--model", models["reg"], "--data", files["reg_csv"], "--row", "100", "--json"
    )
    assert status == 0 and err == ""
    e = json.loads(out)
    assert e["row"] == 100 and e["row_numbering"] == ROW_NUMBERING and e["data"] == files["reg_csv"]
    assert e["features"][0]["raw"] == files["R"][99, 0]


def test_row_html_is_escaped_tables(models, files):
    _, _, e = _explain(models, files, "cls", "cls_csv", 1)
    e["features"][0]["name"] = "<script>alert(1)</script>"
    e["prediction"]["class"] = "a & b"
    text = row_html(e)
    assert "<script>" not in text and "&lt;script&gt;" in text and "a &amp; b" in text
    assert text.count("<table>") == 4 and text.startswith('<section class="glassnet-row">')


@pytest.mark.needs("sklearn")
def test_an_iris_row_names_its_species(tmp_path, capsys):
    from sklearn.datasets import load_iris

    iris = load_iris()
    names = [n.replace(" (cm)", "").replace(" ", "_") for n in iris.feature_names]
    rows = [[*x, iris.target_names[t]] for x, t in zip(iris.data, iris.target, strict=True)]
    data = _write(tmp_path / "iris.csv", [*names, "species"], rows)
    model = str(tmp_path / "iris.safetensors")
    assert main(["train", data, "--layers", "8", "--epochs", "60", "--save", model]) == 0
    capsys.readouterr()
    assert main(["explain", "--model", model, "--data", data, "--row", "1", "--json"]) == 0
    e = json.loads(capsys.readouterr().out)
    assert e["prediction"]["class"] == "setosa" and e["prediction"]["probability"] > 0.5
    assert e["target"]["value"] == "setosa" and e["target"]["encoded"] == {"o1": 1.0, "o2": 0.0, "o3": 0.0}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--row", "121"], "row 121 is out of range: '{cls_csv}' has 120 data rows (rows count from 1"),
        (["--row", "0"], "argument --row: expected an integer >= 1; received: '0'"),
        ([], "--model needs --row: e.g. --data file.csv --row 1"),
        (["--row", "1", "--layers", "3,4,3", "--seed", "2"], "it cannot be used with --layers, --seed"),
        (["--row", "1", "--input", "1,2,3"], "it cannot be used with --input"),
    ],
)
def test_mistakes_are_one_error_line(models, files, extra, message):
    status, out, err = run("explain", "--model", models["cls"], "--data", files["cls_csv"], *extra)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message.format(**files) in err


def test_wrong_files_are_one_error_line(models, files, tmp_path):
    cases = [
        (
            ["--model", files["cls_csv"], "--data", files["cls_csv"], "--row", "1"],
            "is not a valid glassnet model file",
        ),
        (
            ["--model", str(tmp_path / "none.safetensors"), "--data", files["cls_csv"], "--row", "1"],
            "no such model file",
        ),
        (
            ["--model", models["cls"], "--data", files["reg_csv"], "--row", "1"],
            "lacks 3 feature column(s) the model was trained on: a, b, c",
        ),
        (["--model", models["cls"], "--row", "1"], "--model needs --data"),
        (
            ["--data", files["cls_csv"], "--row", "1"],
            "--data, --row: these explain a row through a saved model and need --model",
        ),
        (["--top", "3"], "--top: these explain a row through a saved model and need --model"),
    ]
    for args, message in cases:
        status, out, err = run("explain", *args)
        assert status == 2 and out == "", args
        assert err.count("\n") == 1 and err.startswith("error: ") and message in err, (args, err)


def test_a_target_column_that_cannot_be_read_is_said_and_not_used(models, tmp_path, capsys):
    data = _write(tmp_path / "part.csv", ["a", "b", "c", "label"], [[1, 2, 3, "yes"], [1, 2, 3, ""]])
    assert main(["explain", "--model", models["cls"], "--data", data, "--row", "1"]) == 0
    captured = capsys.readouterr()
    assert "note: the target column 'label' was not used: missing value in target column" in captured.err
    assert "no target for this row (the target column 'label' was not used" in captured.out
    assert "loss (" not in captured.out


# ----------------------------------------------------------------------------- the write-up of a row
def _keyed(page):
    import html5lib

    tree = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)
    return tree, [
        (e.get("data-key"), "".join(e.itertext()).replace("\u2212", "-"))
        for e in tree.iter()
        if e.get("data-key")
    ]


@pytest.mark.parametrize(("name", "data"), [("cls", "cls_csv"), ("reg", "reg_csv"), ("big", "big_csv")])
def test_writeup_of_a_row_shows_the_prediction_and_the_step_in_the_models_numbers(
    models, files, tmp_path, name, data
):
    from glassnet.explain.render import value_at
    from glassnet.explain.rowexplain import prediction_text
    from glassnet.explain.writeup import fmt

    out = tmp_path / "row.html"
    assert (
        main(["writeup", "-o", str(out), "--model", models[name], "--data", files[data], "--row", "3"]) == 0
    )
    page = out.read_text()
    *_, e = _explain(models, files, name, data, 3, full_step=True)
    assert "Why the model predicted what it did for row 3 of" in page
    assert prediction_text(e).replace("'", "&#x27;") in page
    _, keyed = _keyed(page)
    trace = e["step"]["trace"]
    assert len(keyed) > 40
    for key, printed in keyed:  # the step's numbers are the trace's, on the standardized row
        assert printed == fmt(value_at(trace, key)), key
    standardized = [f["standardized"] for f in e["features"]]
    assert [trace["inputs"][f"i{k + 1}"] for k in range(len(standardized))] == pytest.approx(standardized)
    assert "<script" not in page


def test_writeup_of_a_row_without_its_target_has_no_step(models, files, tmp_path):
    out = tmp_path / "row.html"
    assert (
        main(
            [
                "writeup",
                "-o",
                str(out),
                "--model",
                models["cls"],
                "--data",
                files["cls_nolabel"],
                "--row",
                "2",
            ]
        )
        == 0
    )
    page = out.read_text()
    assert "No training step is worked out" in page and 'id="step-1"' not in page
    assert "predicted class" in page


def test_writeup_of_a_row_refuses_exercise_options(models, files, tmp_path, capsys):
    args = ["writeup", "-o", str(tmp_path / "x.html"), "--model", models["cls"], "--data", files["cls_csv"]]
    assert main([*args, "--row", "1", "--exercise"]) == 2
    assert capsys.readouterr().err.startswith("error: --exercise, --blank and --students write exercises")
    assert main([*args]) == 2
    assert "--model needs --row" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


def test_a_regression_write_up_links_the_network_output_to_target_units(models, files, tmp_path):
    out = tmp_path / "reg.html"
    assert (
        main(["writeup", "-o", str(out), "--model", models["reg"], "--data", files["reg_csv"], "--row", "5"])
        == 0
    )
    page = out.read_text()
    *_, e = _explain(models, files, "reg", "reg_csv", 5)
    p = e["prediction"]
    assert f"in target units: mean {p['target_mean']:.7g} + scale {p['target_scale']:.7g} × o1" in page
    assert f"predicted price = {p['value']:.7g} " in page  # float32: 7 digits, not false precision
    assert f"The row's target is price = {float(files['y'][4])!r}" in page
    assert "The model computes in float32" in page


def test_a_wide_layer_is_listed_by_its_first_neurons_in_html(models, files, monkeypatch):
    from glassnet.explain import rowexplain

    monkeypatch.setattr(rowexplain, "ROWS", 8)
    *_, e = _explain(models, files, "big", "big_csv", 1)
    forward = row_html(e).split("<caption>forward pass</caption>")[1].split("</table>")[0]
    assert "<td>24 more</td>" in forward and ">h9<" not in forward and ">h8<" in forward
