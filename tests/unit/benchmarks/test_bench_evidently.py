"""The Evidently side without Evidently: its verdict from snapshot metrics (shaped as
Evidently 0.7's ``Snapshot.dict()["metrics"]``) and its capture parsing (pandas, pinned in
requirements/dev.txt for these tests)."""

import warnings
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from benchmarks import tool_evidently
from benchmarks.capture_io import capture_files, input_rows
from scripts import capture_generator as gen

NAMES = list(gen.FEATURE_NAMES)
CATEGORICAL = [f.name for f in gen.FEATURES if not f.is_numeric]


def value_drift(column, value, method="Wasserstein distance (normed)", threshold=0.1):
    return {
        "id": f"drift-{column}",
        "metric_name": f"ValueDrift(column={column},method={method},threshold={threshold})",
        "config": {
            "type": "evidently:metric_v2:ValueDrift",
            "column": column,
            "method": method,
            "threshold": threshold,
        },
        "value": value,
    }


def count(share):
    return {
        "id": "count",
        "metric_name": "DriftedColumnsCount(drift_share=0.5)",
        "config": {"type": "evidently:metric_v2:DriftedColumnsCount", "drift_share": 0.5},
        "value": {"count": share * 20, "share": share},
    }


def test_a_distance_at_or_above_its_threshold_is_drift():
    out = tool_evidently.outcome(
        [
            count(0.1),
            value_drift("num_00", 0.1),
            value_drift("num_01", 0.0999),
            value_drift("cat_00", 0.5, "Jensen-Shannon distance"),
        ]
    )
    assert out["detected"] is True
    assert out["features"] == ["cat_00", "num_00"]
    assert out["methods"] == ["Jensen-Shannon distance", "Wasserstein distance (normed)"]
    assert out["dataset_drift"] is False


def test_a_p_value_below_its_threshold_is_drift_and_above_is_not():
    out = tool_evidently.outcome(
        [
            value_drift("num_00", 0.01, "K-S p_value", 0.05),
            value_drift("num_01", 0.5, "K-S p_value", 0.05),
            value_drift("cat_00", 0.04, "chi-square p_value", 0.05),
        ]
    )
    assert out["features"] == ["cat_00", "num_00"]


def test_no_drifted_column_is_no_detection_even_with_other_metrics():
    metrics = [count(0.0), value_drift("num_00", 0.02), {"metric_name": "RowCount()", "config": {}}]
    out = tool_evidently.outcome(metrics)
    assert out["detected"] is False
    assert out["features"] == []


def test_a_metric_without_value_or_threshold_counts_as_no_drift():
    out = tool_evidently.outcome(
        [value_drift("num_00", None), value_drift("num_01", 0.9, threshold=None)]
    )
    assert out["detected"] is False
    assert out["methods"] == ["Wasserstein distance (normed)"]


def test_dataset_drift_is_the_presets_half_share_and_kept_apart():
    assert tool_evidently.outcome([count(0.5)])["dataset_drift"] is True
    assert tool_evidently.outcome([count(0.45)])["dataset_drift"] is False
    assert tool_evidently.outcome([])["dataset_drift"] is False


def window_rows(tmp_path, kind, seed=11, rows=40):
    gen.write_window(
        tmp_path, "bench", datetime(2026, 11, 23, 10, tzinfo=UTC), rows, seed, gen.DriftSpec(kind)
    )
    frame, applied = gen.window_frame(rows, seed, gen.DriftSpec(kind))
    return [r for p in capture_files(tmp_path) for r in input_rows(p)], frame, applied


@pytest.mark.parametrize("kind", ["none", "new_category", "missing_values", "variance_change"])
def test_the_frame_holds_the_generated_rows_and_columns(tmp_path, kind):
    rows, frame, _ = window_rows(tmp_path, kind)
    parsed = tool_evidently.capture_frame(rows, NAMES, CATEGORICAL)
    assert list(parsed.columns) == NAMES
    assert len(parsed) == 40
    for name, expected in frame.items():
        got = parsed[name]
        if name in CATEGORICAL:
            text = ["" if pd.isna(v) else v for v in got.tolist()]
            assert text == expected.astype(str).tolist()
        else:
            np.testing.assert_allclose(got.to_numpy(float), np.round(expected, 4), equal_nan=True)


def test_a_dropped_column_leaves_the_last_one_empty(tmp_path):
    rows, _, _ = window_rows(tmp_path, "schema_drop")
    parsed = tool_evidently.capture_frame(rows, NAMES, CATEGORICAL)
    assert parsed.shape == (40, 20)
    assert parsed[NAMES[-1]].isna().all()


def test_an_added_column_is_dropped_with_a_warning(tmp_path):
    rows, _, _ = window_rows(tmp_path, "schema_add")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parsed = tool_evidently.capture_frame(rows, NAMES, CATEGORICAL)
    assert parsed.shape == (40, 20)
    assert any(issubclass(w.category, pd.errors.ParserWarning) for w in caught)


def test_categorical_columns_stay_text_even_when_they_look_like_numbers():
    parsed = tool_evidently.capture_frame(["1.5,01", "2.5,2"], ["x", "code"], ["code"])
    assert parsed["code"].tolist() == ["01", "2"]
    assert parsed["x"].tolist() == [1.5, 2.5]
