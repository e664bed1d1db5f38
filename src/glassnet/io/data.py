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
import importlib
import importlib.util
import io
import math
import os
import re
import sys
import warnings
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
    ids: NDArray[Any] | None = None
    """The id column's text (``read_csv(..., id_column=...)``), else None."""
    ignored: list[str] = field(default_factory=list)
    """Columns of the file that were neither features, target nor id: not read."""
    notes: list[str] = field(default_factory=list)
    """What was detected about the file's format, when it is not plain commas and decimal points."""


@dataclass
class Dataset:
    """Train and (optional) test parts of one dataset, and what kind of task it is."""

    name: str
    task: str
    train: Table
    test: Table | None


# ---------------------------------------------------------------------------------------------- CSV
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
CHUNK_BYTES = 8 << 20  # each chunk costs a set-up of the parser, and memory: a middle way
PANDAS_FROM_BYTES = 2 << 20  # below this, importing pandas costs more than it saves
ENGINES = ("auto", "pandas", "numpy", "python")  # read_csv's engine: which parser reads the records
# up to this many chunks pandas parses a plain file in one call (98 MB in about 0.2 s on a 2-core
# machine); larger files are read in chunks, with progress after each
WHOLE_FILE_CHUNKS = 32
_DECIMAL_COMMA = re.compile(r"\s*[-+]?\d*,\d+(?:[eE][-+]?\d+)?\s*")
_DECIMAL_POINT = re.compile(r"\s*[-+]?\d*\.\d+(?:[eE][-+]?\d+)?\s*")
ProgressCallback = Callable[[int, int], None]


def _number(text: str, column: str, line: int, decimal: str = ".") -> float:
    if text.strip().lower() in MISSING:
        raise GlassnetError(f"missing value in column {column!r} at line {line}; fill or drop it first")
    try:
        value = float(text.replace(",", ".") if decimal == "," else text)
    except ValueError:
        hint = "features must be numbers"
        if decimal == "." and _DECIMAL_COMMA.fullmatch(text):
            hint = "is it a decimal comma? then read the file with --decimal , (decimal=',')"
        raise GlassnetError(
            f"non-numeric value {text!r} in feature column {column!r} at line {line}; {hint}"
        ) from None
    if not math.isfinite(value):
        raise GlassnetError(f"value {text!r} in column {column!r} at line {line} is not finite")
    return value


def read_csv(
    path: str | os.PathLike[str],
    target: str | None = None,
    require_target: bool = True,
    *,
    features: Sequence[str] | None = None,
    id_column: str | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    on_progress: ProgressCallback | None = None,
    engine: str = "auto",
) -> Table:
    """Read a CSV file with a header row. ``target`` names the target column (default: the last).

    Parameters
    ----------
    path : str or PathLike
        The file; gzip-compressed or not (told by its first bytes); ``"-"`` reads standard input.
    target : str, optional
        The target column (default: the last column).
    require_target : bool
        With False a missing target column is allowed (prediction): then ``y`` is empty.
    features : sequence of str, optional
        Only these columns, in this order, become ``X`` (a model picks its features by name); the other
        columns are not converted, and their names are listed in ``Table.ignored``. By default every
        column but the target and the id is a feature, and must be numeric.
    id_column : str, optional
        A column that is not a feature; its text is kept in ``Table.ids``.
    sep : str, optional
        The field separator; by default detected among ``,`` ``;`` tab and ``|`` from the first lines.
    decimal : str, optional
        ``"."`` or ``","``; by default ``","`` only for a file not separated by commas whose first lines
        hold numbers such as ``1,5`` and none such as ``1.5``.
    on_progress : callable, optional
        Called as ``on_progress(bytes_done, bytes_total)`` while the rows are read.
    engine : {"auto", "pandas", "numpy", "python"}
        Which parser reads the records: ``"python"``, every record through Python's csv module (the exact
        reading); ``"numpy"``, NumPy's C parser on chunks of records; ``"pandas"``, pandas' C parser (the
        whole file in one call when it is a plain file), which needs pandas; ``"auto"`` (the default),
        pandas from 2 MB on when it is installed, else NumPy. Every engine gives the same table, or the
        same error: a chunk that a C parser does not read plainly is read the exact way, which names the
        line and the column of the bad value.
    """
    source = str(path)
    if source == "-":
        source = "standard input"
        raw = sys.stdin.buffer.read()
    else:
        file = Path(path)
        try:
            raw = file.read_bytes()
        except FileNotFoundError:
            raise GlassnetError(f"no such file: {source!r}") from None
        except IsADirectoryError:
            raise GlassnetError(f"expected a CSV file; {source!r} is a folder") from None
        except OSError as exc:
            raise GlassnetError(f"cannot read {source!r}: {exc.strerror or exc}") from None
    plain_file = None if source == "standard input" else Path(path)
    if raw[:2] == b"\x1f\x8b":
        plain_file = None
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise GlassnetError(f"cannot read {source!r}: a damaged gzip file ({exc})") from None
    return parse_csv_bytes(
        raw,
        source,
        target,
        require_target,
        features,
        id_column,
        sep,
        decimal,
        on_progress,
        plain_file,
        engine,
    )


