"""Data: CSV files, IDX files (the MNIST format), and named datasets.

Named datasets:
  - ``fashion-mnist``: Debian's ``dataset-fashion-mnist`` package (IDX files under
    /usr/share/datasets/fashion-mnist), with its official 10,000-image test split;
  - ``iris``, ``digits``, ``wine``, ``breast-cancer``: the small sets bundled with scikit-learn;
  - ``xor``, ``moons``, ``circles``, ``spirals``: generated 2-D sets (seeded).
Sets without an official test split get a seeded 20% test split.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.core.errors import GlassnetError
from glassnet.core.model import split_rows

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
SKLEARN_SETS = {
    "iris": "load_iris",
    "digits": "load_digits",
    "wine": "load_wine",
    "breast-cancer": "load_breast_cancer",
}
GENERATED_SETS = ("xor", "moons", "circles", "spirals")
DATASETS = ("fashion-mnist", *SKLEARN_SETS, *GENERATED_SETS)
MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}
MAX_CLASSES_FOR_NUMBERS = 20


@dataclass
class Table:
    """Features (rows, columns) as float64 with their names, and the raw target column."""

    X: NDArray[np.float64]
    feature_names: list[str]
    y: NDArray[Any]
    target_name: str


@dataclass
class Dataset:
    """Train and (optional) test parts of one dataset, and what kind of task it is."""

    name: str
    task: str
    train: Table
    test: Table | None


# ---------------------------------------------------------------------------------------------- CSV
def _number(text: str, column: str, line: int) -> float:
    if text.strip().lower() in MISSING:
        raise GlassnetError(f"missing value in column {column!r} at line {line}; fill or drop it first")
    try:
        value = float(text)
    except ValueError:
        raise GlassnetError(
            f"non-numeric value {text!r} in feature column {column!r} at line {line}; "
            "features must be numbers"
        ) from None
    if not math.isfinite(value):
        raise GlassnetError(f"value {text!r} in column {column!r} at line {line} is not finite")
    return value


def read_csv(path: str | os.PathLike[str], target: str | None = None, require_target: bool = True) -> Table:
    """Read a CSV file with a header row. ``target`` names the target column (default: the last).

    Every other column must be numeric. With ``require_target=False`` a missing target column is allowed
    (prediction): then ``y`` is empty and every column is a feature.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:  # -sig: a byte-order mark is not a name
            rows = _numbered(csv.reader(f))
    except FileNotFoundError:
        raise GlassnetError(f"no such file: {str(path)!r}") from None
    except IsADirectoryError:
        raise GlassnetError(f"expected a CSV file; {str(path)!r} is a folder") from None
    except UnicodeDecodeError:
        raise GlassnetError(f"{str(path)!r} is not UTF-8 text; expected a CSV file") from None
    except (OSError, csv.Error) as exc:
        raise GlassnetError(f"cannot read {str(path)!r}: {exc}") from None
    return parse_csv(rows, str(path), target, require_target)


