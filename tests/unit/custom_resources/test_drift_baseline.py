"""Custom::DriftBaseline through its Lambda handler, on moto's S3."""

import json
import random
import threading
import time
from typing import Any

import baseline_check
import boto3
import pytest
from common.errors import REASON_LIMIT, CustomResourceError
from cr_support import (
    REGION,
    CallLog,
    LambdaContext,
    failed_reason,
    fixture_text,
    inject,
    load_handler,
    only,
    record_calls,
    run_handler,
    run_until_crhelper_times_out,
    xml_error,
)

BUCKET = "artifacts-bucket"
RESOURCE_TYPE = "Custom::DriftBaseline"
STATS_URI = f"s3://{BUCKET}/baselines/v1/statistics.json"
CONS_URI = f"s3://{BUCKET}/baselines/v1/constraints.json"
GET_EVENT = "before-send.s3.GetObject"


@pytest.fixture
def s3(session: boto3.Session) -> Any:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=BUCKET)
    return client


def put(s3: Any, uri: str, content: Any) -> None:
    body = content if isinstance(content, str | bytes) else json.dumps(content)
    key = uri.removeprefix(f"s3://{BUCKET}/")
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)


def statistics() -> dict[str, Any]:
    return json.loads(fixture_text("statistics.json"))


def constraints() -> dict[str, Any]:
    return json.loads(fixture_text("constraints.json"))


@pytest.fixture
def baseline(s3: Any) -> Any:
    """The sample baseline uploaded at STATS_URI / CONS_URI."""
    put(s3, STATS_URI, fixture_text("statistics.json"))
    put(s3, CONS_URI, fixture_text("constraints.json"))
    return s3


def props(**overrides: Any) -> dict[str, Any]:
    values = {"StatisticsS3Uri": STATS_URI, "ConstraintsS3Uri": CONS_URI}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def run(request_type: str, properties: dict[str, Any], **kwargs: Any) -> None:
    run_handler("drift_baseline", RESOURCE_TYPE, request_type, properties, **kwargs)


def upload_pair(s3: Any, statistics_doc: Any, constraints_doc: Any) -> None:
    put(s3, STATS_URI, statistics_doc)
    put(s3, CONS_URI, constraints_doc)


# --- Create / Update / Delete --------------------------------------------------------


def test_create_answers_features_in_constraints_order(responses, baseline, call_log: CallLog):
    run("Create", props())

    response = only(responses)
    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"].startswith("drift-baseline-")
    assert response["Data"] == {
        "FeatureCount": "3",
        "FeatureNames": "age,income,city",
        "StatisticsS3Uri": STATS_URI,
        "ConstraintsS3Uri": CONS_URI,
    }
    assert call_log.names() == ["s3:GetObject", "s3:GetObject"]
    assert [p["Key"] for p in call_log.params("GetObject")] == [
        "baselines/v1/statistics.json",
        "baselines/v1/constraints.json",
    ]


def test_physical_id_is_stable_for_the_same_files(responses, baseline):
    run("Create", props())
    run("Update", props(), physical_id=responses[0]["PhysicalResourceId"], old_properties=props())

    assert responses[1]["Status"] == "SUCCESS"
    assert responses[1]["PhysicalResourceId"] == responses[0]["PhysicalResourceId"]


def test_update_to_new_files_gets_a_new_physical_id(responses, baseline):
    new_stats = f"s3://{BUCKET}/baselines/v2/statistics.json"
    new_cons = f"s3://{BUCKET}/baselines/v2/constraints.json"
    put(baseline, new_stats, statistics())
    put(baseline, new_cons, constraints())
    run("Create", props())

    run(
        "Update",
        props(StatisticsS3Uri=new_stats, ConstraintsS3Uri=new_cons),
        physical_id=responses[0]["PhysicalResourceId"],
        old_properties=props(),
    )

    updated = responses[1]
    assert updated["Status"] == "SUCCESS"
    assert updated["PhysicalResourceId"] != responses[0]["PhysicalResourceId"]
    assert updated["Data"]["StatisticsS3Uri"] == new_stats


