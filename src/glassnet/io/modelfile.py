"""Model files: ONE ``.safetensors`` file per model. No pickle anywhere.

Tensors: ``layers.{l}.W`` (inputs, units), ``layers.{l}.b``, and the standardization
(``standardize.mean``, ``standardize.scale``, ``target.mean``, ``target.scale``). The metadata holds one
JSON document under the key ``glassnet``: format name and version, architecture, loss, task, names,
class labels, and the training settings and history.

Format versions: 2 keeps every class label as the data had it (a CSV's integer labels are integers) and
holds labels of one kind. Format 1 files still load. In format 1 the command line kept every label as text
(the Python API already kept integers), so a format-1 file whose classes are all integers written as text
("0", "1", "2.0") has them read back as the integers the CSV loader now yields, the order of the outputs
kept: its predictions compare equal to the labels, and ``evaluate`` finds them.

Saving writes a temporary file in the same folder, flushes it to disk and renames it over the target, so
a model file is always either the old complete file or the new complete file. Loading trusts nothing:
safetensors' own reader checks the header (the tensors' dtypes, shapes and byte ranges) and gives the
metadata, which must match its schema (``schema.ModelDocument``: types before values); the tensors must
match the metadata, and a checksum covers both.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np

from glassnet.core.errors import GlassnetError
from glassnet.core.model import Model, Standardizer, Task
from glassnet.core.network import Network

from .files import atomic_write, bytes_as_file
from .formats import CHECKPOINT_FILE, MODEL_FORMAT, MODEL_FORMAT_VERSION, SAFETENSORS_DTYPES

if TYPE_CHECKING:  # the schema (pydantic) is imported on first use: commands that read no file start faster
    from pydantic import BaseModel

    from .schema import ModelDocument

MAX_FILE_BYTES = 2**31  # 2 GiB: far above any MLP glassnet trains
MAX_HEADER_BYTES = 100 * 2**20  # safetensors' own limit
MAX_JSON_DEPTH = 20
WRITTEN_BY = {"model": "glassnet train --save", "checkpoint": "glassnet train --checkpoint"}


class ModelFileError(GlassnetError):
    """A model file that is missing, damaged, or not a glassnet model."""


def _document(model: Model) -> dict[str, Any]:
    net = model.network
    return {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "architecture": {
            "sizes": net.sizes,
            "activations": [a.name for a in net.activations],
            "bias": net.bias,
            "train_biases": net.train_biases,
            "dtype": net.dtype.name,
            "dropout": net.dropout,
        },
        "loss": net.loss_fn.name,
        "task": model.task,
        "feature_names": model.feature_names,
        "target_name": model.target_name,
        "classes": model.classes,
        "standardization": {
            "features": model.scaler is not None,
            "target": model.target_scaler is not None,
        },
        "training": {"settings": model.settings, "history": model.history},
    }


def _tensors(model: Model) -> dict[str, np.ndarray]:
    tensors: dict[str, np.ndarray] = {}
    for l, layer in enumerate(model.network.layers):
        tensors[f"layers.{l}.W"] = np.ascontiguousarray(layer.W)
        if layer.b is not None:
            tensors[f"layers.{l}.b"] = np.ascontiguousarray(layer.b)
    for prefix, scaler in (("standardize", model.scaler), ("target", model.target_scaler)):
        if scaler is not None:
            tensors[f"{prefix}.mean"] = scaler.mean
            tensors[f"{prefix}.scale"] = scaler.scale
    return tensors


CHECKSUM_KEY = "glassnet_sha256"


def checksum(meta: dict[str, str], tensors: dict[str, np.ndarray]) -> str:
    """SHA-256 over every metadata entry (but the checksum) and every tensor's name, dtype, shape and bytes,
    so that any change to a saved file, a single flipped bit included, is detected on loading."""
    h = hashlib.sha256(b"glassnet-checksum-1\0")
    for key in sorted(k for k in meta if k != CHECKSUM_KEY):
        h.update(key.encode() + b"\0" + meta[key].encode() + b"\0")
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        h.update(f"{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        h.update(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())
    return h.hexdigest()


def encode(
    model: Model, extra_tensors: dict[str, np.ndarray] | None = None, extra_meta: dict[str, str] | None = None
) -> bytes:
    """The model (and, for checkpoints, more tensors and metadata) as .safetensors bytes with a checksum."""
    from safetensors.numpy import save

    tensors = {**_tensors(model), **(extra_tensors or {})}
    meta = {"glassnet": json.dumps(_document(model), allow_nan=False), **(extra_meta or {})}
    meta[CHECKSUM_KEY] = checksum(meta, tensors)
    return bytes(save(tensors, metadata=meta))


def to_bytes(model: Model) -> bytes:
    """The model as the bytes of a .safetensors file."""
    return encode(model)


def save_model(model: Model, path: str | os.PathLike[str]) -> None:
    """Save ``model`` as one .safetensors file, atomically."""
    atomic_write(path, to_bytes(model))


# ---------------------------------------------------------------------------------------------- loading
def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_JSON_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _need(condition: bool, path: str, message: str) -> None:
    if not condition:
        raise ModelFileError(f"{path!r} is not a valid glassnet model: {message}")


def _not_a_file_of(kind: str, where: str, why: str) -> ModelFileError:
    return ModelFileError(f"{where!r} {why}; expected a {kind} file written by {WRITTEN_BY[kind]}")


def _looks_like(data: bytes) -> str:
    """What the start of a file that is not safetensors seems to be, for the error message."""
    start = data[:40]
    if start.startswith(b"\x89PNG"):
        return "it is a PNG image"
    try:
        text = start.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    return f"it starts with the text {text[:30]!r}" if text.isprintable() or "\n" in text else ""


def _header_bytes(path: Path, size: int, where: str, kind: str) -> bytes:
    """The JSON header's bytes, once its length prefix has been checked against the file size and
    MAX_HEADER_BYTES. safetensors checks the same, but its messages ("header too small") do not say what
    the file is instead, nor that it was cut short."""
    if size == 0:
        raise _not_a_file_of(kind, where, "is empty (0 bytes)")
    with open(path, "rb") as f:
        start = f.read(40)
        n = int.from_bytes(start[:8], "little") if len(start) >= 8 else 0
        if not 0 < n <= MAX_HEADER_BYTES or start[8:9] != b"{":
            looks = _looks_like(start)
            raise _not_a_file_of(
                kind,
                where,
                f"is not a valid glassnet {kind} file: "
                + (f"{looks}, where a" if looks else "a")
                + " safetensors file starts with an 8-byte header length and a JSON header",
            )
        if n > size - 8:
            raise _not_a_file_of(
                kind, where, f"is truncated: its header needs {n} bytes, and {size - 8} follow its length"
            )
        f.seek(8)
        return f.read(n)


TENSOR_FIELDS = {"dtype", "shape", "data_offsets"}  # a tensor's entry in the header, exactly


def _tensor_entries(header: bytes) -> dict[str, Any] | None:
    """The header's tensor entries (name -> JSON object), or None when it does not parse as JSON."""
    try:
        parsed = json.loads(header.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # ValueError: JSON, or a 5000-digit int
        return None
    if not isinstance(parsed, dict):
        return None
    return {name: entry for name, entry in parsed.items() if name != "__metadata__"}


def _data_end(entries: dict[str, Any]) -> int:
    """The largest end offset the tensor entries claim (0 when none is well formed), for the message on
    a truncated file."""
    ends = [
        entry["data_offsets"][1]
        for entry in entries.values()
        if isinstance(entry, dict)
        and isinstance(entry.get("data_offsets"), list)
        and len(entry["data_offsets"]) == 2
        and type(entry["data_offsets"][1]) is int
    ]
    return max(ends, default=0)


class Container:
    """A .safetensors file as safetensors' own reader gives it: the metadata, the tensors' names, dtypes
    and shapes, and the tensors (``read_tensors``). Open it with ``open_container``."""

    def __init__(self, reader: Any, metadata: dict[str, str]) -> None:
        self.reader = reader  # an open safetensors.safe_open
        self.metadata = metadata

    def names(self) -> set[str]:
        return set(self.reader.keys())

    def dtype_and_shape(self, name: str) -> tuple[str, list[int]]:
        """The tensor's safetensors dtype ("F32", ...) and shape, from the header; nothing is read."""
        view = self.reader.get_slice(name)
        return view.get_dtype(), list(view.get_shape())

    def tensor(self, name: str) -> np.ndarray:
        return np.asarray(self.reader.get_tensor(name))


Expected = dict[str, tuple[tuple[int, ...], np.dtype[Any]]]
METADATA_KEYS = ("glassnet", CHECKSUM_KEY, "glassnet_checkpoint")  # the model; a checkpoint adds the last


@contextmanager
def open_container(path: str | os.PathLike[str], where: str, kind: str = "model") -> Iterator[Container]:
    """The file at ``path`` opened with safetensors' reader, its header and metadata checked before any
    tensor is read; ``kind`` (model or checkpoint) is the kind of file expected, for the error messages.
    Raises ModelFileError, or OSError when the file cannot be read."""
    from safetensors import SafetensorError, safe_open

    from .schema import preview

    path = Path(path)
    size = os.path.getsize(path)
    # safetensors maps a file of any size; glassnet's are far smaller
    _need(size <= MAX_FILE_BYTES, where, f"the file is {size} bytes, larger than any glassnet {kind}")
    header = _header_bytes(path, size, where, kind)
    entries = _tensor_entries(header)
    body = size - 8 - len(header)  # the bytes after the header
    end = 0 if entries is None else _data_end(entries)
    if end > body:  # said in words, before safetensors says "incomplete metadata, file not fully covered"
        raise _not_a_file_of(kind, where, f"is truncated: its tensors need {end} bytes, and {body} follow")
    try:  # safetensors checks the header: JSON, dtypes, shapes against byte ranges, ranges that tile the data
        reader: Any = safe_open(str(path), framework="np")
    except SafetensorError as exc:
        raise ModelFileError(f"{where!r} is not a valid glassnet {kind}: {str(exc)[:200]}") from None
    with reader:
        if entries is None:  # safetensors read this JSON; Python's parser refused it
            raise ModelFileError(f"{where!r} is not a valid glassnet {kind}: its header is not plain JSON")
        for name, entry in entries.items():  # safetensors' reader ignores unknown fields in an entry
            if set(entry) != TENSOR_FIELDS:
                raise ModelFileError(
                    f"{where!r} is not a valid glassnet {kind}: tensor {name[:60]!r} has the fields "
                    f"{preview(sorted(entry))}; expected {', '.join(sorted(TENSOR_FIELDS))}"
                )
        meta = reader.metadata()
        _need(meta is not None, where, "no metadata")
        unknown = sorted(set(meta) - set(METADATA_KEYS))
        _need(
            not unknown,
            where,
            f"unknown metadata entries {preview(unknown)}; expected {', '.join(METADATA_KEYS)}",
        )
        _need("glassnet" in meta, where, "no glassnet metadata")
        _need(CHECKSUM_KEY in meta, where, "no checksum")
        yield Container(reader, meta)


def parse_json(text: str, where: str, what: str) -> dict[str, Any]:
    """A JSON object from metadata: depth-limited, NaN-free, or ModelFileError."""
    try:
        doc = json.loads(text, parse_constant=lambda c: None)
    except (ValueError, RecursionError) as exc:  # ValueError: bad JSON, or an int of over 4300 digits
        raise ModelFileError(f"{where!r} is not a valid glassnet model: bad {what} JSON ({exc})") from None
    _need(isinstance(doc, dict), where, f"the {what} is not a JSON object")
    _need(_depth(doc) <= MAX_JSON_DEPTH, where, f"the {what} is nested too deeply")
    return doc


D = TypeVar("D", bound="BaseModel")


def checked(schema: type[D], doc: Any, where: str, what: str, kind: str = "model") -> D:
    """``doc`` checked against ``schema``; else ModelFileError naming the ``kind`` of file, ``what`` part of
    it, the field and the bad value."""
    from .schema import SchemaError, check

    try:
        return check(schema, doc)
    except SchemaError as exc:
        raise ModelFileError(f"{where!r} is not a valid glassnet {kind}: {what} {exc}") from None


def check_format(doc: dict[str, Any], where: str, what: str, kind: str, name: str, version: int) -> None:
    """The document's format is ``name`` and its version at most ``version`` (checked before the rest: a
    newer version may be laid out differently)."""
    from .schema import Envelope

    envelope = checked(Envelope, doc, where, what, kind)
    if envelope.format != name:
        raise ModelFileError(
            f"{where!r} is not a valid glassnet {kind}: format is {envelope.format[:60]!r}, expected {name!r}"
        )
    if envelope.format_version > version:
        raise ModelFileError(
            f"{where!r} was written by a newer glassnet ({kind} format {envelope.format_version}); this "
            f"glassnet reads format {version}: upgrade glassnet"
        )


def model_document(meta: dict[str, str], where: str) -> tuple[ModelDocument, Expected]:
    """The checked model document and the tensors it implies (name -> (shape, dtype))."""
    from .schema import ModelDocument

    raw = parse_json(meta["glassnet"], where, "metadata")
    check_format(raw, where, "metadata", "model", MODEL_FORMAT, MODEL_FORMAT_VERSION)
    doc = checked(ModelDocument, raw, where, "metadata")
    arch, sizes = doc.architecture, doc.architecture.sizes
    dtype = np.dtype(arch.dtype)
    expected: Expected = {}
    for l in range(len(sizes) - 1):
        expected[f"layers.{l}.W"] = ((sizes[l], sizes[l + 1]), dtype)
        if arch.bias != "none":
            expected[f"layers.{l}.b"] = ((sizes[l + 1] if arch.bias == "per_neuron" else 1,), dtype)
    if doc.standardization.features:
        expected["standardize.mean"] = expected["standardize.scale"] = ((sizes[0],), np.dtype(np.float64))
    if doc.standardization.target:
        expected["target.mean"] = expected["target.scale"] = ((sizes[-1],), np.dtype(np.float64))
    return doc, expected


def _saved_classes(doc: ModelDocument) -> list[Any] | None:
    """The classes of a model document, as the model uses them (see the module's notes on format 1)."""
    if doc.classes is None:
        return None
    classes = list(doc.classes)
    if doc.format_version == 1:  # digit text classes: the command line's integer labels (module notes)
        numbers = [_integer_text(c) for c in classes]
        if all(v is not None for v in numbers) and len(set(numbers)) == len(numbers):
            return numbers
    return classes


def _integer_text(label: Any) -> int | None:
    """The integer a text label writes ("2", "-1", "2.0"), or None."""
    if not isinstance(label, str):
        return None
    try:
        return int(label)
    except ValueError:
        pass
    try:
        value = float(label)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def build_model(doc: ModelDocument, tensors: dict[str, np.ndarray], where: str) -> Model:
    """The Model a checked document and its tensors describe."""
    arch, std = doc.architecture, doc.standardization
    layers = range(len(arch.sizes) - 1)
    try:
        net = Network(
            arch.sizes,
            activation=arch.activations[:-1],
            output_activation=arch.activations[-1],
            loss=doc.loss,
            bias=arch.bias,
            train_biases=arch.train_biases,
            dtype=arch.dtype,
            dropout=arch.dropout,
        )
        net.set_weights([(tensors[f"layers.{l}.W"], tensors.get(f"layers.{l}.b")) for l in layers])
    except GlassnetError as exc:  # e.g. a cross-entropy loss after an output that is not a probability
        raise ModelFileError(f"{where!r} is not a valid glassnet model: {exc}") from None
    scaler = Standardizer(tensors["standardize.mean"], tensors["standardize.scale"]) if std.features else None
    target_scaler = Standardizer(tensors["target.mean"], tensors["target.scale"]) if std.target else None
    for s in (scaler, target_scaler):
        _need(s is None or bool(np.all(s.scale > 0)), where, "a standardization scale is not positive")
    return Model(
        net,
        cast(Task, doc.task),  # the schema accepted only the names of TASKS
        list(doc.feature_names),
        doc.target_name,
        _saved_classes(doc),
        scaler,
        target_scaler,
        doc.training.settings.model_dump(exclude_unset=True),
        [entry.model_dump(exclude_unset=True) for entry in doc.training.history],
    )


def from_bytes(data: bytes, where: str = "<bytes>") -> Model:
    """Rebuild a model from .safetensors bytes, checking everything; raises ModelFileError."""
    _need(len(data) <= MAX_FILE_BYTES, where, f"{len(data)} bytes, larger than any glassnet model")
    with bytes_as_file(data) as path, open_container(path, where) as container:  # safetensors reads files
        return _model(container, where)


def _model(container: Container, where: str) -> Model:
    if "glassnet_checkpoint" in container.metadata:
        raise ModelFileError(
            f"{where!r} is a checkpoint, not a model file; continue its run with glassnet train --resume "
            "and the folder that holds it, adding --save to write a model file"
        )
    doc, expected = model_document(container.metadata, where)
    return build_model(doc, read_tensors(container, expected, where), where)


def read_tensors(container: Container, expected: Expected, where: str) -> dict[str, np.ndarray]:
    """Check the tensors' names, dtypes and shapes against ``expected``, then read them and verify the
    checksum over the metadata and every tensor's bytes."""
    from .schema import preview

    names = container.names()
    _need(
        names == set(expected),
        where,
        f"tensors {preview(sorted(names)[:6])} do not match the architecture's {sorted(expected)[:6]}",
    )
    for name, (shape, dtype) in expected.items():
        stored, stored_shape = container.dtype_and_shape(name)
        _need(
            SAFETENSORS_DTYPES.get(stored) == dtype,
            where,
            f"tensor {name!r} has dtype {stored[:20]!r}, expected {dtype.name}",
        )
        _need(
            stored_shape == list(shape),
            where,
            f"tensor {name!r} has shape {preview(stored_shape)}, expected {list(shape)}",
        )
    out = {}
    for name, (shape, dtype) in expected.items():
        array = container.tensor(name)
        _need(
            array.shape == shape and array.dtype == dtype, where, f"tensor {name!r} does not match its header"
        )
        _need(bool(np.isfinite(array).all()), where, f"tensor {name!r} holds NaN or inf")
        out[name] = np.array(array, dtype=dtype.newbyteorder("="), copy=True)
    _need(
        checksum(container.metadata, out) == container.metadata[CHECKSUM_KEY],
        where,
        "the checksum does not match: the file is damaged",
    )
    return out


def load_model(path: str | os.PathLike[str]) -> Model:
    """Load a model saved by ``save_model``, trusting nothing in the file; raises ModelFileError."""
    where = str(path)
    try:
        with open_container(path, where) as container:
            return _model(container, where)
    except FileNotFoundError:
        raise ModelFileError(f"no such model file: {where!r}") from None
    except IsADirectoryError:
        if (Path(path) / CHECKPOINT_FILE).is_file():
            raise ModelFileError(
                f"{where!r} is a checkpoint folder, not a model file; continue its run with glassnet train "
                f"--resume {where}, adding --save to write a model file"
            ) from None
        raise ModelFileError(
            f"{where!r} is a folder; expected a model file written by {WRITTEN_BY['model']}"
        ) from None
    except OSError as exc:
        raise ModelFileError(f"cannot read model file {where!r}: {exc.strerror}") from None
