"""Known windows for the report tests (and for looking at the report in a browser):
a baseline of mixed features and a capture hour that is drifted, clean, too small,
noisy (over threshold, within the Robust noise bound) or entirely malformed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from dm_helpers import csv_record

from drift_monitor import Window, build_baseline, parse_time, run_monitor
from drift_monitor.monitor import MonitorResult
from drift_monitor.report import ReportContext

WINDOW = Window(parse_time("2026-11-23T15:00:00Z"), parse_time("2026-11-23T16:00:00Z"))
CONTEXT = ReportContext(
    model_package_arn="arn:aws:sagemaker:eu-west-1:111122223333:model-package/churn/7",
    model_package_version="7",
    period_minutes=60,
)
BASE_NAMES = ["age", "income", "score", "colour", "plan"]


def _row(rng: np.random.Generator, kind: str, extra: int) -> list[Any]:
    shift = kind == "drifted"
    age = int(np.clip(rng.normal(40 if not shift else 41, 10), 18, 90))
    income = rng.lognormal(10.6 if not shift else 10.9, 0.4)
    score = rng.normal(0.0, 1.0)
    if kind == "noisy":
        score += 0.35
    colours = ["red", "blue", "green"] if not shift else ["red", "blue", "green", "purple"]
    weights = [0.5, 0.3, 0.2] if not shift else [0.3, 0.3, 0.2, 0.2]
    colour = str(rng.choice(colours, p=weights))
    plan = str(rng.choice(["basic", "pro"], p=[0.7, 0.3]))
    return [age, f"{income:.2f}", f"{score:.4f}", colour, plan] + [
        f"{rng.normal(i % 7, 1 + i % 3):.3f}" for i in range(extra)
    ]


def names_for(extra: int) -> list[str]:
    return BASE_NAMES + [f"sensor_{i:03d}" for i in range(extra)]


def build(
    tmp: Path,
    kind: str,
    extra: int = 0,
    rows: int | None = None,
    names: list[str] | None = None,
    junk: list[str] | None = None,
    **run_kw: Any,
) -> tuple[MonitorResult, str]:
    """Writes baseline and capture under ``tmp``, runs the window, returns the report."""
    rng = np.random.default_rng(7)
    names = names or names_for(extra)
    train = tmp / "train.csv"
    lines = [",".join(str(v) for v in _row(rng, "clean", extra)) for _ in range(3000)]
    train.write_text(",".join(names) + "\n" + "\n".join(lines) + "\n")
    build_baseline(str(train), str(tmp / "baseline"), header=True)
    hour = tmp / "capture" / "2026" / "11" / "23" / "15"
    hour.mkdir(parents=True, exist_ok=True)
    count = rows if rows is not None else {"insufficient": 40, "noisy": 60}.get(kind, 1500)
    records = [
        csv_record([_row(rng, kind, extra)], when=f"2026-11-23T15:{i % 60:02d}:{i % 59:02d}Z")
        for i in range(count)
    ]
    if kind == "drifted":
        records += [
            "{not json",
            csv_record([[1, 2, 3]]),
            json.dumps({"captureData": {}, "eventMetadata": {}}),
        ]
    if kind == "malformed":
        records = ["{broken <b>capture</b>"] * 30 + [
            json.dumps({"captureData": {"endpointInput": {"data": "x", "encoding": "CSV"}}})
        ] * 5
    records += junk or []
    (hour / "part-0.jsonl").write_text("\n".join(records) + "\n")
    result = run_monitor(
        str(tmp / "capture"),
        str(tmp / "baseline" / "statistics.json"),
        str(tmp / "baseline" / "constraints.json"),
        str(tmp / "out"),
        window=run_kw.pop("window", WINDOW),
        min_records=run_kw.pop("min_records", 30 if kind == "noisy" else 100),
        endpoint=run_kw.pop("endpoint", "churn-prod"),
        schedule=run_kw.pop("schedule", "churn-prod-data-quality"),
        report_context=run_kw.pop("report_context", CONTEXT),
        **run_kw,
    )
    return result, (tmp / "out" / "report.html").read_text(encoding="utf-8")
