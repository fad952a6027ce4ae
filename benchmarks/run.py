"""``make bench``: driftgate's monitor against Evidently's DataDriftPreset and a
parse-only floor, on the same capture files, each tool in its own process.

    python -m benchmarks.run [--sizes 10000,100000,1000000] [--evidently-python PATH]

Writes ``benchmarks/results/latest.md`` and ``latest.json`` and prints the tables.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

from benchmarks import report, sharded, workload
from benchmarks.child import FLOORS, ONE_THREAD_ENV
from benchmarks.plan import Plan, WindowPlan
from scripts import capture_generator as gen

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_SIZES = "10000,100000,1000000"


def _data_dir(results: Path) -> Path:
    # Cached capture files are keyed by the generator's source: a change regenerates.
    digest = hashlib.sha256(Path(gen.__file__).read_bytes()).hexdigest()[:12]
    return results / "data" / digest


def _baseline(reference: Path, out: Path) -> float:
    from drift_monitor import build_baseline

    began = time.perf_counter()
    build_baseline(str(reference), str(out), header=True)
    return time.perf_counter() - began


def _run_child(
    python: str,
    tool: str,
    plan_path: Path,
    result_path: Path,
    path: list[Path],
    one_thread: bool = False,
) -> dict[str, Any]:
    pythonpath = os.pathsep.join(str(p) for p in [*path, ROOT])
    env = {**os.environ, "PYTHONPATH": pythonpath, "PYTHONHASHSEED": "0"}
    flags = []
    if one_thread:
        env.update(ONE_THREAD_ENV)
        flags = ["--one-thread"]
    if tool in ("driftgate", "paired"):
        # The allocator settings the deployed function has (templates/monitoring.yml),
        # nothing more: the monitor is measured as the Lambda runs it.
        env.update(sharded.deployed_allocator_env())
    # Run from the plan's folder: ``-m`` puts the working directory first on sys.path,
    # and the repository root there would shadow an exported monitor.
    subprocess.run(
        [python, "-m", "benchmarks.child", tool, str(plan_path), str(result_path), *flags],
        cwd=plan_path.parent,
        env=env,
        check=True,
    )
    return json.loads(result_path.read_text())


def _import_seconds(runs: int = 3) -> float:
    """Median time to import the Lambda entry in a fresh interpreter (a cold start's
    import phase, on this machine)."""
    code = (
        "import time; t = time.perf_counter(); import drift_monitor.lambda_handler; "
        "print(time.perf_counter() - t)"
    )
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        )
        times.append(float(done.stdout.strip()))
    return sorted(times)[len(times) // 2]


def _lambda_package() -> dict[str, Any]:
    """The monitor zip's unzipped size (its files as packaged) and the import time."""
    from scripts import package

    facts: dict[str, Any] = {"import_s": _import_seconds(), "import_runs": 3}
    try:
        site = package.install_for_lambda(package.monitor_requirements(), ROOT / "build" / "cache")
    except subprocess.CalledProcessError as exc:  # no package index reachable
        return {**facts, "unzipped_mb": float("nan"), "platform": f"not built: {exc}"}
    entries = package.monitor_entries(site)
    facts["unzipped_mb"] = sum(p.stat().st_size for p, _ in entries) / 1e6
    facts["platform"] = f"python{package.LAMBDA_PYTHON} {'/'.join(package.LAMBDA_PLATFORMS)}"
    return facts


