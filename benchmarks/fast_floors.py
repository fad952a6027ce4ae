"""Parse-only floors built on the fastest maintained parsers measured here (main
environment only): the capture lines decoded by orjson or msgspec, the joined CSV rows
read by pyarrow's CSV reader into arrays, one thread. Nothing else: no checks, no
statistics. The monitor is held to the fastest of these."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv


class _Input(msgspec.Struct, gc=False):
    data: str


class _Capture(msgspec.Struct, gc=False):
    endpointInput: _Input


class _Record(msgspec.Struct, gc=False):
    captureData: _Capture


_records = msgspec.json.Decoder(_Record).decode_lines


def rows_orjson(data: bytes) -> list[str]:
    """The inputs' CSV text of a capture file, one string per record (a record's rows
    stay joined by newlines, which the CSV reader splits): orjson per line."""
    return [
        orjson.loads(line)["captureData"]["endpointInput"]["data"]
        for line in data.splitlines()
        if line.strip()
    ]


def rows_msgspec(data: bytes | memoryview) -> list[str]:
    """As :func:`rows_orjson`; msgspec decodes every line into a typed struct that holds
    only the input's data, in one call."""
    return [record.captureData.endpointInput.data for record in _records(data)]


# Bytes read at a time by the piecewise floor. Timed in one process after other passes,
# reading and parsing a 1,000,000-row file 1 to 3 MB at a time took about two thirds of
# the whole-file parse's time (its buffers stay in cache); in make bench's own fresh
# processes it has been the fastest floor only in some 100,000-row cells so far. The
# benchmark holds the monitor to the fastest floor of each cell, so an extra floor can
# only make the target harder.
PIECE_BYTES = 1 << 21


def pieces(path: Path, size: int = PIECE_BYTES) -> Iterator[bytes | memoryview]:
    """A file's whole lines, read ``size`` bytes at a time: each piece ends at the last
    newline of what was read (the rest starts the next piece)."""
    rest = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(size):
            cut = chunk.rfind(b"\n") + 1
            if not cut:  # a line longer than a read
                rest += chunk
                continue
            yield b"".join((rest, memoryview(chunk)[:cut])) if rest else memoryview(chunk)[:cut]
            rest = chunk[cut:]
    if rest.strip():
        yield rest


def arrow_columns(rows: list[str], numeric: list[bool]) -> list[Any]:
    """Inputs joined by newlines and read as one Arrow table (numeric columns float64,
    empty = null; the rest text), then each numeric column as a numpy array. The width
    is the first row's (a window with a column dropped or added is read as it is, like
    the plain floor does)."""
    if not rows:
        return []
    width = rows[0].split("\n", 1)[0].count(",") + 1
    names = [str(j) for j in range(width)]
    kinds = [j < len(numeric) and numeric[j] for j in range(width)]
    types = {n: pa.float64() if num else pa.string() for n, num in zip(names, kinds, strict=True)}
    blob = "\n".join(rows).encode("utf-8")
    try:
        table = _read(blob, names, types)
    except pa.ArrowInvalid:  # a column not numeric where expected (schema drift): text
        kinds = [False] * width
        table = _read(blob, names, dict.fromkeys(names, pa.string()))
    return [table.column(j).to_numpy() if kinds[j] else table.column(j) for j in range(width)]


def _read(blob: bytes, names: list[str], types: dict[str, pa.DataType]) -> pa.Table:
    return pa_csv.read_csv(
        pa.py_buffer(blob),
        read_options=pa_csv.ReadOptions(
            column_names=names, use_threads=False, block_size=max(len(blob) + 1, 1 << 20)
        ),
        parse_options=pa_csv.ParseOptions(quote_char=False),
        convert_options=pa_csv.ConvertOptions(column_types=types, null_values=[""]),
    )


FLOORS: dict[str, tuple[Callable[[bytes | memoryview], list[str]], str]] = {
    "floor_orjson_pyarrow": (
        rows_orjson,
        "orjson per line; pyarrow's CSV reader (one thread) on the joined rows, numeric "
        "columns as float64 arrays, the rest as Arrow text",
    ),
    "floor_msgspec_pyarrow": (
        rows_msgspec,
        "msgspec typed decode of every line (only the input's data materialised, one call "
        "per file); pyarrow's CSV reader (one thread) as above",
    ),
    "floor_msgspec_pyarrow_pieces": (
        rows_msgspec,
        "as floor_msgspec_pyarrow, on each file read 2 MB at a time (whole lines: msgspec "
        "and pyarrow's reader per piece), never the whole file at once",
    ),
}
# Floors that read a file piece by piece (``pieces``) rather than whole.
PIECEWISE = frozenset({"floor_msgspec_pyarrow_pieces"})
