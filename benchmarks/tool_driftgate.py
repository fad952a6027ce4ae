"""driftgate's monitor on one window, through its public API, as the Lambda runs it."""

from __future__ import annotations

import inspect
import os
import time
from pathlib import Path
from typing import Any

from benchmarks.plan import Plan, WindowPlan
from benchmarks.window_fn import WindowFn


def setup(plan: Plan) -> tuple[WindowFn, dict[str, Any]]:
    import drift_monitor
    from drift_monitor import Window, parse_time, run_monitor

    # A monitor exported from an older revision (make bench REVISION=...) may predate the
    # phase breakdown: it is then measured as a whole.
    timed = "phases" in inspect.signature(run_monitor).parameters
    statistics = str(Path(plan.baseline_dir) / "statistics.json")
    constraints = str(Path(plan.baseline_dir) / "constraints.json")

    def run(window: WindowPlan) -> tuple[int, dict[str, float], dict[str, Any]]:
        began = time.perf_counter()
        phases: dict[str, float] = {}
        result = run_monitor(
            str(Path(window.capture_root) / window.endpoint / "AllTraffic"),
            statistics,
            constraints,
            str(Path(plan.output_dir) / "driftgate" / window.id),
            window=Window(parse_time(window.start), parse_time(window.end)),
            endpoint=window.endpoint,
            **({"phases": phases} if timed else {}),
        )
        checks = sorted({v["constraint_check_type"] for v in result.violations})
        features = sorted({v["feature_name"] for v in result.violations})
        outcome = {
            "detected": bool(result.violations),
            "checks": checks,
            "features": features,
            "status": result.status,
        }
        phases["total_s"] = time.perf_counter() - began
        return result.profile.rows, phases, outcome

    facts = {
        "source": str(Path(drift_monitor.__file__).parent),
        "tests": "Model Monitor distances: numeric L-inf of CDFs (threshold 0.1), "
        "categorical L-inf of frequencies (0.1); completeness, column-count and "
        "domain checks",
        "detected_means": ">= 1 violation of any check",
        # What the parent set from the deployed function's environment (run.py).
        "allocator_env": ", ".join(
            f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("MALLOC_")
        )
        or "glibc defaults",
        "baseline": "files read every window; parsed once per process while their bytes "
        "are unchanged (as a warm Lambda does)",
    }
    return run, facts
