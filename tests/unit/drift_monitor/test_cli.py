import json

import numpy as np
import pytest
from dm_helpers import csv_record

from drift_monitor.cli import _Progress, main


@pytest.fixture
def ws(tmp_path):
    rng = np.random.default_rng(8)
    (tmp_path / "train.csv").write_text(
        "\n".join(f"{rng.normal():.5f},{i % 3}" for i in range(600)) + "\n"
    )
    for part, shift in (("a", 1.0), ("b", 1.0), ("c", 1.0)):
        hour = tmp_path / "capture" / "2026" / "11" / "23" / "15"
        hour.mkdir(parents=True, exist_ok=True)
        lines = [csv_record([[f"{rng.normal(shift):.5f}", i % 3]]) for i in range(100)]
        (hour / f"{part}.jsonl").write_text("\n".join(lines) + "\n")
    return tmp_path


def baseline_args(ws):
    return [
        "--baseline-statistics",
        str(ws / "base" / "statistics.json"),
        "--baseline-constraints",
        str(ws / "base" / "constraints.json"),
    ]


def test_baseline_then_run(ws, capsys):
    assert (
        main(["baseline", "--input", str(ws / "train.csv"), "--output-dir", str(ws / "base")]) == 0
    )
    constraints = json.loads((ws / "base" / "constraints.json").read_text())
    assert [f["name"] for f in constraints["features"]] == ["_c0", "_c1"]
    code = main(
        [
            "run",
            "--capture",
            str(ws / "capture"),
            *baseline_args(ws),
            "--output",
            str(ws / "out"),
            "--start",
            "2026-11-23T15:00:00Z",
            "--end",
            "2026-11-23T16:00:00Z",
            "--fail-on-violations",
        ]
    )
    assert code == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["rows_analysed"] == 300
    assert "read 3/3 files, 300 rows" in err
    assert (ws / "out" / "report.html").exists()


def test_cli_report_names_the_model_package_and_the_capture_read(ws, capsys):
    main(["baseline", "--input", str(ws / "train.csv"), "--output-dir", str(ws / "base")])
    args = ["run", "--capture", str(ws / "capture"), *baseline_args(ws), "--output"]
    main([*args, str(ws / "out"), "--model-package-version", "3"])
    html = (ws / "out" / "report.html").read_text()
    assert f"not given: every capture file under {ws / 'capture'}" in html
    assert "<td>version 3</td>" in html and "None" not in html
    assert str(ws / "base" / "statistics.json") in html


def test_state_only_shards_then_merge_equal_the_whole(ws, capsys):
    main(["baseline", "--input", str(ws / "train.csv"), "--output-dir", str(ws / "base")])
    hour = ws / "capture" / "2026" / "11" / "23" / "15"
    main(
        ["run", "--capture", str(ws / "capture"), *baseline_args(ws), "--output", str(ws / "whole")]
    )
    for part in ("a", "b", "c"):
        assert (
            main(
                [
                    "run",
                    "--capture",
                    str(hour / f"{part}.jsonl"),
                    *baseline_args(ws),
                    "--state-only",
                    "--output",
                    str(ws / "states" / f"{part}.json"),
                ]
            )
            == 0
        )
    assert (
        main(
            [
                "merge",
                "--state",
                str(ws / "states"),
                *baseline_args(ws),
                "--output",
                str(ws / "merged"),
            ]
        )
        == 0
    )
    for name in ("statistics.json", "constraint_violations.json"):
        assert (ws / "whole" / name).read_bytes() == (ws / "merged" / name).read_bytes()


def _run(stats, constraints, *extra):
    return [
        "run",
        "--capture",
        ".",
        "--baseline-statistics",
        stats,
        "--baseline-constraints",
        constraints,
        "--output",
        "o",
        *extra,
    ]


