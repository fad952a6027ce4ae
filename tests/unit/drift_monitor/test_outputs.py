import json
from pathlib import Path

import numpy as np
import pytest
from dm_helpers import csv_record
from jsonschema import Draft202012Validator

from drift_monitor import Window, build_baseline, parse_time, run_monitor
from drift_monitor.baseline_model import load_baseline

SCHEMAS = Path(__file__).parent / "schemas"
WINDOW = Window(parse_time("2026-11-23T15:00:00Z"), parse_time("2026-11-23T16:00:00Z"))


def validate(document, name):
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    Draft202012Validator(schema).validate(document)


@pytest.fixture
def workspace(tmp_path):
    rng = np.random.default_rng(11)
    train = tmp_path / "train.csv"
    rows = [
        f"{rng.normal():.6f},{rng.integers(0, 5)},{rng.choice(['red', 'blue'])}" for _ in range(800)
    ]
    train.write_text("x,n,colour\n" + "\n".join(rows) + "\n")
    build_baseline(str(train), str(tmp_path / "baseline"), header=True)
    hour = tmp_path / "capture" / "2026" / "11" / "23" / "15"
    hour.mkdir(parents=True)
    lines = [
        csv_record(
            [[f"{rng.normal(1.0):.6f}", int(rng.integers(0, 5)), "green"]],
            when=f"2026-11-23T15:{i % 60:02d}:00Z",
        )
        for i in range(300)
    ]
    (hour / "a.jsonl").write_text("\n".join([*lines, "oops", csv_record([[1, 2]])]) + "\n")
    return tmp_path


def run(ws, out="out", window=WINDOW, **kw):
    return run_monitor(
        str(ws / "capture"),
        str(ws / "baseline" / "statistics.json"),
        str(ws / "baseline" / "constraints.json"),
        str(ws / out),
        window=window,
        **kw,
    )


def test_baseline_files_match_the_documented_schemas(workspace):
    validate(json.loads((workspace / "baseline" / "statistics.json").read_text()), "statistics")
    validate(json.loads((workspace / "baseline" / "constraints.json").read_text()), "constraints")


def test_run_outputs_match_the_documented_schemas(workspace):
    result = run(workspace)
    out = workspace / "out"
    validate(json.loads((out / "statistics.json").read_text()), "statistics")
    violations = json.loads((out / "constraint_violations.json").read_text())
    validate(violations, "constraint_violations")
    checks = {(v["feature_name"], v["constraint_check_type"]) for v in violations["violations"]}
    assert ("x", "baseline_drift_check") in checks
    assert ("colour", "categorical_values_check") in checks
    assert ("colour", "missing_column_check") in checks  # rows of 2 columns lack the 3rd
    assert result.summary["malformed"] == {"invalid_json": 1, "too_few_columns": 1}
    assert result.summary["rows_analysed"] == 300


