"""Vectorised conversion of one parsed column (strings from CSV, or JSON values)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class NumericColumn:
    values: np.ndarray  # finite numeric values present
    missing: int  # empty, null or NaN
    non_numeric: int  # present but not a number (a data type mismatch)


def numeric_column(column: list[object]) -> NumericColumn:
    """Parse a column as numbers: one C-level conversion, per-value only on failure."""
    try:
        # float() per item in C via map: as fast as numpy's own string parsing, and it
        # accepts JSON numbers and CSV text alike.
        arr = np.fromiter(map(float, column), dtype=np.float64, count=len(column))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return _numeric_column_slow(column)
    return numeric_array(arr)


def numeric_array(arr: np.ndarray) -> NumericColumn:
    """A column already parsed as floats: NaN and infinities count as missing."""
    values = arr[np.isfinite(arr)]
    return NumericColumn(values=values, missing=int(arr.size - values.size), non_numeric=0)


def parse_csv_block(
    lines: list[str], numeric: list[int], strings: list[int]
) -> tuple[np.ndarray, np.ndarray] | None:
    """CSV rows (no quotes, all of the same width) as a float matrix of the ``numeric``
    columns and a text matrix of the ``strings`` columns, parsed by numpy's C reader;
    None when a numeric field is empty or not a number (the caller then goes column by
    column, which counts those values)."""
    read = {"delimiter": ",", "comments": None, "quotechar": None, "ndmin": 2}
    try:
        values = np.loadtxt(lines, dtype=np.float64, usecols=numeric, **read) if numeric else None
        text = np.loadtxt(lines, dtype=str, usecols=strings, **read) if strings else None
    except ValueError:
        return None
    empty = np.empty((len(lines), 0))
    return (empty if values is None else values), (empty if text is None else text)


def _numeric_column_slow(column: list[object]) -> NumericColumn:
    values: list[float] = []
    missing = 0
    non_numeric = 0
    for raw in column:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            missing += 1
            continue
        try:
            number = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):  # text, or a nested list / object
            non_numeric += 1
            continue
        if np.isfinite(number):
            values.append(number)
        else:
            missing += 1
    return NumericColumn(
        values=np.asarray(values, dtype=np.float64), missing=missing, non_numeric=non_numeric
    )


def string_column(column: list[object]) -> tuple[np.ndarray, np.ndarray, int]:
    """Distinct present values with their counts, and the number of missing values."""
    present = [
        v if isinstance(v, str) else _json_scalar_text(v)
        for v in column
        if v is not None and v != ""
    ]
    missing = len(column) - len(present)
    if not present:
        return np.empty(0, dtype=str), np.empty(0, dtype=np.int64), missing
    uniq, counts = np.unique(np.asarray(present, dtype=str), return_counts=True)
    return uniq, counts.astype(np.int64), missing


def string_array(column: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """As :func:`string_column`, for a column already read as text ("" = missing)."""
    present = column[column != ""]
    uniq, counts = np.unique(present, return_counts=True)
    return uniq, counts.astype(np.int64), int(column.size - present.size)


def _json_scalar_text(value: object) -> str:
    # Integral JSON numbers and CSV text must give the same category ("3", not "3.0").
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
