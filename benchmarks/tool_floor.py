"""The parse-only floor: read and decode the capture files into arrays, nothing else."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks.capture_io import capture_files, decode_columns, input_rows
from benchmarks.child import WindowFn
from benchmarks.plan import Plan, WindowPlan


def setup(plan: Plan) -> tuple[WindowFn, dict[str, Any]]:
    def run(window: WindowPlan) -> tuple[int, dict[str, float], dict[str, Any]]:
        began = time.perf_counter()
        rows = 0
        for path in capture_files(Path(window.capture_root)):
            columns = decode_columns(input_rows(path), plan.numeric)
            rows += len(columns[0]) if columns else 0
        return rows, {"parse_s": time.perf_counter() - began}, {}

    method = (
        "JSON decode per line; numpy's C reader (loadtxt) on the CSV rows, numeric columns "
        "as float64 and the rest as text; per-column conversion when a field is empty"
    )
    return run, {"method": method}