def read_csv_text(
    text: str,
    target: str | None = None,
    source: str = "the uploaded CSV",
    sep: str | None = None,
    decimal: str | None = None,
) -> Table:
    """Like ``read_csv``, from the text of a CSV file (an upload)."""
    return parse_csv_bytes(
        text.encode("utf-8", "surrogatepass"), source, target, True, None, None, sep, decimal
    )


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise GlassnetError(f"{source!r} is not UTF-8 text; expected a CSV file") from None


def _sample(text: str, complete: bool) -> list[str]:
    """The first lines of a text, without the last one when it may be cut short, and without blanks."""
    lines = text.splitlines()
    if not complete and lines:
        lines = lines[:-1]
    return [line for line in lines if line.strip()][:50]


def detect_separator(text: str, complete: bool = True) -> str:
    """The separator among ``,`` ``;`` tab ``|`` that splits the header and the first rows into the same
    number (at least two) of fields, the most fields winning; ``,`` when none does."""
    lines = _sample(text, complete)
    best, most = ",", 1
    for sep in SEPARATORS:
        try:
            counts = {len(row) for row in csv.reader(lines, delimiter=sep)}
        except csv.Error:
            continue
        if len(counts) == 1 and (n := counts.pop()) > most:
            best, most = sep, n
    return best


def _detect_decimal(lines: list[str], sep: str) -> str:
    if sep == ",":
        return "."
    cells = [cell for row in csv.reader(lines[1:], delimiter=sep) for cell in row]
    comma = any(_DECIMAL_COMMA.fullmatch(c) for c in cells)
    point = any(_DECIMAL_POINT.fullmatch(c) for c in cells)
    return "," if comma and not point else "."


def _check_header(header: list[str], source: str) -> None:
    for k, name in enumerate(header):
        if not name:
            hint = (
                "; it looks like a pandas index: write the file with to_csv(..., index=False)"
                if k == 0
                else ""
            )
            raise GlassnetError(f"{source!r}: column {k + 1} of the header has no name{hint}")
        if name in header[:k]:
            first = header.index(name) + 1
            raise GlassnetError(
                f"{source!r}: the column name {name!r} appears twice (columns {first} and {k + 1}); "
                "column names must be distinct"
            )


