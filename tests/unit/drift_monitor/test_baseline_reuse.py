"""A process parses a baseline once while its files' bytes stay the same (a warm
Lambda's module state), and never hands a run a stale or shared baseline."""

import json

from dm_helpers import docs_of

from drift_monitor import monitor
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
