"""The numbers latest.md publishes: rates, medians, target verdicts and the tables."""

import math

import pytest

from benchmarks import report


def window(kind="mean_shift", detected=False, error=None, wall=1.0, status=None, **phases):
    outcome = {"detected": detected}
    if status:
        outcome["status"] = status
    return {"kind": kind, "outcome": outcome, "error": error, "wall_s": wall, "phases": phases}


def run(windows, max_rss=100.0):
    return {"windows": windows, "max_rss_mb": max_rss, "rss_after_setup_mb": 50.0, "setup_s": 1.0}


def perf(tool, size, wall, rss=100.0):
    return {
        "tool": tool,
        "size": size,
        "median_wall_s": wall,
        "rows_per_s": size / wall if wall == wall else math.nan,
        "max_rss_mb": rss,
    }


def detect(tool, rate, fp_rate):
    return {"tool": tool, "detection_rate": rate, "false_positive_rate": fp_rate}


def verdicts(targets):
    return {t["target"]: t["met"] for t in targets}


# --- detection definition -------------------------------------------------------------


def test_a_flag_or_a_failed_run_is_a_detection_and_a_clean_run_is_not():
    assert report.detected(window(detected=True))
    assert report.detected(window(error="ValueError: all-empty column"))
    assert not report.detected(window(detected=False))
    assert not report.detected({"outcome": {}, "error": None})


def test_detection_rate_counts_errors_as_detections_and_says_so():
    runs = {
        ("evidently", 10): run(
            [
                window("schema_drop", error="ValueError: empty"),
                window("schema_drop", detected=True),
                window("mean_shift", detected=False),
                window("mean_shift", detected=True),
                window("none"),
                window("none", detected=True),
            ]
        )
    }
    (row,) = report.detection_rows(runs)
    assert (row["detected"], row["drifted"]) == (3, 4)
    assert row["detection_rate"] == pytest.approx(0.75)
    assert (row["false_positives"], row["controls"]) == (1, 2)
    assert row["false_positive_rate"] == pytest.approx(0.5)
    assert row["per_kind"] == {
        "mean_shift": "1/2",
        "none": "1/2",
        "schema_drop": "2/2 (1 by error)",
    }


def test_an_error_on_a_control_is_a_false_positive():
    runs = {("driftgate", 10): run([window("none", error="OSError: boom"), window("none")])}
    (row,) = report.detection_rows(runs)
    assert row["false_positives"] == 1
    assert row["false_positive_rate"] == pytest.approx(0.5)


def test_insufficient_data_is_not_a_detection_and_is_marked():
    runs = {
        ("driftgate", 10): run(
            [window("mean_shift", status="insufficient_data"), window("mean_shift", detected=True)]
        )
    }
    (row,) = report.detection_rows(runs)
    assert row["detected"] == 1
    assert row["detection_rate"] == pytest.approx(0.5)
    assert row["per_kind"]["mean_shift"] == "1/2 (1 insufficient data)"


def test_detection_pools_sizes_per_tool_and_never_mixes_tools():
    runs = {
        ("driftgate", 10): run([window(detected=True), window("none")]),
        ("driftgate", 100): run([window(detected=False)]),
        ("evidently", 10): run([window(detected=True), window(detected=True)]),
        ("floor", 10): run([window(detected=True)]),
    }
    rows = {r["tool"]: r for r in report.detection_rows(runs)}
    assert set(rows) == {"driftgate", "evidently"}  # the floor detects nothing
    assert (rows["driftgate"]["detected"], rows["driftgate"]["drifted"]) == (1, 2)
    assert (rows["evidently"]["detected"], rows["evidently"]["drifted"]) == (2, 2)


def test_no_controls_gives_an_undefined_false_positive_rate():
    (row,) = report.detection_rows({("driftgate", 10): run([window(detected=True)])})
    assert math.isnan(row["false_positive_rate"])


# --- performance -----------------------------------------------------------------------


def test_medians_leave_out_failed_windows_and_count_them():
    runs = {
        ("evidently", 1000): run(
            [
                window(wall=1.0, parse_s=0.1, compute_s=0.9),
                window(wall=3.0, parse_s=0.3, compute_s=2.7),
                window(wall=2.0, parse_s=0.2, compute_s=1.8),
                window(wall=0.01, error="ValueError: x"),
            ],
            max_rss=321.0,
        )
    }
    (row,) = report.performance_rows(runs)
    assert (row["windows"], row["errors"]) == (4, 1)
    assert row["median_wall_s"] == pytest.approx(2.0)
    assert row["median_parse_s"] == pytest.approx(0.2)
    assert row["median_compute_s"] == pytest.approx(1.8)
    assert row["rows_per_s"] == pytest.approx(500.0)
    assert row["max_rss_mb"] == 321.0