def _machine(evidently_python: str) -> str:
    version = subprocess.run(
        [
            evidently_python,
            "-c",
            "import evidently, pandas; print(evidently.__version__, pandas.__version__)",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    import numpy

    ev = f"Evidently {version[0]}, pandas {version[1]}" if len(version) == 2 else "Evidently ?"
    return (
        f"{os.cpu_count()} cores, {platform.machine()}, Linux {platform.release()}, "
        f"Python {platform.python_version()}, numpy {numpy.__version__}, {ev}"
    )


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def _revision() -> str:
    """The commit checked out, and whether the monitor's files differ from it."""
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = " (drift_monitor modified)" if _git("status", "--porcelain", "drift_monitor") else ""
    return commit + dirty


def _export_monitor(revision: str, into: Path) -> str:
    """``drift_monitor`` as committed at ``revision``, unpacked under ``into``: measures a
    fixed version even while the work tree changes. Returns the resolved commit."""
    commit = _git("rev-parse", "--short", revision)
    if not commit:
        raise SystemExit(f"unknown revision {revision!r}")
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", commit, "drift_monitor"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return commit


def _variant_size(sizes: list[int]) -> int:
    """The size whose control window is re-shaped into the other payloads."""
    return 100_000 if 100_000 in sizes else min(sizes)


def _payload_variants(
    windows: list[WindowPlan], plan: Plan, data_dir: Path, run_dir: Path, path: list[Path]
) -> list[dict[str, Any]]:
    """driftgate on the same rows in every payload shape (one child, one thread)."""
    control = next(w for w in windows if w.kind == "none")
    shaped = [
        workload.payload_variant(control, payload, plan.numeric, data_dir)
        for payload in workload.PAYLOAD_VARIANTS
    ]
    variant_plan = Plan(**{**plan.__dict__, "windows": shaped})
    plan_path = variant_plan.dump(run_dir / "plan-variants.json")
    print(f"[bench] payload variants of {control.id}: driftgate (1 thread)", flush=True)
    result = _run_child(
        sys.executable, "driftgate", plan_path, run_dir / "variants.json", path, one_thread=True
    )
    return [
        {
            "payload": payload,
            "rows": w["rows"],
            "bytes": _capture_bytes(window),
            "wall_s": w["wall_s"],
            "error": w["error"],
        }
        for payload, w, window in zip(
            workload.PAYLOAD_VARIANTS, result["windows"], shaped, strict=True
        )
    ]


def _capture_bytes(window: WindowPlan) -> int:
    return sum(p.stat().st_size for p in Path(window.capture_root).rglob("*.jsonl"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated row counts")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--evidently-python", default=str(ROOT / ".venv-bench/bin/python"))
    parser.add_argument(
        "--monitor-revision",
        help="measure drift_monitor as committed at this revision (default: the work tree)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results: Path = args.results.resolve()  # children run elsewhere: absolute paths
    data_dir = _data_dir(results)
    data_dir.mkdir(parents=True, exist_ok=True)
    # One folder per run: concurrent runs must not overwrite each other's plans.
    run_dir = results / "runs" / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    run_dir.mkdir(parents=True, exist_ok=True)

    revision = _revision()
    monitor_path: list[Path] = []
    if args.monitor_revision:
        commit = _export_monitor(args.monitor_revision, run_dir / "monitor-src")
        monitor_path = [run_dir / "monitor-src"]
        sys.path.insert(0, str(monitor_path[0]))  # the baseline too is built by that version
        revision = f"drift_monitor at {commit} (work tree at {revision})"
    reference = workload.reference_csv(data_dir)
    baseline_dir = run_dir / "baseline"
    baseline_s = _baseline(reference, baseline_dir)
    numeric = [f.is_numeric for f in gen.FEATURES]
    runs: dict[tuple[str, int], dict[str, Any]] = {}
    paired: dict[tuple[str, int], dict[str, Any]] = {}
    generation: dict[int, float] = {}
    variants: list[dict[str, Any]] = []
    pythons = {tool: sys.executable for tool in ("driftgate", *FLOORS)}
    pythons["evidently"] = os.path.abspath(args.evidently_python)  # keep the venv symlink
    order = list(report.TOOLS)
    for index, size in enumerate(sizes):
        windows: list[WindowPlan] = []
        spent = 0.0
        for size_, kind, seed in workload.plan_windows([size], workload.DEFAULT_REPEATS):
            window, seconds = workload.generate_window(data_dir, size_, kind, seed)
            windows.append(window)
            spent += seconds
        generation[size] = spent
        workload.warm([p for w in windows for p in Path(w.capture_root).rglob("*.jsonl")])
        plan = Plan(
            str(reference),
            str(baseline_dir),
            str(run_dir / "out"),
            list(gen.FEATURE_NAMES),
            numeric,
            windows,
        )
        plan_path = plan.dump(run_dir / f"plan-{size}.json")
        # Rotate the order per size so no tool always runs first or last; each tool
        # runs as is and pinned to one CPU.
        rotated = order[index % len(order) :] + order[: index % len(order)]
        for one_thread in (False, True):
            for tool in rotated:
                label = tool + (report.ONE_THREAD if one_thread else "")
                print(f"[bench] {size:,} rows x {len(windows)} windows: {label}", flush=True)
                runs[(label, size)] = _run_child(
                    pythons[tool],
                    tool,
                    plan_path,
                    run_dir / f"{tool}-{size}{'-1t' if one_thread else ''}.json",
                    monitor_path if tool == "driftgate" else [],
                    one_thread,
                )
        for one_thread in (False, True):
            label = "paired" + (report.ONE_THREAD if one_thread else "")
            print(f"[bench] {size:,} rows x {len(windows)} windows: {label}", flush=True)
            paired[(label, size)] = _run_child(
                sys.executable,
                "paired",
                plan_path,
                run_dir / f"paired-{size}{'-1t' if one_thread else ''}.json",
                monitor_path,
                one_thread,
            )
        if size == _variant_size(sizes):
            variants = _payload_variants(windows, plan, data_dir, run_dir, monitor_path)

    largest = sizes[-1]
    control = next(w for w in windows if w.kind == "none")  # of the last size run
    one_thread = report.ONE_THREAD
    rate = next(
        (r["rows_per_s"] for r in report.performance_rows(runs)
         if r["tool"] == "driftgate" + one_thread and r["size"] == largest),
        float("nan"),
    )  # fmt: skip
    facts: dict[str, dict[str, Any]] = {}
    for (tool, _), run in [*runs.items(), *paired.items()]:
        facts.setdefault(tool, {}).update(run["facts"])
    methods = sorted(
        {
            m
            for (t, _), r in runs.items()
            if t == "evidently"
            for w in r["windows"]
            for m in w["outcome"].get("methods", [])
        }
    )
    if "evidently" in facts:
        facts["evidently"]["tests"] = ", ".join(methods)
    facts.setdefault("driftgate", {})["baseline_build_s"] = round(baseline_s, 2)
    performance = report.performance_rows(runs)
    detection = report.detection_rows(runs)
    paired_rows = report.paired_rows(paired)
    result = {
        "machine": _machine(args.evidently_python),
        "revision": revision,
        "sizes": sizes,
        "reference_rows": workload.REFERENCE_ROWS,
        "generation_s": generation,
        "performance": performance,
        "detection": detection,
        "paired": paired_rows,
        "targets": report.target_rows(performance, detection, paired_rows),
        "facts": facts,
        "payload_variants": variants,
        "lambda_package": _lambda_package(),
        "sharded_model": sharded.model(
            rate,
            largest,
            sharded.measure_merge(plan, control, run_dir / "merge"),
            bytes_per_row=_capture_bytes(control) / largest,
        ),
        "windows": {f"{t}/{s}": r["windows"] for (t, s), r in runs.items()},
    }
    (results / "latest.json").write_text(json.dumps(result, indent=1, default=str))
    text = report.markdown(result)
    (results / "latest.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
