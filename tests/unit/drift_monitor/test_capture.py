import json

import numpy as np
import pytest
from dm_helpers import baseline_of, block, csv_record, record

from drift_monitor.capture import CaptureParser, line_units, payload_format
from drift_monitor.profile import WindowProfile


@pytest.fixture
def baseline():
    # two numeric inputs and one numeric output column: width 3
    return baseline_of(["a", "b", "y"], [[1.0, 2.0, 3.0], [10, 20, 30], [0.1, 0.2, 0.3]])


def parse(baseline, lines, start=None, end=None):
    """The production path (pieces of a file, block-decoded) and the line-by-line checked
    path must agree on every count and value; returns the production path's profile."""
    profile = WindowProfile.for_baseline(baseline)
    data = b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in lines)
    cut = len(data) // 2 + 1  # pieces end anywhere, mid-line too
    CaptureParser(profile, start, end).feed_chunks([data[:cut], data[cut:]])
    checked = WindowProfile.for_baseline(baseline)
    CaptureParser(checked, start, end).feed_file(
        [x if isinstance(x, str) else x.decode("utf-8", "replace") for x in lines]
    )
    if all(isinstance(x, str) for x in lines):
        assert profile.to_dict() == checked.to_dict()
    return profile


def sums(profile):
    return [acc.total.value for acc in profile.features]


def test_csv_multi_row_request(baseline):
    line = csv_record([[1, 10, 0.5], [2, 20, 0.25], [3, 30, 0.125]])
    profile = parse(baseline, [line])
    assert profile.records == 1
    assert profile.rows == 3
    assert sums(profile) == [6.0, 60.0, 0.875]


def test_input_plus_output_columns(baseline):
    line = record(block("1,10\n2,20"), block("0.5\n0.25", mode="OUTPUT"))
    profile = parse(baseline, [line])
    assert profile.rows == 2
    assert sums(profile) == [3.0, 30.0, 0.75]


@pytest.mark.parametrize("encoding", ["CSV", "BASE64"])
def test_csv_encodings(baseline, encoding):
    line = record(block("1,10,0.5\n4,40,0.5", encoding=encoding))
    assert sums(parse(baseline, [line])) == [5.0, 50.0, 1.0]


@pytest.mark.parametrize(
    "payload",
    [
        {"instances": [[1, 10, 0.5], [4, 40, 0.5]]},
        {"instances": [{"features": [1, 10, 0.5]}, {"features": [4, 40, 0.5]}]},
        [[1, 10, 0.5], [4, 40, 0.5]],
        [{"a": 1, "b": 10, "y": 0.5}, {"a": 4, "b": 40, "y": 0.5}],
    ],
)
@pytest.mark.parametrize("encoding", ["JSON", "BASE64"])
def test_json_shapes_and_encodings(baseline, payload, encoding):
    line = record(block(json.dumps(payload), "application/json", encoding))
    profile = parse(baseline, [line])
    assert profile.rows == 2
    assert sums(profile) == [5.0, 50.0, 1.0]


def test_json_input_with_json_output(baseline):
    inp = block(json.dumps({"instances": [[1, 10], [2, 20]]}), "application/json", "JSON")
    out = block(json.dumps({"predictions": [0.5, 0.25]}), "application/json", "JSON", "OUTPUT")
    profile = parse(baseline, [record(inp, out)])
    assert profile.rows == 2
    assert sums(profile) == [3.0, 30.0, 0.75]


def test_jsonlines_payload(baseline):
    text = '{"a": 1, "b": 10, "y": 0.5}\n{"a": 2, "b": 20, "y": 0.5}'
    profile = parse(baseline, [record(block(text, "application/jsonlines", "JSON"))])
    assert profile.rows == 2


def test_quoted_csv_goes_through_csv_module():
    base = baseline_of(["a", "s"], [[1, 2], ["x,y", "z"]])
    profile = parse(base, [csv_record([[1, '"x,y"'], [2, "z"]])])
    assert profile.rows == 2
    assert profile.features[1].counts == {"x,y": 1, "z": 1}


def test_malformed_input_is_counted_per_kind_never_raised(baseline):
    lines = [
        "not json",
        json.dumps({"no": "capture"}),
        record(block("1,2,3", content_type="application/x-npy", encoding="BASE64")),
        record({"observedContentType": "text/csv", "data": "%%%not base64", "encoding": "BASE64"}),
        record(block("{broken", "application/json", "JSON")),
        csv_record([[1, 2]]),  # too few columns, no output to complete them
        csv_record([[1, 2, 3, 4]]),
        json.dumps({"captureData": {"endpointInput": {}}, "eventMetadata": {}}),
        csv_record([[1, 10, 0.5]]),  # the only good row
    ]
    profile = parse(baseline, lines)
    assert profile.rows == 1
    assert profile.malformed == {
        "invalid_json": 1,
        "missing_capture_data": 1,
        "unknown_content_type": 2,  # an unknown type, and a block with no type at all
        "undecodable_payload": 2,  # bad base64, bad JSON
        "too_few_columns": 1,
        "too_many_columns": 1,
    }
    assert profile.min_short_columns == 2
    assert profile.max_long_columns == 4


