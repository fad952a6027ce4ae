"""Capture of another schema than the baseline's (a feature added or dropped), and text in
numeric features: the fast paths must count exactly what the checked line path counts,
and must actually be taken."""

import math
import random

import numpy as np
import pytest
from dm_helpers import baseline_of, block, record
from test_capture import parse

from drift_monitor.capture import CaptureParser
from drift_monitor.columns import _convert_distinct, _convert_one, parse_csv_text_block
from drift_monitor.profile import WindowProfile

WINDOW = ("2026-11-23T15:00:00", "2026-11-23T16:00:00")


@pytest.fixture
def baseline():
    # two numeric inputs and one numeric output column: width 3
    return baseline_of(["a", "b", "y"], [[1.0, 2.0, 3.0], [10, 20, 30], [0.1, 0.2, 0.3]])


def short(i: int, out: dict | None) -> str:
    """A request of two input columns (one dropped) with the given output block."""
    return record(block(f"{i},{2 * i}"), out)


CSV_OUT = block("0.5", "text/csv; charset=utf-8", mode="OUTPUT")


@pytest.mark.parametrize(
    "out",
    [
        CSV_OUT,  # completes the row: taken
        block("0.5,0.7", mode="OUTPUT"),  # four columns: too many
        None,  # no output: too few
        {"observedContentType": "text/csv", "data": None, "encoding": "CSV"},
        block("0.5", "TEXT/CSV", "csv", mode="OUTPUT"),  # case of type and encoding
        block("0.5", "application/json", "JSON", mode="OUTPUT"),
        block("[0.5]", "application/json", "JSON", mode="OUTPUT"),
        block('{"y": 0.5, "other": 1}', "application/json", "JSON", mode="OUTPUT"),
        block("0.5", encoding="BASE64", mode="OUTPUT"),
        block('"0.5"', mode="OUTPUT"),  # quoted: the csv module's row
        block("0.5\n0.6", mode="OUTPUT"),  # two rows for one request
        block("0.5\x0c", mode="OUTPUT"),  # a form feed ends a line for splitlines
        block("   ", mode="OUTPUT"),  # no row at all
        {"observedContentType": "text/csv", "data": 0.5, "encoding": "CSV"},
        {"observedContentType": 5, "data": "0.5", "encoding": "CSV"},
        {"data": "0.5", "encoding": 7},
        {"data": "0.5"},
        "0.5",  # not an object
        [CSV_OUT],
    ],
)
def test_a_dropped_feature_counts_as_line_by_line(baseline, out):
    # parse() asserts the production path equals the checked path, examples included.
    plain = [record(block(f"{i},{i},{i}")) for i in range(30)]
    odd = [short(i, out) for i in range(30)]
    profile = parse(baseline, [*plain[:10], *odd, *plain[10:]], *WINDOW)
    assert profile.records == 60


@pytest.mark.parametrize(
    "data",
    [
        "1,2,3,4",  # a feature added
        "1",
        "   ",  # whitespace only: a request of no row
        "1\x0c2,3",  # a form feed splits it in two rows for splitlines
        "1,2\x1c",
        "1,\u2028",
        "1,x",
        "",
    ],
)
def test_inputs_of_another_width_count_as_line_by_line(baseline, data):
    plain = [record(block(f"{i},{i},{i}")) for i in range(30)]
    odd = [record(block(data), CSV_OUT) for _ in range(5)]
    parse(baseline, [*plain[:10], *odd, *plain[10:]], *WINDOW)


def test_a_window_of_another_schema_is_not_read_line_by_line(baseline, monkeypatch):
    # 400 requests with a feature dropped, half completed by their output, half not.
    lines = [short(i, CSV_OUT if i % 2 else None) for i in range(400)]
    data = ("\n".join(lines) + "\n").encode()
    profile = WindowProfile.for_baseline(baseline)
    parser = CaptureParser(profile, *WINDOW)

    def checked_path(_line):
        raise AssertionError("a request of another width went through feed_line")

    monkeypatch.setattr(parser, "feed_line", checked_path)
    parser.feed_chunks([data])
    assert (profile.records, profile.rows) == (400, 200)
    assert profile.malformed == {"too_few_columns": 200}
    assert profile.min_short_columns == 2
    assert profile.examples["too_few_columns"][:150] == lines[0][:150]  # the first one
    assert profile.features[0].total.value == float(sum(range(1, 400, 2)))
    assert profile.features[2].total.value == 0.5 * 200


