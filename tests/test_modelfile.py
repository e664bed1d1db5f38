"""Model files: one .safetensors file, bit-identical round trips, atomic saves, and distrust on loading."""

import json
import os
import struct

import numpy as np
import pytest

from glassnet.core.errors import GlassnetError
from glassnet.core.model import train
from glassnet.interfaces import modelfile
from glassnet.interfaces.modelfile import ModelFileError, from_bytes, load_model, save_model, to_bytes


@pytest.fixture(scope="module")
def classifier():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    return train(X, y, layers=[8, 4], epochs=3, dropout=0.1, seed=0)[0], X


@pytest.fixture(scope="module")
def regressor():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 2))
    return train(X, X[:, 0] * 3.0, task="regression", layers=[6], epochs=3, dtype="float64", seed=0)[0], X


@pytest.mark.parametrize("which", ["classifier", "regressor"])
def test_round_trip_is_bit_identical(tmp_path, request, which):
    model, X = request.getfixturevalue(which)
    path = tmp_path / "m.safetensors"
    save_model(model, path)
    loaded = load_model(path)
    assert np.array_equal(loaded.outputs(X), model.outputs(X))
    assert (loaded.predict(X) == model.predict(X)).all()
    assert loaded.classes == model.classes and loaded.feature_names == model.feature_names
    assert loaded.settings == model.settings and loaded.history == model.history
    assert repr(loaded.network) == repr(model.network)


def test_the_file_is_plain_safetensors_with_json_metadata(tmp_path, classifier):
    from safetensors.numpy import load_file

    model, _ = classifier
    path = tmp_path / "m.safetensors"
    save_model(model, path)
    tensors = load_file(path)
    layers = {f"layers.{l}.{p}" for l in range(3) for p in "Wb"}
    assert set(tensors) == layers | {"standardize.mean", "standardize.scale"}
    n = struct.unpack("<Q", path.read_bytes()[:8])[0]
    doc = json.loads(json.loads(path.read_bytes()[8 : 8 + n])["__metadata__"]["glassnet"])
    assert doc["format"] == "glassnet-model" and doc["format_version"] == 1
    assert doc["architecture"]["sizes"] == [3, 8, 4, 2] and doc["classes"] == ["no", "yes"]
    assert doc["training"]["settings"]["dropout"] == 0.1
    assert b"pickle" not in path.read_bytes() and not path.read_bytes().startswith(b"\x80")


def test_a_failed_save_leaves_the_old_file(tmp_path, classifier, monkeypatch):
    model, _ = classifier
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"the user's old model")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(modelfile.os, "replace", broken_replace)
    with pytest.raises(GlassnetError, match=r"cannot write .*disk full"):
        save_model(model, path)
    assert path.read_bytes() == b"the user's old model"
    assert os.listdir(tmp_path) == ["m.safetensors"]  # no temporary file left behind


def corrupt_metadata(data: bytes, change) -> bytes:
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    doc = json.loads(header["__metadata__"]["glassnet"])
    change(doc)
    header["__metadata__"]["glassnet"] = json.dumps(doc)
    new = json.dumps(header).encode()
    new += b" " * ((8 - len(new) % 8) % 8)
    return struct.pack("<Q", len(new)) + new + data[8 + n :]


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda d: d.update(format_version=99), "newer glassnet"),
        (lambda d: d.update(format="other"), "format is 'other'"),
        (lambda d: d["architecture"].update(sizes=[3, 9, 4, 2]), "shape"),
        (lambda d: d["architecture"].update(dtype="float64"), "dtype"),
        (lambda d: d.update(classes=["a"]), "classes"),
        (lambda d: d["architecture"].update(activations=["relu", "evil", "softmax"]), "activations"),
    ],
)
def test_metadata_that_does_not_match_is_rejected(classifier, change, match):
    model, _ = classifier
    with pytest.raises(ModelFileError, match=match):
        from_bytes(corrupt_metadata(to_bytes(model), change))


def test_damaged_files_are_rejected(tmp_path, classifier):
    model, _ = classifier
    data = to_bytes(model)
    for bad in (b"", data[:5], data[: len(data) // 2], b"\xff" * 64, struct.pack("<Q", 2**60) + data[8:]):
        with pytest.raises(ModelFileError):
            from_bytes(bad)
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "missing.safetensors")


def test_nan_weights_are_rejected(classifier):
    model, _ = classifier
    data = bytearray(to_bytes(model))
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    start = 8 + n + header["layers.0.W"]["data_offsets"][0]
    data[start : start + 4] = np.array([np.nan], dtype="<f4").tobytes()
    with pytest.raises(ModelFileError, match="NaN"):
        from_bytes(bytes(data))
