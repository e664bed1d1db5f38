"""Model files: one .safetensors file, bit-identical round trips, atomic saves, and distrust on loading."""

import json
import os
import struct

import numpy as np
import pytest

from glassnet.core.activations import ACTIVATIONS
from glassnet.core.errors import GlassnetError
from glassnet.core.losses import LOSSES
from glassnet.core.model import TASKS, train
from glassnet.core.network import BIAS_MODES, DTYPES
from glassnet.core.optimizers import OPTIMIZER_NAMES, SCHEDULES
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


# ------------------------------------------------------------------------------------ the metadata schema
DELETE = object()


def set_field(path, value):
    """A change for corrupt_metadata: the field at ``path`` (keys and indices) becomes ``value``, or goes
    (DELETE)."""

    def change(doc):
        *parents, last = path
        for key in parents:
            doc = doc[key]
        if value is DELETE:
            del doc[last]
        else:
            doc[last] = value

    return change


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("loss",), ["mse"], "field 'loss': expected one of 'half_sse', 'mse', "),
        (("architecture", "sizes"), "3,8", "field 'architecture.sizes': expected a list; received a string"),
        (("architecture", "sizes", 1), 8.0, "field 'architecture.sizes[1]': expected an integer; received"),
        (("architecture", "sizes", 1), 2**40, "field 'architecture.sizes[1]': expected at most 16777216"),
        (("architecture", "train_biases"), 1, "expected true or false; received an integer 1"),
        (("architecture", "dropout"), True, "field 'architecture.dropout': expected a number; received true"),
        (("architecture", "dropout"), 1.0, "field 'architecture.dropout': expected less than 1"),
        (
            ("feature_names",),
            {"a": 1},
            "field 'feature_names': expected a list; received an object {\"a\": 1}",
        ),
        (("feature_names", 0), "x" * 10**6, 'expected at most 10000 characters; received a string "xxx'),
        (("classes", 0), ["no"], "field 'classes[0]': expected a string or a number; received a list"),
        (("classes", 1), "no", "field 'classes': expected distinct labels; received"),
        (("format_version",), "1", "field 'format_version': expected an integer; received a string \"1\""),
        (("training", "settings", "lr"), "fast", "field 'training.settings.lr': expected a number"),
        (("training", "settings", "seed"), -1, "field 'training.settings.seed': expected at least 0"),
        (("training", "history", 0, "epoch"), None, "field 'training.history[0].epoch': expected an integer"),
        (("extra",), 1, "field 'extra' is not part of the format; received an integer 1"),
        (("task",), DELETE, "field 'task' is missing"),
    ],
)
def test_the_schema_checks_types_before_values_and_names_the_field(classifier, path, value, message):
    model, _ = classifier
    with pytest.raises(ModelFileError) as caught:
        from_bytes(corrupt_metadata(to_bytes(model), set_field(path, value)), "m.safetensors")
    assert str(caught.value).startswith("'m.safetensors' is not a valid glassnet model: metadata field ")
    assert message in str(caught.value) and len(str(caught.value)) < 300


@pytest.mark.parametrize(
    "path, registry",
    [
        (("loss",), LOSSES),
        (("task",), TASKS),
        (("architecture", "activations", 0), ACTIVATIONS),
        (("architecture", "bias"), BIAS_MODES),
        (("architecture", "dtype"), DTYPES),
        (("training", "settings", "optimizer"), OPTIMIZER_NAMES),
        (("training", "settings", "schedule"), SCHEDULES),
    ],
)
def test_the_allowed_names_are_the_core_registries(classifier, path, registry):
    model, _ = classifier
    with pytest.raises(ModelFileError) as caught:
        from_bytes(corrupt_metadata(to_bytes(model), set_field(path, "unheard-of")))
    expected = ", ".join(repr(name) for name in registry)
    assert f"expected one of {expected[::-1].replace(' ,', ' ro ', 1)[::-1]}; received" in str(caught.value)


def test_labels_keep_their_json_type(tmp_path):
    """Labels are strings, numbers or true/false, as the data had them (a bool-labelled classifier once
    saved a file that would not load)."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 2))
    for y in (X[:, 0] > 0, np.where(X[:, 0] > 0, 7, -3), np.where(X[:, 0] > 0, 0.5, 1.5)):
        model = train(X, y, layers=[4], epochs=1, seed=0)[0]
        loaded = from_bytes(to_bytes(model))
        assert loaded.classes == model.classes and [type(c) for c in loaded.classes] == [
            type(c) for c in model.classes
        ]
        assert (loaded.predict(X) == model.predict(X)).all()


def test_huge_numbers_in_the_header_or_the_metadata_are_rejected(classifier):
    """Python refuses to read integers of over 4300 digits: that was a ValueError traceback."""
    model, _ = classifier
    data = to_bytes(model)
    n = struct.unpack("<Q", data[:8])[0]
    header = data[8 : 8 + n]
    for old, new in (
        (b'"format_version\\": 1', b'"format_version\\": 1' + b"0" * 5000),
        (b'"F32"', b"1" * 5000),
    ):
        assert old in header
        changed = header.replace(old, new, 1)
        changed += b" " * (-len(changed) % 8)
        with pytest.raises(ModelFileError, match="Exceeds the limit"):
            from_bytes(struct.pack("<Q", len(changed)) + changed + data[8 + n :])