def parse_csv_bytes(
    raw: bytes,
    source: str,
    target: str | None,
    require_target: bool,
    features: Sequence[str] | None = None,
    id_column: str | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    on_progress: ProgressCallback | None = None,
    plain_file: Path | None = None,
    engine: str = "auto",
) -> Table:
    """The checks and conversions shared by ``read_csv`` and ``read_csv_text``, on the file's bytes.

    ``plain_file`` is the file whose bytes ``raw`` are, when it is not compressed: pandas then parses it
    from the file itself (its fastest way), and the chunks of ``raw`` are read only if that fails.
    ``engine`` is as for ``read_csv``.
    """
    if engine not in ENGINES:
        raise GlassnetError(f"engine must be one of {', '.join(map(repr, ENGINES))}; got {engine!r}")
    if engine == "pandas" and importlib.util.find_spec("pandas") is None:
        raise GlassnetError("engine='pandas' needs pandas: pip install pandas (or use engine='numpy')")
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark is not part of the first name
    if sep is not None and (len(sep) != 1 or sep in '"\r\n' or not sep.isascii()):
        raise GlassnetError(f"the separator must be one character other than a quote or newline; got {sep!r}")
    if decimal not in (None, ".", ","):
        raise GlassnetError(f"the decimal mark must be '.' or ','; got {decimal!r}")
    # the first lines (64 KiB past the first newline, so that a wide header is whole), cut at a newline
    limit = max(raw.find(b"\n"), 0) + (1 << 16)
    complete = len(raw) <= limit
    head = _decode(raw if complete else raw[:limit].rsplit(b"\n", 1)[0], source)
    notes = []
    if sep is None:
        sep = detect_separator(head, complete)
        if sep != ",":
            notes.append(f"{SEPARATORS[sep]}-separated")
    if decimal is None:
        decimal = _detect_decimal(_sample(head, complete), sep)
        if decimal == ",":
            notes.append("with decimal commas")
    if decimal == "," and sep == ",":
        raise GlassnetError("a file with decimal commas needs another separator (such as ';'); got ','")
    reader = csv.reader(io.StringIO(head, newline=""), delimiter=sep)
    try:
        header_row = next((row for row in reader if any(cell.strip() for cell in row)), None)
    except csv.Error as exc:
        raise GlassnetError(f"cannot read {source!r}: {exc}") from None
    if header_row is None:
        raise GlassnetError(f"{source!r} is empty; expected a header row and data rows")
    header = [h.strip() for h in header_row]
    _check_header(header, source)
    header_lines = reader.line_num
    start = 0
    for _ in range(header_lines):
        start = raw.find(b"\n", start) + 1 or len(raw)

    if target is None:
        target_index: int | None = len(header) - 1 if require_target else None
    elif target in header:
        target_index = header.index(target)
    elif require_target:
        raise GlassnetError(f"no column named {target!r} in {source!r}; columns are {', '.join(header)}")
    else:
        target_index = None
    if id_column is not None and id_column not in header:
        raise GlassnetError(
            f"no id column named {id_column!r} in {source!r}; columns are {', '.join(header)}"
        )
    id_index = None if id_column is None else header.index(id_column)
    if id_index is not None and id_index == target_index:
        raise GlassnetError(f"the column {id_column!r} cannot be both the id and the target")
    if features is None:
        feature_index = [k for k in range(len(header)) if k not in (target_index, id_index)]
    else:
        missing = [n for n in features if n not in header]
        if missing:
            raise GlassnetError(
                f"{source!r} lacks {len(missing)} feature column(s) the model was trained on: "
                f"{', '.join(missing[:8])}{', ...' if len(missing) > 8 else ''}"
            )
        feature_index = [header.index(n) for n in features]
    if not feature_index:
        others = [s for s in SEPARATORS if s != sep and len(header) == 1 and s in header[0]]
        hint = f"; is the file separated by {others[0]!r}? see --sep" if others else ""
        raise GlassnetError(f"{source!r} has no feature columns besides the target{hint}")
    used = {*feature_index, id_index, target_index if require_target else None}
    ignored = [h for k, h in enumerate(header) if k not in used]
    columns = _Columns(
        header, feature_index, target_index if require_target else None, id_index, sep, decimal, source
    )
    codes = np.frombuffer(raw, np.uint8)

    def count(byte: int) -> int:  # a slice at a time: no boolean copy of the whole file
        slices = range(start, len(raw), CHUNK_BYTES)
        return sum(int(np.count_nonzero(codes[k : k + CHUNK_BYTES] == byte)) for k in slices)

    def table(X: NDArray[np.float64], y: list[str], ids: list[str]) -> Table:
        return Table(
            X,
            [header[k] for k in feature_index],
            np.asarray(y, dtype=object),
            header[target_index] if target_index is not None else (target or ""),
            ids=None if id_index is None else np.asarray(ids, dtype=object),
            ignored=ignored,
            notes=notes,
        )

    use_pandas = engine == "pandas" or (
        engine == "auto" and len(raw) >= PANDAS_FROM_BYTES and importlib.util.find_spec("pandas") is not None
    )
    quoted = b'"' in raw
    if (
        plain_file is not None
        and use_pandas
        and not quoted
        and len(header) > 1
        and start < len(raw) <= WHOLE_FILE_CHUNKS * CHUNK_BYTES
    ):
        whole = columns.pandas_file(plain_file, header_lines, count(ord(sep)))
        if whole is not None:
            if on_progress is not None:
                on_progress(len(raw), len(raw))
            return table(*whole)
    X = np.empty((count(10) + 1, len(feature_index)))  # a row at most per line
    y: list[str] = []
    ids: list[str] = []
    rows = 0
    position = start
    while position < len(raw):
        end = _chunk_end(raw, position, quoted)
        chunk = raw[position:end]
        plain = engine != "python" and b'"' not in chunk and len(header) > 1
        part = columns.fast(chunk, use_pandas) if plain else None
        if part is None:  # the exact reading names the line of a bad record
            part = columns.exact(chunk, header_lines + 1 + raw.count(b"\n", start, position))
        values, y_part, id_part = part
        X[rows : rows + len(values)] = values
        y.extend(y_part)
        ids.extend(id_part)
        rows += len(values)
        position = end
        if on_progress is not None:
            on_progress(position, len(raw))
    if rows == 0:
        raise GlassnetError(f"{source!r} has a header but no data rows")
    return table(X[:rows], y, ids)


