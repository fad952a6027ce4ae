"""Builders for capture records and baselines used across the drift monitor tests."""

from __future__ import annotations

import base64
import copy
import json
import random
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


def key_paths(value: Any, into_lists: bool, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path of keys into nested objects (and the first items of lists if asked)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += key_paths(inner, into_lists, (*prefix, key))
    elif into_lists and isinstance(value, list):
        for key, inner in enumerate(value[:3]):
            found += key_paths(inner, into_lists, (*prefix, key))
    return found


# Values of every JSON type, many of them capture-shaped, for the fuzz tests' mutations.
VALUES: list[Any] = [
    None, True, 0, -1, 2.5, 1e300, "", " ", "CSV", "JSON", "BASE64", "text/csv",
    "application/json", "application/jsonlines", "1,2,3", "1,2", "[1, 2, 3]",
    '{"a": 1}', "MSwyLDM=", "2026-11-23T15:30:00Z", "x" * 40, [], [1, 2, 3], ["1,2,3"],
    {}, {"data": "1"}, {"instances": [[1, 2, 3]]}, '"1",2,3', "1,2,3\n4,5,6", "1\r,2,3",
    "1,,3", "a,b,c", "1,2,3\u2028", "1,2,3\x0c", "\ufeff1,2,3", "1,2,3,4", "nan,inf,-0",
    '[{"a": 1, "z": 2}]', '{"instances": [1, 2, 3]}', "1,2,3\n", "\n", ",,",
]  # fmt: skip


def mutated(
    document: Any, pick: random.Random, values: list[Any], changes: int, into_lists: bool
) -> Any:
    """A copy of a JSON document with 1 to ``changes`` fields replaced by one of
    ``values`` (any JSON type) or, one time in five, removed."""
    document = copy.deepcopy(document)
    for _ in range(pick.randint(1, changes)):
        where = pick.choice(key_paths(document, into_lists))
        parent = document
        for key in where[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and pick.random() < 0.2:
            parent.pop(where[-1], None)
        elif isinstance(parent, (dict, list)):
            # A copy: a later change must not reach into ``values`` (or make a cycle).
            parent[where[-1]] = copy.deepcopy(pick.choice(values))
    return document
