"""Capture parsing shared by the floor and the Evidently side: it must hand each tool
the rows and columns the generator wrote, and fail loudly on what it cannot read."""

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from benchmarks import capture_io
from scripts import capture_generator as gen

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
NUMERIC = [f.is_numeric for f in gen.FEATURES]


def written(tmp_path, kind="none", rows=60, seed=7, **options):
    """Capture files as the benchmark writes them, and the frame they were made from."""
    paths, _ = gen.write_window(
        tmp_path, "bench", START, rows, seed, gen.DriftSpec(kind), records_per_file=25, **options
    )
    frame, _ = gen.window_frame(rows, seed, gen.DriftSpec(kind))
    return paths, frame


def all_rows(root):
    return [row for path in capture_io.capture_files(root) for row in capture_io.input_rows(path)]


def test_capture_files_lists_every_file_in_write_order(tmp_path):
    paths, _ = written(tmp_path)
    assert len(paths) == 3  # 60 requests, 25 per file
    assert capture_io.capture_files(tmp_path) == paths


def test_input_rows_are_the_generated_rows_in_order(tmp_path):
    _, frame = written(tmp_path)
    assert all_rows(tmp_path) == gen.csv_rows(frame)


def test_input_rows_split_requests_that_carry_several_rows(tmp_path):
    paths, frame = written(tmp_path, rows=10, rows_per_request=3)
    assert len(paths[0].read_text().splitlines()) == 4  # ceil(10 / 3) requests
    assert all_rows(tmp_path) == gen.csv_rows(frame)


def test_blank_lines_are_skipped(tmp_path):
    paths, frame = written(tmp_path, rows=5)
    paths[0].write_text("\n" + paths[0].read_text() + "\n  \n")
    assert all_rows(tmp_path) == gen.csv_rows(frame)


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ('{"captureData": {"endpointInput": ', json.JSONDecodeError),
        ('{"eventVersion": "0"}', KeyError),
    ],
)
def test_a_malformed_line_fails_the_window_instead_of_dropping_rows(tmp_path, line, error):
    paths, _ = written(tmp_path, rows=5)
    paths[0].write_text(paths[0].read_text() + line + "\n")
    with pytest.raises(error):
        capture_io.input_rows(paths[0])


def assert_columns_match(columns, frame):
    assert len(columns) == len(frame)
    for column, expected in zip(columns, frame.values(), strict=True):
        assert len(column) == len(expected)
        if expected.dtype.kind == "f":
            assert column.dtype == np.float64
            np.testing.assert_allclose(column, np.round(expected, 4), equal_nan=True)
        else:
            assert list(column) == expected.astype(str).tolist()


@pytest.mark.parametrize("kind", ["none", "mean_shift", "new_category", "missing_values"])
def test_decode_columns_gives_the_generated_values(tmp_path, kind):
    _, frame = written(tmp_path, kind=kind, seed=3)
    assert_columns_match(capture_io.decode_columns(all_rows(tmp_path), NUMERIC), frame)


def test_missing_numbers_become_nan():
    columns = capture_io.decode_columns(["1.5,a", ",b", "2,c"], [True, False])
    np.testing.assert_array_equal(columns[0], [1.5, np.nan, 2.0])
    assert list(columns[1]) == ["a", "b", "c"]


@pytest.mark.parametrize(("kind", "width"), [("schema_drop", 19), ("schema_add", 21)])
def test_a_changed_schema_keeps_every_column_the_file_has(tmp_path, kind, width):
    _, frame = written(tmp_path, kind=kind, seed=5)
    assert len(frame) == width
    columns = capture_io.decode_columns(all_rows(tmp_path), NUMERIC)
    assert len(columns) == width
    assert all(len(c) == 60 for c in columns)


def test_a_numeric_position_holding_text_stays_text():
    columns = capture_io.decode_columns(["x,1", "y,2"], [True, True])
    assert columns[0] == ["x", "y"]
    np.testing.assert_array_equal(columns[1], [1.0, 2.0])


def test_rows_of_different_widths_are_refused():
    with pytest.raises(ValueError, match="different widths"):
        capture_io.decode_columns(["1,2", "3", "4,5,6"], [True, True])


def test_no_rows_no_columns():
    assert capture_io.decode_columns([], NUMERIC) == []