def test_a_tool_that_failed_everywhere_has_no_throughput():
    (row,) = report.performance_rows({("evidently", 10): run([window(error="E: x")])})
    assert math.isnan(row["median_wall_s"])
    assert math.isnan(row["rows_per_s"])


def test_performance_rows_are_ordered_by_size_then_tool():
    runs = {
        (tool, size): run([window()])
        for tool in ("floor", "evidently", "driftgate")
        for size in (100, 10)
    }
    order = [(r["size"], r["tool"]) for r in report.performance_rows(runs)]
    assert order == sorted(order)


# --- targets ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dg_wall", "ev_wall", "met"),
    [(1.0, 10.0, True), (1.0, 9.9, False), (1.0, 20.0, True), (2.0, 10.0, False)],
)
def test_throughput_target_is_ten_times_evidently(dg_wall, ev_wall, met):
    targets = report.target_rows(
        [perf("driftgate", 1000, dg_wall), perf("evidently", 1000, ev_wall)], []
    )
    assert verdicts(targets)["throughput >= 10x Evidently at 1,000"] is met


FLOOR_TARGET = "time <= 1.5x fastest parse-only floor at 10"


@pytest.mark.parametrize(
    ("dg_wall", "floor_wall", "met"), [(1.5, 1.0, True), (1.51, 1.0, False), (0.5, 1.0, True)]
)
def test_floor_target_is_at_most_one_and_a_half_times_the_floor_time(dg_wall, floor_wall, met):
    targets = report.target_rows(
        [perf("driftgate", 10, dg_wall), perf("floor", 10, floor_wall)], []
    )
    assert verdicts(targets)[FLOOR_TARGET] is met


def test_floor_target_is_against_the_fastest_floor():
    rows = [
        perf("driftgate", 10, 1.4),
        perf("floor", 10, 5.0),
        perf("floor_orjson_pyarrow", 10, 2.0),
        perf("floor_msgspec_pyarrow", 10, 1.0),
    ]
    (target,) = [t for t in report.target_rows(rows, []) if t["target"] == FLOOR_TARGET]
    assert target["met"] is True
    assert target["value"] == "1.40x (floor_msgspec_pyarrow)"
    rows[3] = perf("floor_msgspec_pyarrow", 10, 0.9)
    assert verdicts(report.target_rows(rows, []))[FLOOR_TARGET] is False


def test_one_thread_runs_get_their_own_targets_against_one_thread_peers():
    rows = [
        perf("driftgate", 10, 1.0),
        perf("evidently", 10, 20.0),
        perf("driftgate (1 thread)", 10, 1.0),
        perf("evidently (1 thread)", 10, 5.0),
        perf("floor (1 thread)", 10, 1.0),
    ]
    targets = verdicts(report.target_rows(rows, []))
    assert targets["throughput >= 10x Evidently at 10"] is True
    assert targets["throughput >= 10x Evidently at 10 (1 thread)"] is False
    assert targets["time <= 1.5x fastest parse-only floor at 10 (1 thread)"] is True


@pytest.mark.parametrize(("dg_rss", "met"), [(100.0, True), (101.0, False), (30.0, True)])
def test_memory_target_is_a_third_of_evidently_at_the_largest_size(dg_rss, met):
    perf_rows = [
        perf("driftgate", 10, 1.0, rss=10.0),
        perf("evidently", 10, 1.0, rss=1000.0),
        perf("driftgate", 1000, 1.0, rss=dg_rss),
        perf("evidently", 1000, 1.0, rss=300.0),
    ]
    targets = verdicts(report.target_rows(perf_rows, []))
    memory = [name for name in targets if name.startswith("peak memory")]
    assert memory == ["peak memory <= 1/3 of Evidently at 1,000"]  # largest size only
    assert targets[memory[0]] is met


def test_a_tool_without_a_measurement_fails_its_ratio_targets():
    perf_rows = [
        perf("driftgate", 10, 1.0),
        perf("evidently", 10, math.nan),
        perf("floor", 10, 1.0),
    ]
    perf_rows[0]["median_wall_s"] = math.nan
    perf_rows[0]["rows_per_s"] = math.nan
    targets = verdicts(report.target_rows(perf_rows, []))
    assert targets["throughput >= 10x Evidently at 10"] is False
    assert targets[FLOOR_TARGET] is False


