import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from scripts import capture_generator as gen

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PATH_PATTERN = re.compile(
    r"ep/AllTraffic/\d{4}/\d{2}/\d{2}/\d{2}/\d{2}-\d{2}-\d{3}-[0-9a-f-]{36}\.jsonl$"
)


def read_records(paths: list[Path]) -> list[dict]:
    return [json.loads(line) for p in paths for line in p.read_text().splitlines()]


def payload_rows(records: list[dict]) -> list[list[str]]:
    rows = []
    for record in records:
        for line in record["captureData"]["endpointInput"]["data"].split("\n"):
            rows.append(line.split(","))
    return rows


def test_feature_set_is_twenty_columns_with_four_categorical():
    assert len(gen.FEATURES) == 20
    assert sum(not f.is_numeric for f in gen.FEATURES) == 4
    assert len(set(gen.FEATURE_NAMES)) == 20


def test_window_records_follow_the_capture_format(tmp_path):
    paths, applied = gen.write_window(tmp_path, "ep", START, 500, seed=7)
    assert applied.kind == "none"
    records = read_records(paths)
    assert len(records) == 500
    for path in paths:
        assert PATH_PATTERN.search(path.as_posix())
    first = records[0]
    assert first["eventVersion"] == "0"
    assert first["captureData"]["endpointInput"] == {
        "observedContentType": "text/csv",
        "mode": "INPUT",
        "data": first["captureData"]["endpointInput"]["data"],
        "encoding": "CSV",
    }
    assert first["captureData"]["endpointOutput"]["mode"] == "OUTPUT"
    ids = {r["eventMetadata"]["eventId"] for r in records}
    assert len(ids) == 500
    times = [
        datetime.fromisoformat(r["eventMetadata"]["inferenceTime"].replace("Z", "+00:00"))
        for r in records
    ]
    assert all(START <= t < START + timedelta(hours=1) for t in times)
    assert all(len(row) == 20 for row in payload_rows(records))


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a, _ = gen.write_window(tmp_path / "a", "ep", START, 300, seed=3)
    b, _ = gen.write_window(tmp_path / "b", "ep", START, 300, seed=3)
    c, _ = gen.write_window(tmp_path / "c", "ep", START, 300, seed=4)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert payload_rows(read_records(a)) != payload_rows(read_records(c))


def test_several_rows_per_request(tmp_path):
    paths, _ = gen.write_window(tmp_path, "ep", START, 10, seed=1, rows_per_request=3)
    records = read_records(paths)
    assert len(records) == 4
    assert [len(r["captureData"]["endpointInput"]["data"].split("\n")) for r in records] == [
        3,
        3,
        3,
        1,
    ]
    outputs = records[0]["captureData"]["endpointOutput"]["data"].split("\n")
    assert len(outputs) == 3


def test_window_over_an_hour_boundary_splits_folders_and_files(tmp_path):
    start = START + timedelta(minutes=30)
    paths, _ = gen.write_window(tmp_path, "ep", start, 1000, seed=2, records_per_file=200)
    hours = {p.parent.name for p in paths}
    assert hours == {"10", "11"}
    assert all(len(p.read_text().splitlines()) <= 200 for p in paths)
    assert len(read_records(paths)) == 1000


def column(frame: gen.Frame, name: str) -> np.ndarray:
    return frame[name]


def test_mean_shift_moves_one_numeric_feature():
    base, _ = gen.window_frame(20_000, seed=5)
    drifted, applied = gen.window_frame(20_000, seed=5, drift=gen.DriftSpec("mean_shift"))
    name = applied.feature
    assert name is not None and name.startswith("num_")
    shift = drifted[name].mean() - base[name].mean()
    assert shift == pytest.approx(0.5 * base[name].std(), rel=0.01)
    others = [n for n in gen.FEATURE_NAMES if n != name]
    assert all(np.array_equal(base[n], drifted[n]) for n in others)


def test_variance_change_scales_spread():
    base, _ = gen.window_frame(20_000, seed=6)
    drift = gen.DriftSpec("variance_change", "num_00", 2.0)
    drifted, _ = gen.window_frame(20_000, seed=6, drift=drift)
    assert drifted["num_00"].std() == pytest.approx(2 * base["num_00"].std(), rel=0.01)
    assert drifted["num_00"].mean() == pytest.approx(base["num_00"].mean(), abs=0.01)


@pytest.mark.parametrize("kind", ["mean_shift", "variance_change"])
def test_drifted_counts_stay_whole_numbers(kind):
    count = next(f.name for f in gen.FEATURES if f.kind == "count")
    drifted, _ = gen.window_frame(5_000, seed=3, drift=gen.DriftSpec(kind, count))
    assert np.array_equal(drifted[count], np.round(drifted[count]))
    assert "." not in gen.csv_rows({count: drifted[count]})[0]


