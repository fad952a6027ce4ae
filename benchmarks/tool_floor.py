"""The parse-only floors: read and decode the capture files into arrays, nothing else.

``floor`` is the straightforward pass (stdlib JSON per line, numpy's C reader);
``floor_orjson_pyarrow``, ``floor_msgspec_pyarrow`` and ``floor_msgspec_pyarrow_pieces``
use the fastest maintained parsers (``benchmarks/fast_floors.py``, main environment
only)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.capture_io import capture_files, decode_columns, input_rows
from benchmarks.plan import Plan, WindowPlan
from benchmarks.window_fn import WindowFn

STDLIB_METHOD = (
    "JSON decode per line; numpy's C reader (loadtxt) on the CSV rows, numeric columns "
    "as float64 and the rest as text; per-column conversion when a field is empty"
)


def setup(plan: Plan, variant: str = "floor") -> tuple[WindowFn, dict[str, Any]]:
    if variant == "floor":

        def columns_of(path: Path) -> Iterator[list[Any]]:
            yield decode_columns(input_rows(path), plan.numeric)

        method = STDLIB_METHOD
    else:
        from benchmarks.fast_floors import FLOORS, PIECEWISE, arrow_columns, pieces

        rows_of, method = FLOORS[variant]
        piecewise = variant in PIECEWISE

        def columns_of(path: Path) -> Iterator[list[Any]]:
            for data in pieces(path) if piecewise else [path.read_bytes()]:
                yield arrow_columns(rows_of(data), plan.numeric)

    def run(window: WindowPlan) -> tuple[int, dict[str, float], dict[str, Any]]:
        began = time.perf_counter()
        rows = 0
        for path in capture_files(Path(window.capture_root)):
            for columns in columns_of(path):
                rows += len(columns[0]) if columns else 0
        return rows, {"parse_s": time.perf_counter() - began}, {}

    return run, {"method": method}
