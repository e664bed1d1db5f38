"""Hostile metadata with a VALID checksum: every field of a model file's and a checkpoint's JSON, at every
depth, replaced by each JSON type, removed, or joined by an unknown field, with the checksum recomputed (an
attacker can recompute it too). The schema, not the checksum, must catch each case: loading raises
ModelFileError or, only where the format allows the change, gives a model that works. Nothing else."""

import copy
import json
import re
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
from safetensors.numpy import load

from glassnet.cli import main
from glassnet.core.errors import GlassnetError
from glassnet.core.losses import LOSSES
from glassnet.core.model import train
from glassnet.io import checkpoint as ckfile
from glassnet.io import modelfile
from glassnet.io.formats import CHECKPOINT_FILE
from glassnet.io.modelfile import CHECKSUM_KEY, ModelFileError, checksum

REPLACEMENTS = {
    "null": None,
    "true": True,
    "int": 3,
    "zero": 0,
    "negative": -1,
    "float": 0.5,
    "huge int": 10**40,
    "string": "x",
    "empty string": "",
    "long string": "x" * 20_000,
    "list": [1, "a"],
    "empty list": [],
    "nested list": [[1, 2], [3]],
    "object": {"k": 1},
    "empty object": {},
}
RUN_SETTINGS = {  # what the command line stores in a checkpoint
    "data": "d.csv",
    "target": "label",
    "test": None,
    "task": "auto",
    "layers": [4],
    "activation": "relu",
    "optimizer": "adam",
    "lr": 0.01,
    "batch_size": 16,
    "epochs": 2,
    "dropout": 0.1,
    "weight_decay": 0.0,
    "schedule": "constant",
    "validation_split": 0.1,
    "patience": 3,
    "dtype": "float32",
    "seed": 0,
}
TRAIN = {k: RUN_SETTINGS[k] for k in ("layers", "optimizer", "lr", "batch_size", "dropout", "patience")}
NAMES = ["a", "b", "c"]

rng = np.random.default_rng(0)
X = rng.normal(size=(80, 3))
Y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")

# Where a change may load, because the format allows it: every other change must raise ModelFileError.
# Patterns over field paths as the error messages write them; * matches anything.
EPOCH_VALUES = ["loss", "seconds", "lr", "val_loss", "accuracy", "val_accuracy", "max_weight_change"]
MAY_BE_LEFT_OUT = {
    "glassnet": [
        "architecture.dropout",
        "target_name",
        "classes",  # a regressor's (a classifier's must match its outputs)
        "training",
        "training.settings",
        "training.settings.*",
        "training.history",
        "training.history[*]",  # a model's history is a record: it need not count every epoch
        *[f"training.history[*].{name}" for name in EPOCH_VALUES],
    ],
    "glassnet_checkpoint": ["settings.*", *[f"history[*].{name}" for name in EPOCH_VALUES[3:]]],
}
MAY_BE_NULL = {  # settings: null is "not given" (the command line refuses to resume without them)
    "glassnet": ["training.settings.*", *[f"training.history[*].{name}" for name in EPOCH_VALUES]],
    "glassnet_checkpoint": ["best", "best_epoch", "epoch_start", "settings.*"]
    + [f"history[*].{name}" for name in EPOCH_VALUES[3:]],
}
MAY_TAKE_ANY_SCALAR = {"glassnet": ["classes[*]"], "glassnet_checkpoint": []}  # class labels
MAY_GROW = {"glassnet": ["training.settings"], "glassnet_checkpoint": ["settings"]}  # a caller's own settings
KIND_WHEN_NULL = {  # the types of the fields the fixtures leave null
    "glassnet": {"training.settings.patience": int},
    "glassnet_checkpoint": {"settings.test": str, "epoch_start": int, "history[*].max_weight_change": float},
}


@pytest.fixture(scope="module")
def files():
    """Real files: a classifier and a regressor, and a checkpoint of Adam after two epochs (history, best
    weights kept for early stopping)."""
    classifier, _ = train(X, Y, feature_names=NAMES, layers=[4], epochs=2, dropout=0.1, seed=0)
    regressor, _ = train(
        X, X[:, 0] * 2.0, task="regression", feature_names=NAMES, layers=[4], epochs=2, dtype="float64"
    )
    saved = {}
    train(X, Y, feature_names=NAMES, epochs=2, on_checkpoint=lambda c: saved.update(c=c), **TRAIN)
    return {
        "classifier": modelfile.to_bytes(classifier),
        "regressor": modelfile.to_bytes(regressor),
        "checkpoint": ckfile.to_bytes(saved["c"], RUN_SETTINGS),
    }