@pytest.mark.parametrize(
    ("dg", "ev", "rate_met", "fp_met"),
    [
        ((0.9, 0.1), (0.9, 0.1), True, True),
        ((0.8, 0.0), (0.9, 0.0), False, True),
        ((1.0, 0.2), (0.9, 0.1), True, False),
        ((1.0, math.nan), (0.9, 0.0), True, False),
    ],
)
def test_detection_targets_compare_with_evidently(dg, ev, rate_met, fp_met):
    targets = verdicts(report.target_rows([], [detect("driftgate", *dg), detect("evidently", *ev)]))
    assert targets["detection rate >= Evidently's"] is rate_met
    assert targets["false-positive rate <= Evidently's"] is fp_met


def test_targets_cover_every_size_and_all_four_goals():
    perf_rows = [perf(t, s, 1.0) for t in report.TOOLS for s in (10, 100)]
    detect_rows = [detect("driftgate", 1.0, 0.0), detect("evidently", 1.0, 0.0)]
    names = [t["target"] for t in report.target_rows(perf_rows, detect_rows)]
    assert len(names) == 2 * 2 + 1 + 2
    assert sum(n.startswith("throughput") for n in names) == 2
    assert sum(n.startswith("time <=") for n in names) == 2


# --- the Markdown ----------------------------------------------------------------------


def result_with(targets):
    runs = {
        ("driftgate", 10): run([window(detected=True), window("none")]),
        ("evidently", 10): run([window(error="ValueError: x"), window("none")]),
    }
    return {
        "machine": "test machine",
        "revision": "abc1234",
        "performance": report.performance_rows(runs),
        "detection": report.detection_rows(runs),
        "targets": targets,
        "facts": {"driftgate": {"tests": "L-inf"}},
    }


def test_markdown_prints_a_missed_target_as_no_and_a_met_one_as_yes():
    text = report.markdown(
        result_with(
            [
                {"target": "throughput >= 10x Evidently at 10", "value": "9.9x", "met": False},
                {"target": "detection rate >= Evidently's", "value": "1 vs 1", "met": True},
            ]
        )
    )
    assert "| throughput >= 10x Evidently at 10 | 9.9x | NO |" in text
    assert "| detection rate >= Evidently's | 1 vs 1 | yes |" in text


def test_markdown_shows_failures_rates_and_revision():
    text = report.markdown(result_with([]))
    assert "Revision: abc1234" in text
    assert "| 10 | evidently | 2 (1 failed) |" in text
    assert "| evidently | 1/1 = 1.00 | 0/1 = 0.00 | 1/1 (1 by error) | 0/1 |" in text
    assert "| driftgate | 1/1 = 1.00 | 0/1 = 0.00 | 1/1 | 0/1 |" in text
    assert "n/a" in text  # no window recorded a parse or compute phase
    assert "- driftgate: tests: L-inf" in text


# --- where driftgate's time goes ------------------------------------------------------

PHASE_TIMES = {
    "baseline_s": 0.001,
    "list_s": 0.002,
    "parse_s": 0.030,
    "evaluate_s": 0.003,
    "report_s": 0.010,
    "outputs_s": 0.004,
}


def test_performance_rows_keep_the_median_of_each_driftgate_phase():
    slow = {name: seconds * 3 for name, seconds in PHASE_TIMES.items()}
    runs = {
        ("driftgate", 10): run(
            [window(wall=0.05, **PHASE_TIMES), window(wall=0.06, **PHASE_TIMES), window(**slow)]
        ),
        ("floor", 10): run([window(wall=0.02, parse_s=0.02)]),
    }
    rows = {r["tool"]: r for r in report.performance_rows(runs)}
    assert rows["driftgate"]["phases"] == PHASE_TIMES
    assert rows["floor"]["phases"] == {"parse_s": 0.02}  # only the phases every window has


def test_the_phase_table_sets_the_parse_and_the_total_against_the_fastest_floor():
    rows = [
        perf("driftgate", 10_000, 0.050),
        perf("driftgate (1 thread)", 10_000, 0.060),
        perf("floor", 10_000, 0.040),
        perf("floor_msgspec_pyarrow", 10_000, 0.020),
        perf("floor_msgspec_pyarrow (1 thread)", 10_000, 0.025),
    ]
    for row in rows[:2]:
        row["phases"] = PHASE_TIMES
    lines = report._phase_section(rows)
    assert (
        "| 10,000 | driftgate | 1.0 | 2.0 | 30.0 | 3.0 | 10.0 | 4.0 | 50.0 | 20.0 | 1.50x | 2.50x |"
        in lines
    )
    # One-thread runs are set against the one-thread floor.
    one_thread = next(line for line in lines if line.startswith("| 10,000 | driftgate (1 thread)"))
    assert one_thread.endswith("| 60.0 | 25.0 | 1.20x | 2.40x |")