def test_failed_update_keeps_the_old_physical_id(responses, baseline):
    run(
        "Update",
        props(ConstraintsS3Uri=f"s3://{BUCKET}/missing/constraints.json"),
        physical_id="drift-baseline-old",
        old_properties=props(),
    )

    response = only(responses)
    assert response["Status"] == "FAILED"
    assert response["PhysicalResourceId"] == "drift-baseline-old"


def test_delete_makes_no_calls_and_does_not_sleep(responses, call_log: CallLog):
    started = time.monotonic()

    run(
        "Delete",
        props(),
        physical_id="drift-baseline-x",
        context=LambdaContext(remaining_ms=300_000),
    )

    assert time.monotonic() - started < 2
    response = only(responses)
    assert (response["Status"], response["PhysicalResourceId"]) == ("SUCCESS", "drift-baseline-x")
    assert call_log.calls == []


def test_delete_after_failed_create_succeeds(responses, s3, call_log: CallLog):
    run("Create", props())
    failed = responses[0]
    assert failed["Status"] == "FAILED"
    calls_before_delete = len(call_log.calls)

    run("Delete", props(), physical_id=failed["PhysicalResourceId"])

    deleted = responses[1]
    assert deleted["Status"] == "SUCCESS"
    assert deleted["PhysicalResourceId"] == failed["PhysicalResourceId"]
    assert len(call_log.calls) == calls_before_delete


# --- Missing and unreadable objects --------------------------------------------------


def test_missing_object_fails_naming_it(responses, s3):
    put(s3, STATS_URI, statistics())

    run("Create", props())

    assert failed_reason(responses) == f"{CONS_URI} not found; upload it or fix the URI"


def test_missing_bucket_fails(responses, session):
    run("Create", props())

    assert failed_reason(responses) == f"bucket {BUCKET} of {STATS_URI} does not exist"


def test_invalid_json_fails(responses, s3):
    upload_pair(s3, "{not json", constraints())

    reason = failed_reason(responses_after_create(responses))
    assert reason.startswith(f"{STATS_URI} is not valid JSON (Expecting property name")


