"""Numeric tables from CSV and Parquet files, with one-line errors that say what is wrong and where.

``load_csv`` reads a header row and numeric data rows from a CSV file (``.csv.gz`` too), a
Parquet file or a folder of Parquet files. Empty cells and ``NA``/``NaN``/``null`` are missing
values: refused with a count, or their rows dropped with ``dropna=True``.

With pyarrow installed (``pip install 'tapegrad[workbench]'``) a CSV file is parsed by pyarrow's
multi-threaded reader straight into one float array; without it, and whenever pyarrow refuses
the file, Python's ``csv`` module reads it row by row, which finds the offending line and column
for the error message. Parquet needs pyarrow.

>>> import os, tempfile
>>> from tapegrad.models.table import load_csv
>>> with tempfile.TemporaryDirectory() as folder:
...     path = os.path.join(folder, "d.csv")
...     _ = open(path, "w").write("x,y\\n1,2\\n2,4\\n")
...     table = load_csv(path, target="y")
>>> table.features, table.X.tolist(), table.y.tolist()
(['x'], [[1.0], [2.0]], [2.0, 4.0])
"""

from __future__ import annotations

import csv
import gzip
import math
import os
from typing import Any, Iterator, Sequence

import numpy as np

MISSING = {"", "na", "nan", "n/a", "null", "none"}
DTYPES = ("float64", "float32", "auto")
# pyarrow matches missing-value markers exactly: the usual spellings; others take the slow path
_ARROW_NULLS = sorted({s for m in MISSING for s in (m, m.upper(), m.title())} | {"NaN", "nA"})


class DataError(ValueError):
    """Input data that cannot be used; the message is one line naming the file and the problem."""


class Table:
    """Features X (n_rows, n_features), target y (or None), their column names, and how many rows
    with missing values were dropped. X and y are views of one float array.

    ``lines`` holds the file's line number of each row (for Parquet: the row number); when the
    fast reader loaded the file it is found on first use, by reading the file once more.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray | None, features: list[str],
                 target: str | None, lines: np.ndarray | None = None, dropped: int = 0,
                 source: str | None = None, kept: np.ndarray | None = None) -> None:
        self.X, self.y, self.features, self.target = X, y, features, target
        self.dropped = dropped
        self._lines, self._source, self._kept = lines, source, kept

    @property
    def rows(self) -> int:
        return int(self.X.shape[0])

    @property
    def lines(self) -> np.ndarray:
        if self._lines is None:
            numbers = np.array([n for n, _ in _rows(str(self._source))][1:])
            self._lines = numbers if self._kept is None else numbers[self._kept]
        return self._lines


def _open_text(name: str) -> Any:
    if name.endswith(".gz"):
        return gzip.open(name, "rt", newline="", encoding="utf-8-sig")
    return open(name, newline="", encoding="utf-8-sig")


def _rows(name: str) -> Iterator[tuple[int, list[str]]]:
    """The non-blank rows of a CSV file with their line numbers; DataError if it cannot be read."""
    try:
        with _open_text(name) as f:
            for number, row in enumerate(csv.reader(f), start=1):
                if any(cell.strip() for cell in row):
                    yield number, row
    except FileNotFoundError:
        raise DataError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{name}: is a directory, not a CSV file") from None
    except PermissionError:
        raise DataError(f"{name}: permission denied") from None
    except UnicodeDecodeError:
        raise DataError(f"{name}: not a text file (it is not valid UTF-8)") from None
    except (gzip.BadGzipFile, EOFError) as e:
        raise DataError(f"{name}: not a valid gzip file ({e})") from None
    except csv.Error as e:
        raise DataError(f"{name}: not valid CSV ({e})") from None
    except OSError as e:
        raise DataError(f"{name}: cannot read it ({e.strerror or e})") from None


def read_header(path: str | os.PathLike[str]) -> tuple[int, list[str]]:
    """The line number and the column names of a CSV file's header, reading no further.

    Raises DataError for a missing, unreadable or empty file, or a header with an empty or
    repeated name.
    """
    name = os.fspath(path)
    for line, row in _rows(name):
        header = [cell.strip() for cell in row]
        for column in header:
            if not column:
                raise DataError(f"{name}: the header has an empty column name")
            if header.count(column) > 1:
                raise DataError(f"{name}: the header names column {column!r} twice")
        return line, header
    raise DataError(f"{name}: the file is empty")


def read_csv(path: str | os.PathLike[str]) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the data rows (with their line numbers) of a CSV file, as text.

    Raises DataError for a missing, unreadable, non-text, empty or ragged file.
    """
    name = os.fspath(path)
    _, header = read_header(name)
    data = list(_rows(name))[1:]
    if not data:
        raise DataError(f"{name}: no data rows below the header")
    for line, row in data:
        if len(row) != len(header):
            raise DataError(f"{name}: line {line} has {len(row)} fields, but the header has "
                            f"{len(header)}")
    return header, data