def read_csv_text(text: str, target: str | None = None, source: str = "the uploaded CSV") -> Table:
    """Like ``read_csv``, from the text of a CSV file (an upload)."""
    try:
        rows = _numbered(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    except csv.Error as exc:
        raise GlassnetError(f"cannot read {source}: {exc}") from None
    return parse_csv(rows, source, target, True)


def _numbered(reader: Any) -> list[tuple[int, list[str]]]:
    """(line number where the record ends, fields) for every record that is not blank."""
    return [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]


def parse_csv(
    numbered: list[tuple[int, list[str]]], source: str, target: str | None, require_target: bool
) -> Table:
    """The checks and conversions shared by ``read_csv`` and ``read_csv_text``: ``numbered`` holds the
    non-blank records with their line numbers."""
    rows = [row for _, row in numbered]
    lines = [line for line, _ in numbered]
    if not rows:
        raise GlassnetError(f"{source!r} is empty; expected a header row and data rows")
    header = [h.strip() for h in rows[0]]
    if len(set(header)) != len(header) or any(not h for h in header):
        raise GlassnetError(f"{source!r}: the header needs distinct, non-empty column names; got {header}")
    body = rows[1:]
    if not body:
        raise GlassnetError(f"{source!r} has a header but no data rows")
    for line, row in zip(lines[1:], body, strict=True):
        if len(row) != len(header):
            raise GlassnetError(f"{source!r} line {line}: expected {len(header)} fields, found {len(row)}")
    if target is None:
        target_index: int | None = len(header) - 1 if require_target else None
    elif target in header:
        target_index = header.index(target)
    elif require_target:
        raise GlassnetError(f"no column named {target!r} in {source!r}; columns are {', '.join(header)}")
    else:
        target_index = None
    features = [k for k in range(len(header)) if k != target_index]
    if not features:
        raise GlassnetError(f"{source!r} has no feature columns besides the target")
    X = np.empty((len(body), len(features)))
    for i, row in enumerate(body):
        for j, k in enumerate(features):
            X[i, j] = _number(row[k], header[k], lines[i + 1])
    if target_index is None or not require_target:  # predicting: a target column is ignored, blank or not
        return Table(X, [header[k] for k in features], np.empty(0, dtype=object), target or "")
    y = []
    for line, row in zip(lines[1:], body, strict=True):
        cell = row[target_index].strip()
        if cell.lower() in MISSING:
            raise GlassnetError(f"missing value in target column {header[target_index]!r} at line {line}")
        y.append(cell)
    return Table(X, [header[k] for k in features], np.asarray(y, dtype=object), header[target_index])


def infer_task(y: NDArray[Any]) -> str:
    """classification for text labels or few integer values; regression for other numbers."""
    try:
        values = np.asarray(y, dtype=np.float64)
    except ValueError:
        return "classification"
    integers = bool(np.all(values == np.round(values)))
    return (
        "classification" if integers and len(np.unique(values)) <= MAX_CLASSES_FOR_NUMBERS else "regression"
    )


def target_values(y: NDArray[Any], task: str) -> NDArray[Any]:
    """Regression targets as float64 (error naming the first non-number); class labels unchanged."""
    if task == "classification":
        return y
    out = np.empty(len(y))
    for i, v in enumerate(y):
        try:
            out[i] = float(v)
        except (TypeError, ValueError):
            raise GlassnetError(f"regression needs numeric targets; found {v!r} in row {i + 1}") from None
        if not math.isfinite(out[i]):
            raise GlassnetError(f"regression targets must be finite; found {v!r} in row {i + 1}")
    return out


# ---------------------------------------------------------------------------------------------- IDX
IDX_TYPES: dict[int, str] = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike[str]) -> NDArray[Any]:
    """Read an IDX file (the MNIST format), gzipped or not, checking its header against its size."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except FileNotFoundError:
        raise GlassnetError(f"no such file: {str(path)!r}") from None
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise GlassnetError(f"cannot read IDX file {str(path)!r}: {exc}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in IDX_TYPES:
        raise GlassnetError(f"{str(path)!r} is not an IDX file (bad magic number)")
    ndim = data[3]
    if ndim == 0 or len(data) < 4 + 4 * ndim:
        raise GlassnetError(f"{str(path)!r}: IDX header is truncated")
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    dtype = np.dtype(IDX_TYPES[data[2]])
    expected = math.prod(dims) * dtype.itemsize
    if len(data) - 4 - 4 * ndim != expected:
        raise GlassnetError(
            f"{str(path)!r}: the header promises {dims} values ({expected} bytes) but the file holds "
            f"{len(data) - 4 - 4 * ndim} bytes"
        )
    return np.frombuffer(data, dtype, offset=4 + 4 * ndim).reshape(dims)


# ---------------------------------------------------------------------------------------------- datasets
def _table(X: NDArray[Any], y: NDArray[Any], names: Sequence[str], target: str) -> Table:
    return Table(np.asarray(X, dtype=np.float64), list(names), np.asarray(y, dtype=object), target)


def _fashion_mnist() -> tuple[Table, Table]:
    files = [
        FASHION_MNIST_DIR / f"{prefix}-{kind}-ubyte.gz"
        for prefix in ("train", "t10k")
        for kind in ("images-idx3", "labels-idx1")
    ]
    if not all(f.is_file() for f in files):
        raise GlassnetError(
            f"Fashion-MNIST not found under {FASHION_MNIST_DIR}; install Debian's dataset-fashion-mnist "
            "package (apt-get install dataset-fashion-mnist)"
        )
    names = [f"pixel{k + 1}" for k in range(784)]
    parts = []
    for prefix in ("train", "t10k"):
        images = read_idx(FASHION_MNIST_DIR / f"{prefix}-images-idx3-ubyte.gz")
        labels = read_idx(FASHION_MNIST_DIR / f"{prefix}-labels-idx1-ubyte.gz")
        X = images.reshape(images.shape[0], -1).astype(np.float64) / 255.0
        y = np.asarray(FASHION_MNIST_CLASSES, dtype=object)[labels]
        parts.append(Table(X, names, y, "label"))
    return parts[0], parts[1]


def generate(name: str, n: int = 400, noise: float = 0.1, seed: int | None = 0) -> Table:
    """A generated 2-D classification set: xor, moons, circles or spirals, ``n`` points."""
    rng = np.random.default_rng(seed)
    if name == "xor":
        X = rng.uniform(-1, 1, size=(n, 2))
        y = (X[:, 0] * X[:, 1] > 0).astype(int)
        X += rng.normal(0, noise / 2, size=X.shape)
    elif name == "moons":
        half = n // 2
        a = rng.uniform(0, math.pi, size=half)
        b = rng.uniform(0, math.pi, size=n - half)
        X = np.vstack([np.c_[np.cos(a), np.sin(a)], np.c_[1 - np.cos(b), 0.5 - np.sin(b)]])
        y = np.r_[np.zeros(half, int), np.ones(n - half, int)]
        X += rng.normal(0, noise, size=X.shape)
    elif name == "circles":
        angle = rng.uniform(0, 2 * math.pi, size=n)
        y = (np.arange(n) % 2).astype(int)
        radius = np.where(y == 1, 0.5, 1.0)
        X = np.c_[radius * np.cos(angle), radius * np.sin(angle)] + rng.normal(0, noise / 2, size=(n, 2))
    elif name == "spirals":
        y = (np.arange(n) % 2).astype(int)
        r = rng.uniform(0.1, 1.0, size=n)
        theta = 3 * math.pi * r + math.pi * y
        X = np.c_[r * np.cos(theta), r * np.sin(theta)] + rng.normal(0, noise / 5, size=(n, 2))
    else:
        raise GlassnetError(
            f"unknown generated dataset {name!r}; expected one of {', '.join(GENERATED_SETS)}"
        )
    return _table(X, y, ["x1", "x2"], "class")


def _split(table: Table, fraction: float, seed: int | None) -> tuple[Table, Table]:
    """(train, test) parts of ``table``: the core's held-out split (``split_rows``)."""
    train, test = split_rows(len(table.y), fraction, seed)
    return (
        Table(table.X[train], table.feature_names, table.y[train], table.target_name),
        Table(table.X[test], table.feature_names, table.y[test], table.target_name),
    )


