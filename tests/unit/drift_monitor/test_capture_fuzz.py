"""Capture records with any field replaced by a value of any JSON type, or removed: the
parser never raises, and the production path counts exactly what the checked path
counts (``test_capture.parse`` asserts that). Seeded, so a failure names its record."""

import json
import random
from typing import Any

import pytest
from dm_helpers import VALUES, baseline_of, block, mutated, record
from test_capture import parse

WINDOW = ("2026-11-23T15:00:00", "2026-11-23T16:00:00")


@pytest.fixture
def baseline():
    return baseline_of(["a", "b", "y"], [[1.0, 2.0, 3.0], [10, 20, 30], [0.1, 0.2, 0.3]])


def seeds() -> list[dict[str, Any]]:
    """Valid records of each payload kind, with an output block, to mutate."""
    out = block("0.5", "text/csv", mode="OUTPUT")
    return [
        json.loads(record(block("1,2,3"), out)),
        json.loads(record(block("1,2"), out)),  # the output completes it
        json.loads(record(block("1,2,3", encoding="BASE64"), out)),
        json.loads(record(block("[[1, 2, 3]]", "application/json", "JSON"), out)),
        json.loads(record(block('{"a": 1, "b": 2}', "application/json", "JSON"), out)),
    ]


def mutate(rec: dict[str, Any], pick: random.Random) -> dict[str, Any]:
    return mutated(rec, pick, VALUES, changes=3, into_lists=False)


@pytest.mark.parametrize("seed", range(8))
def test_any_field_of_any_type_is_counted_never_raised(baseline, seed):
    pick = random.Random(seed)
    bases = seeds()
    plain = [record(block(f"{i},{i},{i}")) for i in range(20)]
    odd = [json.dumps(mutate(pick.choice(bases), pick)) for _ in range(150)]
    lines = [*plain[:10], *odd, *plain[10:]]
    profile = parse(baseline, lines, *WINDOW)
    # Every line is one record in the window, counted or set aside as a kind; the
    # plain ones are all rows.
    assert profile.rows >= len(plain)
    assert profile.records + profile.malformed_total >= len(plain)


@pytest.mark.parametrize("when", [["2026-11-23T15:30:00Z"], 1700000000, None, {"t": 1}])
def test_an_inference_time_that_is_not_text_is_a_missing_time(baseline, when):
    line = json.loads(record(block("1,2,3")))
    line["eventMetadata"]["inferenceTime"] = when
    profile = parse(baseline, [json.dumps(line)], *WINDOW)
    assert (profile.records, profile.malformed) == (0, {"missing_inference_time": 1})
