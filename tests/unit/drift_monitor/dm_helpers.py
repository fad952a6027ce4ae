"""Builders for capture records and baselines used across the drift monitor tests."""

from __future__ import annotations

import base64
import json
from typing import Any

from drift_monitor.baseline import build_baseline_from_columns
from drift_monitor.baseline_model import Baseline, load_baseline


def block(
    data: str, content_type: str = "text/csv", encoding: str = "CSV", mode: str = "INPUT"
) -> dict[str, Any]:
    if encoding == "BASE64":
        data = base64.b64encode(data.encode()).decode()
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": encoding}


def record(
    inp: dict[str, Any],
    out: dict[str, Any] | None = None,
    when: str = "2026-11-23T15:30:00Z",
    event_id: str = "e",
) -> str:
    capture: dict[str, Any] = {"endpointInput": inp}
    if out is not None:
        capture["endpointOutput"] = out
    return json.dumps(
        {
            "captureData": capture,
            "eventMetadata": {"eventId": event_id, "inferenceTime": when},
            "eventVersion": "0",
        }
    )


def csv_record(rows: list[list[Any]], when: str = "2026-11-23T15:30:00Z", **kw: Any) -> str:
    text = "\n".join(",".join(str(v) for v in r) for r in rows)
    return record(block(text, **kw), when=when)


def baseline_of(names: list[str], columns: list[list[Any]], **config: Any) -> Baseline:
    statistics, constraints = build_baseline_from_columns(names, columns)
    constraints["monitoring_config"].update(config)
    return load_baseline(statistics, constraints)


def docs_of(names: list[str], columns: list[list[Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    return build_baseline_from_columns(names, columns)