@pytest.mark.parametrize(
    "field, value",
    [
        ("observedContentType", 5),
        ("observedContentType", ["text/csv"]),
        ("observedContentType", None),
        ("encoding", 7),
        ("encoding", None),
    ],
)
@pytest.mark.parametrize("side", ["endpointInput", "endpointOutput"])
def test_a_content_type_or_encoding_that_is_not_text_is_counted_not_raised(
    baseline, field, value, side
):
    inp = block("1,2") if side == "endpointOutput" else block("1,2,3")
    out = dict(CSV_OUT)
    target = out if side == "endpointOutput" else inp
    target[field] = value
    if field == "encoding":  # the type alone decides the format: no type, then encoding
        target.pop("observedContentType")
    line = record(inp, out)
    profile = parse(baseline, [line], *WINDOW)
    assert profile.records == 1
    if value is None and field == "observedContentType":  # as absent: the encoding decides
        assert (profile.malformed, profile.rows) == ({}, 1)
    elif side == "endpointInput":
        assert profile.malformed == {"unknown_content_type": 1}
    else:  # an output of no known format does not complete the row
        assert profile.malformed == {"too_few_columns": 1}


TEXTS = ["1.5", " 7 ", "1_000", "nan", "nan(1)", "NaN", "inf", "-Infinity", "1e400", "-0"]
TEXTS += ["", "  ", "x", "\u0661\u0662", "1e-400", "+.5", "0x10", "1.0\t", "5e-324"]


def test_text_in_numeric_features_equals_the_column_path(baseline, monkeypatch):
    rng = np.random.default_rng(3)
    rows = [[f"{v:.6g}" for v in rng.normal(size=3) * 100] for _ in range(300)]
    for k, text in enumerate(TEXTS):
        rows[7 * k][k % 3] = text
    lines = [record(block(",".join(r))) for r in rows]
    texts = parse(baseline, lines)
    monkeypatch.setattr("drift_monitor.capture.parse_csv_text_block", lambda *a: None)
    tokens = parse(baseline, lines)
    assert texts.to_dict() == tokens.to_dict()
    non_numeric = sum(acc.non_numeric for acc in texts.features)
    assert non_numeric == sum(_convert_one(t)[1] == 2 for t in TEXTS) > 0


def test_text_block_refuses_rows_of_another_width_and_a_byte_order_mark():
    assert parse_csv_text_block(["1,2", "1,2,3"], [0, 1], []) is None
    assert parse_csv_text_block(["\ufeff1,2", "1,2"], [0, 1], []) is None
    values, _ = parse_csv_text_block(["1,x", " 2,"], [0, 1], [])
    assert values[0].values.tolist() == [1.0, 2.0]
    assert (values[1].values.size, values[1].missing, values[1].non_numeric) == (0, 1, 1)


def numeric_texts(seed: int, n: int) -> list[str]:
    """Texts near the edge of what parses as a number, for the distinct-value check."""
    pick = random.Random(seed)
    parts = ["", "+", "-", "0", "1", "9", ".", "e", "E", "5", "_", " ", "\t", "inf", "nan"]
    parts += ["x", "(", ")", "\u0663", "e308", "e-330", "00", "123456789012345678"]
    texts = ["".join(pick.choice(parts) for _ in range(pick.randint(1, 6))) for _ in range(n)]
    texts += [repr(pick.uniform(-1e6, 1e6)) for _ in range(n)]
    texts += [f"{pick.uniform(-1, 1):.{pick.randint(1, 25)}e}" for _ in range(n)]
    return texts


def arrow_reads(text: str) -> bool:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        pc.cast(pa.array([text]), pa.float64())
    except pa.ArrowInvalid:
        return False
    return True


@pytest.mark.parametrize("only_what_arrow_reads", [False, True])
def test_distinct_texts_convert_as_float_does(only_what_arrow_reads):
    # All texts: Arrow's cast refuses the set and float decides each. Only those Arrow
    # reads: its cast decides the set, and must agree with float on every one.
    import pyarrow as pa

    texts = sorted(set(numeric_texts(7, 3000)))
    if only_what_arrow_reads:
        texts = [t for t in texts if arrow_reads(t)]
    floats, kinds = _convert_distinct(pa.array(texts))
    for text, number, kind in zip(texts, floats.tolist(), kinds.tolist(), strict=True):
        want_number, want_kind = _convert_one(text)
        assert kind == want_kind, text
        if kind == 0:
            assert math.copysign(1, number) == math.copysign(1, want_number), text
            assert number == want_number, text
    assert {0, 1} <= set(kinds.tolist())  # the texts reach values and missing ones


def test_what_arrow_reads_as_nan_and_float_refuses_is_not_a_number():
    import pyarrow as pa

    floats, kinds = _convert_distinct(pa.array(["1.5", "nan(1)", "nan", "-inf"]))
    assert kinds.tolist() == [0, 2, 1, 1]
    assert floats[0] == 1.5