def test_new_category_appears_in_a_categorical_feature():
    drifted, applied = gen.window_frame(10_000, seed=8, drift=gen.DriftSpec("new_category"))
    assert applied.feature is not None and applied.feature.startswith("cat_")
    share = np.mean(drifted[applied.feature] == gen.NEW_CATEGORY)
    assert 0.17 < share < 0.23


def test_missing_values_become_empty_csv_fields(tmp_path):
    drift = gen.DriftSpec("missing_values", "num_01", 0.3)
    paths, _ = gen.write_window(tmp_path, "ep", START, 2000, seed=9, drift=drift)
    position = gen.FEATURE_NAMES.index("num_01")
    rows = payload_rows(read_records(paths))
    empty = sum(row[position] == "" for row in rows) / len(rows)
    assert 0.26 < empty < 0.34
    other = gen.FEATURE_NAMES.index("num_02")
    assert all(row[other] != "" for row in rows)


def test_schema_changes_change_the_field_count(tmp_path):
    dropped, applied = gen.write_window(
        tmp_path / "d", "ep", START, 50, seed=1, drift=gen.DriftSpec("schema_drop")
    )
    assert applied.feature in gen.FEATURE_NAMES
    assert {len(r) for r in payload_rows(read_records(dropped))} == {19}
    added, _ = gen.write_window(
        tmp_path / "a", "ep", START, 50, seed=1, drift=gen.DriftSpec("schema_add", "cat_00")
    )
    rows = payload_rows(read_records(added))
    assert {len(r) for r in rows} == {21}
    frame, _ = gen.window_frame(50, seed=1, drift=gen.DriftSpec("schema_add", "cat_00"))
    assert list(frame).index(gen.ADDED_COLUMN) == gen.FEATURE_NAMES.index("cat_00")


def test_integral_columns_are_written_without_decimals():
    frame = {"n": np.array([1.0, 2.0, np.nan]), "f": np.array([1.5, -0.25, 3.0])}
    assert gen.csv_rows(frame) == ["1,1.5000", "2,-0.2500", ",3.0000"]


def test_reference_csv_has_header_and_rows(tmp_path):
    path = gen.write_reference_csv(tmp_path / "ref.csv", gen.reference_frame(100, seed=1))
    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(gen.FEATURE_NAMES)
    assert len(lines) == 101
    assert all(len(line.split(",")) == 20 for line in lines[1:])


@pytest.mark.parametrize(
    ("drift", "message"),
    [
        (lambda: gen.DriftSpec("bogus"), "unknown drift kind"),
        (lambda: gen.DriftSpec("mean_shift", "nope"), "unknown feature"),
        (lambda: gen.window_frame(10, 1, gen.DriftSpec("mean_shift", "cat_00")), "numeric"),
        (lambda: gen.window_frame(10, 1, gen.DriftSpec("new_category", "num_00")), "categorical"),
        (lambda: gen.reference_frame(0, 1), "positive"),
        (lambda: gen.write_window(Path("x"), "ep", START.replace(tzinfo=None), 1, 1), "aware"),
        (lambda: gen.write_window(Path("x"), "ep", START, 1, 1, rows_per_request=0), "positive"),
    ],
)
def test_invalid_requests_are_refused(drift, message):
    with pytest.raises(ValueError, match=message):
        drift()


def test_drift_spec_parse():
    spec = gen.DriftSpec.parse("variance_change:num_03:1.5")
    assert spec == gen.DriftSpec("variance_change", "num_03", 1.5)
    assert gen.DriftSpec.parse("none") == gen.DriftSpec()


def test_cli_writes_reference_and_window(tmp_path, capsys):
    ref = tmp_path / "ref.csv"
    assert gen.main(["reference", "--out", str(ref), "--rows", "20", "--seed", "1"]) == 0
    assert len(ref.read_text().splitlines()) == 21
    capsys.readouterr()
    args = ["window", "--root", str(tmp_path / "cap"), "--endpoint", "ep"]
    args += ["--start", "2026-11-23T10:00:00Z", "--rows", "30", "--drift", "mean_shift:num_02"]
    assert gen.main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["drift"] == {"kind": "mean_shift", "feature": "num_02", "magnitude": 0.5}
    assert len(read_records([Path(p) for p in out["files"]])) == 30


def test_cli_rejects_unknown_drift(tmp_path):
    args = ["window", "--root", str(tmp_path), "--endpoint", "ep"]
    args += ["--start", "2026-11-23T10:00:00Z", "--drift", "bogus"]
    with pytest.raises(SystemExit):
        gen.main(args)