GOOD_S, GOOD_C = "base/statistics.json", "base/constraints.json"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["baseline", "--input", "nope.csv", "--output-dir", "x"], "cannot read nope.csv"),
        (_run("BAD", GOOD_C), "BAD is not valid JSON"),
        (_run(GOOD_S, "missing.json"), "cannot read missing.json"),
        (_run(GOOD_S, GOOD_C, "--start", "2026-11-23T15:00:00Z"), "both --start and --end"),
        (_run(GOOD_S, GOOD_C, "--start", "2026-11-23T15:00:00Z", "--end", "noon"), "bad time"),
        (
            [
                "merge",
                "--state",
                "STATE",
                "--baseline-statistics",
                GOOD_S,
                "--baseline-constraints",
                GOOD_C,
                "--output",
                "o",
            ],
            "bad state file STATE",
        ),
        (
            [
                "merge",
                "--state",
                "empty",
                "--baseline-statistics",
                GOOD_S,
                "--baseline-constraints",
                GOOD_C,
                "--output",
                "o",
            ],
            "no state files",
        ),
    ],
)
def test_clear_errors_exit_2(ws, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(ws)
    main(["baseline", "--input", "train.csv", "--output-dir", "base"])
    (ws / "BAD").write_text("{not json")
    (ws / "STATE").write_text('{"driftgate_window_state": 99}')
    (ws / "empty").mkdir()
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("driftgate-monitor: error:")
    assert message in err


def test_s3_uris_end_to_end(ws, monkeypatch, capsys):
    import boto3
    from moto import mock_aws

    for key, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="cli-bucket")
        s3.upload_file(str(ws / "train.csv"), "cli-bucket", "train.csv")
        for path in (ws / "capture").rglob("*.jsonl"):
            s3.upload_file(
                str(path),
                "cli-bucket",
                "capture/ep/AllTraffic/" + str(path.relative_to(ws / "capture")),
            )
        assert (
            main(
                [
                    "baseline",
                    "--input",
                    "s3://cli-bucket/train.csv",
                    "--output-dir",
                    "s3://cli-bucket/base",
                ]
            )
            == 0
        )
        code = main(
            [
                "run",
                "--capture",
                "s3://cli-bucket/capture/ep/AllTraffic",
                "--baseline-statistics",
                "s3://cli-bucket/base/statistics.json",
                "--baseline-constraints",
                "s3://cli-bucket/base/constraints.json",
                "--output",
                "s3://cli-bucket/out",
                "--start",
                "2026-11-23T15:00:00Z",
                "--end",
                "2026-11-23T16:00:00Z",
                "--endpoint",
                "ep",
                "--schedule",
                "sched",
                "--publish",
            ]
        )
        assert code == 0
        keys = {
            o["Key"] for o in s3.list_objects_v2(Bucket="cli-bucket", Prefix="out/")["Contents"]
        }
        assert "out/constraint_violations.json" in keys
        metrics = boto3.client("cloudwatch").list_metrics(
            Namespace="driftgate/Endpoints/data-metrics"
        )
        assert any(m["MetricName"] == "feature_baseline_drift__c0" for m in metrics["Metrics"])
        assert (
            main(
                [
                    "run",
                    "--capture",
                    "s3://cli-bucket/capture",
                    "--baseline-statistics",
                    "s3://cli-bucket/nope.json",
                    "--baseline-constraints",
                    "s3://cli-bucket/base/constraints.json",
                    "--output",
                    "o",
                ]
            )
            == 2
        )
        assert "no such object: s3://cli-bucket/nope.json" in capsys.readouterr().err


def test_substituted_method_is_printed_to_stderr(ws, capsys):
    main(["baseline", "--input", str(ws / "train.csv"), "--output-dir", str(ws / "base")])
    path = ws / "base" / "constraints.json"
    constraints = json.loads(path.read_text())
    constraints["monitoring_config"]["distribution_constraints"]["comparison_method"] = "Fuzzy"
    path.write_text(json.dumps(constraints))
    capsys.readouterr()
    code = main(
        ["run", "--capture", str(ws / "capture"), *baseline_args(ws), "--output", str(ws / "out")]
    )
    assert code == 0
    out, err = capsys.readouterr()
    warning = (
        "features _c0, _c1: comparison_method 'Fuzzy' is not recognised (Simple or Robust); "
        "Robust used"
    )
    assert f"driftgate-monitor: warning: {warning}\n" in err
    assert json.loads(out)["warnings"] == [warning]


def test_progress_prints_at_most_every_two_seconds_and_always_the_end(capsys, monkeypatch):
    clock = iter([100.0, 100.5, 101.9, 102.1, 102.2, 102.3])
    monkeypatch.setattr("drift_monitor.cli.time.monotonic", lambda: next(clock))
    progress = _Progress()
    for done in range(1, 7):
        progress(done, 6, done * 10)
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "read 1/6 files, 10 rows",
        "read 4/6 files, 40 rows",
        "read 6/6 files, 60 rows",
    ]
