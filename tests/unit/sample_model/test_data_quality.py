"""The data-quality step: driftgate's baseline plus the skip_check / register_new_baseline
table, run on real sample data."""

import json

import data_quality
import pandas as pd
import pytest

from drift_monitor.storage import Storage
from scripts import capture_generator


def _env(skip, register, previous=None):
    env = {
        "DRIFTGATE_SKIP_CHECK": skip,
        "DRIFTGATE_REGISTER_NEW_BASELINE": register,
    }
    if previous is not None:
        env["DRIFTGATE_PREVIOUS_STATISTICS_URI"] = str(previous / "statistics.json")
        env["DRIFTGATE_PREVIOUS_CONSTRAINTS_URI"] = str(previous / "constraints.json")
    return env


def _read(folder):
    return tuple(json.loads((folder / name).read_text()) for name in data_quality.FILES)


@pytest.fixture(scope="module")
def previous(prepared, tmp_path_factory):
    """A baseline from an earlier run: the same distribution, other (more) rows."""
    out = tmp_path_factory.mktemp("previous-run")
    data = tmp_path_factory.mktemp("previous-data")
    frame = capture_generator.reference_frame(20_000, seed=5)
    capture_generator.write_reference_csv(data / "baseline.csv", frame)
    data_quality.run(_env("true", "true"), data, out, Storage())
    return out / "baseline"


@pytest.fixture
def drifted(prepared, tmp_path):
    frame = pd.read_csv(prepared / "baseline" / "baseline.csv")
    frame["num_00"] = frame["num_00"] + 3 * frame["num_00"].std()
    folder = tmp_path / "drifted"
    folder.mkdir()
    frame.to_csv(folder / "baseline.csv", index=False)
    return folder


@pytest.mark.parametrize(
    ("skip", "register", "checked", "registered"),
    [
        ("false", "false", True, "previous"),
        ("false", "true", True, "new"),
        ("true", "false", False, "previous"),
        ("true", "true", False, "new"),
    ],
)
def test_the_four_combinations(prepared, previous, tmp_path, skip, register, checked, registered):
    summary = data_quality.run(
        _env(skip, register, previous), prepared / "baseline", tmp_path, Storage()
    )
    assert summary["checked"] is checked
    assert summary["violations"] == 0
    new = _read(tmp_path / "baseline")
    chosen = _read(tmp_path / "drift_check")
    assert chosen == (new if registered == "new" else _read(previous))
    assert new != _read(previous)  # computed from other rows: the comparison can fail
    assert new[0]["dataset"]["item_count"] == 2100
    assert [f["name"] for f in new[1]["features"]][:2] == ["num_00", "num_01"]


def test_initial_run_needs_no_previous_baseline(prepared, tmp_path):
    summary = data_quality.run(_env("true", "true"), prepared / "baseline", tmp_path, Storage())
    assert summary["drift_check_baseline"] == "new"
    assert _read(tmp_path / "drift_check") == _read(tmp_path / "baseline")


@pytest.mark.parametrize(("skip", "register"), [("false", "true"), ("true", "false")])
def test_flags_that_need_a_previous_baseline_refuse_to_run_without_one(
    prepared, tmp_path, skip, register
):
    with pytest.raises(data_quality.CheckConfigError, match="first run of an empty model"):
        data_quality.run(_env(skip, register), prepared / "baseline", tmp_path, Storage())


@pytest.mark.parametrize("value", ["", "yes", "True1"])
def test_a_flag_must_be_true_or_false(prepared, tmp_path, value):
    with pytest.raises(data_quality.CheckConfigError, match="DRIFTGATE_SKIP_CHECK must be"):
        data_quality.run(_env(value, "true"), prepared / "baseline", tmp_path, Storage())


def test_one_previous_uri_without_the_other_is_refused(prepared, previous, tmp_path):
    env = _env("true", "true", previous)
    del env["DRIFTGATE_PREVIOUS_CONSTRAINTS_URI"]
    with pytest.raises(data_quality.CheckConfigError, match="both previous baseline URIs"):
        data_quality.run(env, prepared / "baseline", tmp_path, Storage())


def test_drifted_data_fails_the_check_with_a_readable_report(drifted, previous, tmp_path):
    with pytest.raises(data_quality.DriftDetected) as caught:
        data_quality.run(_env("false", "true", previous), drifted, tmp_path, Storage())
    report = str(caught.value)
    assert report.startswith("drift check failed:")
    assert "- num_00:" in report and "SkipCheck=true" in report
    written = json.loads((tmp_path / "check" / "constraint_violations.json").read_text())
    assert {v["feature_name"] for v in written["violations"]} == {"num_00"}


def test_drifted_data_passes_when_the_check_is_skipped(drifted, previous, tmp_path):
    summary = data_quality.run(_env("true", "true", previous), drifted, tmp_path, Storage())
    assert summary["violations"] == 0
    mean = _read(tmp_path / "drift_check")[0]["features"][0]["numerical_statistics"]["mean"]
    assert mean > _read(previous)[0]["features"][0]["numerical_statistics"]["mean"]


def test_a_dataset_with_other_columns_is_a_schema_violation(prepared, previous, tmp_path):
    frame = pd.read_csv(prepared / "baseline" / "baseline.csv").drop(columns=["num_05"])
    folder = tmp_path / "in"
    folder.mkdir()
    frame.to_csv(folder / "baseline.csv", index=False)
    with pytest.raises(data_quality.DriftDetected, match="schema_check"):
        data_quality.run(_env("false", "true", previous), folder, tmp_path / "out", Storage())


def test_main_writes_the_exit_message_and_exits_1(drifted, previous, tmp_path, monkeypatch):
    message = tmp_path / "output" / "message"
    message.parent.mkdir()
    for name, value in _env("false", "true", previous).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DRIFTGATE_EXIT_MESSAGE_PATH", str(message))
    assert data_quality.main(["--input", str(drifted), "--output", str(tmp_path / "out")]) == 1
    assert message.read_text().startswith("drift check failed")
    assert len(message.read_bytes()) <= 1024


def test_missing_input_is_reported_by_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no \.csv file"):
        data_quality.run(_env("true", "true"), tmp_path, tmp_path / "out", Storage())


def test_several_input_files_are_one_dataset(prepared, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    frame = pd.read_csv(prepared / "baseline" / "baseline.csv")
    for index, start in enumerate(range(0, len(frame), 800)):
        frame.iloc[start : start + 800].to_csv(folder / f"part-{index}.csv", index=False)
    data_quality.run(_env("true", "true"), folder, tmp_path / "out", Storage())
    assert _read(tmp_path / "out" / "baseline")[0]["dataset"]["item_count"] == len(frame)