def test_content_type_decides_format_encoding_is_fallback():
    assert payload_format("text/csv; charset=utf-8", "BASE64") == "csv"
    assert payload_format("application/json", "BASE64") == "json"
    assert payload_format(None, "CSV") == "csv"
    assert payload_format("", "JSON") == "json"
    assert payload_format("application/x-recordio-protobuf", "BASE64") is None


def test_window_filter_on_inference_time(baseline):
    lines = [
        csv_record([[1, 10, 0.5]], when="2026-11-23T14:59:59Z"),
        csv_record([[2, 20, 0.5]], when="2026-11-23T15:00:00Z"),
        csv_record([[4, 40, 0.5]], when="2026-11-23T15:59:59.999Z"),
        csv_record([[8, 80, 0.5]], when="2026-11-23T16:00:00Z"),
        json.dumps({"captureData": {"endpointInput": block("1,1,1")}}),
    ]
    profile = parse(baseline, lines, "2026-11-23T15:00:00", "2026-11-23T16:00:00")
    assert sums(profile)[0] == 6.0
    assert profile.malformed == {"missing_inference_time": 1}


def test_missing_and_non_numeric_values(baseline):
    profile = parse(baseline, [csv_record([[1, "", 0.5], ["abc", 20, "nan"], [3, 30, 0.5]])])
    a, b, y = profile.features
    assert (a.present, a.missing, a.non_numeric) == (2, 0, 1)
    assert (b.present, b.missing) == (2, 1)
    assert (y.present, y.missing) == (2, 1)


def test_null_values_in_json_rows_are_missing(baseline):
    line = record(block(json.dumps([[1, None, 0.5], [2, 20, None]]), "application/json", "JSON"))
    profile = parse(baseline, [line])
    assert [acc.missing for acc in profile.features] == [0, 1, 1]


def test_large_file_is_processed_in_chunks(baseline, monkeypatch):
    monkeypatch.setattr("drift_monitor.capture.CHUNK_ROWS", 7)
    lines = [csv_record([[i, i, i]]) for i in range(50)]
    profile = parse(baseline, lines)
    assert profile.rows == 50
    assert sums(profile)[0] == float(np.arange(50).sum())


def test_csv_record_without_data_string_is_counted(baseline):
    line = record({"observedContentType": "text/csv", "encoding": "CSV", "data": None})
    profile = parse(baseline, [line])
    assert profile.malformed == {"undecodable_payload": 1}


def test_bulk_numeric_parse_equals_column_by_column(baseline, monkeypatch):
    rng = np.random.default_rng(1)
    lines = [csv_record([[f"{v:.9g}" for v in rng.normal(size=3) * 1e3]]) for _ in range(200)]
    lines.append(csv_record([[" 7 ", "inf", "1e-300"]]))
    bulk = parse(baseline, lines)
    monkeypatch.setattr("drift_monitor.capture.parse_csv_block", lambda *args: None)
    by_column = parse(baseline, lines)
    assert bulk.to_dict() == by_column.to_dict()
    assert bulk.features[1].missing == 1  # inf is not a usable value


def test_bulk_json_rows_equal_column_by_column(baseline, monkeypatch):
    rows = [[1.5, None, 3], [2, 20, "4.5"], [True, 1e300, 0.5]]
    lines = [record(block(json.dumps(rows), "application/json", "JSON"))]
    bulk = parse(baseline, lines)
    monkeypatch.setattr("drift_monitor.capture._numeric_rows", lambda rows, width: None)
    by_column = parse(baseline, lines)
    assert bulk.to_dict() == by_column.to_dict()
    assert bulk.features[1].missing == 1


def test_bulk_mixed_parse_equals_column_by_column(monkeypatch):
    base = baseline_of(["x", "s"], [[1.0, 2.0], ["a", "b"]])
    rows = [[1.5, "a"], [2, " a "], [3, "x#y"], [4, ""], [5, "cé"], [6, "b"]] * 30
    lines = [csv_record(rows[i : i + 3]) for i in range(0, len(rows), 3)]
    bulk = parse(base, lines)
    monkeypatch.setattr("drift_monitor.capture.parse_csv_block", lambda *args: None)
    by_column = parse(base, lines)
    assert bulk.to_dict() == by_column.to_dict()
    assert bulk.features[1].counts == {"a": 30, " a ": 30, "x#y": 30, "cé": 30, "b": 30}
    assert bulk.features[1].missing == 30


