import math
import random

import numpy as np
import pytest
from dm_helpers import baseline_of

from drift_monitor.accumulators import (
    CATEGORY_CAP,
    OTHER,
    CategoricalAccumulator,
    NumericAccumulator,
)
from drift_monitor.baseline import DatasetError, build_baseline_from_columns, read_dataset
from drift_monitor.exact_sum import ExactSum
from drift_monitor.profile import WindowProfile
from drift_monitor.statistics import window_statistics


def test_baseline_numeric_statistics_by_hand():
    stats, constraints = build_baseline_from_columns(["a"], [["1", "2", "3", "4", ""]])
    feature = stats["features"][0]
    num = feature["numerical_statistics"]
    assert feature["inferred_type"] == "Integral"
    assert num["common"] == {"num_present": 4, "num_missing": 1}
    assert num["mean"] == 2.5
    assert num["sum"] == 10.0
    assert num["std_dev"] == pytest.approx(math.sqrt(1.25))  # population, as Deequ
    assert (num["min"], num["max"]) == (1.0, 4.0)
    buckets = num["distribution"]["kll"]["buckets"]
    assert len(buckets) == 10
    assert buckets[0]["lower_bound"] == 1.0 and buckets[-1]["upper_bound"] == 4.0
    assert [b["count"] for b in buckets] == [1, 0, 0, 1, 0, 0, 1, 0, 0, 1]
    assert num["distribution"]["kll"]["sketch"]["data"] == [[1.0, 2.0, 3.0, 4.0]]
    c = constraints["features"][0]
    assert c["completeness"] == 0.8
    assert c["num_constraints"] == {"is_non_negative": True}


def test_baseline_type_inference():
    stats, constraints = build_baseline_from_columns(
        ["i", "f", "s"], [["1", "-2", "3"], ["1", "2.5", ""], ["x", "y", "x"]]
    )
    assert [f["inferred_type"] for f in stats["features"]] == ["Integral", "Fractional", "String"]
    assert constraints["features"][0]["num_constraints"]["is_non_negative"] is False
    s = stats["features"][2]["string_statistics"]
    assert s["distinct_count"] == 2
    assert s["distribution"]["categorical"]["buckets"] == [
        {"value": "x", "count": 2},
        {"value": "y", "count": 1},
    ]
    assert constraints["features"][2]["string_constraints"] == {"domains": ["x", "y"]}


def test_read_dataset_header_headerless_and_jsonl():
    assert read_dataset("a,b\n1,2\n", header=True) == (["a", "b"], [["1"], ["2"]])
    assert read_dataset("1,2\n3,4\n") == (["_c0", "_c1"], [["1", "3"], ["2", "4"]])
    names, cols = read_dataset('{"a": 1, "b": "x"}\n{"a": 2}\n', fmt="jsonl")
    assert names == ["a", "b"] and cols == [[1, 2], ["x", None]]


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("1,2\n3\n", "csv", "line 2 has 1 columns"),
        ("", "csv", "no rows"),
        ('{"a": 1}\nnope\n', "jsonl", "line 2 is not valid JSON"),
        ('{"a": 1}\n[1]\n', "jsonl", "all objects or all arrays"),
    ],
)
def test_read_dataset_errors_are_clear(text, fmt, message):
    with pytest.raises(DatasetError, match=message):
        read_dataset(text, fmt=fmt)


def test_window_statistics_by_hand():
    base = baseline_of(["a", "s"], [[0.0, 1.0, 2.0, 3.0], ["x", "y", "y", "z"]])
    profile = WindowProfile.for_baseline(base)
    profile.update_columns([["1", "2", "3", "4", ""], ["x", "x", "q", "", "y"]])
    stats = window_statistics(base, profile)
    assert stats["dataset"] == {"item_count": 5}
    num = stats["features"][0]["numerical_statistics"]
    assert num["common"] == {"num_present": 4, "num_missing": 1}
    assert (num["mean"], num["sum"], num["min"], num["max"]) == (2.5, 10.0, 1.0, 4.0)
    assert num["std_dev"] == pytest.approx(math.sqrt(1.25))
    assert sum(b["count"] for b in num["distribution"]["kll"]["buckets"]) == 4
    s = stats["features"][1]["string_statistics"]
    assert s["common"] == {"num_present": 4, "num_missing": 1}
    assert s["distinct_count"] == 3
    assert s["distribution"]["categorical"]["buckets"][0] == {"value": "x", "count": 2}


def test_histogram_bins_are_right_closed_on_baseline_edges():
    acc = NumericAccumulator(edges=np.array([1.0, 2.0]))
    acc.update(["0.5", "1", "1.5", "2", "2.5"])
    assert acc.hist.tolist() == [2, 2, 1]


def test_exact_sum_is_order_independent():
    rng = random.Random(7)
    values = [rng.uniform(-1, 1) * 10 ** rng.randint(-20, 20) for _ in range(2000)]
    expected = math.fsum(values)
    for _ in range(5):
        rng.shuffle(values)
        acc = ExactSum()
        for v in values:
            acc.add(v)
        assert acc.value == expected
    left, right = ExactSum(), ExactSum()
    for v in values[:700]:
        left.add(v)
    for v in values[700:]:
        right.add(v)
    left.merge(right)
    assert left.value == expected


def test_categorical_counts_fold_past_the_cap_keeping_baseline_values():
    acc = CategoricalAccumulator(known=frozenset({"keep"}))
    acc.update(["keep"] * 3 + [f"v{i}" for i in range(CATEGORY_CAP + 5)])
    assert acc.overflowed
    assert acc.counts == {"keep": 3, OTHER: CATEGORY_CAP + 5}
    assert acc.distinct_count == CATEGORY_CAP + 1
    assert acc.present == CATEGORY_CAP + 8


def test_exact_sum_canonical_form_does_not_depend_on_order():
    values = [1e16, 1.0, -1e16, 3.5e-9, 2.0**-60, 7.25]
    forward, backward = ExactSum(), ExactSum()
    for v in values:
        forward.add(v)
    for v in reversed(values):
        backward.add(v)
    assert forward.canonical() == backward.canonical()
    assert math.fsum(forward.canonical()) == math.fsum(values)
    assert ExactSum().canonical() == []


def test_sums_past_the_float_range_stay_valid_json():
    import json

    base = baseline_of(["a"], [[0.0, 1.0, 2.0]])
    profile = WindowProfile.for_baseline(base)
    profile.update_columns([["1e300", "1e300", "-5"]])
    profile.update_columns([["1.7e308", "1.7e308"]])
    state = json.loads(json.dumps(profile.to_dict(), allow_nan=True))
    assert WindowProfile.from_dict(state, base).features[0].total_sq.value == math.inf
    text = json.dumps(window_statistics(base, profile), allow_nan=False)
    assert '"max": 1.7e+308' in text