def responses_after_create(responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    run("Create", props())
    return responses


def test_binary_object_fails_as_invalid_json(responses, s3):
    upload_pair(s3, statistics(), b"\xff\xfe\x00")

    assert failed_reason(responses_after_create(responses)).startswith(
        f"{CONS_URI} is not valid JSON"
    )


def test_oversized_object_is_not_read(responses, baseline, monkeypatch):
    # Patch the module the handler itself imported: an emulator run earlier in the same
    # process may have left another copy of baseline_check in sys.modules.
    monkeypatch.setattr(load_handler("drift_baseline").baseline_check, "MAX_OBJECT_BYTES", 100)

    reason = failed_reason(responses_after_create(responses))
    assert reason.startswith(f"{STATS_URI} is ")
    assert "over the 100 this check reads" in reason


# --- Schema checks -------------------------------------------------------------------


def without_name(doc: dict[str, Any], index: int) -> dict[str, Any]:
    del doc["features"][index]["name"]
    return doc


@pytest.mark.parametrize(
    ("statistics_doc", "constraints_doc", "expected"),
    [
        (statistics(), without_name(constraints(), 2), "constraints.json: features[2] has no name"),
        (without_name(statistics(), 0), constraints(), "statistics.json: features[0] has no name"),
        (statistics(), {"version": 0}, "constraints.json: no features list"),
        (statistics(), {"features": []}, "constraints.json: features is empty"),
        (statistics(), {"features": ["age"]}, "constraints.json: features[0] is a string"),
        (statistics(), [1, 2], "constraints.json: expected a JSON object, found a list"),
        (
            {"features": statistics()["features"]},
            constraints(),
            "statistics.json: dataset.item_count is missing or not a non-negative number",
        ),
        (
            {**statistics(), "dataset": {"item_count": "1000"}},
            constraints(),
            "statistics.json: dataset.item_count is missing",
        ),
    ],
    ids=[
        "constraint-without-name",
        "statistic-without-name",
        "no-features",
        "empty-features",
        "feature-not-object",
        "not-an-object",
        "no-item-count",
        "item-count-as-text",
    ],
)
def test_schema_fault_fails_naming_file_and_place(
    responses, s3, statistics_doc, constraints_doc, expected
):
    upload_pair(s3, statistics_doc, constraints_doc)

    assert failed_reason(responses_after_create(responses)).startswith(expected)


def test_unknown_inferred_type_fails(responses, s3):
    doc = constraints()
    doc["features"][1]["inferred_type"] = "Float"
    upload_pair(s3, statistics(), doc)

    assert failed_reason(responses_after_create(responses)) == (
        "constraints.json: features[1] (income) has inferred_type 'Float'; "
        "expected one of Fractional, Integral, String, Unknown"
    )


def test_duplicate_feature_fails(responses, s3):
    doc = constraints()
    doc["features"].append(dict(doc["features"][0]))
    upload_pair(s3, statistics(), doc)

    assert failed_reason(responses_after_create(responses)) == (
        "constraints.json: feature 'age' is listed twice; names must be unique"
    )


@pytest.mark.parametrize("name", ["age,years", " age", "age "])
def test_feature_name_that_a_comma_list_cannot_carry_fails(responses, s3, name):
    stats, cons = statistics(), constraints()
    stats["features"][0]["name"] = cons["features"][0]["name"] = name
    upload_pair(s3, stats, cons)

    assert failed_reason(responses_after_create(responses)).startswith(
        f"constraints.json: feature name {name!r} has a comma or edge spaces"
    )


@pytest.mark.parametrize("name", ['age"s', "age\\years", "age\tyears"])
def test_feature_name_the_dashboard_json_cannot_carry_fails(responses, s3, name):
    stats, cons = statistics(), constraints()
    stats["features"][0]["name"] = cons["features"][0]["name"] = name
    upload_pair(s3, stats, cons)

    assert "has a quote, backslash or control character" in failed_reason(
        responses_after_create(responses)
    )


MONITOR_REFUSES = "the drift monitor cannot use the baseline: "
MONITOR_ADVICE = "; fix the file or rebaseline"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda doc: doc.__setitem__("monitoring_config", ["Enabled"]),
            "constraints.json: monitoring_config must be an object, got ['Enabled']",
        ),
        (
            lambda doc: doc.setdefault("monitoring_config", {}).__setitem__(
                "datatype_check_threshold", "high"
            ),
            "constraints.json: monitoring_config.datatype_check_threshold must be a "
            "non-negative number, got 'high'",
        ),
        (
            lambda doc: doc.setdefault("monitoring_config", {}).__setitem__(
                "distribution_constraints", {"comparison_threshold": -1}
            ),
            "constraints.json: monitoring_config.distribution_constraints.comparison_threshold "
            "must be a non-negative number, got -1",
        ),
        (
            lambda doc: doc["features"][1].__setitem__(
                "monitoringConfigOverrides", {"distribution_constraints": "off"}
            ),
            "constraints.json: features['income'].monitoringConfigOverrides."
            "distribution_constraints must be an object, got 'off'",
        ),
    ],
)
def test_malformed_monitoring_config_fails_the_deploy(responses, s3, change, message):
    doc = constraints()
    change(doc)
    upload_pair(s3, statistics(), doc)

    reason = failed_reason(responses_after_create(responses))
    assert reason == MONITOR_REFUSES + message + MONITOR_ADVICE


def test_a_statistics_field_of_the_wrong_type_fails_the_deploy_naming_it(responses, s3):
    """Deep fields too, which only the monitor's reader knows: a KLL sketch item that is
    not a number would otherwise fail every scheduled run."""
    stats = statistics()
    numeric = next(f for f in stats["features"] if "numerical_statistics" in f)
    sketch = numeric["numerical_statistics"]["distribution"]["kll"]["sketch"]
    sketch["data"][0][0] = "BASE64"
    upload_pair(s3, stats, constraints())

    reason = failed_reason(responses_after_create(responses))
    assert reason == (
        f"{MONITOR_REFUSES}statistics.json feature {numeric['name']!r} numerical_statistics"
        f".distribution.kll.sketch.data[0] must hold numbers only{MONITOR_ADVICE}"
    )