def _chunk_end(raw: bytes, start: int, quoted: bool) -> int:
    """Where the chunk that begins at ``start`` ends: after a newline that no quoted field holds (with
    ``quoted`` False the file holds no quote at all)."""
    end = start + CHUNK_BYTES
    while end < len(raw):
        end = raw.find(b"\n", end)
        if end < 0:
            break
        if not quoted or raw.count(b'"', start, end) % 2 == 0:
            return end + 1
        end += 1
    return len(raw)


Part = tuple[NDArray[np.float64], list[str], list[str]]


@dataclass
class _Columns:
    """How a chunk of whole records becomes (feature values, target cells, id cells)."""

    header: list[str]
    feature_index: list[int]
    target_index: int | None
    id_index: int | None
    sep: str
    decimal: str
    source: str

    def exact(self, chunk: bytes, first_line: int) -> Part:
        """Every record through Python's csv module, with errors that name the line and the column."""
        reader = csv.reader(io.StringIO(_decode(chunk, self.source), newline=""), delimiter=self.sep)
        values: list[list[float]] = []
        y: list[str] = []
        ids: list[str] = []
        width = len(self.header)
        try:
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                line = first_line + reader.line_num - 1
                if len(row) != width:
                    hint = ""
                    if len(row) == 1 and width > 1:
                        hint = f"; is the file separated by something other than {self.sep!r}? see --sep"
                    raise GlassnetError(
                        f"{self.source!r} line {line}: expected {width} fields, found {len(row)}{hint}"
                    )
                values.append(
                    [_number(row[k], self.header[k], line, self.decimal) for k in self.feature_index]
                )
                if self.target_index is not None:
                    cell = row[self.target_index].strip()
                    if cell.lower() in MISSING:
                        raise GlassnetError(
                            f"missing value in target column {self.header[self.target_index]!r} "
                            f"at line {line}"
                        )
                    y.append(cell)
                if self.id_index is not None:
                    ids.append(row[self.id_index].strip())
        except csv.Error as exc:
            raise GlassnetError(f"cannot read {self.source!r}: {exc}") from None
        X = np.asarray(values, dtype=np.float64).reshape(len(values), len(self.feature_index))
        return X, y, ids

    def fast(self, chunk: bytes, use_pandas: bool) -> Part | None:
        """The same as ``exact`` for a chunk without quotes, through a C parser; None when any record is
        not plainly right (a wrong field count, a value that is not a finite number, a missing label):
        then ``exact`` reads the chunk and names the line."""
        if use_pandas and self.id_index not in self.feature_index:
            return self._pandas(chunk)
        codes = np.frombuffer(chunk, np.uint8)
        ends = np.flatnonzero(codes == 10)
        if len(ends) == 0 or ends[-1] != len(codes) - 1:
            ends = np.append(ends, len(codes))
        starts = np.r_[0, ends[:-1] + 1]
        lengths = ends - starts
        blank = (lengths == 0) | ((lengths == 1) & (codes[np.minimum(starts, len(codes) - 1)] == 13))
        seps = np.flatnonzero(codes == ord(self.sep))
        counts = np.diff(np.searchsorted(seps, ends), prepend=0)
        if np.any(counts[~blank] != len(self.header) - 1):
            return None
        n = int(np.count_nonzero(~blank))
        if n == 0:
            return np.empty((0, len(self.feature_index))), [], []
        try:
            text = chunk.decode("utf-8")
            X = np.loadtxt(
                io.StringIO(text.replace(",", ".") if self.decimal == "," else text),
                delimiter=self.sep,
                comments=None,
                usecols=self.feature_index,
                dtype=np.float64,
                ndmin=2,
                quotechar=None,
            )
        except (ValueError, UnicodeDecodeError):
            return None
        if X.shape != (n, len(self.feature_index)) or not np.isfinite(X).all():
            return None
        y: list[str] = []
        ids: list[str] = []
        if self.target_index is not None or self.id_index is not None:
            lines = [line for line in text.split("\n") if line and line != "\r"]
            if self.target_index is not None:
                y = self._cells(lines, self.target_index)
                if any(cell.lower() in MISSING for cell in y):
                    return None
            if self.id_index is not None:
                ids = self._cells(lines, self.id_index)
        return X, y, ids

    def _pandas_options(self) -> dict[str, Any]:
        """pandas.read_csv's options for records of this file: every cell as it is written (no NA
        guessing, no quotes), the target and id columns as text, the features' types inferred (naming
        float64 for each costs a third more time)."""
        return {
            "encoding": "utf-8",
            "sep": self.sep,
            "header": None,
            "dtype": {k: object for k in (self.target_index, self.id_index) if k is not None},
            "na_filter": False,
            "engine": "c",
            "quoting": csv.QUOTE_NONE,
            "decimal": self.decimal,
            "skip_blank_lines": True,
        }

    def _pandas(self, chunk: bytes) -> Part | None:
        """``fast`` through pandas' C parser (about three times faster than NumPy's). It refuses a record
        with too many fields; one with too few reads as empty text cells, so the separators are counted."""
        pd: Any = importlib.import_module("pandas")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                frame = pd.read_csv(io.BytesIO(chunk), **self._pandas_options())
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError, Warning):
            return None  # pandas' EmptyDataError is a ValueError: a chunk of blank lines goes the exact way
        seps = np.count_nonzero(np.frombuffer(chunk, np.uint8) == ord(self.sep))  # faster than bytes.count
        if seps != len(frame) * (len(self.header) - 1):
            return None
        return self._part(frame)

    def pandas_file(self, path: Path, skip: int, seps: int) -> Part | None:
        """The records of a whole quote-free file after its first ``skip`` lines, parsed by pandas from
        the file in one call (its fastest way: reading in pieces takes about twice as long); ``seps``
        separators follow the header. None when any record is not plainly right."""
        pd: Any = importlib.import_module("pandas")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                frame = pd.read_csv(path, skiprows=skip, memory_map=True, **self._pandas_options())
        except (ValueError, UnicodeDecodeError, OSError, pd.errors.ParserError, Warning):
            return None  # including no rows at all: the chunked reading says what is wrong
        if seps != len(frame) * (len(self.header) - 1):
            return None  # a record with too few fields
        return self._part(frame)

    def _part(self, frame: Any) -> Part | None:
        """(features, target cells, id cells) of a frame pandas parsed; None when a feature column is not
        all finite numbers or a label is missing."""
        if frame.shape[1] != len(self.header):
            return None
        if any(frame[k].dtype.kind not in "fiu" for k in self.feature_index):
            return None  # text (or true/false) in a feature column: the exact reading names it
        X = frame[self.feature_index].to_numpy(dtype=np.float64)
        if not np.isfinite(X).all():
            return None
        texts = {k: frame[k].tolist() for k in (self.target_index, self.id_index) if k is not None}
        y = [] if self.target_index is None else [v.strip() for v in texts[self.target_index]]
        if any(cell.lower() in MISSING for cell in y):
            return None
        ids = [] if self.id_index is None else [v.strip() for v in texts[self.id_index]]
        return X, y, ids

    def _cells(self, lines: list[str], k: int) -> list[str]:
        """Field ``k`` of each quote-free line, stripped; splitting no more than it needs to."""
        sep = self.sep
        if k < len(self.header) // 2:
            return [line.split(sep, k + 1)[k].strip() for line in lines]
        r = len(self.header) - 1 - k  # the field's place counted from the right
        return [line.rsplit(sep, r + 1)[-(r + 1)].strip() for line in lines]


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


