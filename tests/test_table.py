"""tapegrad.models.table: CSV tables, and one clear line for each way a file can be wrong."""

import numpy as np
import pytest

from tapegrad.datasets import load_challenger, path
from tapegrad.models.table import DataError, check_classes, format_number, load_csv


def write(tmp_path, text, name="data.csv", mode="w"):
    file = tmp_path / name
    if mode == "wb":
        file.write_bytes(text)
    else:
        file.write_text(text)
    return str(file)


def test_reads_features_and_target(tmp_path):
    file = write(tmp_path, "a, b ,y\n1,2,3\n4,5.5,-6e1\n\n7,8,9\n")
    table = load_csv(file, target="y")
    assert table.features == ["a", "b"] and table.target == "y"
    np.testing.assert_array_equal(table.X, [[1, 2], [4, 5.5], [7, 8]])
    np.testing.assert_array_equal(table.y, [3, -60, 9])
    assert table.lines.tolist() == [2, 3, 5] and table.dropped == 0
    table = load_csv(file, target="a", features=["y"])
    np.testing.assert_array_equal(table.X[:, 0], [3, -60, 9])


def one_line(error):
    text = str(error.value)
    assert "\n" not in text
    return text


@pytest.mark.parametrize("content, target, features, message", [
    ("", "y", None, "data.csv: the file is empty"),
    ("x,y\n", "y", None, "data.csv: no data rows below the header"),
    ("x,y\n1,2\n", "z", None, "data.csv: unknown column 'z'; the columns are x, y"),
    ("x,y\n1,2\n", "y", ["x", "w"], "unknown column 'w'; the columns are x, y"),
    ("x,y\n1,2\n", "y", ["y"], "column 'y' is the target"),
    ("x,y\n1,2\nabc,4\n", "y", None, "row 2 (line 3), column 'x': 'abc' is not a number"),
    ("x,y\n1,inf\n", "y", None, "row 1 (line 2), column 'y': 'inf' is not a finite number"),
    ("x,y\n1,2,3\n", "y", None, "line 2 has 3 fields, but the header has 2"),
    ("x,x\n1,2\n", "x", None, "the header names column 'x' twice"),
    ("y\n1\n", "y", None, "no feature columns besides the target 'y'"),
    ("x,y\n1,2\n,4\n3,NA\n5,nan\n", "y", None,
     "3 missing value(s) in column(s) 'x' (1), 'y' (2), first on line 3; drop those rows "
     "with --dropna"),
])
def test_each_mistake_gets_one_line(tmp_path, content, target, features, message):
    file = write(tmp_path, content)
    with pytest.raises(DataError) as error:
        load_csv(file, target=target, features=features)
    assert message in one_line(error)


def test_files_that_cannot_be_read(tmp_path):
    with pytest.raises(DataError, match="nope.csv: no such file"):
        load_csv(str(tmp_path / "nope.csv"), target="y")
    with pytest.raises(DataError, match="is a directory"):
        load_csv(str(tmp_path), target="y")
    binary = write(tmp_path, b"\xff\xfe\x00\x81garbage", "b.csv", mode="wb")
    with pytest.raises(DataError, match="not a text file"):
        load_csv(binary, target="y")


def test_dropna_drops_rows_and_counts_them(tmp_path):
    file = write(tmp_path, "x,y,unused\n1,2,\n,4,1\n3,NA,1\n5,6,\n")
    table = load_csv(file, target="y", features=["x"], dropna=True)
    assert table.dropped == 2 and table.lines.tolist() == [2, 5]
    np.testing.assert_array_equal(table.y, [2, 6])
    everything_missing = write(tmp_path, "x,y\n,1\n2,\n", "m.csv")
    with pytest.raises(DataError, match="every row has a missing value"):
        load_csv(everything_missing, target="y", dropna=True)


def test_classification_targets(tmp_path):
    check_classes(load_csv(write(tmp_path, "x,y\n1,0\n2,1\n"), target="y"), "data.csv")
    one = load_csv(write(tmp_path, "x,y\n1,1\n2,1\n", "one.csv"), target="y")
    with pytest.raises(DataError, match="target 'y' has only one class \\(1\\); logistic "
                                        "regression needs at least two"):
        check_classes(one, "one.csv")
    fraction = load_csv(write(tmp_path, "x,y\n1,0\n2,0.5\n", "f.csv"), target="y")
    with pytest.raises(DataError, match="not a class label \\(0.5 on line 3\\)"):
        check_classes(fraction, "f.csv")


