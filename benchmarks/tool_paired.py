"""Target 2 measured in pairs: driftgate and the fast floors on the same window, one
after another in one process, ``ROUNDS`` times each, and the ratio taken per window.

The tools' own processes run minutes apart, and on a shared 2-core host the same pass
has measured up to 1.5x slower from one part of a run to another, which moved the
separate processes' ratio by as much. Here each round runs every pass back to back, so
a slow spell hits both sides of a ratio alike. The floors run with the monitor's
allocator settings (the child's environment), which only makes them faster.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from benchmarks import tool_driftgate, tool_floor
from benchmarks.plan import Plan, WindowPlan
from benchmarks.window_fn import WindowFn

ROUNDS = 3
FAST_FLOORS = ("floor_msgspec_pyarrow", "floor_msgspec_pyarrow_pieces", "floor_orjson_pyarrow")


def setup(plan: Plan) -> tuple[WindowFn, dict[str, Any]]:
    monitor, _ = tool_driftgate.setup(plan)
    passes: dict[str, WindowFn] = {"driftgate": monitor}
    passes.update({name: tool_floor.setup(plan, name)[0] for name in FAST_FLOORS})

    def run(window: WindowPlan) -> tuple[int, dict[str, float], dict[str, Any]]:
        seconds: dict[str, list[float]] = {name: [] for name in passes}
        rows: dict[str, int] = {}
        for _ in range(ROUNDS):
            for name, fn in passes.items():
                began = time.perf_counter()
                rows[name] = fn(window)[0]
                seconds[name].append(time.perf_counter() - began)
        medians = {name: statistics.median(times) for name, times in seconds.items()}
        fastest = min(FAST_FLOORS, key=medians.__getitem__)
        outcome = {
            "fastest_floor": fastest,
            "ratio": medians["driftgate"] / medians[fastest],
            "median_s": medians,
            # A window of another width is read whole by the floors and refused row by
            # row by the monitor (rows_analysed 0): counted, not hidden, like the
            # separate processes' medians.
            "rows": rows,
        }
        return rows["driftgate"], {}, outcome

    facts = {
        "method": f"driftgate and {', '.join(FAST_FLOORS)} back to back in one process, "
        f"{ROUNDS} rounds per window; per window, driftgate's median time over the fastest "
        "floor's median"
    }
    return run, facts