def test_base64_single_column_is_decoded_not_taken_as_text():
    # Width 1: a base64 payload has no comma either, so only its encoding tells.
    base = baseline_of(["a"], [[1.0, 2.0, 3.0]])
    line = record(block("2.5", encoding="BASE64"))
    profile = parse(base, [line])
    assert profile.rows == 1
    assert sums(profile) == [2.5]


def test_units_of_a_file_do_not_depend_on_where_its_pieces_were_cut():
    rng = np.random.default_rng(4)
    lines = [b"x" * int(n) for n in rng.integers(0, 90, size=400)]
    data = b"\n".join(lines) + b"\n"
    whole = [bytes(u) for u in line_units([data], 500)]
    assert b"\n".join(whole) + b"\n" == data  # nothing lost, nothing added
    assert all(len(u) >= 500 for u in whole[:-1])  # each unit ends past max_bytes
    for _ in range(20):
        cuts = sorted(rng.integers(0, len(data), size=int(rng.integers(1, 30))).tolist())
        pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        assert [bytes(u) for u in line_units(pieces, 500)] == whole


def test_plain_csv_capture_is_taken_a_unit_at_a_time(baseline, monkeypatch):
    # The whole-unit path must actually take the common case: the line path is not used.
    def line_path(*_args):
        raise AssertionError("plain CSV capture went line by line")

    lines = [csv_record([[i, 2 * i, 0.5]]) for i in range(300)]
    data = ("\n".join(lines) + "\n").encode()
    profile = WindowProfile.for_baseline(baseline)
    parser = CaptureParser(profile, "2026-11-23T15:00:00", "2026-11-23T16:00:00")
    monkeypatch.setattr(parser, "_feed_lines", line_path)
    parser.feed_chunks([data[:1000], data[1000:]])
    assert (profile.records, profile.rows) == (300, 300)
    assert sums(profile) == [float(sum(range(300))), float(2 * sum(range(300))), 150.0]


@pytest.mark.parametrize(
    "odd",
    [
        "",  # an empty line
        "   ",  # whitespace only
        "{}",  # a record without capture data
        "not json",
        csv_record([[1, 2]]),  # too few columns
        csv_record([[1, 2, 3, 4]]),  # too many
        csv_record([["x", 2, 3]]),  # not a number
        csv_record([[1, 2, 3]], when="2026-11-23T17:00:00Z"),  # outside the window
        csv_record([[1, 2, 3]], content_type="text/csv; charset=utf-8"),  # other CSV type
        record(block("1,2,3", encoding="BASE64")),
        record(block("1,2,3", content_type="application/octet-stream")),  # not CSV
        record(block('"1",2,3')),  # quoted
        record(block("[1, 2, 3]", "application/json", "JSON")),
        csv_record([[1, 2, 3]]) + " " + csv_record([[4, 5, 6]]),  # two records on a line
    ],
)
def test_one_odd_line_among_plain_ones_counts_as_line_by_line(baseline, odd):
    lines = [csv_record([[i, i, i]]) for i in range(50)]
    parse(baseline, [*lines[:25], odd, *lines[25:]], "2026-11-23T15:00:00", "2026-11-23T16:00:00")


@pytest.mark.parametrize(
    "data",
    [
        '1.5,"red"',  # a quoted category: Arrow, reading without quotes, would keep them
        "1.5,red\r",  # a carriage return
        "1.5,re\rd",
        "1.5,red\n2.5,blue",  # a request of two rows
        "1.5,red\n",
    ],
)
def test_quotes_and_line_breaks_inside_a_text_column_count_as_line_by_line(data):
    # JSON writes each of these with a backslash; the unit path must then check them.
    baseline = baseline_of(["x", "colour"], [[1.0, 2.0, 3.0], ["red", "blue", "red"]])
    lines = [csv_record([[i + 0.5, "blue"]]) for i in range(40)]
    odd = record(block(data))
    profile = parse(baseline, [*lines[:20], odd, *lines[20:]])
    assert '"red"' not in profile.features[1].counts


def test_category_counts_merge_chunks_with_their_own_dictionaries():
    import pyarrow as pa

    from drift_monitor.columns import _category_counts

    def chunk(indices: list[int], dictionary: list[str]) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), pa.array(dictionary))

    column = pa.chunked_array(
        [chunk([0, 1, 1, 2], ["b", "", "a"]), chunk([1, 0, 0], ["a", "c"]), chunk([0], ["z", "q"])]
    )
    values, counts, missing = _category_counts(column)
    # "q" is in a dictionary but never used: not a value of the window.
    assert (values.tolist(), counts.tolist(), missing) == (["a", "b", "c", "z"], [3, 1, 1, 1], 2)
    one = pa.chunked_array([chunk([2, 2, 0], ["x", "unused", "w"])])
    assert [a.tolist() if hasattr(a, "tolist") else a for a in _category_counts(one)] == [
        ["w", "x"],
        [2, 1],
        0,
    ]
