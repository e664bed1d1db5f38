"""A loader that cannot be abused: damaged, hostile or inconsistent model and checkpoint files each raise
glassnet's own error, quickly and without allocating memory out of proportion to the file."""

import importlib.util
import json
import struct
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassnet.core.errors import GlassnetError
from glassnet.core.model import train
from glassnet.io import checkpoint as ckfile
from glassnet.io import modelfile
from glassnet.io.modelfile import ModelFileError, checksum


@pytest.fixture(scope="module")
def files():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.where(X[:, 0] > 0, "cat", "dog")
    saved = {}
    model, _ = train(
        X,
        y,
        layers=[5],
        optimizer="adam",
        epochs=2,
        dropout=0.1,
        patience=3,
        on_checkpoint=lambda c: saved.update(c=c),
    )
    data = modelfile.to_bytes(model), ckfile.to_bytes(saved["c"], {"data": "x.csv"})
    for (_, load), original in zip(loaders(), data, strict=True):
        load(original)  # the schema is imported on first use: before, not while, memory is measured
    return data


def loaders():
    return (("model", modelfile.from_bytes), ("checkpoint", ckfile.from_bytes))


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    b = bytearray(data)
    kind = rng.integers(0, 6)
    if kind == 0:  # flip 1-4 bits
        for _ in range(rng.integers(1, 5)):
            i = int(rng.integers(0, len(b)))
            b[i] ^= 1 << int(rng.integers(0, 8))
    elif kind == 1:  # truncate
        del b[int(rng.integers(0, len(b))) :]
    elif kind == 2:  # insert junk
        i = int(rng.integers(0, len(b)))
        b[i:i] = rng.integers(0, 256, size=int(rng.integers(1, 16)), dtype=np.uint8).tobytes()
    elif kind == 3:  # delete a run
        i = int(rng.integers(0, len(b)))
        del b[i : i + int(rng.integers(1, 16))]
    elif kind == 4:  # a hostile length prefix
        b[:8] = struct.pack(
            "<Q", int(rng.choice([0, 1, 7, len(b), 2**31, 2**63 - 1, int(rng.integers(0, 2**40))]))
        )
    else:  # overwrite a run with random bytes
        i = int(rng.integers(0, len(b)))
        n = int(rng.integers(1, 9))
        b[i : i + n] = rng.integers(0, 256, size=len(b[i : i + n]), dtype=np.uint8).tobytes()
    return bytes(b)


def check(load, data: bytes, original: bytes) -> None:
    try:
        load(data, "fuzzed")
    except ModelFileError:
        return
    assert data == original, "a changed file loaded without an error"


def test_ten_thousand_damaged_files(files):
    rng = np.random.default_rng(12345)
    started = time.monotonic()
    count = 0
    for (_, load), original, n in zip(loaders(), files, (10_000, 2_000), strict=True):
        for i in range(n):
            data = mutate(original, rng)
            if i % 100 == 0:
                tracemalloc.start()
                check(load, data, original)
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                assert peak < 64 * len(original) + 2**20
            else:
                check(load, data, original)
            count += 1
    assert count >= 12_000
    assert time.monotonic() - started < 240


def rewrite(data: bytes, edit) -> bytes:
    """Apply ``edit`` to the header (a dict) and re-serialize, keeping the tensor bytes."""
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    edit(header)
    new = json.dumps(header).encode()
    new += b" " * (-len(new) % 8)
    return struct.pack("<Q", len(new)) + new + data[8 + n :]


def resign(data: bytes, change_doc=None, change_tensor=None) -> bytes:
    """A hostile file that carries a VALID checksum: only the content checks can catch it."""
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    meta = header["__metadata__"]
    if change_doc:
        doc = json.loads(meta["glassnet"])
        change_doc(doc)
        meta["glassnet"] = json.dumps(doc)
    body = bytearray(data[8 + n :])
    if change_tensor:
        change_tensor(header, body)
    from safetensors.numpy import load

    tensors = load(bytes(data[:8] + data[8 : 8 + n] + body)) if change_tensor else load(data)
    meta["glassnet_sha256"] = checksum(meta, tensors)
    new = json.dumps(header).encode()
    new += b" " * (-len(new) % 8)
    return struct.pack("<Q", len(new)) + new + bytes(body)


