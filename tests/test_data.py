"""Data: CSV, IDX, named and generated datasets, and the errors bad files get."""

import gzip
import itertools
import os

import numpy as np
import pytest

from glassnet.core.errors import GlassnetError
from glassnet.io import data
from glassnet.io.data import generate, infer_task, load, read_csv, read_idx, select_features


def write(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_csv_with_named_target(tmp_path):
    path = write(tmp_path, "a,label,b\n1,cat,2\n3,dog,4.5\n")
    table = read_csv(path, "label")
    assert table.feature_names == ["a", "b"] and table.target_name == "label"
    np.testing.assert_array_equal(table.X, [[1, 2], [3, 4.5]])
    assert table.y.tolist() == ["cat", "dog"]


def test_csv_target_defaults_to_the_last_column(tmp_path):
    table = read_csv(write(tmp_path, "a,b,y\n1,2,3\n4,5,6\n"))
    assert table.target_name == "y" and table.feature_names == ["a", "b"]


@pytest.mark.parametrize(
    "text, match",
    [
        ("", "empty"),
        ("a,b,y\n", "no data rows"),
        ("a,b,y\n1,x,0\n", "non-numeric value 'x' in feature column 'b' at line 2"),
        ("a,b,y\n1,,0\n", "missing value in column 'b' at line 2"),
        ("a,b,y\n1,NA,0\n", "missing value in column 'b' at line 2"),
        ("a,b,y\n1,2,\n", "missing value in target column 'y' at line 2"),
        ("a,b,y\n1,inf,0\n", "not finite"),
        ("a,b,y\n1,2\n", "line 2: expected 3 fields, found 2"),
        ("a,a,y\n1,2,3\n", "distinct"),
    ],
)
def test_bad_csvs(tmp_path, text, match):
    with pytest.raises(GlassnetError, match=match):
        read_csv(write(tmp_path, text))


def test_missing_target_column_and_missing_file(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(GlassnetError, match=r"no column named 'y'.*columns are a, b"):
        read_csv(path, "y")
    with pytest.raises(GlassnetError, match="no such file"):
        read_csv(str(tmp_path / "nope.csv"))


def test_task_inference():
    assert infer_task(np.array(["a", "b"], dtype=object)) == "classification"
    assert infer_task(np.array(["0", "1", "1"], dtype=object)) == "classification"
    assert infer_task(np.array(["0.5", "1.25", "3"], dtype=object)) == "regression"
    assert infer_task(np.array([str(v) for v in range(100)], dtype=object)) == "regression"


def test_csv_regression_target_must_be_numeric(tmp_path):
    path = write(tmp_path, "a,y\n1,2.5\n2,x\n")
    with pytest.raises(GlassnetError, match="regression needs numeric targets; found 'x'"):
        load(path, task="regression")


def test_select_features_by_name(tmp_path):
    table = read_csv(write(tmp_path, "b,a,y\n1,2,0\n"))
    np.testing.assert_array_equal(select_features(table, ["a", "b"], "d.csv"), [[2, 1]])
    with pytest.raises(GlassnetError, match=r"lacks 1 feature column.*: c"):
        select_features(table, ["a", "c"], "d.csv")


@pytest.mark.parametrize("compress", [False, True])
def test_idx_round_trip(tmp_path, compress):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = bytes([0, 0, 0x08, 3]) + b"".join(d.to_bytes(4, "big") for d in images.shape) + images.tobytes()
    path = tmp_path / ("x.idx.gz" if compress else "x.idx")
    path.write_bytes(gzip.compress(raw) if compress else raw)
    np.testing.assert_array_equal(read_idx(path), images)


def test_idx_header_must_match_the_data(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(bytes([0, 0, 0x08, 1]) + (1000).to_bytes(4, "big") + b"\x00" * 10)
    with pytest.raises(GlassnetError, match="promises"):
        read_idx(path)
    path.write_bytes(b"PK\x03\x04junk")
    with pytest.raises(GlassnetError, match="not an IDX file"):
        read_idx(path)


@pytest.mark.parametrize("name", ["xor", "moons", "circles", "spirals"])
def test_generated_sets_are_seeded_and_balanced(name):
    a, b = generate(name, seed=1), generate(name, seed=1)
    np.testing.assert_array_equal(a.X, b.X)
    assert a.X.shape == (400, 2)
    assert 150 < int(np.sum(a.y == 1)) < 250


@pytest.mark.needs("sklearn")
@pytest.mark.parametrize("name, classes", [("iris", 3), ("wine", 3), ("breast-cancer", 2), ("digits", 10)])
def test_sklearn_sets_with_a_test_split(name, classes):
    ds = load(name)
    assert ds.test is not None and len(set(ds.train.y)) == classes
    total = len(ds.train.y) + len(ds.test.y)
    assert len(ds.test.y) == round(0.2 * total)


def test_fashion_mnist_official_split():
    ds = load("fashion-mnist")
    assert ds.train.X.shape == (60000, 784) and ds.test.X.shape == (10000, 784)
    assert ds.train.X.max() <= 1.0 and set(ds.test.y) == set(data.FASHION_MNIST_CLASSES)


def test_fashion_mnist_missing_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "FASHION_MNIST_DIR", tmp_path / "nowhere")
    with pytest.raises(GlassnetError, match="apt-get install dataset-fashion-mnist"):
        load("fashion-mnist")


def test_unknown_dataset_name():
    with pytest.raises(GlassnetError, match="unknown dataset 'mnist-fashion'"):
        load("mnist-fashion")


def test_csv_byte_order_mark_quoted_newlines_and_true_line_numbers(tmp_path):
    from glassnet.io.data import read_csv, read_csv_text

    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffa,b,y\n1,2,x\n".encode())
    assert read_csv(bom, "y").feature_names == ["a", "b"]
    assert read_csv_text("\ufeffa,b,y\n1,2,x\n", "y").feature_names == ["a", "b"]
    assert read_csv_text('a,b,y\n1,2,"x\ny"\n').y.tolist() == ["x\ny"]
    gaps = tmp_path / "gaps.csv"
    gaps.write_text("a,b,y\n\n1,2,x\n\n3,4,y\noops,5,z\n")
    with pytest.raises(GlassnetError, match="at line 6"):
        read_csv(gaps)


def test_a_corrupt_gzip_idx_file_is_an_error(tmp_path):
    import gzip

    from glassnet.io.data import read_idx

    raw = bytearray(gzip.compress(bytes([0, 0, 8, 1]) + (100).to_bytes(4, "big") + bytes(range(100))))
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / "x.gz").write_bytes(bytes(raw))
    with pytest.raises(GlassnetError, match="cannot read IDX file"):
        read_idx(tmp_path / "x.gz")


# ---------------------------------------------------------------------------------------------- labels
def test_integer_class_labels_are_ints_and_agree_between_train_and_test(tmp_path):
    train = write(tmp_path, "a,y\n1,0\n2,1\n3, 2 \n4,1\n", "train.csv")
    test = write(tmp_path, "a,y\n1,0.0\n2,1.0\n3,2\n", "test.csv")  # as pandas writes a float column
    ds = load(train, test=test)
    assert ds.task == "classification"
    assert ds.train.y.tolist() == [0, 1, 2, 1] and all(type(v) is int for v in ds.train.y)
    assert ds.test is not None and ds.test.y.tolist() == [0, 1, 2]
    assert all(type(v) is int for v in ds.test.y)


def test_text_labels_stay_text_and_a_test_label_is_converted_only_like_the_training_labels(tmp_path):
    train = write(tmp_path, "a,y\n1, cat\n2,1\n3,cat\n", "train.csv")
    test = write(tmp_path, "a,y\n1,1.0\n2,1\n", "test.csv")
    ds = load(train, test=test)
    assert ds.train.y.tolist() == ["cat", "1", "cat"]
    assert ds.test is not None and ds.test.y.tolist() == ["1.0", "1"]


def test_class_labels_follow_a_models_classes():
    y = np.array(["1.0", "2", "x"], dtype=object)
    assert data.class_labels(y, like=[1, 2]).tolist() == [1, 2, "x"]
    assert data.class_labels(y, like=["1", "2"]).tolist() == ["1", "2", "x"]  # an older model file
    assert data.class_labels(y, like=["a", "b"]).tolist() == ["1.0", "2", "x"]
    assert data.class_labels(np.array(["1.5", "2"], dtype=object)).tolist() == ["1.5", "2"]


# ---------------------------------------------------------------------------------------------- columns
def test_only_the_columns_asked_for_are_read(tmp_path):
    path = write(tmp_path, "id,b,note,a,y\nr1,1,abc,2,\nr2,3,,4,\n")
    table = read_csv(path, "y", require_target=False, features=["a", "b"], id_column="id")
    np.testing.assert_array_equal(table.X, [[2, 1], [4, 3]])
    assert table.ids is not None and table.ids.tolist() == ["r1", "r2"]
    assert table.ignored == ["note", "y"] and table.y.tolist() == []
    with pytest.raises(GlassnetError, match=r"lacks 1 feature column\(s\) the model was trained on: c"):
        read_csv(path, "y", require_target=False, features=["a", "c"])
    with pytest.raises(GlassnetError, match="no id column named 'key'"):
        read_csv(path, "y", require_target=False, features=["a"], id_column="key")


def test_an_id_column_is_not_a_feature_in_training(tmp_path):
    path = write(tmp_path, "id,a,b,y\nx1,1,2,0\nx2,3,4,1\n")
    ds = load(path, id_column="id")
    assert ds.train.feature_names == ["a", "b"] and ds.train.ids.tolist() == ["x1", "x2"]


@pytest.mark.parametrize(
    "header, words",
    [
        (
            ",alcohol,y",
            "column 1 of the header has no name; it looks like a pandas index: write the file "
            "with to_csv(..., index=False)",
        ),
        ("a,,y", "column 2 of the header has no name"),
        ("a,b,a,y", "the column name 'a' appears twice (columns 1 and 3)"),
    ],
)
def test_header_errors_name_the_column(tmp_path, header, words):
    n = header.count(",") + 1
    path = write(tmp_path, header + "\n" + ",".join(["1"] * n) + "\n")
    with pytest.raises(GlassnetError) as caught:
        read_csv(path)
    assert words in str(caught.value)


# ---------------------------------------------------------------------------------------------- formats
@pytest.mark.parametrize("sep, name", [(";", "semicolon"), ("\t", "tab"), ("|", "pipe"), (",", None)])
def test_the_separator_is_detected(tmp_path, sep, name):
    path = write(tmp_path, sep.join(["a", "b", "label"]) + "\n" + sep.join(["1.5", "2", "x y"]) + "\n")
    table = read_csv(path)
    np.testing.assert_array_equal(table.X, [[1.5, 2]])
    assert table.y.tolist() == ["x y"]
    assert table.notes == ([f"{name}-separated"] if name else [])


def test_a_decimal_comma_file_is_read_or_refused_with_a_reason(tmp_path):
    path = write(tmp_path, "a;b;y\n1,5;-2,25;x\n3;4e2;z\n")
    table = read_csv(path)
    np.testing.assert_array_equal(table.X, [[1.5, -2.25], [3, 400]])
    assert table.notes == ["semicolon-separated", "with decimal commas"]
    np.testing.assert_array_equal(read_csv(path, sep=";", decimal=",").X, table.X)
    with pytest.raises(GlassnetError, match=r"'1,5' in feature column 'a' at line 2; is it a decimal comma"):
        read_csv(path, decimal=".")
    with pytest.raises(GlassnetError, match="decimal commas needs another separator"):
        read_csv(path, sep=",", decimal=",")


def test_a_wrong_separator_gets_a_hint(tmp_path):
    path = write(tmp_path, "a;b;y\n1;2;x\n")
    with pytest.raises(
        GlassnetError, match=r"no feature columns besides the target; is the file separated by ';'"
    ):
        read_csv(path, sep=",")
    path = write(tmp_path, "a,b,y\n1,2,x\n1;2;x\n")
    with pytest.raises(GlassnetError, match=r"line 3: expected 3 fields, found 1; is the file separated by"):
        read_csv(path)


def test_gzip_is_told_by_its_bytes_and_stdin_is_dash(tmp_path, monkeypatch):
    import io
    import sys

    text = b"a,b,y\n1,2,x\n3,4,z\n"
    path = tmp_path / "d.csv.gz"
    path.write_bytes(gzip.compress(text))
    assert read_csv(path).y.tolist() == ["x", "z"]
    (tmp_path / "named.csv").write_bytes(gzip.compress(text))
    assert read_csv(tmp_path / "named.csv").y.tolist() == ["x", "z"]
    (tmp_path / "bad.csv.gz").write_bytes(gzip.compress(text)[:-6])
    with pytest.raises(GlassnetError, match="a damaged gzip file"):
        read_csv(tmp_path / "bad.csv.gz")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text)))
    assert read_csv("-").y.tolist() == ["x", "z"]
    with pytest.raises(GlassnetError, match="only one input can be '-'"):
        load("-", test="-")


