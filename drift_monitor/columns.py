"""Vectorised conversion of one parsed column (strings from CSV, or JSON values)."""

from __future__ import annotations

import warnings
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


def parse_csv_block(lines: list[str], width: int) -> np.ndarray | None:
    """All-numeric CSV rows as an (n, width) matrix in one C call, or None when any
    value is empty or not a number (the caller then parses column by column)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            flat = np.fromstring(",".join(lines), dtype=np.float64, sep=",")
        except (ValueError, DeprecationWarning):
            return None
    if flat.size != len(lines) * width:
        return None
    return flat.reshape(len(lines), width)


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


def _json_scalar_text(value: object) -> str:
    # Integral JSON numbers and CSV text must give the same category ("3", not "3.0").
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