def nan_weight(header, body):
    start = header["layers.0.W"]["data_offsets"][0]
    body[start : start + 4] = np.array([np.nan], dtype="<f4").tobytes()


def shared_bytes(data: bytes) -> bytes:
    """standardize.mean re-pointed at the bytes of standardize.scale (the same length), the checksum
    recomputed: two tensors over the same bytes, and a gap where one was (safetensors' reader refuses
    byte ranges that do not tile the data)."""
    from safetensors.numpy import load

    n = struct.unpack("<Q", data[:8])[0]
    header, body = json.loads(data[8 : 8 + n]), data[8 + n :]
    header["standardize.mean"]["data_offsets"] = header["standardize.scale"]["data_offsets"]
    tensors = load(data)
    tensors["standardize.mean"] = tensors["standardize.scale"]
    header["__metadata__"]["glassnet_sha256"] = checksum(header["__metadata__"], tensors)
    new = json.dumps(header).encode()
    new += b" " * (-len(new) % 8)
    return struct.pack("<Q", len(new)) + new + body


CRAFTED = {
    "future format version": lambda d: resign(d, lambda doc: doc.update(format_version=99)),
    "another format": lambda d: resign(d, lambda doc: doc.update(format="pickle")),
    "sizes that do not match the tensors": lambda d: resign(
        d, lambda doc: doc["architecture"].update(sizes=[3, 6, 2])
    ),
    "more classes than outputs": lambda d: resign(d, lambda doc: doc.update(classes=["a", "b", "c"])),
    "unknown activation": lambda d: resign(
        d, lambda doc: doc["architecture"].update(activations=["os.system", "softmax"])
    ),
    "huge layer sizes": lambda d: resign(d, lambda doc: doc["architecture"].update(sizes=[2**40, 2**40, 2])),
    "a NaN weight": lambda d: resign(d, change_tensor=nan_weight),
    "a tensor claiming a huge shape": lambda d: rewrite(
        d, lambda h: h["layers.0.W"].update(shape=[2**31, 2**31])
    ),
    "a tensor with overlapping offsets": lambda d: rewrite(
        d, lambda h: h["layers.0.b"].update(data_offsets=[0, 20])
    ),
    "two tensors over the same bytes, re-signed": shared_bytes,
    "a tensor entry with an unknown field": lambda d: rewrite(d, lambda h: h["layers.0.W"].update(note=1)),
    "a wrong dtype": lambda d: rewrite(d, lambda h: h["layers.0.W"].update(dtype="F64")),
    "an extra tensor": lambda d: rewrite(
        d, lambda h: h.update(extra={"dtype": "F32", "shape": [1], "data_offsets": [0, 4]})
    ),
    "no metadata": lambda d: rewrite(d, lambda h: h.pop("__metadata__")),
    "deeply nested metadata": lambda d: rewrite(
        d, lambda h: h["__metadata__"].update(glassnet="[" * 100_000 + "]" * 100_000)
    ),
    "huge metadata": lambda d: rewrite(
        d, lambda h: h["__metadata__"].update(glassnet=json.dumps({"format": "x" * 5_000_000}))
    ),
    "a loss that is a list": lambda d: resign(d, lambda doc: doc.update(loss=["mse"])),
    "an activation that is an object": lambda d: resign(
        d, lambda doc: doc["architecture"]["activations"].__setitem__(0, {"name": "relu"})
    ),
    "a tensor dtype that is a list": lambda d: rewrite(d, lambda h: h["layers.0.W"].update(dtype=["F32"])),
    "an unknown metadata entry": lambda d: rewrite(d, lambda h: h["__metadata__"].update(note="hello")),
    "a 5000-digit number in the metadata": lambda d: rewrite(
        d, lambda h: h["__metadata__"].update(glassnet='{"format_version": 1' + "0" * 5000 + "}")
    ),
    "non-UTF-8 header": lambda d: d[:8] + d[8:20].replace(b'"', b"\xff", 1) + d[20:],
    "a length prefix past the end": lambda d: struct.pack("<Q", len(d)) + d[8:],
    "empty": lambda d: b"",
    "a pickle": lambda d: b"\x80\x04\x95" + d[3:],
}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_crafted_hostile_files(files, case):
    for (_, load), original in zip(loaders(), files, strict=True):
        data = CRAFTED[case](original)
        started = time.monotonic()
        tracemalloc.start()
        with pytest.raises(ModelFileError):
            load(data, "crafted")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert time.monotonic() - started < 5
        assert peak < 64 * len(data) + 2**22