def test_uploaded_text_goes_through_the_same_checks():
    from glassnet.io.data import read_csv_text

    assert read_csv_text("a;b;y\n1,5;2;x\n").X.tolist() == [[1.5, 2.0]]
    with pytest.raises(GlassnetError, match="column 1 of the header has no name"):
        read_csv_text(",a,y\n0,1,x\n")


# ---------------------------------------------------------------------------------------------- large files
def big_csv(rows=3000, bad_line=None, bad="x"):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 5))
    lines = ["a,b,c,d,e,label"] + [
        ",".join(repr(float(v)) for v in row) + f",{k % 3}" for k, row in enumerate(X)
    ]
    if bad_line is not None:
        fields = lines[bad_line - 1].split(",")
        fields[1] = bad
        lines[bad_line - 1] = ",".join(fields)
    return "\n".join(lines) + "\n", X


@pytest.mark.parametrize("pandas", [False, True])
def test_a_file_read_in_chunks_equals_the_exact_reading_and_errors_name_the_line(
    tmp_path, monkeypatch, pandas
):
    if pandas:
        pytest.importorskip("pandas")
    monkeypatch.setattr(data, "CHUNK_BYTES", 4096)
    engine = "pandas" if pandas else "numpy"
    text, X = big_csv()
    path = write(tmp_path, text)
    seen = []
    table = read_csv(path, on_progress=lambda done, total: seen.append((done, total)), engine=engine)
    np.testing.assert_array_equal(table.X, X)
    assert table.y.tolist() == [str(k % 3) for k in range(3000)]
    assert len(seen) > 10 and seen[-1] == (len(text), len(text))
    assert all(a[0] < b[0] for a, b in itertools.pairwise(seen))
    for bad, words in [
        ("x", "non-numeric value 'x' in feature column"),
        ("", "missing value in column"),
        ("inf", "value 'inf' in column 'b'"),
    ]:
        path = write(tmp_path, big_csv(bad_line=2345, bad=bad)[0])
        with pytest.raises(GlassnetError, match=f"{words}.* at line 2345"):
            read_csv(path, engine=engine)
    lines = text.splitlines()
    lines[1999] += ",7"
    with pytest.raises(GlassnetError, match="line 2000: expected 6 fields, found 7"):
        read_csv(write(tmp_path, "\n".join(lines)), engine=engine)