# ------------------------------------------------------------------------------------ making variants
def split(data: bytes) -> tuple[dict, bytes]:
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def join(header: dict, body: bytes) -> bytes:
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + body


def walk(value, path=()):
    """Every path into a JSON value: each key at every depth, and each list element."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield (*path, key)
        yield from walk(item, (*path, key))


def objects(value, path=()):
    """The path of every JSON object in ``value``, itself included."""
    if isinstance(value, dict):
        yield path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from objects(item, (*path, key))


def at(doc, path):
    for key in path:
        doc = doc[key]
    return doc


def edits(doc):
    """(path, change) for every replacement, removal and unknown field of a JSON document."""
    for path in walk(doc):
        for kind in REPLACEMENTS:
            yield path, kind
        yield path, "removed"
    for path in objects(doc):
        yield (*path, "unknown_field"), "unknown field"


def apply(doc, path, change):
    doc = copy.deepcopy(doc)
    *parents, last = path
    if change == "removed":
        del at(doc, parents)[last]
    else:
        at(doc, parents)[last] = copy.deepcopy(REPLACEMENTS.get(change, 1))
    return doc


def field(path) -> str:
    """('training', 'history', 0, 'loss') -> training.history[0].loss, as the error messages write it."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def kind(value) -> str:
    """A JSON value's type; a float field may hold an integer."""
    return (
        "bool"
        if isinstance(value, bool)
        else "number"
        if isinstance(value, int | float)
        else type(value).__name__
    )


def fits(value, expected: type) -> bool:
    """Whether a JSON value is of a field's type (an integer is a number; true and false are not)."""
    numbers = (int, float) if expected is float else (expected,)
    return isinstance(value, numbers) and not isinstance(value, bool)


def may_load(key: str, doc, path, change: str) -> bool:
    """Whether the format allows this change of document ``key`` (the rules above)."""
    name = field(path)

    def listed(table, name=name):
        return any(re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), name) for pattern in table[key])

    if change == "unknown field":
        return listed(MAY_GROW, field(path[:-1]))
    if change == "removed":
        return listed(MAY_BE_LEFT_OUT)
    new, old = REPLACEMENTS[change], at(doc, path)
    if new is None:
        return old is None or listed(MAY_BE_NULL)
    if listed(MAY_TAKE_ANY_SCALAR):
        return not isinstance(new, list | dict)
    if old is None:
        types = [t for pattern, t in KIND_WHEN_NULL[key].items() if listed({key: [pattern]})]
        return bool(types) and fits(new, types[0])
    if isinstance(old, int) and not isinstance(old, bool) and isinstance(new, float):
        return False  # an integer field
    return kind(new) == kind(old)


def variants(data: bytes):
    """(name, bytes, allowed) for every structural change to the file's metadata documents, and to the
    safetensors header entries of a few tensors, each with the checksum recomputed."""
    header, body = split(data)
    tensors = load(data)
    meta = header["__metadata__"]

    def build(new_header):
        if CHECKSUM_KEY in new_header["__metadata__"]:
            new_header["__metadata__"][CHECKSUM_KEY] = checksum(new_header["__metadata__"], tensors)
        return join(new_header, body)

    for key in ("glassnet", "glassnet_checkpoint"):
        if key in meta:
            doc = json.loads(meta[key])
            for path, change in edits(doc):
                new = copy.deepcopy(header)
                new["__metadata__"][key] = json.dumps(apply(doc, path, change))
                yield f"{key}: {field(path)} {change}", build(new), may_load(key, doc, path, change)
    for tensor in ("layers.0.W", "train.order", "train.opt.0"):
        if tensor in header:
            for path, change in edits(header[tensor]):
                same = change in REPLACEMENTS and REPLACEMENTS[change] == at(header[tensor], path)
                yield (
                    f"tensor {tensor}: {field(path)} {change}",
                    build(apply(header, (tensor, *path), change)),
                    same,
                )
    yield "metadata: unknown entry", build(apply(header, ("__metadata__", "unknown"), "string")), False
    for key in meta:
        yield f"metadata: {key} removed", build(apply(header, ("__metadata__", key), "removed")), False


# ------------------------------------------------------------------------------------ judging a load
def works(model) -> None:
    """A loaded model predicts, and saves and loads again to the same predictions."""
    out = model.outputs(X)
    assert out.shape == (len(X), model.network.sizes[-1]) and np.isfinite(out).all()
    again = modelfile.from_bytes(modelfile.to_bytes(model))
    assert np.array_equal(again.outputs(X), out)


