"""Every malformed-input kind the README documents is reachable, and only those exist.

Each kind is produced by one capture line fed to the real parser, alone, so the count
is exactly that kind; the documented list, the report's meanings and the examples here
must be the same set, so a kind added, renamed or no longer reachable fails this test.
"""

import json
import re
from pathlib import Path

import pytest
from dm_helpers import baseline_of, block, csv_record, record

from drift_monitor.capture import CaptureParser
from drift_monitor.profile import WindowProfile
from drift_monitor.report import MALFORMED_MEANING

README = Path(__file__).resolve().parents[3] / "drift_monitor" / "README.md"
JSON = "application/json"
EXAMPLES = {
    "invalid_json": "not json",
    "missing_capture_data": json.dumps({"no": "capture"}),
    "missing_inference_time": json.dumps(
        {"captureData": {"endpointInput": block("1,10,0.5")}, "eventMetadata": {}}
    ),
    "unknown_content_type": record(block("1,2,3", content_type="application/x-npy")),
    "undecodable_payload": record(block("{broken", JSON, "JSON")),
    "too_few_columns": csv_record([[1, 2]]),
    "too_many_columns": csv_record([[1, 2, 3, 4]]),
    "unknown_field": record(block(json.dumps([{"a": 1, "b": 2, "y": 3, "z": 4}]), JSON, "JSON")),
}


def documented_kinds() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("Counted per kind") : text.index("## Checks")]
    return set(re.findall(r"`([a-z_]+)`", section))


def test_documented_kinds_are_the_reported_and_the_reachable_ones():
    assert documented_kinds() == set(MALFORMED_MEANING) == set(EXAMPLES)


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_each_kind_is_counted_from_its_line(kind):
    baseline = baseline_of(["a", "b", "y"], [[1.0, 2.0, 3.0], [10, 20, 30], [0.1, 0.2, 0.3]])
    profile = WindowProfile.for_baseline(baseline)
    CaptureParser(profile, "2026-11-23T15:00:00", "2026-11-23T16:00:00").feed_file([EXAMPLES[kind]])
    assert profile.malformed == {kind: 1}


def test_a_scalar_row_is_a_one_value_row_not_a_malformed_kind():
    # invalid_row used to be documented but no capture line could produce it.
    baseline = baseline_of(["a"], [[1.0, 2.0, 3.0]])
    profile = WindowProfile.for_baseline(baseline)
    line = record(block(json.dumps({"instances": [7]}), JSON, "JSON"))
    CaptureParser(profile, "2026-11-23T15:00:00", "2026-11-23T16:00:00").feed_file([line])
    assert (profile.rows, profile.malformed) == (1, {})
