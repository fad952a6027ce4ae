"""The sharded Processing path, modelled from measurements: per-instance throughput
(the monitor pinned to one thread) and the merge's cost (shard states read and merged,
then the window evaluated and its files written), at window sizes no single machine here
can hold in a benchmark run. The instance count comes from the monitor's own router."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from benchmarks.plan import Plan, WindowPlan

MODEL_ROWS = (1_000_000, 10_000_000, 100_000_000)
BYTES_PER_ROW = 430  # a SageMaker capture line of 20 features (the generator's files)
# Not measurable without an account: the time SageMaker takes to provision instances and
# pull the image before the entry runs. An assumption, stated in the report.
STARTUP_S = 180.0
MAX_INSTANCES = 10  # monitoring.yml's ProcessingMaxInstances default
LAMBDA_TIMEOUT_S = 900.0
SHARDS_MEASURED = 16


def measure_merge(plan: Plan, window: WindowPlan, out: Path) -> dict[str, float]:
    """Seconds per shard state merged (decoded from its JSON file and merged) and for the
    evaluation and outputs of the merged window, on a real window's state."""
    from drift_monitor import Window, parse_time
    from drift_monitor.monitor import capture_files, finish_run, load_baseline_files, profile_window
    from drift_monitor.profile import WindowProfile
    from drift_monitor.storage import Storage

    storage = Storage()
    baseline = load_baseline_files(
        str(Path(plan.baseline_dir) / "statistics.json"),
        str(Path(plan.baseline_dir) / "constraints.json"),
        storage,
    )
    span = Window(parse_time(window.start), parse_time(window.end))
    files = capture_files(
        str(Path(window.capture_root) / window.endpoint / "AllTraffic"), span, storage
    )
    state = json.dumps(profile_window(baseline, files, storage, span).to_dict()).encode()
    began = time.perf_counter()
    merged = WindowProfile.for_baseline(baseline)
    for _ in range(SHARDS_MEASURED):
        merged.merge(WindowProfile.from_dict(json.loads(state), baseline))
    merged_s = time.perf_counter() - began
    began = time.perf_counter()
    finish_run(baseline, merged, str(out), window=span, storage=storage)
    return {
        "merge_s_per_shard": merged_s / SHARDS_MEASURED,
        "finish_s": time.perf_counter() - began,
        "state_bytes": float(len(state)),
    }


def model(rows_per_s: float, measured_at: int, merge: dict[str, float]) -> dict[str, Any]:
    from drift_monitor.routing import plan_route

    rows_out = []
    for rows in MODEL_ROWS:
        single = rows / rows_per_s
        # The router sees bytes; feed it the measured rate so the model is self-consistent.
        route = plan_route(
            rows * BYTES_PER_ROW,
            files=max(1, rows // 50_000),
            timeout_s=LAMBDA_TIMEOUT_S,
            max_instances=MAX_INSTANCES,
            bytes_per_second=rows_per_s * BYTES_PER_ROW,
        )
        merge_s = route.instances * merge["merge_s_per_shard"] + merge["finish_s"]
        if route.target == "lambda":
            wall = single + merge["finish_s"]
        else:
            wall = STARTUP_S + single / route.instances + merge_s
        rows_out.append(
            {
                "rows": rows,
                "single_s": single,
                "route": route.target,
                "instances": route.instances,
                "wall_s": wall,
                "merge_s": merge_s,
            }
        )
    return {
        "rows_per_s": rows_per_s,
        "measured_at": measured_at,
        "startup_s": STARTUP_S,
        "max_instances": MAX_INSTANCES,
        **merge,
        "rows": rows_out,
    }