@given(st.binary(max_size=512))
def test_arbitrary_bytes(blob):
    for _, load in loaders():
        with pytest.raises(GlassnetError):
            load(blob, "random")


@given(st.binary(min_size=1, max_size=2048), st.integers(0, 2**64 - 1))
def test_arbitrary_headers(header, claimed):
    data = struct.pack("<Q", claimed) + header
    for _, load in loaders():
        with pytest.raises(GlassnetError):
            load(data, "random")


# ---------------------------------------------------------------------------------------------- CSV files
CELLS = ["1", "-2.5", " 3 ", "1e3", "+.5", "1.", "0x10", "1_0", "1d5", "1e", "nan", "inf", "NA", "", " ", "x",
         '"4"', '"5,5"', '"a\nb"', "1,5", "7;8", "\t9"]  # fmt: skip


@st.composite
def csv_texts(draw):
    sep = draw(st.sampled_from([",", ";", "\t"]))
    width = draw(st.integers(2, 4))
    lines = [sep.join(f"c{k}" for k in range(width))]
    for _ in range(draw(st.integers(0, 12))):
        n = width + draw(st.sampled_from([0] * 8 + [-1, 1, 1 - width]))  # now and then a wrong count
        cells = [draw(st.sampled_from(CELLS[:6])) for _ in range(n)]
        if cells and draw(st.integers(0, 4)) == 0:  # now and then one odd cell
            cells[draw(st.integers(0, n - 1))] = draw(st.sampled_from(CELLS))
        lines.append(sep.join(cells))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join(lines) + draw(st.sampled_from(["", end]))
    names = [f"c{k}" for k in range(width)]
    options = {
        "sep": sep,
        "target": draw(st.sampled_from(names)),
        "require_target": draw(st.booleans()),
        "id_column": draw(st.sampled_from([None, *names])),
    }
    if not options["require_target"] and draw(st.booleans()):  # a model's features, in its order
        options["features"] = draw(st.lists(st.sampled_from(names), min_size=1, max_size=width, unique=True))
    if options["id_column"] == options["target"]:
        options["id_column"] = None
    return text, options


def read_or_error(text, options, decimal, engine, plain_file=None):
    from glassnet.io.data import parse_csv_bytes

    try:
        table = parse_csv_bytes(
            text.encode(), "fuzzed.csv", decimal=decimal, plain_file=plain_file, engine=engine, **options
        )
    except GlassnetError as exc:
        return str(exc)
    ids = None if table.ids is None else table.ids.tolist()
    return table.X.tolist(), table.feature_names, table.y.tolist(), ids, table.ignored, table.notes


C_ENGINES = ["numpy", *(["pandas"] if importlib.util.find_spec("pandas") else [])]


@settings(max_examples=300)
@given(
    csv_texts(),
    st.sampled_from(C_ENGINES),
    st.sampled_from([1, 7, 64, 10**6]),
    st.sampled_from([None, "."]),
)
def test_the_fast_csv_reading_is_the_exact_one(case, engine, chunk, decimal):
    """Whatever a C parser makes of a file, in chunks of any size, the result is the one Python's csv
    module and float() give: the same values, or the same error naming the same line."""
    from unittest import mock

    from glassnet.io import data

    text, options = case
    exact = read_or_error(text, options, decimal, "python")
    with mock.patch.object(data, "CHUNK_BYTES", chunk):
        fast = read_or_error(text, options, decimal, engine)
    assert fast == exact


@pytest.mark.needs("pandas")
@settings(max_examples=150)
@given(csv_texts(), st.sampled_from([None, "."]))
def test_pandas_reading_the_whole_file_is_the_exact_reading(case, decimal):
    """The same when pandas parses the file itself in one call (a plain file, not gzip or stdin)."""
    import tempfile
    from pathlib import Path

    text, options = case
    exact = read_or_error(text, options, decimal, "python")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.csv"
        path.write_bytes(text.encode())
        whole = read_or_error(text, options, decimal, "pandas", plain_file=path)
    assert whole == exact
