"""The sharded Processing path, modelled from measurements: per-instance throughput
(the monitor pinned to one thread) and the merge's cost (shard states read and merged,
then the window evaluated and its files written), at window sizes no single machine here
can hold in a benchmark run.

The instance count is what the deployed stack's router would pick: ``plan_route`` with
the rate, timeout and instance cap that ``templates/monitoring.yml`` gives the scheduled
function (``DRIFTGATE_BYTES_PER_SECOND`` when the template sets it, else
``routing.DEFAULT_BYTES_PER_SECOND``). The wall time then comes from the measured rate.
A second table shows what the router would pick if it were told the measured rate."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from benchmarks.plan import Plan, WindowPlan

ROOT = Path(__file__).resolve().parent.parent
MONITORING_TEMPLATE = ROOT / "templates" / "monitoring.yml"
MONITOR_HANDLER = "drift_monitor.lambda_handler.handler"
MODEL_ROWS = (1_000_000, 10_000_000, 100_000_000)
# Not measurable without an account: the time SageMaker takes to provision instances and
# pull the image before the entry runs. An assumption, stated in the report.
STARTUP_S = 180.0
SHARDS_MEASURED = 16


def _monitor_function(template: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the template, the scheduled monitor function's ``Properties``)."""
    from cfnlint.decode import cfn_yaml

    doc = cfn_yaml.load(str(template))
    monitor = next(
        r["Properties"]
        for r in doc["Resources"].values()
        if r.get("Type") == "AWS::Lambda::Function"
        and r["Properties"].get("Handler") == MONITOR_HANDLER
    )
    return doc, monitor


def deployed_allocator_env(template: Path = MONITORING_TEMPLATE) -> dict[str, str]:
    """The C allocator settings (``MALLOC_*``, ``GLIBC_TUNABLES``) the template gives
    the scheduled monitor function: the benchmark runs the monitor with exactly these,
    so that it measures the process the Lambda runs."""
    _, monitor = _monitor_function(template)
    env = (monitor.get("Environment") or {}).get("Variables") or {}
    return {
        str(k): str(v) for k, v in env.items() if k.startswith("MALLOC_") or k == "GLIBC_TUNABLES"
    }


def deployed_router(template: Path = MONITORING_TEMPLATE) -> dict[str, Any]:
    """The routing inputs of the deployed scheduled function: its throughput setting
    (the template's ``DRIFTGATE_BYTES_PER_SECOND``, or the code's default when the
    template leaves it out), its ``Timeout`` and ``ProcessingMaxInstances``'s default."""
    from drift_monitor import routing

    doc, monitor = _monitor_function(template)
    env = (monitor.get("Environment") or {}).get("Variables") or {}
    setting = env.get("DRIFTGATE_BYTES_PER_SECOND")
    if setting is not None:
        rate, source = float(setting), "DRIFTGATE_BYTES_PER_SECOND in monitoring.yml"
    else:
        rate = float(routing.DEFAULT_BYTES_PER_SECOND)
        source = (
            "routing.DEFAULT_BYTES_PER_SECOND; monitoring.yml sets no DRIFTGATE_BYTES_PER_SECOND"
        )
    return {
        "bytes_per_second": rate,
        "source": source,
        "timeout_s": float(monitor["Timeout"]),
        "max_instances": int(doc["Parameters"]["ProcessingMaxInstances"]["Default"]),
    }


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


def _rows(
    rows_per_s: float,
    bytes_per_row: float,
    merge: dict[str, float],
    router: dict[str, Any],
    routed_bytes_per_second: float,
) -> list[dict[str, Any]]:
    from drift_monitor.routing import plan_route

    out = []
    for rows in MODEL_ROWS:
        single = rows / rows_per_s  # measured: one thread, the fast path
        route = plan_route(
            int(rows * bytes_per_row),
            files=max(1, rows // 50_000),  # the generator's 50,000 records a file
            timeout_s=router["timeout_s"],
            max_instances=router["max_instances"],
            bytes_per_second=routed_bytes_per_second,
        )
        merge_s = route.instances * merge["merge_s_per_shard"] + merge["finish_s"]
        if route.target == "lambda":
            wall = single + merge["finish_s"]
        else:
            wall = STARTUP_S + single / route.instances + merge_s
        out.append(
            {
                "rows": rows,
                "gb": rows * bytes_per_row / 1e9,
                "single_s": single,
                "estimated_s": route.estimated_s,
                "route": route.target,
                "instances": route.instances,
                "wall_s": wall,
                "merge_s": merge_s,
            }
        )
    return out


def model(
    rows_per_s: float,
    measured_at: int,
    merge: dict[str, float],
    bytes_per_row: float,
    router: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Both tables: ``rows`` with the deployed router's rate (what the stack would do),
    ``calibrated`` with the router told the measured rate."""
    router = router or deployed_router()
    measured_bps = rows_per_s * bytes_per_row
    return {
        "rows_per_s": rows_per_s,
        "measured_at": measured_at,
        "bytes_per_row": bytes_per_row,
        "measured_bytes_per_second": measured_bps,
        "router": router,
        "startup_s": STARTUP_S,
        "max_instances": router["max_instances"],
        **merge,
        "rows": _rows(rows_per_s, bytes_per_row, merge, router, router["bytes_per_second"]),
        "calibrated": _rows(rows_per_s, bytes_per_row, merge, router, measured_bps),
    }
