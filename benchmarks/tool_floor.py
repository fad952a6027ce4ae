"""The parse-only floors: read and decode the capture files into arrays, nothing else.

``floor`` is the straightforward pass (stdlib JSON per line, numpy's C reader);
``floor_orjson_pyarrow`` and ``floor_msgspec_pyarrow`` use the fastest maintained
parsers (``benchmarks/fast_floors.py``, main environment only)."""

from __future__ import annotations

import time
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

        def columns_of(path: Path) -> list[Any]:
            return decode_columns(input_rows(path), plan.numeric)

        method = STDLIB_METHOD
    else:
        from benchmarks.fast_floors import FLOORS, arrow_columns

        rows_of, method = FLOORS[variant]

        def columns_of(path: Path) -> list[Any]:
            return arrow_columns(rows_of(path.read_bytes()), plan.numeric)

    def run(window: WindowPlan) -> tuple[int, dict[str, float], dict[str, Any]]:
        began = time.perf_counter()
        rows = 0
        for path in capture_files(Path(window.capture_root)):
            columns = columns_of(path)
            rows += len(columns[0]) if columns else 0
        return rows, {"parse_s": time.perf_counter() - began}, {}

    return run, {"method": method}
