"""The benchmark's windows: which drift kinds, how many seeds, at which sizes; and the
capture files and baseline they need (generated once, reused while the recipe matches)."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.plan import WindowPlan
from scripts import capture_generator as gen

ENDPOINT = "bench"
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PERIOD = timedelta(hours=1)
REFERENCE_ROWS = 20_000
REFERENCE_SEED = 0
DRIFT_KINDS = [k for k in gen.DRIFT_KINDS if k != "none"]
# Windows per drift kind at each size, and control windows (no drift). The 1M size
# checks throughput and memory on one control and one mean shift: Evidently needs
# minutes per million-row window here.
DEFAULT_REPEATS = {10_000: 3, 100_000: 1}
LARGE_KINDS = ["none", "mean_shift"]


def plan_windows(sizes: list[int], repeats: dict[int, int]) -> list[tuple[int, str, int]]:
    """(size, kind, seed) of every window: drifted kinds and twice as few controls."""
    windows: list[tuple[int, str, int]] = []
    for size in sizes:
        count = repeats.get(size)
        if count is None:
            windows += [(size, kind, 9000 + i) for i, kind in enumerate(LARGE_KINDS)]
            continue
        for rep in range(count):
            windows += [(size, kind, 100 * rep + i + 1) for i, kind in enumerate(DRIFT_KINDS)]
            windows += [(size, "none", 100 * rep + 50 + i) for i in range(2)]
    return windows


def generate_window(data_dir: Path, size: int, kind: str, seed: int) -> tuple[WindowPlan, float]:
    """The window's capture files (reused when already written); seconds spent writing."""
    window_id = f"{size}-{kind}-{seed}"
    root = data_dir / window_id
    marker = root / "window.json"
    began = time.perf_counter()
    if marker.exists():
        applied = json.loads(marker.read_text())
    else:
        paths, drift = gen.write_window(root, ENDPOINT, START, size, seed, gen.DriftSpec(kind))
        applied = {**drift.as_dict(), "files": len(paths)}
        marker.write_text(json.dumps(applied))
    plan = WindowPlan(
        id=window_id,
        size=size,
        kind=kind,
        seed=seed,
        feature=applied["feature"],
        capture_root=str(root),
        endpoint=ENDPOINT,
        start=START.isoformat(),
        end=(START + PERIOD).isoformat(),
    )
    return plan, time.perf_counter() - began


def reference_csv(data_dir: Path) -> Path:
    path = data_dir / f"reference-{REFERENCE_ROWS}-{REFERENCE_SEED}.csv"
    if not path.exists():
        gen.write_reference_csv(path, gen.reference_frame(REFERENCE_ROWS, REFERENCE_SEED))
    return path


def warm(paths: list[Path]) -> int:
    """Read every file once so that no tool pays for a cold page cache."""
    total = 0
    for path in paths:
        total += len(path.read_bytes())
    return total


PAYLOAD_VARIANTS = ("csv", "quoted_csv", "empty_numeric", "json")


def _variant_record(record: dict[str, Any], payload: str, numeric: list[bool]) -> dict[str, Any]:
    inp = record["captureData"]["endpointInput"]
    fields = inp["data"].split(",")
    if payload == "quoted_csv":  # text fields quoted, as a CSV writer may do
        inp["data"] = ",".join(
            f if num else f'"{f}"' for f, num in zip(fields, numeric, strict=False)
        )
    elif payload == "empty_numeric":  # the first feature's field left empty
        inp["data"] = ",".join(["", *fields[1:]])
    elif payload == "json":  # one row as a JSON array of numbers and strings
        values = [
            float(f) if num and f else (f or None) for f, num in zip(fields, numeric, strict=False)
        ]
        inp.update(observedContentType="application/json", encoding="JSON", data=json.dumps(values))
    return record


def payload_variant(
    window: WindowPlan, payload: str, numeric: list[bool], data_dir: Path
) -> WindowPlan:
    """A copy of ``window``'s capture with every input in another payload shape (the
    paths off the monitor's fast path); ``csv`` is the window itself."""
    if payload == "csv":
        return window
    root = data_dir / f"{window.id}-{payload}"
    marker = root / "variant.json"
    if not marker.exists():
        source = Path(window.capture_root)
        for path in sorted(source.rglob("*.jsonl")):
            target = root / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            out = []
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
                record = json.loads(line)
                # Empty fields in every fifth record only: one feature 20 % missing.
                if payload != "empty_numeric" or i % 5 == 0:
                    record = _variant_record(record, payload, numeric)
                out.append(json.dumps(record, separators=(",", ":")))
            target.write_text("\n".join(out) + "\n", encoding="utf-8")
        marker.write_text(json.dumps({"payload": payload, "of": window.id}))
    return dataclasses.replace(window, id=f"{window.id}-{payload}", capture_root=str(root))
