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
from glassnet.core.network import BIAS_MODES, DTYPES, Network
from glassnet.core.optimizers import OPTIMIZER_NAMES, SCHEDULES
from glassnet.io import files, modelfile
from glassnet.io.formats import MODEL_FORMAT_VERSION
from glassnet.io.modelfile import ModelFileError, from_bytes, load_model, save_model, to_bytes


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
    assert doc["format"] == "glassnet-model" and doc["format_version"] == MODEL_FORMAT_VERSION == 2
    assert doc["architecture"]["sizes"] == [3, 8, 4, 2] and doc["classes"] == ["no", "yes"]
    assert doc["training"]["settings"]["dropout"] == 0.1
    assert b"pickle" not in path.read_bytes() and not path.read_bytes().startswith(b"\x80")


def test_a_failed_save_leaves_the_old_file(tmp_path, classifier, monkeypatch):
    model, _ = classifier
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"the user's old model")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken_replace)
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


def test_reading_bytes_leaves_no_temporary_file(tmp_path, classifier, monkeypatch):
    """safetensors' reader takes a path: from_bytes hands it a temporary file, and always removes it."""
    import tempfile

    model, _ = classifier
    data = to_bytes(model)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert from_bytes(data).classes == model.classes
    for bad in (data[:-10], data[:100], b"\xff" * 64, data.replace(b"glassnet-model", b"glassnet-other")):
        with pytest.raises(ModelFileError):
            from_bytes(bad)
    assert os.listdir(tmp_path) == []


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
    for old, new, match in (
        (b'"format_version\\": 2', b'"format_version\\": 2' + b"0" * 5000, "Exceeds the limit"),
        (b'"F32"', b"1" * 5000, ""),  # safetensors' reader refuses it, in its own words
    ):
        assert old in header
        changed = header.replace(old, new, 1)
        changed += b" " * (-len(changed) % 8)
        with pytest.raises(ModelFileError, match=f"^'m' is not a valid glassnet model: .*{match}"):
            from_bytes(struct.pack("<Q", len(changed)) + changed + data[8 + n :], "m")


# ------------------------------------------------------------------ class labels keep their type (issue 11)
def integer_classifier():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(90, 2))
    y = np.where(X[:, 0] > 0.5, 2, np.where(X[:, 0] > -0.5, 1, 0))  # numpy integers
    model = train(X, y, layers=[4], epochs=2, seed=0)[0]
    return model, X, y


def test_integer_classes_come_back_as_integers(tmp_path):
    model, X, y = integer_classifier()
    save_model(model, tmp_path / "m.safetensors")
    loaded = load_model(tmp_path / "m.safetensors")
    assert loaded.classes == [0, 1, 2] and all(type(c) is int for c in loaded.classes)
    assert (loaded.predict(X) == y).mean() == (model.predict(X) == y).mean() > 0.3
    np.testing.assert_array_equal(loaded.encode_targets([0.0, 2.0]), loaded.encode_targets([0, 2]))


def as_format_1(data: bytes, classes) -> bytes:
    """The bytes of a file as glassnet wrote it before format 2: the same layout, classes as given."""
    from safetensors.numpy import load

    def change(doc):
        doc.update(format_version=1, classes=classes)

    changed = corrupt_metadata(data, change)
    n = struct.unpack("<Q", changed[:8])[0]
    header = json.loads(changed[8 : 8 + n])
    header["__metadata__"][modelfile.CHECKSUM_KEY] = modelfile.checksum(header["__metadata__"], load(data))
    new = json.dumps(header).encode()
    new += b" " * (-len(new) % 8)
    return struct.pack("<Q", len(new)) + new + changed[8 + n :]