def test_no_phase_table_without_driftgate_phases():
    assert report._phase_section([perf("driftgate", 10, 0.05), perf("floor", 10, 0.02)]) == []


# --- target 2 paired in one process ---------------------------------------------------


def paired_window(ratio, floor="floor_msgspec_pyarrow", error=None, kind="none"):
    outcome = {} if error else {"ratio": ratio, "fastest_floor": floor}
    return {"outcome": outcome, "error": error, "kind": kind}


def test_paired_rows_take_the_median_of_per_window_ratios_and_count_failures():
    paired = {
        ("paired", 10): {
            "windows": [
                paired_window(1.2),
                paired_window(1.8, "floor_orjson_pyarrow", kind="schema_drop"),
                paired_window(1.4),
                paired_window(None, error="RuntimeError: rows"),
            ]
        },
        ("paired (1 thread)", 10): {"windows": [paired_window(2.0)]},
    }
    rows = {r["mode"]: r for r in report.paired_rows(paired)}
    assert rows["paired"] == {
        "mode": "paired",
        "size": 10,
        "windows": 3,
        "errors": 1,
        "median_ratio": 1.4,
        "max_ratio": 1.8,
        "fastest_floor": "floor_msgspec_pyarrow",
        "by_kind": {"none": pytest.approx(1.3), "schema_drop": 1.8},
    }
    assert rows["paired (1 thread)"]["median_ratio"] == 2.0


@pytest.mark.parametrize(("ratio", "met"), [(1.5, True), (1.51, False)])
def test_the_paired_floor_target_is_judged_per_mode_beside_the_separate_one(ratio, met):
    perf_rows = [
        perf("driftgate", 10, 3.0),
        perf("floor_msgspec_pyarrow", 10, 1.0),
        perf("driftgate (1 thread)", 10, 1.0),
        perf("floor_msgspec_pyarrow (1 thread)", 10, 1.0),
    ]
    paired = report.paired_rows(
        {
            ("paired", 10): {"windows": [paired_window(ratio)]},
            ("paired (1 thread)", 10): {"windows": [paired_window(9.0)]},
        }
    )
    targets = {t["target"]: t for t in report.target_rows(perf_rows, [], paired)}
    assert targets[FLOOR_TARGET]["met"] is False  # the separate processes: 3x
    pair = targets[f"{FLOOR_TARGET}, paired in one process"]
    assert pair["met"] is met
    assert pair["value"] == f"{ratio:.2f}x (median of 1 windows; floor_msgspec_pyarrow)"
    assert targets[f"{FLOOR_TARGET} (1 thread), paired in one process"]["met"] is False


def test_no_paired_target_when_every_paired_window_failed():
    paired = report.paired_rows({("paired", 10): {"windows": [paired_window(None, error="x")]}})
    rows = [perf("driftgate", 10, 1.0), perf("floor", 10, 1.0)]
    assert not [t for t in report.target_rows(rows, [], paired) if "paired" in t["target"]]


def test_markdown_has_the_paired_table():
    result = result_with([])
    result["paired"] = report.paired_rows({("paired", 10): {"windows": [paired_window(1.25)]}})
    text = report.markdown(result)
    assert "## driftgate against the fastest floor, paired in one process" in text
    assert "| 10 | paired | 1 | 1.25x | 1.25x | floor_msgspec_pyarrow |" in text
    assert "| size | mode | none |" in text and "| 10 | paired | 1.25x |" in text
    assert "paired in one process" not in report.markdown(result_with([]))


def test_the_rate_sentence_says_which_side_of_the_slow_paths_the_router_is():
    from benchmarks.report import rate_sentence

    slow = [
        {"payload": "quoted_csv", "bytes": 18e6, "wall_s": 1.0},
        {"payload": "json", "bytes": 27e6, "wall_s": 1.0},
    ]
    assert "at or below the slowest payload path measured in this run (18 MB/s" in (
        rate_sentence(15.0, slow)
    )
    above = rate_sentence(20.0, slow)
    assert "is ABOVE the slowest" in above and "runs up to 1.11x its estimate" in above
    assert "no faster than it runs" not in above