def load(
    source: str,
    target: str | None = None,
    test: str | None = None,
    task: str = "auto",
    seed: int | None = 0,
) -> Dataset:
    """Load a named dataset or a CSV file (with an optional test CSV) for training."""
    if source in DATASETS:
        if test is not None:
            raise GlassnetError(
                f"--test is for CSV files; the named dataset {source!r} brings its own test split"
            )
        if source == "fashion-mnist":
            train_t, test_t = _fashion_mnist()
            return Dataset(source, "classification", train_t, test_t)
        if source in SKLEARN_SETS:
            try:
                import sklearn.datasets
            except ImportError:
                raise GlassnetError(
                    f"the {source!r} dataset comes with scikit-learn: pip install 'glassnet[sklearn]'"
                ) from None
            bunch = getattr(sklearn.datasets, SKLEARN_SETS[source])()
            names = [str(n) for n in bunch.feature_names] if hasattr(bunch, "feature_names") else None
            labels = np.asarray(bunch.target_names, dtype=object)[bunch.target]
            table = _table(
                bunch.data, labels, names or [f"x{k + 1}" for k in range(bunch.data.shape[1])], "class"
            )
        else:
            table = generate(source, seed=seed)
        train_t, test_t = _split(table, 0.2, seed)
        return Dataset(source, "classification", train_t, test_t)
    if not Path(source).exists() and "/" not in source and not source.endswith(".csv"):
        raise GlassnetError(
            f"unknown dataset {source!r}; expected a CSV file or one of {', '.join(DATASETS)}"
        )
    train_t = read_csv(source, target)
    if task == "auto":
        task = infer_task(train_t.y)
    if task not in ("classification", "regression"):
        raise GlassnetError(f"unknown task {task!r}; expected auto, classification or regression")
    train_t.y = target_values(train_t.y, task)
    test_part: Table | None = None
    if test is not None:
        test_part = read_csv(test, train_t.target_name)
        test_part.y = target_values(test_part.y, task)
    return Dataset(Path(source).name, task, train_t, test_part)


def select_features(table: Table, names: Sequence[str], source: str) -> NDArray[np.float64]:
    """The columns ``names`` of ``table`` in that order (a model picks its features by name)."""
    index = {n: k for k, n in enumerate(table.feature_names)}
    missing = [n for n in names if n not in index]
    if missing:
        raise GlassnetError(
            f"{source!r} lacks {len(missing)} feature column(s) the model was trained on: "
            f"{', '.join(missing[:8])}{', ...' if len(missing) > 8 else ''}"
        )
    return table.X[:, [index[n] for n in names]]