@pytest.mark.parametrize("pandas", [False, True])
def test_a_short_record_is_refused_even_where_only_unused_columns_are_missing(tmp_path, monkeypatch, pandas):
    if pandas:
        pytest.importorskip("pandas")
    engine = "pandas" if pandas else "numpy"
    path = write(tmp_path, "a,b,note\n1,2,x\n3,4\n5,6,z\n")
    with pytest.raises(GlassnetError, match="line 3: expected 3 fields, found 2"):
        read_csv(path, require_target=False, features=["a", "b"], engine=engine)
    with pytest.raises(GlassnetError, match="line 3: expected 3 fields, found 2"):
        read_csv(path, require_target=False, features=["a", "b"], id_column="note", engine=engine)


def test_a_header_wider_than_the_sample_of_first_lines(tmp_path):
    names = [f"feature_number_{k}" for k in range(5000)]  # about 100 KB of header
    path = write(tmp_path, ";".join([*names, "y"]) + "\n" + ";".join(["1"] * 5000 + ["a"]) + "\n")
    table = read_csv(path)
    assert table.feature_names == names and table.notes == ["semicolon-separated"]


def test_csv_options_on_a_named_dataset_are_refused():
    with pytest.raises(GlassnetError, match="--id, --sep are for CSV files; 'moons' is a named dataset"):
        load("moons", id_column="x", sep=";")