def choose_columns(name: str, header: Sequence[str], target: str | None,
                   features: Sequence[str] | None) -> list[str]:
    """The feature columns (default: all but ``target``), checked against the header."""
    for column in [target] if target is not None else []:
        if column not in header:
            raise DataError(f"{name}: unknown column {column!r}; the columns are "
                            f"{', '.join(header)}")
    if features is None:
        features = [c for c in header if c != target]
        if not features:
            raise DataError(f"{name}: no feature columns besides the target {target!r}")
        return features
    features = list(features)
    for column in features:
        if column not in header:
            raise DataError(f"{name}: unknown column {column!r}; the columns are "
                            f"{', '.join(header)}")
        if column == target:
            raise DataError(f"{name}: column {column!r} is the target; it cannot also be a "
                            "feature")
    if len(set(features)) < len(features):
        raise DataError(f"{name}: a feature column is named twice in {', '.join(features)}")
    return features


def load_csv(path: str | os.PathLike[str], target: str | None = None,
             features: Sequence[str] | None = None, dropna: bool = False,
             dtype: str = "float64") -> Table:
    """The numeric columns ``features`` (default: all but ``target``) and ``target`` of a table.

    ``path`` is a CSV file (``.gz`` for gzip'd), a ``.parquet`` file or a folder of Parquet
    files. Every value must be a number; missing values are refused unless ``dropna`` drops their
    rows (``Table.dropped`` counts them). ``dtype`` is ``"float64"``, ``"float32"`` or ``"auto"``:
    float32 when every value survives the trip through float32 at 7 significant digits (the
    file's text is recovered exactly), else float64. Raises DataError with a one-line message.
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}; got {dtype!r}")
    name = os.fspath(path)
    if os.path.isdir(name) and not any(f.endswith(".parquet") for f in os.listdir(name)):
        raise DataError(f"{name}: is a directory, not a CSV file or a folder of Parquet files")
    if name.endswith(".parquet") or os.path.isdir(name):
        return _load_parquet(name, target, features, dropna, dtype)
    line, header = read_header(name)
    features = choose_columns(name, header, target, features)
    columns = features + ([target] if target is not None else [])
    values = _fast_numbers(name, header, columns, dtype) if line == 1 else None
    if values is None or (np.isnan(values).any() and not dropna):
        # the slow path reads every row as text: it names the line and column of a problem
        values = None
        header, rows = read_csv(name)
        values = _numbers(name, header, rows, columns)
        lines: np.ndarray | None = np.array([number for number, _ in rows])
    else:
        lines = None
    return _finish(name, values, features, target, dropna, dtype, lines)


def _finish(name: str, values: np.ndarray, features: list[str], target: str | None,
            dropna: bool, dtype: str, lines: np.ndarray | None, where: str = "line") -> Table:
    """Refuse or drop rows with missing values, narrow to the dtype, split into X and y."""
    columns = features + ([target] if target is not None else [])
    missing = np.isnan(values)
    dropped, kept = 0, None
    if missing.any():
        bad_rows = missing.any(axis=1)
        if not dropna:
            counts = missing.sum(axis=0)
            first = int(np.flatnonzero(bad_rows)[0])
            first = int(lines[first]) if lines is not None else first + 1
            listed = ", ".join(f"{c!r} ({int(k)})" for c, k in zip(columns, counts) if k)
            raise DataError(f"{name}: {int(missing.sum())} missing value(s) in column(s) "
                            f"{listed}, first on {where} {first}; drop those rows with --dropna")
        dropped, kept = int(bad_rows.sum()), ~bad_rows
        values = values[kept]
        lines = lines[kept] if lines is not None else None
        if values.shape[0] == 0:
            raise DataError(f"{name}: every row has a missing value; nothing is left after "
                            "dropping them")
    if values.dtype == np.float64 and (dtype == "float32" or (dtype == "auto"
                                                              and _float32_is_exact(values))):
        values = values.astype(np.float32)
    k = len(features)
    return Table(X=values[:, :k], y=values[:, k] if target is not None else None,
                 features=features, target=target, lines=lines, dropped=dropped, source=name,
                 kept=kept)


def _float32_is_exact(values: np.ndarray) -> bool:
    """Whether float32 holds every value without loss: each is a multiple of its column's 7th
    significant digit (of the column's largest magnitude) and comes back from float32 unchanged
    at that digit. Checked a block of rows at a time."""
    for start in range(0, values.shape[0], 1 << 14):
        block = values[start:start + (1 << 14)]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            top = np.nanmax(np.abs(block), axis=0)
            digits = np.where(top > 0, 6 - np.floor(np.log10(np.where(top > 0, top, 1))), 0)
            if np.any(digits > 300) or np.any(digits < -300):
                return False
            # multiply by 10**k (k >= 0) or divide by 10**-k: both exactly rounded from integers
            up, down = 10.0 ** np.maximum(digits, 0), 10.0 ** np.maximum(-digits, 0)
            whole = np.round(block * up / down)
            decimal = whole * down / up == block
            narrow = block.astype(np.float32).astype(np.float64)
            kept = np.round(narrow * up / down) == whole
        if not np.all((decimal & kept) | np.isnan(block)):
            return False
    return True


def _fast_numbers(name: str, header: list[str], columns: list[str], dtype: str
                  ) -> np.ndarray | None:
    """The columns as one float array by pyarrow's CSV reader (NaN where missing), or None
    when pyarrow is missing or refuses the file (a bad value, a ragged row, ...)."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:
        return None
    names = [f"c{i}" for i in range(len(header))]
    wanted = [names[header.index(c)] for c in columns]
    try:
        table = pacsv.read_csv(
            name, read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            convert_options=pacsv.ConvertOptions(
                column_types={w: pa.float64() for w in wanted}, include_columns=wanted,
                null_values=_ARROW_NULLS, strings_can_be_null=True))
    except (pa.ArrowException, OSError, ValueError):
        return None

    def fill(kind: str) -> np.ndarray | None:
        """The blocks of rows copied into one array (each copy stays in the cache); None if
        a value is infinite (the slow path says which) or, for "auto", float32 would lose one."""
        out = np.empty((table.num_rows, len(columns)), dtype=np.float32 if kind == "auto"
                       else kind)
        start = 0
        for batch in table.select(wanted).to_batches():
            block = np.column_stack([batch.column(j).to_numpy(zero_copy_only=False)
                                     for j in range(len(wanted))])
            if np.isinf(block).any() or (kind == "auto" and not _float32_is_exact(block)):
                return None
            out[start:start + block.shape[0]] = block
            start += block.shape[0]
        return out

    if table.num_rows == 0:
        return None
    out = fill(dtype)
    if out is None and dtype == "auto":
        out = fill("float64")
    return out


def _load_parquet(name: str, target: str | None, features: Sequence[str] | None, dropna: bool,
                  dtype: str) -> Table:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(f"{name}: reading Parquet needs pyarrow: pip install "
                        "'tapegrad[workbench]'") from None
    if not os.path.exists(name):
        raise DataError(f"{name}: no such file")
    try:
        dataset = pq.ParquetDataset(name)
        schema = dataset.schema
    except (pa.ArrowException, OSError) as e:
        raise DataError(f"{name}: not a Parquet file or folder ({' '.join(str(e).split())})"
                        ) from None
    header = [c for c in schema.names if not c.startswith("__index_level_")]
    features = choose_columns(name, header, target, features)
    columns = features + ([target] if target is not None else [])
    for c in columns:
        kind = schema.field(c).type
        if not (pa.types.is_floating(kind) or pa.types.is_integer(kind)
                or pa.types.is_boolean(kind)):
            raise DataError(f"{name}: column {c!r} holds {kind}, not numbers")
    table = dataset.read(columns=columns)
    values = np.empty((table.num_rows, len(columns)))
    for j, c in enumerate(columns):
        values[:, j] = table.column(c).to_numpy(zero_copy_only=False)
        table = table.drop_columns([c])
    if values.shape[0] == 0:
        raise DataError(f"{name}: no data rows")
    bad = np.isinf(values)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataError(f"{name}: row {i + 1}, column {columns[j]!r}: {values[i, j]} is not a "
                        "finite number")
    return _finish(name, values, features, target, dropna, dtype,
                   np.arange(1, values.shape[0] + 1), where="row")


def _numbers(name: str, header: list[str], rows: list[tuple[int, list[str]]],
             columns: list[str]) -> np.ndarray:
    """The chosen columns as float64, NaN where a value is missing."""
    index = [header.index(c) for c in columns]
    out = np.empty((len(rows), len(columns)))
    for i, (line, row) in enumerate(rows):
        for j, c in enumerate(index):
            text = row[c].strip()
            if text.lower() in MISSING:
                out[i, j] = math.nan
                continue
            try:
                value = float(text)
            except ValueError:
                raise DataError(f"{name}: row {i + 1} (line {line}), column {columns[j]!r}: "
                                f"{text!r} is not a number") from None
            if not math.isfinite(value):
                raise DataError(f"{name}: row {i + 1} (line {line}), column {columns[j]!r}: "
                                f"{text!r} is not a finite number")
            out[i, j] = value
    return out


def check_classes(table: Table, path: str) -> None:
    """Refuse a classification target that is not whole numbers or has fewer than two classes."""
    y = table.y
    fractional = np.flatnonzero(y != np.round(y))
    if fractional.size:
        i = fractional[0]
        raise DataError(f"{path}: target {table.target!r} has a value that is not a class "
                        f"label ({format_number(y[i])} on line {table.lines[i]}); logistic "
                        "regression needs whole-number classes such as 0 and 1")
    classes = np.unique(y)
    if classes.shape[0] < 2:
        raise DataError(f"{path}: target {table.target!r} has only one class "
                        f"({format_number(classes[0])}); logistic regression needs at least two")


def format_number(value: Any) -> str:
    """A number as short text: whole numbers without a decimal point, others round-trip exact.

    Float32 values print as their shortest float32 text; labels that are not numbers print as str.

    >>> format_number(66.0), format_number(0.1), format_number(np.float32(0.1)), format_number("a")
    ('66', '0.1', '0.1', 'a')
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        return str(value)
    if float(value).is_integer():
        return str(int(value))
    return str(value) if isinstance(value, np.floating) else repr(float(value))