@pytest.mark.parametrize("seed", range(4))
def test_the_deploy_refuses_every_baseline_the_monitor_would_refuse(seed):
    """Fields of every JSON type anywhere in both files: whatever the drift monitor's
    loader refuses, the custom resource refuses too (with the monitor's own message when
    its structural checks pass), so no such baseline reaches a scheduled run."""
    from drift_monitor.baseline_model import BaselineError, load_baseline
    from tests.unit.drift_monitor.dm_helpers import VALUES, mutated

    request = baseline_check.parse_properties(props())
    pick = random.Random(seed)
    by_monitor = 0
    for k in range(60):
        stats, cons = statistics(), constraints()
        if k % 2:
            stats = mutated(stats, pick, VALUES, changes=2, into_lists=True)
        else:
            cons = mutated(cons, pick, VALUES, changes=2, into_lists=True)
        try:
            load_baseline(stats, cons)
            monitor_error = None
        except BaselineError as error:
            monitor_error = str(error)
        try:
            baseline_check.check(stats, cons, request)
            deploy_error = None
        except CustomResourceError as error:
            deploy_error = str(error)
        if monitor_error is not None:
            assert deploy_error is not None, monitor_error
            assert len(deploy_error) <= REASON_LIMIT
            if deploy_error.startswith(MONITOR_REFUSES):
                by_monitor += 1
                assert monitor_error[:80] in deploy_error
    assert by_monitor  # the monitor's reader decided some cases, not only the structure


def test_numeric_strings_in_monitoring_config_are_accepted(responses, s3):
    doc = constraints()
    doc.setdefault("monitoring_config", {})["domain_content_threshold"] = "0.9"
    upload_pair(s3, statistics(), doc)

    assert only(responses_after_create(responses))["Status"] == "SUCCESS"


def test_constraint_feature_missing_from_statistics_fails(responses, s3):
    stats = statistics()
    stats["features"] = stats["features"][:2]
    upload_pair(s3, stats, constraints())

    assert failed_reason(responses_after_create(responses)) == (
        "feature 'city' is in constraints.json but not in statistics.json; "
        "use files from the same baselining job"
    )


def test_swapped_uris_are_recognised(responses, baseline):
    run("Create", props(StatisticsS3Uri=CONS_URI, ConstraintsS3Uri=STATS_URI))

    assert failed_reason(responses).startswith(
        "StatisticsS3Uri and ConstraintsS3Uri look swapped: ConstraintsS3Uri "
        "(statistics.json) has a statistics file's dataset section, StatisticsS3Uri "
        "(constraints.json) has none"
    )


def test_violations_report_is_recognised(responses, s3):
    violations = {"violations": [{"feature_name": "age", "constraint_check_type": "data_type"}]}
    upload_pair(s3, statistics(), violations)

    assert failed_reason(responses_after_create(responses)).startswith(
        "constraints.json is a constraint_violations.json (a monitoring run's output)"
    )


def upload_names(s3: Any, names: list[str]) -> None:
    stats = {"dataset": {"item_count": 10}, "features": [{"name": n} for n in names]}
    cons = {"features": [{"name": n, "inferred_type": "Fractional"} for n in names]}
    upload_pair(s3, stats, cons)


def test_feature_names_over_the_data_limit_fail(responses, s3):
    upload_names(s3, [f"feature_with_a_long_descriptive_name_{i:04d}" for i in range(90)])

    reason = failed_reason(responses_after_create(responses))
    assert reason.startswith("90 feature names make ")
    assert "a custom resource may return at most 3072" in reason


def test_the_largest_accepted_feature_count_succeeds_within_the_response_limit(responses, s3):
    names = [f"feature_{i:03d}" for i in range(baseline_check.MAX_FEATURES)]
    upload_names(s3, names)

    response = only(responses_after_create(responses))
    assert response["Status"] == "SUCCESS"
    assert response["Data"]["FeatureCount"] == "100"
    assert response["Data"]["FeatureNames"].split(",") == names
    assert len(json.dumps(response).encode()) <= 4096


def test_one_feature_more_than_the_alarm_slots_fails_saying_what_to_do(responses, s3):
    upload_names(s3, [f"f{i}" for i in range(baseline_check.MAX_FEATURES + 1)])

    reason = failed_reason(responses_after_create(responses))
    assert reason.startswith("constraints.json lists 101 features; a stage alarms on at most 100")
    assert "make the baseline from at most 100 columns" in reason


def test_names_that_differ_only_in_punctuation_are_distinct_features(responses, s3):
    # Fn::ForEach's &{} logical ids made these collide; alarm slots are by position.
    names = ["num_03", "num03", "a-b", "a_b", "ab"]
    upload_names(s3, names)

    response = only(responses_after_create(responses))
    assert response["Status"] == "SUCCESS"
    assert response["Data"]["FeatureNames"] == ",".join(names)


