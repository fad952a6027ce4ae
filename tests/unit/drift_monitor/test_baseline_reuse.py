"""A process parses a baseline once while its files' bytes stay the same (a warm
Lambda's module state), and never hands a run a stale or shared baseline."""

import copy
import json
from dataclasses import replace

import numpy as np
from dm_helpers import csv_record, docs_of

from drift_monitor import monitor
from drift_monitor.baseline_model import load_baseline
from drift_monitor.storage import Storage


def write_baseline(folder, values):
    statistics, constraints = docs_of(["x", "colour"], [values, ["red", "blue"] * 10])
    folder.mkdir(exist_ok=True)
    (folder / "statistics.json").write_text(json.dumps(statistics))
    (folder / "constraints.json").write_text(json.dumps(constraints))
    return str(folder / "statistics.json"), str(folder / "constraints.json")


def test_identical_bytes_are_parsed_once_and_each_run_gets_its_own_copy(tmp_path, monkeypatch):
    stats, cons = write_baseline(tmp_path / "b", [float(i) for i in range(20)])
    parsed = []
    real = monitor.load_baseline
    monkeypatch.setattr(monitor, "load_baseline", lambda s, c: parsed.append(1) or real(s, c))
    monkeypatch.setattr(monitor, "_parsed_baseline", None)
    first = monitor.load_baseline_files(stats, cons, Storage())
    second = monitor.load_baseline_files(stats, cons, Storage())
    assert len(parsed) == 1
    assert second is not first and second.features[0] is not first.features[0]
    assert second.names == first.names
    # What one run does to its baseline cannot reach the next run's.
    for run in (first, second):
        run.features[0].edges[:] = -1.0
        run.features[0].name = "changed"
    third = monitor.load_baseline_files(stats, cons, Storage())
    assert third.features[0].name == "x" and (third.features[0].edges != -1.0).all()


def test_a_changed_file_is_parsed_again(tmp_path, monkeypatch):
    monkeypatch.setattr(monitor, "_parsed_baseline", None)
    stats, cons = write_baseline(tmp_path / "b", [float(i) for i in range(20)])
    before = monitor.load_baseline_files(stats, cons, Storage())
    write_baseline(tmp_path / "b", [float(100 + i) for i in range(20)])
    after = monitor.load_baseline_files(stats, cons, Storage())
    assert after.features[0].mean != before.features[0].mean
    assert after.features[0].edges.min() >= 100.0


def write_rich_baseline(folder):
    """A baseline with every kind of mutable part: arrays, domains, category
    probabilities, and per-feature overrides nested two levels deep."""
    statistics, constraints = docs_of(
        ["x", "colour"], [[float(i % 7) for i in range(40)], ["red", "blue", "green", "red"] * 10]
    )
    constraints["features"][0]["monitoringConfigOverrides"] = {
        "distribution_constraints": {"comparison_threshold": 0.5}
    }
    constraints["features"][1]["monitoringConfigOverrides"] = {"emit_metrics": "Disabled"}
    folder.mkdir(exist_ok=True)
    (folder / "statistics.json").write_text(json.dumps(statistics))
    (folder / "constraints.json").write_text(json.dumps(constraints))
    return (str(folder / "statistics.json"), str(folder / "constraints.json")), (
        statistics,
        constraints,
    )


def snapshot(baseline):
    """Everything a baseline holds, as plain comparable values."""
    return (
        [
            {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in vars(f).items()}
            for f in baseline.features
        ],
        baseline.config,
        baseline.item_count,
    )


def vandalise(baseline):
    """Change, in place, every part of a baseline a run or its caller could change."""
    for f in baseline.features:
        f.edges[:] = -1.0
        f.bin_probs[:] = 0.5
        f.category_probs["red"] = 99.0
        f.category_probs["unseen"] = 1.0
        if f.domains is not None:
            f.domains.append("unseen")
            f.domains[0] = "changed"
        f.overrides.setdefault("distribution_constraints", {})["comparison_threshold"] = 9.0
        f.overrides["datatype_check_threshold"] = 0.0
        f.name = "changed"
        f.mean = -1.0
    baseline.features.append(baseline.features[0])
    baseline.features.reverse()
    baseline.config = replace(baseline.config, comparison_threshold=7.0)
    baseline.item_count = -1


def test_nothing_done_to_a_runs_baseline_reaches_the_next_run(tmp_path, monkeypatch):
    monkeypatch.setattr(monitor, "_parsed_baseline", None)
    (stats, cons), docs = write_rich_baseline(tmp_path / "b")
    expected = snapshot(load_baseline(*copy.deepcopy(docs)))
    assert expected[0][0]["overrides"] and expected[0][1]["domains"]
    for _ in range(3):  # the first parse, then copies of the cached one
        baseline = monitor.load_baseline_files(stats, cons, Storage())
        assert snapshot(baseline) == expected
        vandalise(baseline)
        assert snapshot(baseline) != expected


def test_a_copy_shares_only_what_cannot_change(tmp_path, monkeypatch):
    monkeypatch.setattr(monitor, "_parsed_baseline", None)
    (stats, cons), _ = write_rich_baseline(tmp_path / "b")
    monitor.load_baseline_files(stats, cons, Storage())
    cached = monitor._parsed_baseline[2]
    copied = monitor.load_baseline_files(stats, cons, Storage())
    assert copied.features is not cached.features
    for mine, theirs in zip(copied.features, cached.features, strict=True):
        assert mine is not theirs and vars(mine).keys() == vars(theirs).keys()
        for name, value in vars(mine).items():
            other = vars(theirs)[name]
            if isinstance(value, np.ndarray):
                assert not np.shares_memory(value, other) and value.flags.writeable
            elif value is other:
                assert isinstance(value, str | int | float | bool | type(None)), name
    nested = copied.features[0].overrides["distribution_constraints"]
    assert nested is not cached.features[0].overrides["distribution_constraints"]


def test_a_run_leaves_its_baseline_as_parsed(tmp_path, monkeypatch):
    """What the deep copy guarded against does not happen in a run: the baseline a run
    was given is unchanged after it (its window accumulators only read the edges)."""
    monkeypatch.setattr(monitor, "_parsed_baseline", None)
    (stats, cons), docs = write_rich_baseline(tmp_path / "b")
    expected = snapshot(load_baseline(*copy.deepcopy(docs)))
    capture = tmp_path / "capture" / "2026" / "11" / "23" / "15"
    capture.mkdir(parents=True)
    rows = [[str(9.5 - i % 11), ["red", "violet", ""][i % 3]] for i in range(60)]
    (capture / "a.jsonl").write_text(csv_record(rows) + "\nnot json\n")
    baseline = monitor.load_baseline_files(stats, cons, Storage())
    profile = monitor.profile_window(
        baseline, monitor.capture_files(str(tmp_path / "capture"), None, Storage()), Storage()
    )
    result = monitor.finish_run(baseline, profile, str(tmp_path / "out"))
    assert result.violations and profile.rows == 60
    assert snapshot(baseline) == expected
    assert snapshot(monitor._parsed_baseline[2]) == expected
