"""driftgate's and the floor's per-window functions on small generated windows: what
each reports as rows and as a detection."""

import dataclasses
from pathlib import Path

import pytest

from benchmarks import fast_floors, report, tool_driftgate, tool_floor, workload
from benchmarks.plan import Plan
from drift_monitor import build_baseline
from scripts import capture_generator as gen

ROWS = 2_000


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    data = tmp_path_factory.mktemp("bench")
    reference = gen.write_reference_csv(data / "reference.csv", gen.reference_frame(ROWS, 0))
    build_baseline(str(reference), str(data / "baseline"), header=True)
    windows = {
        kind: workload.generate_window(data / "windows", ROWS, kind, seed)[0]
        for kind, seed in [("none", 50), ("mean_shift", 1), ("schema_drop", 5)]
    }
    plan = Plan(
        str(reference),
        str(data / "baseline"),
        str(data / "out"),
        list(gen.FEATURE_NAMES),
        [f.is_numeric for f in gen.FEATURES],
        list(windows.values()),
    )
    return plan, windows


def test_driftgate_detects_a_mean_shift_on_the_shifted_feature(setup):
    plan, windows = setup
    run, facts = tool_driftgate.setup(plan)
    rows, phases, outcome = run(windows["mean_shift"])
    assert rows == ROWS
    assert outcome["detected"] is True
    assert outcome["status"] == "completed"
    assert windows["mean_shift"].feature in outcome["features"]
    assert phases["total_s"] > 0
    assert facts["detected_means"] == ">= 1 violation of any check"


def test_driftgate_reports_each_phase_of_its_run_within_the_window_time(setup):
    plan, windows = setup
    run, _ = tool_driftgate.setup(plan)
    _, phases, _ = run(windows["none"])
    steps = {name: seconds for name, seconds in phases.items() if name != "total_s"}
    assert sorted(steps) == sorted(report.PHASES)
    assert all(seconds > 0 for seconds in steps.values())
    assert sum(steps.values()) <= phases["total_s"]


def test_a_monitor_without_the_phase_breakdown_is_timed_as_a_whole(setup, monkeypatch):
    """make bench REVISION=<older commit> exports a run_monitor that takes no phases."""
    import drift_monitor

    real = drift_monitor.run_monitor

    def older(capture, statistics, constraints, output=None, *, window=None, endpoint=""):
        return real(capture, statistics, constraints, output, window=window, endpoint=endpoint)

    monkeypatch.setattr(drift_monitor, "run_monitor", older)
    plan, windows = setup
    run, _ = tool_driftgate.setup(plan)
    rows, phases, _ = run(windows["none"])
    assert rows == ROWS
    assert list(phases) == ["total_s"]


def test_driftgate_flags_a_dropped_column(setup):
    plan, windows = setup
    run, _ = tool_driftgate.setup(plan)
    _, _, outcome = run(windows["schema_drop"])
    assert outcome["detected"] is True
    assert outcome["checks"]


def test_driftgate_passes_a_control(setup):
    plan, windows = setup
    run, _ = tool_driftgate.setup(plan)
    rows, _, outcome = run(windows["none"])
    assert rows == ROWS
    assert (outcome["detected"], outcome["checks"], outcome["status"]) == (False, [], "completed")


def test_a_window_with_no_capture_is_insufficient_data_not_a_detection(setup):
    plan, windows = setup
    run, _ = tool_driftgate.setup(plan)
    later = dataclasses.replace(
        windows["none"],
        id="empty",
        start="2026-11-24T10:00:00+00:00",
        end="2026-11-24T11:00:00+00:00",
    )
    rows, _, outcome = run(later)
    assert rows == 0
    assert (outcome["detected"], outcome["status"]) == (False, "insufficient_data")


def test_the_floor_reads_every_row_and_detects_nothing(setup):
    plan, windows = setup
    run, facts = tool_floor.setup(plan)
    for window in windows.values():
        rows, phases, outcome = run(window)
        assert rows == ROWS
        assert outcome == {}
        assert phases["parse_s"] > 0
    assert "loadtxt" in facts["method"]


