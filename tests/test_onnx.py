"""ONNX export, run in onnxruntime and compared with glassnet on 1,000 samples."""

import json

import numpy as np
import pytest

from glassnet import Network
from glassnet.cli import main
from glassnet.core.model import train
from glassnet.io.modelfile import save_model
from glassnet.io.onnx_export import export_onnx, to_onnx

ort = pytest.importorskip("onnxruntime")
TOLERANCE = 1e-5

rng = np.random.default_rng(0)
X = rng.normal(size=(1000, 5)) * [1.0, 3.0, 0.5, 10.0, 2.0] + [0.0, 5.0, -1.0, 100.0, 0.0]
LABELS = np.where(X[:, 0] * X[:, 2] > 0, "left", np.where(X[:, 1] > 5, "up", "down"))


def session(model):
    return ort.InferenceSession(to_onnx(model).SerializeToString(), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"])
def test_classifier_matches_glassnet(activation):
    model, _ = train(X, LABELS, layers=[16, 8], activation=activation, epochs=5, seed=1)
    proba, label = session(model).run(None, {"features": X.astype(np.float32)})
    assert np.max(np.abs(proba - model.predict_proba(X))) <= TOLERANCE
    assert (label.astype(str) == model.predict(X).astype(str)).all()


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"])
def test_regressor_matches_glassnet(activation):
    y = np.c_[np.sin(X[:, 0]) + 0.1 * X[:, 1], X[:, 2] - 0.01 * X[:, 3]]
    model, _ = train(X, y, task="regression", layers=[16], activation=activation, epochs=5, seed=2)
    (pred,) = session(model).run(None, {"features": X.astype(np.float32)})
    assert pred.shape == (1000, 2)
    assert np.max(np.abs(pred - model.predict(X))) <= TOLERANCE


def test_integer_labels_and_shared_biases_float64_model():
    from glassnet.core.model import Model, Standardizer
    from glassnet.core.network import Network

    net = Network([5, 4, 3], activation="tanh", loss="categorical_crossentropy", bias="shared", seed=0)
    model = Model(net, "classification", [f"x{k}" for k in range(5)], "y", [3, 7, 9], Standardizer.fit(X))
    proba, label = session(model).run(None, {"features": X.astype(np.float32)})
    assert np.max(np.abs(proba - model.predict_proba(X))) <= TOLERANCE
    assert label.dtype == np.int64 and set(label.tolist()) <= {3, 7, 9}


def test_cli_export(tmp_path, capsys):
    model, _ = train(X, LABELS, layers=[8], epochs=2)
    path = tmp_path / "m.safetensors"
    save_model(model, path)
    out = tmp_path / "m.onnx"
    assert main(["export", str(path), "--onnx", str(out)]) == 0
    s = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [i.name for i in s.get_inputs()] == ["features"]
    meta = json.loads(s.get_modelmeta().custom_metadata_map["glassnet"])
    assert meta["classes"] == ["down", "left", "up"] and len(meta["feature_names"]) == 5
    export_onnx(model, tmp_path / "again.onnx")
    assert (tmp_path / "again.onnx").read_bytes() == out.read_bytes()


@pytest.mark.parametrize("classes", [[True, False], [0.5, 2.0, 7.25]])
def test_onnx_labels_keep_the_classes_type(classes):
    ort = pytest.importorskip("onnxruntime")
    from glassnet.core.model import Model, Standardizer
    from glassnet.io.onnx_export import to_onnx

    k = len(classes)
    net = Network([2, 3, k], activation="tanh", loss="categorical_crossentropy", seed=0)
    X = np.random.default_rng(0).normal(size=(50, 2))
    model = Model(net, "classification", ["a", "b"], "y", classes, Standardizer.fit(X))
    session = ort.InferenceSession(to_onnx(model).SerializeToString(), providers=["CPUExecutionProvider"])
    _, label = session.run(None, {"features": X.astype(np.float32)})
    assert label.tolist() == model.predict(X).tolist()


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


def test_the_onnx_label_is_int64_for_integer_classes_and_text_for_text_classes(tmp_path):
    """A model trained on integer labels (or a format-1 file whose command-line classes were kept as
    digit text) exports an int64 ``label``; text classes export a string ``label``."""
    from glassnet.io.modelfile import from_bytes, to_bytes

    from .test_modelfile import as_format_1

    digits = np.where(X[:, 0] > 0, 1, np.where(X[:, 1] > 5, 2, 0))
    model, _ = train(X, digits, layers=[8], epochs=2)
    old = from_bytes(as_format_1(to_bytes(model), ["0", "1", "2"]))
    for m in (model, old):
        _, label = session(m).run(None, {"features": X.astype(np.float32)})
        assert label.dtype == np.int64 and label.tolist() == m.predict(X).tolist()
    text_model, _ = train(X, LABELS, layers=[8], epochs=2)
    _, label = session(text_model).run(None, {"features": X.astype(np.float32)})
    assert label.dtype == object and label.tolist() == text_model.predict(X).tolist()
    path, out = tmp_path / "m.safetensors", tmp_path / "m.onnx"
    save_model(model, path)
    assert main(["export", str(path), "--onnx", str(out)]) == 0
    s = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert s.get_outputs()[1].type == "tensor(int64)"


def test_integer_classes_beyond_int64_are_refused_clearly():
    from glassnet.core.errors import GlassnetError
    from glassnet.core.model import Model, Standardizer

    net = Network([5, 3, 2], loss="categorical_crossentropy", output_activation="softmax", seed=0)
    model = Model(net, "classification", [f"x{k}" for k in range(5)], "y", [0, 2**70], Standardizer.fit(X))
    with pytest.raises(GlassnetError, match=r"class 1180591620717411303424 does not fit ONNX's int64"):
        to_onnx(model)