def _integer(value: Any) -> int | None:
    """The integer a label such as ``"1"``, ``"1.0"`` or ``" 2 "`` (or 1, 1.0) stands for, else None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if math.isfinite(number) and number == int(number) else None


def class_labels(y: NDArray[Any], like: Sequence[Any] | NDArray[Any] | None = None) -> NDArray[Any]:
    """Class labels as the loader gives them: Python ints when every label is an integer-valued number
    (``"1"``, ``"1.0"``, ``" 2 "``), Python bools when every label is true or false in any case (pandas
    writes ``True``/``False``), else the labels as they are.

    ``like`` holds the labels these must agree with (the training labels, or a model's classes): when those
    are ints, each integer-valued label here becomes an int (so ``1.0`` in a test file matches class 1);
    when they are text, these labels stay text.
    """
    values = y.tolist() if isinstance(y, np.ndarray) else list(y)
    truth = {"true": True, "false": False}
    if values and all(isinstance(v, str) and v.strip().lower() in truth for v in values):
        if like is None or all(isinstance(v, (bool, np.bool_)) for v in like):  # true/false (pandas: True)
            out = np.empty(len(values), dtype=object)
            out[:] = [truth[v.strip().lower()] for v in values]
            return out
    if like is None:
        integers = [_integer(v) for v in values]
        convert = bool(values) and all(v is not None for v in integers)
    else:
        reference = like.tolist() if isinstance(like, np.ndarray) else list(like)
        as_int = bool(reference) and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in reference
        )
        # a model file from before int classes holds '0', '1', ...: a label 1.0 still means class '1'
        as_text = bool(reference) and all(isinstance(v, str) and str(_integer(v)) == v for v in reference)
        if as_text:
            values = [v if (i := _integer(v)) is None else str(i) for v in values]
        convert = as_int
        integers = [_integer(v) for v in values] if convert else []
    out = np.empty(len(values), dtype=object)
    out[:] = [v if i is None else i for v, i in zip(values, integers, strict=True)] if convert else values
    return out


def target_values(
    y: NDArray[Any], task: str, like: Sequence[Any] | NDArray[Any] | None = None
) -> NDArray[Any]:
    """Regression targets as float64 (error naming the first non-number); class labels as
    ``class_labels(y, like)`` gives them (ints when they are integer-valued numbers)."""
    if task == "classification":
        return class_labels(y, like)
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
    *,
    id_column: str | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> Dataset:
    """Load a named dataset or a CSV file (with an optional test CSV) for training.

    ``id_column``, ``sep``, ``decimal`` and ``on_progress`` are as for ``read_csv``; the test file is read
    with the same separator and decimal mark. Integer-valued class labels become ints, in the test file as
    in the training file (``1.0`` there matches class ``1``).
    """
    if source in DATASETS:
        given = [name for name, v in (("id", id_column), ("sep", sep), ("decimal", decimal)) if v is not None]
        if given:
            options = ", ".join(f"--{name}" for name in given)
            verb = "is" if len(given) == 1 else "are"
            raise GlassnetError(f"{options} {verb} for CSV files; {source!r} is a named dataset")
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
    if (
        source != "-"
        and not Path(source).exists()
        and "/" not in source
        and not source.endswith((".csv", ".csv.gz", ".tsv", ".txt"))
    ):
        raise GlassnetError(
            f"unknown dataset {source!r}; expected a CSV file or one of {', '.join(DATASETS)}"
        )
    if source == "-" and test == "-":
        raise GlassnetError("only one input can be '-' (standard input); the other must be a file")
    train_t = read_csv(source, target, id_column=id_column, sep=sep, decimal=decimal, on_progress=on_progress)
    if task == "auto":
        task = infer_task(train_t.y)
    if task not in ("classification", "regression"):
        raise GlassnetError(f"unknown task {task!r}; expected auto, classification or regression")
    train_t.y = target_values(train_t.y, task)
    test_part: Table | None = None
    if test is not None:
        test_part = read_csv(test, train_t.target_name, sep=sep, decimal=decimal, on_progress=on_progress)
        test_part.y = target_values(test_part.y, task, like=train_t.y if task == "classification" else None)
    return Dataset("stdin" if source == "-" else Path(source).name, task, train_t, test_part)


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
