import json

import numpy as np
import pytest
from dm_helpers import csv_record

from drift_monitor.baseline import build_baseline_from_columns
from drift_monitor.processing import main, run_processing
from drift_monitor.storage import Storage
from drift_monitor.window import Window, hour_prefixes, output_folder, parse_time


@pytest.fixture
def job(tmp_path, monkeypatch):
    rng = np.random.default_rng(6)
    stats, constraints = build_baseline_from_columns(
        ["x"], [[f"{v:.5f}" for v in rng.normal(size=500)]]
    )
    (tmp_path / "statistics.json").write_text(json.dumps(stats))
    (tmp_path / "constraints.json").write_text(json.dumps(constraints))
    for shard in ("s1", "s2"):
        hour = tmp_path / shard / "ep" / "AllTraffic" / "2026" / "11" / "23" / "15"
        hour.mkdir(parents=True)
        lines = [
            csv_record([[f"{rng.normal(2.0):.5f}"]], when=f"2026-11-23T15:{i:02d}:00Z")
            for i in range(60)
        ]
        (hour / f"{shard}.jsonl").write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("DRIFTGATE_SHARD_NAME", "algo-1")
    base_env = {
        "baseline_statistics": str(tmp_path / "statistics.json"),
        "baseline_constraints": str(tmp_path / "constraints.json"),
        "start_time": "2026-11-23T15:00:00Z",
        "end_time": "2026-11-23T16:00:00Z",
        "sagemaker_endpoint_name": "ep",
        "sagemaker_monitoring_schedule_name": "sched",
    }
    return tmp_path, base_env


def test_full_mode_reads_the_byoc_environment(job):
    root, env = job
    result = run_processing(
        {**env, "dataset_source": str(root), "output_path": str(root / "out")}, Storage(), None
    )
    assert result.summary["rows_analysed"] == 120
    assert result.summary["endpoint"] == "ep" and result.summary["schedule"] == "sched"
    assert json.loads((root / "out" / "constraint_violations.json").read_text())["violations"]
    html = (root / "out" / "report.html").read_text()
    assert (
        "2026-11-23 15:00 \u2013 16:00 UTC" in html
        and f"<td>{root / 'statistics.json'}</td>" in html
    )


def test_shard_then_merge_equals_full(job):
    root, env = job
    run_processing(
        {**env, "dataset_source": str(root), "output_path": str(root / "full")}, Storage(), None
    )
    for shard in ("s1", "s2"):
        shard_env = {
            **env,
            "driftgate_mode": "shard",
            "dataset_source": str(root / shard),
            "output_path": str(root / "states" / shard),
        }
        assert run_processing(shard_env, Storage(), None) is None
    merge_env = {
        **env,
        "driftgate_mode": "merge",
        "driftgate_state_source": str(root / "states"),
        "output_path": str(root / "merged"),
    }
    run_processing(merge_env, Storage(), None)
    for name in ("statistics.json", "constraint_violations.json"):
        assert (root / "full" / name).read_bytes() == (root / "merged" / name).read_bytes()


def test_unknown_mode_is_rejected(job):
    root, env = job
    with pytest.raises(ValueError, match="driftgate_mode"):
        run_processing(
            {**env, "driftgate_mode": "fast", "dataset_source": str(root)}, Storage(), None
        )


def test_unknown_comparison_method_is_printed_to_the_job_log(job, monkeypatch, capsys):
    root, env = job
    path = root / "constraints.json"
    constraints = json.loads(path.read_text())
    constraints["monitoring_config"]["distribution_constraints"]["comparison_method"] = "Exact"
    path.write_text(json.dumps(constraints))
    for key, value in {**env, "dataset_source": str(root), "output_path": str(root / "o")}.items():
        monkeypatch.setenv(key, value)
    assert main() == 0
    out, err = capsys.readouterr()
    warning = (
        "feature x: comparison_method 'Exact' is not recognised (Simple or Robust); Robust used"
    )
    assert f"driftgate warning: {warning}\n" in err
    assert json.loads(out)["warnings"] == [warning]


def test_hour_prefixes_include_the_hour_before_and_output_folder_is_the_end_hour():
    window = Window(parse_time("2026-11-23T15:45:00Z"), parse_time("2026-11-23T17:00:00Z"))
    assert hour_prefixes(window) == ["2026/11/23/14", "2026/11/23/15", "2026/11/23/16"]
    assert output_folder(window) == "2026/11/23/17"
    assert parse_time("2026-11-23T17:00:00+01:00") == parse_time("2026-11-23T16:00:00Z")


def test_the_package_builds_baselines_without_the_parsing_libraries(tmp_path):
    """The build pipeline runs build_baseline on a plain image: importing the package
    must not need msgspec or pyarrow (only capture parsing loads them)."""
    import subprocess
    import sys

    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,x\n2,y\n3,x\n")
    code = (
        "import sys; sys.modules['msgspec'] = None; sys.modules['pyarrow'] = None\n"
        "from drift_monitor import build_baseline\n"
        f"stats, constraints = build_baseline({str(data)!r}, header=True)\n"
        "print(len(constraints['features']))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"