def test_the_floor_adds_up_rows_over_several_files(setup, tmp_path):
    plan, windows = setup
    paths, _ = gen.write_window(
        tmp_path, "bench", workload.START, 90, 3, gen.DriftSpec("none"), records_per_file=40
    )
    assert len(paths) == 3
    run, _ = tool_floor.setup(plan)
    rows, _, _ = run(dataclasses.replace(windows["none"], capture_root=str(tmp_path)))
    assert rows == 90


@pytest.mark.parametrize(
    "variant", ["floor_orjson_pyarrow", "floor_msgspec_pyarrow", "floor_msgspec_pyarrow_pieces"]
)
def test_the_fast_floors_read_the_same_rows_as_the_plain_floor(setup, variant):
    plan, windows = setup
    run, facts = tool_floor.setup(plan, variant)
    for window in windows.values():
        rows, phases, outcome = run(window)
        assert rows == ROWS
        assert (outcome, phases["parse_s"] > 0) == ({}, True)
    assert "pyarrow" in facts["method"]


@pytest.mark.parametrize("payload", workload.PAYLOAD_VARIANTS)
def test_every_payload_variant_gives_driftgate_the_same_rows(setup, payload, tmp_path):
    plan, windows = setup
    shaped = workload.payload_variant(windows["none"], payload, plan.numeric, tmp_path)
    run, _ = tool_driftgate.setup(plan)
    rows, _, outcome = run(shaped)
    assert rows == ROWS
    assert outcome["status"] == "completed"
    if payload == "csv":
        assert shaped == windows["none"]
    else:
        text = next(Path(shaped.capture_root).rglob("*.jsonl")).read_text()
        marker = {"quoted_csv": '\\"', "json": "application/json", "empty_numeric": '"data":",'}
        assert marker[payload] in text


@pytest.mark.parametrize("size", [1, 7, 64, 1 << 21])
def test_the_piecewise_floor_reads_every_line_once_whatever_the_read_size(tmp_path, size):
    lines = [b'{"n": %d, "pad": "%s"}' % (i, b"x" * (i % 40)) for i in range(300)]
    path = tmp_path / "capture.jsonl"
    for ending in (b"\n", b""):  # with and without the final newline
        path.write_bytes(b"\n".join(lines) + ending)
        read = [bytes(p) for p in fast_floors.pieces(path, size)]
        assert b"".join(read).split(b"\n")[:300] == lines
        assert all(p.endswith(b"\n") for p in read[:-1])
        assert len(read) > 20 if size < 1000 else len(read) <= 2  # 2: the unended line


def test_the_paired_pass_times_driftgate_and_every_fast_floor_on_the_window(setup, monkeypatch):
    from benchmarks import tool_paired

    plan, windows = setup
    run, facts = tool_paired.setup(plan)
    rows, _, outcome = run(windows["mean_shift"])
    assert rows == ROWS
    assert sorted(outcome["median_s"]) == sorted(["driftgate", *tool_paired.FAST_FLOORS])
    fastest = outcome["fastest_floor"]
    assert fastest == min(tool_paired.FAST_FLOORS, key=outcome["median_s"].__getitem__)
    assert outcome["ratio"] == outcome["median_s"]["driftgate"] / outcome["median_s"][fastest]
    assert f"{tool_paired.ROUNDS} rounds" in facts["method"]


def test_the_paired_pass_keeps_a_window_of_another_width_and_says_what_each_read(setup):
    from benchmarks import tool_paired

    plan, windows = setup
    run, _ = tool_paired.setup(plan)
    rows, _, outcome = run(windows["schema_drop"])
    assert rows == outcome["rows"]["driftgate"]
    assert sorted(outcome["rows"]) == sorted(["driftgate", *tool_paired.FAST_FLOORS])
    assert outcome["ratio"] > 0