def test_a_format_1_file_from_the_command_line_reads_its_digit_classes_as_integers():
    """Before format 2 the command line kept every label as text: a CSV's 0, 1, 2 were saved as "0", "1",
    "2" (and 0.0, 1.0 as "0.0", "1.0"). Such files load with the integers the CSV loader now reads, so
    predictions compare equal to the labels and evaluate finds them."""
    model, X, _ = integer_classifier()
    for text in (["0", "1", "2"], ["0.0", "1.0", "2.0"]):
        loaded = from_bytes(as_format_1(to_bytes(model), text))
        assert loaded.classes == [0, 1, 2] and all(type(c) is int for c in loaded.classes)
        assert (loaded.predict(X) == model.predict(X)).all()
    ten = [str(k) for k in sorted(range(11), key=str)]  # "0", "1", "10", "2", ...: the order is the outputs'
    wide = integer_classifier()[0]
    wide.network = Network([2, 4, 11], output_activation="softmax", loss="categorical_crossentropy")
    wide.classes = list(range(11))
    assert from_bytes(as_format_1(to_bytes(wide), ten)).classes == [int(c) for c in ten]


@pytest.mark.parametrize(
    "classes",
    [
        ["a", "1", "2"],  # not all numbers
        ["0.5", "1", "2"],  # not all integers
        ["1", "01", "2"],  # two texts, one integer
        [0, 1, 2],  # integers already
    ],
)
def test_other_format_1_classes_load_as_they_were(classes):
    model, _, _ = integer_classifier()
    loaded = from_bytes(as_format_1(to_bytes(model), classes)).classes
    assert loaded == classes and [type(c) for c in loaded] == [type(c) for c in classes]


def test_format_2_labels_are_of_one_kind():
    model, _, _ = integer_classifier()
    with pytest.raises(ModelFileError, match="field 'classes': expected labels of one kind"):
        from_bytes(corrupt_metadata(to_bytes(model), lambda d: d.update(classes=[0, "1", 2])))
    assert from_bytes(as_format_1(to_bytes(model), [0, "1", 2])).classes == [0, "1", 2]


# ------------------------------------------------------------------ files that are not model files (issue 11)
def test_files_that_are_not_model_files_say_so(tmp_path, classifier):
    model, _ = classifier
    data = to_bytes(model)
    hint = "expected a model file written by glassnet train --save"
    cases = {
        "x.csv": (b"sepal_length,sepal_width,species\n5.1,3.5,setosa\n", "not a valid glassnet model file"),
        "empty.safetensors": (b"", "is empty"),
        "note.txt": (b"hello\n", "not a valid glassnet model file"),
        "x.png": (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not a valid glassnet model file"),
        "zeros.bin": (b"\0" * 100, "not a valid glassnet model file"),
        "head.safetensors": (data[:300], "is truncated"),
        "tail.safetensors": (data[:-10], "is truncated"),
    }
    for name, (content, match) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ModelFileError) as caught:
            load_model(path)
        message = str(caught.value)
        assert message.startswith(f"{str(path)!r} ") and match in message and hint in message, message
        assert "claims" not in message and len(message) - len(repr(str(path))) < 240  # the path aside
    with pytest.raises(ModelFileError, match=r"it starts with the text 'sepal_length,.*8-byte header length"):
        from_bytes(cases["x.csv"][0])


def test_a_checkpoint_given_as_a_model_file_says_so(tmp_path, classifier):
    from glassnet.io.checkpoint import save_checkpoint

    saved = {}
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    train(X, X[:, 0] > 0, layers=[4], epochs=1, on_checkpoint=lambda c: saved.update(c=c))
    save_checkpoint(tmp_path / "ck", saved["c"], {})
    with pytest.raises(ModelFileError, match=r"'.*ck' is a checkpoint folder, not a model file; .*--resume"):
        load_model(tmp_path / "ck")
    with pytest.raises(ModelFileError, match=r"checkpoint\.safetensors' is a checkpoint, not a model file"):
        load_model(tmp_path / "ck" / "checkpoint.safetensors")
    (tmp_path / "folder").mkdir()
    with pytest.raises(ModelFileError, match="is a folder; expected a model file"):
        load_model(tmp_path / "folder")