def resumes(checkpoint, settings) -> None:
    """A loaded checkpoint saves again and resumes training (or refuses this data with GlassnetError)."""
    works(checkpoint.model)
    ckfile.from_bytes(ckfile.to_bytes(checkpoint, settings))
    try:
        train(X, Y, feature_names=NAMES, epochs=3, resume=checkpoint, **TRAIN)
    except ModelFileError:
        raise
    except GlassnetError:
        pass  # a valid checkpoint of another run: train says so


def outcome(which: str, data: bytes) -> str:
    """'rejected' (ModelFileError, a short message) or 'loaded' (and it works); anything else propagates."""
    try:
        if which == "checkpoint":
            checkpoint, settings = ckfile.from_bytes(data, "fuzzed")
        else:
            model = modelfile.from_bytes(data, "fuzzed")
    except ModelFileError as exc:
        assert len(str(exc)) < 500, str(exc)
        return "rejected"
    if which == "checkpoint":
        resumes(checkpoint, settings)
    else:
        works(model)
    return "loaded"


@pytest.mark.parametrize("which", ["classifier", "regressor", "checkpoint"])
def test_every_field_replaced_removed_or_joined(files, which):
    started = time.monotonic()
    count, failures = 0, []
    for name, data, allowed in variants(files[which]):
        count += 1
        try:
            result = outcome(which, data)
        except Exception as exc:  # the point: nothing but ModelFileError may escape
            failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        if result == "loaded" and not allowed:
            failures.append(f"{name}: loaded, but the format does not allow it")
    assert not failures, f"{len(failures)} of {count} variants:\n" + "\n".join(failures[:30])
    assert count > {"classifier": 1000, "regressor": 900, "checkpoint": 2400}[which]
    assert time.monotonic() - started < 30


# ------------------------------------------------------------------------------------ the command line
@pytest.fixture(scope="module")
def evaluation_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "data.csv"
    rows = [f"{a},{b},{c},{y}" for (a, b, c), y in zip(X.round(6), Y, strict=True)]
    path.write_text("a,b,c,target\n" + "\n".join(rows) + "\n")
    return str(path)


def test_the_command_line_says_error_in_one_line(files, evaluation_csv, tmp_path, capsys):
    """A sample of the rejected variants given to `glassnet evaluate` (model files) and `glassnet train
    --resume` (checkpoints): one line starting `error:` on stderr, nothing on stdout, exit status 2."""
    for which, sample in (("classifier", 30), ("regressor", 30), ("checkpoint", 20)):
        rejected = [(name, data) for name, data, allowed in variants(files[which]) if not allowed]
        for name, data in rejected[:: len(rejected) // sample]:
            if which == "checkpoint":
                (tmp_path / "ck").mkdir(exist_ok=True)
                (tmp_path / "ck" / CHECKPOINT_FILE).write_bytes(data)
                status = main(["train", "--resume", str(tmp_path / "ck")])
            else:
                (tmp_path / "m.safetensors").write_bytes(data)
                status = main(["evaluate", str(tmp_path / "m.safetensors"), evaluation_csv])
            captured = capsys.readouterr()
            lines = captured.err.splitlines()
            assert (status, len(lines), captured.out) == (2, 1, ""), (name, captured.err)
            assert lines[0].startswith("error: "), name


def replace_loss(data: bytes, loss) -> bytes:
    header, body = split(data)
    doc = json.loads(header["__metadata__"]["glassnet"])
    doc["loss"] = loss
    header["__metadata__"]["glassnet"] = json.dumps(doc)
    header["__metadata__"][CHECKSUM_KEY] = checksum(header["__metadata__"], load(data))
    return join(header, body)


def test_a_loss_that_is_a_list(files, evaluation_csv, tmp_path):
    """Once `glassnet evaluate` died with TypeError: unhashable type: 'list' (exit 1, a traceback)."""
    data = replace_loss(files["classifier"], ["categorical_crossentropy"])
    with pytest.raises(ModelFileError) as caught:
        modelfile.from_bytes(data, "m.safetensors")
    message = str(caught.value)
    assert message.startswith(
        "'m.safetensors' is not a valid glassnet model: metadata field 'loss': expected"
    )
    assert all(name in message for name in LOSSES)
    assert message.endswith('received a list ["categorical_crossentropy"]')

    path = tmp_path / "m.safetensors"
    path.write_bytes(data)
    run = subprocess.run(
        [sys.executable, "-m", "glassnet", "evaluate", str(path), evaluation_csv],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == f"error: {str(path)!r}{message[len(repr('m.safetensors')) :]}\n"
