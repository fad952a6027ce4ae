"""One measured process:
``python -m benchmarks.child <tool> <plan.json> <result.json> [--one-thread]``.

Each tool runs in its own process so that its peak memory (the process's max RSS,
interpreter and imports included) is its own. Imports are timed separately from the
windows. Tools: ``driftgate`` (main environment), ``evidently`` (benchmark
environment), ``floor`` (either: the straightforward parse-only pass),
``floor_orjson_pyarrow``, ``floor_msgspec_pyarrow`` and ``floor_msgspec_pyarrow_pieces``
(main environment: the fastest parsers), ``paired`` (driftgate and those three back to
back per window, ``tool_paired``). ``--one-thread`` pins the process to one CPU
(the parent also sets the thread-count variables of OpenMP, OpenBLAS, MKL and Arrow
to 1): Lambda below 1,769 MB has one vCPU.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.plan import Plan
from benchmarks.window_fn import WindowFn

FLOORS = ("floor", "floor_orjson_pyarrow", "floor_msgspec_pyarrow", "floor_msgspec_pyarrow_pieces")
# Environment variables that cap the thread pools of the libraries the tools load.
ONE_THREAD_ENV = {
    name: "1"
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                 "NUMEXPR_NUM_THREADS", "ARROW_NUM_THREADS")
}  # fmt: skip


def pin_one_cpu() -> int:
    """Run this process on one CPU only; returns which."""
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def _max_rss_mb() -> float:
    """Peak RSS of this process image. Linux's ``ru_maxrss`` survives ``execve`` and so
    starts at the parent's RSS at fork time; ``VmHWM`` belongs to the new image only."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _setup(tool: str, plan: Plan) -> tuple[WindowFn, dict[str, Any]]:
    if tool == "driftgate":
        from benchmarks.tool_driftgate import setup
    elif tool == "evidently":
        from benchmarks.tool_evidently import setup
    elif tool == "paired":
        from benchmarks.tool_paired import setup
    elif tool in FLOORS:
        from benchmarks.tool_floor import setup

        return setup(plan, tool)
    else:
        raise SystemExit(f"unknown tool {tool!r}")
    return setup(plan)


def measure(tool: str, plan: Plan) -> dict[str, Any]:
    started = time.perf_counter()
    run_window, facts = _setup(tool, plan)
    if plan.windows and tool != "evidently":
        # One untimed run of the first window: first calls that initialise a library
        # lazily (kernels, caches) are setup, not per-window work. Not for Evidently: its
        # windows take seconds to minutes, lazy setup is noise there, and a warm-up would
        # double the benchmark's longest part.
        with contextlib.suppress(Exception):  # a failing window is measured below
            run_window(plan.windows[0])
    setup_s = time.perf_counter() - started
    rss_after_setup = _max_rss_mb()
    windows = []
    for window in plan.windows:
        began = time.perf_counter()
        try:
            rows, phases, outcome = run_window(window)
            error = None
        except Exception as exc:  # a tool failing on a window is a result, not a crash
            rows, phases, outcome = 0, {}, {"detected": False}
            error = f"{type(exc).__name__}: {exc}"[:300]
        windows.append(
            {
                "id": window.id,
                "size": window.size,
                "kind": window.kind,
                "rows": rows,
                "wall_s": time.perf_counter() - began,
                "phases": phases,
                "outcome": outcome,
                "error": error,
            }
        )
    return {
        "tool": tool,
        "python": sys.version.split()[0],
        "setup_s": setup_s,
        "rss_after_setup_mb": rss_after_setup,
        "max_rss_mb": _max_rss_mb(),
        "facts": facts,
        "windows": windows,
    }


def main(argv: list[str]) -> int:
    one_thread = "--one-thread" in argv
    tool, plan_path, result_path = [a for a in argv if a != "--one-thread"]
    cpus = {"pinned_cpu": pin_one_cpu()} if one_thread else {"cpus": len(os.sched_getaffinity(0))}
    result = measure(tool, Plan.load(Path(plan_path)))
    result.update(cpus)
    Path(result_path).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