@pytest.mark.parametrize("name", ["température", "年齢", "size\u00a0m2", "e\u0301"])
def test_non_ascii_feature_names_fail_naming_cloudwatch(responses, s3, name):
    upload_names(s3, ["age", name])

    reason = failed_reason(responses_after_create(responses))
    assert "has characters outside printable ASCII" in reason
    assert "CloudWatch metric names" in reason


def test_feature_name_longer_than_alarm_names_allow_fails(responses, s3):
    upload_names(s3, ["age", "x" * (baseline_check.MAX_FEATURE_NAME_LENGTH + 1)])
    assert "has 201 characters; drift alarm and metric names allow at most 200" in (
        failed_reason(responses_after_create(responses))
    )


def test_feature_name_of_the_longest_allowed_length_succeeds(responses, s3):
    upload_names(s3, ["age", "x" * baseline_check.MAX_FEATURE_NAME_LENGTH])
    assert only(responses_after_create(responses))["Status"] == "SUCCESS"


# --- Properties ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        (props(StatisticsS3Uri=None), "property StatisticsS3Uri is required"),
        (
            props(ConstraintsS3Uri="https://bucket.s3.amazonaws.com/constraints.json"),
            "property ConstraintsS3Uri is 'https://",
        ),
        (
            props(StatisticsS3Uri="s3://bucket-only"),
            "property StatisticsS3Uri is 's3://bucket-only'",
        ),
        (props(StatisticsS3Uri={"Ref": "X"}), "property StatisticsS3Uri must be a string"),
        (props(Statistics="s3://b/s.json"), "unknown property Statistics; expected"),
    ],
)
def test_malformed_property_fails_naming_it(responses, call_log: CallLog, properties, expected):
    run("Create", properties)

    assert failed_reason(responses).startswith(expected)
    assert call_log.calls == []


# --- Faults --------------------------------------------------------------------------


def test_slow_down_is_retried(responses, baseline, session, no_backoff):
    attempts = inject(session, GET_EVENT, lambda: xml_error(503, "SlowDown", "Reduce rate"), 1)

    run("Create", props())

    assert only(responses)["Status"] == "SUCCESS"
    assert attempts[0] == 3  # statistics: throttled then read; constraints: read


def test_access_denied_fails_naming_both_causes(responses, baseline, session):
    attempts = inject(session, GET_EVENT, lambda: xml_error(403, "AccessDenied", "Access Denied"))

    run("Create", props())

    assert failed_reason(responses) == (
        f"cannot read {STATS_URI} (AccessDenied): upload it if it is missing, "
        "else allow s3:GetObject (and kms:Decrypt for a customer key)"
    )
    assert attempts[0] == 1


def test_timeout_answer_reaches_cloudformation_first(responses, baseline, session):
    timed_out = threading.Event()
    session.events.register_first(GET_EVENT, lambda **kwargs: timed_out.wait(5) and None)

    run_until_crhelper_times_out(lambda kind, **kw: run(kind, props(), **kw), responses, timed_out)

    assert responses[0]["Status"] == "FAILED"
    assert responses[0]["Reason"] == "Execution timed out"


def test_plain_check_returns_names_in_constraints_order():
    request = baseline_check.parse_properties(props())
    cons = constraints()
    cons["features"].reverse()

    assert baseline_check.check(statistics(), cons, request) == ("city", "income", "age")


def test_physical_id_depends_on_both_uris():
    request = baseline_check.parse_properties(props())
    first = baseline_check.Baseline(request.statistics, request.constraints, ("a",))
    renamed = baseline_check.Baseline(request.statistics, request.constraints, ("b",))
    swapped = baseline_check.Baseline(request.constraints, request.statistics, ("a",))

    assert first.physical_id() == renamed.physical_id()
    assert first.physical_id() != swapped.physical_id()


def test_recorder_sees_plain_calls(session):
    """Guards the `call_log.calls == []` assertions above against a recorder that sees nothing."""
    log = record_calls(session)
    boto3.client("s3", region_name=REGION).list_buckets()

    assert log.names() == ["s3:ListBuckets"]
