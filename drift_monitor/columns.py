"""Vectorised conversion of one parsed column (strings from CSV, or JSON values)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa


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
    finite = np.isfinite(arr)
    if finite.all():  # the common column: no copy
        return NumericColumn(values=arr, missing=0, non_numeric=0)
    values = arr[finite]
    return NumericColumn(values=values, missing=int(arr.size - values.size), non_numeric=0)


_BOM = "\ufeff".encode()


def parse_csv_block(
    lines: list[str], numeric: list[int], strings: list[int], joined: str | None = None
) -> tuple[list[np.ndarray], list[CategoryCounts]] | None:
    """CSV rows (no quotes, all of the same width) parsed by Arrow's C++ CSV reader: the
    floats of each ``numeric`` column (an empty field is NaN, i.e. missing; Arrow's own
    buffer where it has no null, so nothing is copied) and the distinct values with
    counts of each ``strings`` column. None when a numeric field is not a number (the
    caller then tries :func:`parse_csv_text_block`), or a row is of another width (the
    caller goes column by column or record by record, which counts those). ``joined``:
    the lines already joined by newlines."""
    import pyarrow as pa  # only where capture is parsed (see capture_fast)

    table = _read_block(lines, numeric, len(numeric) + len(strings), pa.float64(), joined)
    if table is None:
        return None
    values = [table.column(j).to_numpy() for j in numeric]  # nulls become NaN
    return values, [_category_counts(table.column(j)) for j in strings]


def parse_csv_text_block(
    lines: list[str], numeric: list[int], strings: list[int]
) -> tuple[list[NumericColumn], list[CategoryCounts]] | None:
    """As :func:`parse_csv_block` for a block that one refuses because a numeric field
    is not a number (a column shifted by a schema change, text in a numeric feature):
    every column read as text, once, and each numeric column converted per distinct
    value by :func:`numeric_column`'s rules, so the result is the one the column path
    gives (Python's ``float`` per value) at a fraction of its cost. None when a row is
    of another width."""
    import pyarrow as pa

    text = pa.dictionary(pa.int32(), pa.string())
    table = _read_block(lines, numeric, len(numeric) + len(strings), text)
    if table is None:
        return None
    values = [_numeric_text_column(table.column(j)) for j in numeric]
    return values, [_category_counts(table.column(j)) for j in strings]


def _read_block(
    lines: list[str],
    numeric: list[int],
    width: int,
    numeric_type: pa.DataType,
    joined: str | None = None,
) -> pa.Table | None:
    """The rows as one Arrow table of ``width`` columns, the ``numeric`` ones of
    ``numeric_type`` and the rest dictionary text; None when Arrow refuses them or reads
    another number of rows.

    Text as dictionary arrays: the reader interns each distinct value once, and the
    counts are a bincount of the indices (a seventh of value_counts' time on a column of
    a few distinct values, for a few percent more reading). One thread: Lambda below
    1,769 MB has one vCPU, and on more the run stays reproducible in time. Only ``""``
    is null, and only in a float column (Arrow's default list would turn text such as
    ``NA`` into a missing value where the column path counts it as not a number)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    names = [str(j) for j in range(width)]
    types = dict.fromkeys(names, pa.dictionary(pa.int32(), pa.string()))
    types.update({names[j]: numeric_type for j in numeric})
    try:
        blob = ("\n".join(lines) if joined is None else joined).encode("utf-8")
        if blob.startswith(_BOM):
            return None  # the reader drops it, the column path keeps it in the value
        table = pa_csv.read_csv(
            pa.py_buffer(blob),
            read_options=pa_csv.ReadOptions(
                column_names=names, use_threads=False, block_size=max(len(blob) + 1, 1 << 20)
            ),
            parse_options=pa_csv.ParseOptions(quote_char=False, double_quote=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=types, null_values=[""], strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, UnicodeError):  # UnicodeEncodeError: a lone surrogate
        return None
    return table if table.num_rows == len(lines) else None  # e.g. an empty line: skipped


VALUE, MISSING, NOT_NUMBER = 0, 1, 2


def _numeric_text_column(column: pa.ChunkedArray) -> NumericColumn:
    """A numeric feature read as dictionary text: each distinct text converted once,
    then gathered in row order."""
    values, missing, non_numeric = [], 0, 0
    for chunk in column.chunks:
        floats, kinds = _convert_distinct(chunk.dictionary)
        indices = chunk.indices.to_numpy()
        per_row = kinds[indices]
        values.append(floats[indices[per_row == VALUE]])
        missing += int(np.count_nonzero(per_row == MISSING))
        non_numeric += int(np.count_nonzero(per_row == NOT_NUMBER))
    return NumericColumn(
        values=np.concatenate(values) if values else np.empty(0),
        missing=missing,
        non_numeric=non_numeric,
    )


def _convert_distinct(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Each text's float and kind (VALUE, MISSING, NOT_NUMBER) as
    :func:`_numeric_column_slow` decides it. Arrow's cast converts the whole set when
    every text is a plain number; the texts it reads as NaN (its ``nan(...)``, which
    ``float`` refuses) or refuses (surrounding spaces, ``1_000``, other digits, which
    ``float`` reads) are decided by ``float`` itself. Where both read a number they
    read the same double (both round correctly; ``tests/unit/drift_monitor`` checks)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        # A copy: Arrow's buffer is read-only, and undecided texts are written into it.
        floats = pc.cast(texts, pa.float64()).to_numpy(zero_copy_only=False).copy()
        undecided = np.flatnonzero(np.isnan(floats))
    except pa.ArrowInvalid:
        floats = np.full(len(texts), np.nan)
        undecided = np.arange(len(texts))
    kinds = np.where(np.isfinite(floats), VALUE, MISSING).astype(np.int8)
    for i, text in zip(undecided.tolist(), texts.take(undecided).to_pylist(), strict=True):
        floats[i], kinds[i] = _convert_one(text)
    return floats, kinds


def _convert_one(text: str) -> tuple[float, int]:
    if not text.strip():
        return math.nan, MISSING
    try:
        number = float(text)
    except ValueError:
        return math.nan, NOT_NUMBER
    return (number, VALUE) if math.isfinite(number) else (math.nan, MISSING)


CategoryCounts = tuple[np.ndarray, np.ndarray, int]  # distinct values, counts, missing


def _category_counts(column: pa.ChunkedArray) -> CategoryCounts:
    """Distinct values (sorted), their counts and the empty ones' count of a dictionary
    column. The reader makes one chunk of a block; chunks with dictionaries of their
    own are merged by value."""
    values = np.asarray(
        [v for chunk in column.chunks for v in chunk.dictionary.to_pylist()], dtype=str
    )
    counts = np.concatenate(
        [np.zeros(0, dtype=np.int64)]
        + [
            np.bincount(chunk.indices.to_numpy(), minlength=len(chunk.dictionary))
            for chunk in column.chunks
        ]
    ).astype(np.int64)
    if column.num_chunks > 1:
        values, where = np.unique(values, return_inverse=True)
        counts = np.bincount(where, weights=counts, minlength=values.size).astype(np.int64)
    seen = counts > 0
    values, counts = values[seen], counts[seen]
    present = values != ""
    missing = int(counts[~present].sum())
    values, counts = values[present], counts[present]
    order = np.argsort(values, kind="stable")
    return values[order], counts[order], missing


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
