"""Evidently's DataDriftPreset on one window, fed the most favourable honest way.

The capture is parsed into a DataFrame with pandas' C CSV reader (a user must do this
too: it counts in the window's time and is also reported apart). The reference
DataFrame is read once per process and reused, so its loading is not charged to any
window. Columns are typed explicitly (16 numerical, 4 categorical), as driftgate's
baseline types them, so both sides test the same columns the same way round.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

from benchmarks.capture_io import capture_files, input_rows
from benchmarks.plan import Plan, WindowPlan
from benchmarks.window_fn import WindowFn


def _drifted_columns(metrics: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(drifted columns, methods used) from the snapshot's ValueDrift metrics."""
    drifted: list[str] = []
    methods: set[str] = set()
    for metric in metrics:
        config = metric.get("config", {})
        if not str(config.get("type", "")).endswith("ValueDrift"):
            continue
        method = str(config.get("method", ""))
        methods.add(method)
        value, threshold = metric.get("value"), config.get("threshold")
        if value is None or threshold is None:
            continue
        # Statistical tests report a p-value (drift when below), distances a score.
        is_p_value = "p_value" in method.lower() or "test" in method.lower()
        if (value < threshold) if is_p_value else (value >= threshold):
            drifted.append(str(config.get("column")))
    return drifted, sorted(methods)


def outcome(metrics: list[dict[str, Any]]) -> dict[str, Any]:
    """A window's verdict from the snapshot's metrics: detected when any column drifted."""
    drifted, methods = _drifted_columns(metrics)
    share = next(
        (m["value"]["share"] for m in metrics if "DriftedColumnsCount" in m["metric_name"]),
        0.0,
    )
    return {
        "detected": bool(drifted),
        "dataset_drift": share >= 0.5,
        "features": sorted(drifted),
        "methods": methods,
    }


def capture_frame(rows: list[str], names: list[str], categorical: list[str]) -> Any:
    """The window's CSV rows as a DataFrame: pandas' C reader, categorical columns as
    text; a row with an extra field loses it (with pandas' ParserWarning)."""
    import pandas as pd

    return pd.read_csv(
        io.StringIO("\n".join(rows)),
        header=None,
        names=names,
        index_col=False,
        dtype=dict.fromkeys(categorical, str),
    )


def setup(plan: Plan) -> tuple[WindowFn, dict[str, Any]]:
    import evidently
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    numerical = [n for n, num in zip(plan.names, plan.numeric, strict=True) if num]
    categorical = [n for n, num in zip(plan.names, plan.numeric, strict=True) if not num]
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
    text_columns = dict.fromkeys(categorical, str)
    began = time.perf_counter()
    reference = Dataset.from_pandas(
        pd.read_csv(plan.reference_csv, dtype=text_columns), data_definition=definition
    )
    reference_s = time.perf_counter() - began

    def run(window: WindowPlan) -> tuple[int, dict[str, float], dict[str, Any]]:
        began = time.perf_counter()
        rows: list[str] = []
        for path in capture_files(Path(window.capture_root)):
            rows.extend(input_rows(path))
        frame = capture_frame(rows, plan.names, categorical)
        parsed = time.perf_counter()
        current = Dataset.from_pandas(frame, data_definition=definition)
        snapshot = Report([DataDriftPreset()]).run(current, reference)
        metrics = snapshot.dict()["metrics"]
        done = time.perf_counter()
        phases = {"parse_s": parsed - began, "compute_s": done - parsed}
        return len(frame), phases, outcome(metrics)

    facts = {
        "version": evidently.__version__,
        "pandas": pd.__version__,
        "reference_load_s": reference_s,
        "detected_means": ">= 1 drifted column (DataDriftPreset per-column tests at their "
        "default thresholds); dataset_drift (share >= 0.5) reported apart",
    }
    return run, facts