def test_report_is_self_contained_html(workspace):
    run(workspace)
    html = (workspace / "out" / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "<svg" in html and "colour" in html and "baseline_drift_check" in html
    assert "http://" not in html and "https://" not in html and "<script" not in html


def test_report_counts_malformed_input_per_kind(workspace):
    run(workspace)
    html = (workspace / "out" / "report.html").read_text()
    assert "<h2>Malformed input (2)</h2>" in html
    assert "<tr><td>invalid_json</td><td class='n'>1</td>" in html
    assert "<tr><td>too_few_columns</td><td class='n'>1</td>" in html
    assert "not evaluated" not in html


def test_report_of_a_skipped_window_says_it_is_not_a_clean_result(workspace):
    run(workspace, min_records=1000)
    html = (workspace / "out" / "report.html").read_text()
    assert "Drift: not evaluated \u2014 insufficient data" in html
    assert "300 rows analysed, fewer than the 1000 required" in html
    assert "this is not a \u201cno drift\u201d result" in html


def test_rerunning_a_window_writes_identical_bytes(workspace):
    run(workspace, "first")
    run(workspace, "second")
    for name in (
        "statistics.json",
        "constraint_violations.json",
        "report.html",
        "driftgate_summary.json",
    ):
        first = (workspace / "first" / name).read_bytes()
        second = (workspace / "second" / name).read_bytes().replace(b"second", b"first")
        assert first == second, name


def test_too_small_window_is_skipped_not_no_drift(workspace):
    result = run(workspace, min_records=1000)
    assert result.status == "insufficient_data"
    assert result.violations == []
    summary = json.loads((workspace / "out" / "driftgate_summary.json").read_text())
    assert summary["status"] == "insufficient_data"


def test_empty_window_is_skipped(workspace):
    empty = Window(parse_time("2026-11-20T15:00:00Z"), parse_time("2026-11-20T16:00:00Z"))
    result = run(workspace, window=empty)
    assert result.status == "insufficient_data"
    assert result.profile.rows == 0
    assert result.summary["files"] == 0


# A baseline in the shape Model Monitor writes: a multi-level KLL sketch (level i items
# weigh 2**i), 10 buckets, the full monitoring_config.
MODEL_MONITOR_STATISTICS = {
    "version": 0,
    "dataset": {"item_count": 12},
    "features": [
        {
            "name": "_c0",
            "inferred_type": "Fractional",
            "numerical_statistics": {
                "common": {"num_present": 12, "num_missing": 0},
                "mean": 5.5,
                "sum": 66.0,
                "std_dev": 3.0,
                "min": 0.0,
                "max": 11.0,
                "distribution": {
                    "kll": {
                        "buckets": [
                            {
                                "lower_bound": 0.0 + 1.1 * i,
                                "upper_bound": 1.1 * (i + 1),
                                "count": 1.2,
                            }
                            for i in range(10)
                        ],
                        "sketch": {
                            "parameters": {"c": 0.64, "k": 2048.0},
                            "data": [[0.0, 1.0, 2.0, 3.0], [5.0, 7.0], [9.5]],
                        },
                    }
                },
            },
        },
        {
            "name": "_c1",
            "inferred_type": "String",
            "string_statistics": {
                "common": {"num_present": 12, "num_missing": 0},
                "distinct_count": 2.0,
                "distribution": {
                    "categorical": {
                        "buckets": [{"value": "a", "count": 9}, {"value": "b", "count": 3}]
                    }
                },
            },
        },
    ],
}
MODEL_MONITOR_CONSTRAINTS = {
    "version": 0.0,
    "features": [
        {
            "name": "_c0",
            "inferred_type": "Fractional",
            "completeness": 1.0,
            "num_constraints": {"is_non_negative": True},
        },
        {
            "name": "_c1",
            "inferred_type": "String",
            "completeness": 1.0,
            "string_constraints": {"domains": ["a", "b"]},
        },
    ],
    "monitoring_config": {
        "evaluate_constraints": "Enabled",
        "emit_metrics": "Enabled",
        "datatype_check_threshold": 1.0,
        "domain_content_threshold": 1.0,
        "distribution_constraints": {
            "perform_comparison": "Enabled",
            "comparison_threshold": 0.1,
            "comparison_method": "Robust",
            "categorical_comparison_threshold": 0.1,
            "categorical_drift_method": "LInfinity",
        },
    },
}


def test_model_monitor_baseline_is_read_with_kll_weights():
    validate(MODEL_MONITOR_STATISTICS, "statistics")
    base = load_baseline(MODEL_MONITOR_STATISTICS, MODEL_MONITOR_CONSTRAINTS)
    x, s = base.features
    # weights: 0,1,2,3 -> 1 each; 5,7 -> 2 each; 9.5 -> 4; total 12
    cdf = dict(zip(x.edges.tolist(), np.cumsum(x.bin_probs)[:-1].tolist(), strict=True))
    assert cdf[3.0] == pytest.approx(4 / 12)
    assert cdf[7.0] == pytest.approx(8 / 12)
    assert s.category_probs == {"a": 0.75, "b": 0.25}
    assert s.domains == ["a", "b"]
    assert base.config.comparison_method == "Robust"


def test_window_of_only_wrong_width_rows_is_a_schema_violation_not_insufficient(workspace):
    hour = workspace / "capture" / "2026" / "11" / "23" / "15"
    lines = [csv_record([[0.5, 1, "red", 9.9]]) for _ in range(20)]
    (hour / "a.jsonl").write_text("\n".join(lines) + "\n")
    result = run(workspace, min_records=10)
    assert result.status == "completed"
    assert [v["constraint_check_type"] for v in result.violations] == ["extra_column_check"]
    assert result.summary["malformed"] == {"too_many_columns": 20}


def ask_for_chi_squared(ws):
    path = ws / "baseline" / "constraints.json"
    constraints = json.loads(path.read_text())
    colour = next(f for f in constraints["features"] if f["name"] == "colour")
    colour["monitoringConfigOverrides"] = {
        "distribution_constraints": {"categorical_drift_method": "ChiSquared"}
    }
    path.write_text(json.dumps(constraints))


CHI_WARNING = "feature colour: categorical_drift_method ChiSquared is not supported; LInfinity used"


def test_substituted_method_is_in_the_summary_file_and_the_report(workspace):
    ask_for_chi_squared(workspace)
    result = run(workspace)
    summary = json.loads((workspace / "out" / "driftgate_summary.json").read_text())
    assert summary["warnings"] == result.summary["warnings"] == [CHI_WARNING]
    html = (workspace / "out" / "report.html").read_text()
    start = html.index('<div class="warn"')
    box = html[start : html.index("</div>", start)]
    assert "Warnings (1)" in box and CHI_WARNING in box
    assert html.index('<div class="warn"') < html.index("<table")  # above the tables


def test_warning_is_written_even_when_the_window_is_skipped(workspace):
    ask_for_chi_squared(workspace)
    result = run(workspace, min_records=10_000)
    assert result.status == "insufficient_data"
    assert result.summary["warnings"] == [CHI_WARNING]


def test_a_baseline_honoured_as_asked_shows_no_warning(workspace):
    result = run(workspace)
    assert result.summary["warnings"] == []
    assert 'class="warn"' not in (workspace / "out" / "report.html").read_text()


def test_phases_time_each_step_of_a_run_under_its_own_name(workspace, monkeypatch):
    """A fake clock that only the steps move: each phase gets exactly its step's time."""
    import drift_monitor.monitor as monitor

    clock = [0.0]
    monkeypatch.setattr(monitor.time, "perf_counter", lambda: clock[0])

    def advancing(name, seconds):
        real = getattr(monitor, name)

        def step(*args, **kwargs):
            clock[0] += seconds
            return real(*args, **kwargs)

        monkeypatch.setattr(monitor, name, step)

    for name, seconds in [
        ("load_baseline_files", 1),
        ("capture_files", 2),
        ("profile_window", 4),
        ("evaluate", 8),
        ("render_report", 16),
        ("_write_files", 32),
    ]:
        advancing(name, seconds)
    phases = {}
    result = run(workspace, phases=phases)
    assert phases == {
        "baseline_s": 1,
        "list_s": 2,
        "parse_s": 4,
        "evaluate_s": 8,
        "report_s": 16,
        "outputs_s": 32,
    }
    assert result.profile.rows == 300  # the timed run is a whole run
    assert (workspace / "out" / "report.html").exists()


def test_a_run_without_outputs_times_no_report_and_no_writes(workspace):
    phases = {}
    run_monitor(
        str(workspace / "capture"),
        str(workspace / "baseline" / "statistics.json"),
        str(workspace / "baseline" / "constraints.json"),
        None,
        window=WINDOW,
        phases=phases,
    )
    assert sorted(phases) == ["baseline_s", "evaluate_s", "list_s", "parse_s"]
    assert all(seconds >= 0 for seconds in phases.values())


def test_statistics_json_is_one_compact_line_ending_in_a_newline(workspace):
    run(workspace)
    data = (workspace / "out" / "statistics.json").read_bytes()
    assert data.endswith(b"}\n")
    assert data.count(b"\n") == 1  # compact: thousands of sketch items on one line
    assert json.loads(data)["dataset"]["item_count"] == 300
