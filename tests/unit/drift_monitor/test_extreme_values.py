"""Values near the ends of the float range (a broken client, a unit error) are data, not
a crash: the run completes, statistics.json holds only finite numbers and stays valid,
and every coordinate the report draws is finite."""

import json
import re
import sys

import numpy as np
import pytest
from dm_helpers import csv_record
from test_outputs import run, validate, workspace  # noqa: F401 (the fixture)

from drift_monitor.accumulators import NumericAccumulator
from drift_monitor.columns import numeric_array

HUGE = ["1e308", "-1e308", "1.7e308", "1e200", "-3e160", "5e-324"]


def test_a_window_of_huge_values_runs_and_writes_finite_outputs(workspace):  # noqa: F811
    hour = workspace / "capture" / "2026" / "11" / "23" / "15"
    lines = [
        csv_record([[value, 2, "red"]], when=f"2026-11-23T15:{i:02d}:30Z")
        for i, value in enumerate(HUGE * 10)
    ]
    (hour / "b.jsonl").write_text("\n".join(lines) + "\n")
    result = run(workspace)
    assert result.status == "completed"
    text = (workspace / "out" / "statistics.json").read_text()
    assert not re.search(r"NaN|Infinity", text)
    statistics = json.loads(text)
    validate(statistics, "statistics")
    x = next(f for f in statistics["features"] if f["name"] == "x")["numerical_statistics"]
    assert x["max"] == 1.7e308 and x["min"] == -1e308
    assert x["std_dev"] == sys.float_info.max  # past the float range: the largest float
    html = (workspace / "out" / "report.html").read_text()
    drawn = re.findall(r' (?:d|x|y|points)="([^"]*)"', html)
    assert drawn and not any(re.search(r"nan|inf", value) for value in drawn)


def test_std_dev_of_squares_past_the_float_range_is_infinite_not_an_error():
    acc = NumericAccumulator(edges=np.array([0.0]))
    acc.add(numeric_array(np.array([1e200, 1e200, 3e200])))
    assert acc.std_dev == float("inf")
    small = NumericAccumulator(edges=np.array([0.0]))
    small.add(numeric_array(np.array([1.0, 2.0, 3.0])))
    assert abs(small.std_dev - (2 / 3) ** 0.5) < 1e-12


def test_a_sum_that_leaves_the_float_range_on_the_way_is_still_the_sum():
    from drift_monitor.accumulators import add_finite_columns, add_numeric_columns

    column = np.array([1.7e308, 1.7e308, -1.7e308, -1.6e308, 2.0] * 3)
    with np.errstate(over="ignore", invalid="ignore"):
        assert not np.isfinite(column.sum())  # what the plain float sum gives
    by_column = NumericAccumulator(edges=np.array([0.0]))
    add_numeric_columns([by_column], [column])
    by_matrix = NumericAccumulator(edges=np.array([0.0]))
    add_finite_columns([by_matrix], column[:, None])
    for acc in (by_column, by_matrix):
        assert acc.total.value == pytest.approx(3 * 0.1e308, rel=1e-12)
        assert acc.mean == pytest.approx(0.1e308 / 5, rel=1e-12)


def test_a_point_off_the_axis_is_drawn_at_its_end_by_both_mappings():
    from drift_monitor.report_svg import _Frame

    frame = _Frame(340, 170, -1.0, 1.0, 1.0)
    points = np.array([-1e308, -1.0, 0.0, 1.0, 1e308])
    assert [frame.x(float(v)) for v in points] == frame.xs(points)
    assert frame.x(1e308) == frame.x(1.0) and frame.x(-1e308) == frame.x(-1.0)