def test_format_number():
    assert [format_number(v) for v in (3.0, -2, 0.25, np.float32(0.1), np.int64(4), "yes")] == \
        ["3", "-2", "0.25", "0.1", "4", "yes"]


def test_bundled_challenger_data():
    table = load_challenger()
    assert path().endswith("challenger.csv")
    assert table.X.shape == (23, 1) and table.features == ["temperature_f"]
    assert table.X.min() == 53 and table.X.max() == 81
    assert int(table.y.sum()) == 7  # launches with O-ring thermal distress
    both = load_challenger(features=["temperature_f", "launch"], target="distressed_orings")
    assert both.X[:, 1].tolist() == list(range(1, 24)) and int(both.y.sum()) == 9


def test_gzip_parquet_and_a_folder_of_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import gzip

    import pyarrow.parquet as pq
    text = "x,y,z\n1,2,0.5\n3,4,1.5\n5,6,2.5\n"
    with gzip.open(tmp_path / "d.csv.gz", "wt") as f:
        f.write(text)
    plain = load_csv(write(tmp_path, text), target="y")
    packed = load_csv(str(tmp_path / "d.csv.gz"), target="y")
    np.testing.assert_array_equal(packed.X, plain.X)
    table = pa.table({"x": [1.0, 3.0, 5.0], "y": [2, 4, 6], "z": [0.5, 1.5, 2.5]})
    pq.write_table(table, tmp_path / "d.parquet")
    (tmp_path / "parts").mkdir()
    pq.write_table(table.slice(0, 2), tmp_path / "parts" / "a.parquet")
    pq.write_table(table.slice(2), tmp_path / "parts" / "b.parquet")
    for source in (tmp_path / "d.parquet", tmp_path / "parts"):
        loaded = load_csv(str(source), target="y")
        np.testing.assert_array_equal(loaded.X, plain.X)
        np.testing.assert_array_equal(loaded.y, plain.y)
    with pytest.raises(DataError, match="unknown column 'w'; the columns are x, y, z"):
        load_csv(str(tmp_path / "d.parquet"), target="w")
    pq.write_table(pa.table({"x": ["a"], "y": [1.0]}), tmp_path / "s.parquet")
    with pytest.raises(DataError, match="column 'x' holds string, not numbers"):
        load_csv(str(tmp_path / "s.parquet"), target="y")
    with pytest.raises(DataError, match=r"bad.csv.gz: line 3 has 2 fields, but the header has 3"):
        with gzip.open(tmp_path / "bad.csv.gz", "wt") as f:
            f.write("x,y,z\n1,2,3\n4,5\n")
        load_csv(str(tmp_path / "bad.csv.gz"), target="y")


def test_one_float_array_float32_when_exact(tmp_path):
    file = write(tmp_path, "x,y\n0.5,1.25\n3.1,2\n1e-3,7\n")
    table = load_csv(file, target="y", dtype="auto")
    assert table.X.dtype == np.float32 and table.X.base is table.y.base is not None
    assert table.X[1, 0] == np.float32(3.1)
    long = write(tmp_path, "x,y\n0.12345678901,1\n2,3\n", "long.csv")
    assert load_csv(long, target="y", dtype="auto").X.dtype == np.float64
    assert load_csv(long, target="y", dtype="float32").X.dtype == np.float32
    assert load_csv(long, target="y").X.dtype == np.float64


@pytest.mark.parametrize("arrow", [True, False])
def test_same_table_and_errors_with_and_without_pyarrow(tmp_path, monkeypatch, arrow):
    if arrow:
        pytest.importorskip("pyarrow")
    else:
        import sys
        monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if the extra were not installed
    file = write(tmp_path, "x,y\n1,2\n\n3,NA\n5,6\n")
    table = load_csv(file, target="y", dropna=True)
    assert table.X[:, 0].tolist() == [1, 5] and table.lines.tolist() == [2, 5]
    bad = write(tmp_path, "x,y\n" + "1,2\n" * 1000 + "1,x2\n", "bad.csv")
    with pytest.raises(DataError, match=r"row 1001 \(line 1002\), column 'y': 'x2' is not a"):
        load_csv(bad, target="y")
