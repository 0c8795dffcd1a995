"""Numeric tables from CSV files, with one-line errors that say what is wrong and where.

``load_csv`` reads a header row and numeric data rows. Empty cells and ``NA``/``NaN``/``null``
are missing values: refused with a count, or their rows dropped with ``dropna=True``.

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
import math
import os
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

MISSING = {"", "na", "nan", "n/a", "null", "none"}


class DataError(ValueError):
    """Input data that cannot be used; the message is one line naming the file and the problem."""


@dataclass
class Table:
    """Features X (n_rows, n_features), target y (or None), their column names, the file's line
    number of each row, and how many rows with missing values were dropped."""

    X: np.ndarray
    y: np.ndarray | None
    features: list[str]
    target: str | None
    lines: np.ndarray
    dropped: int = 0


def read_csv(path: str | os.PathLike[str]) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the data rows (with their line numbers) of a CSV file, as text.

    Raises DataError for a missing, unreadable, non-text, empty or ragged file.
    """
    name = os.fspath(path)
    try:
        with open(name, newline="", encoding="utf-8-sig") as f:
            rows = [(number, row) for number, row in enumerate(csv.reader(f), start=1)
                    if any(cell.strip() for cell in row)]
    except FileNotFoundError:
        raise DataError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{name}: is a directory, not a CSV file") from None
    except PermissionError:
        raise DataError(f"{name}: permission denied") from None
    except UnicodeDecodeError:
        raise DataError(f"{name}: not a text file (it is not valid UTF-8)") from None
    except csv.Error as e:
        raise DataError(f"{name}: not valid CSV ({e})") from None
    except OSError as e:
        raise DataError(f"{name}: cannot read it ({e.strerror or e})") from None
    if not rows:
        raise DataError(f"{name}: the file is empty")
    header = [cell.strip() for cell in rows[0][1]]
    for column in header:
        if not column:
            raise DataError(f"{name}: the header has an empty column name")
        if header.count(column) > 1:
            raise DataError(f"{name}: the header names column {column!r} twice")
    data = rows[1:]
    if not data:
        raise DataError(f"{name}: no data rows below the header")
    for line, row in data:
        if len(row) != len(header):
            raise DataError(f"{name}: line {line} has {len(row)} fields, but the header has "
                            f"{len(header)}")
    return header, data


def load_csv(path: str | os.PathLike[str], target: str | None = None,
             features: Sequence[str] | None = None, dropna: bool = False) -> Table:
    """The numeric columns ``features`` (default: all but ``target``) and ``target`` of a CSV file.

    Every value must be a number; missing values are refused unless ``dropna`` drops their rows
    (``Table.dropped`` counts them). Raises DataError with a one-line message otherwise.
    """
    name = os.fspath(path)
    header, rows = read_csv(path)
    for column in [target] if target is not None else []:
        if column not in header:
            raise DataError(f"{name}: unknown column {column!r}; the columns are "
                            f"{', '.join(header)}")
    if features is None:
        features = [c for c in header if c != target]
        if not features:
            raise DataError(f"{name}: no feature columns besides the target {target!r}")
    else:
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
    columns = features + ([target] if target is not None else [])
    values = _numbers(name, header, rows, columns)
    missing = np.isnan(values)
    lines = np.array([line for line, _ in rows])
    dropped = 0
    if missing.any():
        bad_rows = missing.any(axis=1)
        if not dropna:
            counts = missing.sum(axis=0)
            first = rows[int(np.flatnonzero(bad_rows)[0])][0]
            where = ", ".join(f"{c!r} ({int(k)})" for c, k in zip(columns, counts) if k)
            raise DataError(f"{name}: {int(missing.sum())} missing value(s) in column(s) "
                            f"{where}, first on line {first}; drop those rows with --dropna")
        dropped = int(bad_rows.sum())
        values, lines = values[~bad_rows], lines[~bad_rows]
        if values.shape[0] == 0:
            raise DataError(f"{name}: every row has a missing value; nothing is left after "
                            "dropping them")
    k = len(features)
    return Table(X=values[:, :k], y=values[:, k] if target is not None else None,
                 features=features, target=target, lines=lines, dropped=dropped)


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