def test_pandas_parses_a_plain_file_whole_and_errors_still_name_the_line(tmp_path, monkeypatch):
    pd = pytest.importorskip("pandas")
    given = []  # what pandas.read_csv was given: the path of the whole file, or a chunk's bytes
    read = pd.read_csv

    def spy(source, *args, **kwargs):
        given.append("file" if isinstance(source, str | os.PathLike) else "chunk")
        return read(source, *args, **kwargs)

    monkeypatch.setattr(pd, "read_csv", spy)
    text, X = big_csv()
    path = write(tmp_path, "\ufeff\n" + text.replace("\n", "\n\n", 5))  # a byte-order mark, blank lines
    table = read_csv(path, engine="pandas")
    np.testing.assert_array_equal(table.X, X)
    assert table.y.tolist() == [str(k % 3) for k in range(3000)] and given == ["file"]
    path = write(tmp_path, big_csv(bad_line=2345, bad="x")[0])
    with pytest.raises(GlassnetError, match="non-numeric value 'x' in feature column 'b' at line 2345"):
        read_csv(
            path, engine="pandas"
        )  # pandas reads the file, finds text in 'b': the exact reading names it
    assert given[1] == "file"
    gz = tmp_path / "data.csv.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    before = len(given)
    np.testing.assert_array_equal(read_csv(gz, engine="pandas").X, X)
    assert given[before:] == ["chunk"]  # a gzip file is not parsed from the file


@pytest.mark.parametrize("engine", ["auto", "pandas", "numpy", "python"])
def test_every_engine_reads_the_same_table(tmp_path, engine):
    if engine == "pandas":
        pytest.importorskip("pandas")
    text, X = big_csv()
    table = read_csv(write(tmp_path, text), engine=engine)
    np.testing.assert_array_equal(table.X, X)
    assert table.y.tolist() == [str(k % 3) for k in range(3000)]


def test_an_unknown_engine_is_refused_in_words(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(
        GlassnetError, match="engine must be one of 'auto', 'pandas', 'numpy', 'python'; got 'c'"
    ):
        read_csv(path, engine="c")
