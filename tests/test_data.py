"""Data: CSV, IDX, named and generated datasets, and the errors bad files get."""

import gzip

import numpy as np
import pytest

from glassnet.core.errors import GlassnetError
from glassnet.interfaces import data
from glassnet.interfaces.data import generate, infer_task, load, read_csv, read_idx, select_features


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
    from glassnet.interfaces.data import read_csv, read_csv_text

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

    from glassnet.interfaces.data import read_idx

    raw = bytearray(gzip.compress(bytes([0, 0, 8, 1]) + (100).to_bytes(4, "big") + bytes(range(100))))
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / "x.gz").write_bytes(bytes(raw))
    with pytest.raises(GlassnetError, match="cannot read IDX file"):
        read_idx(tmp_path / "x.gz")
