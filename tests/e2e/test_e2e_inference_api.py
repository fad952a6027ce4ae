"""The inference API on the emulator: created with the stage, requests go through the API
path (API Gateway seam -> InvokeEndpoint seam) and land in data capture, which the
deployed drift monitor reads; refusals are JSON without backend details; a model update
leaves every API resource in place. The tests share one stack and run in file order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.credentials import Credentials

from scripts import capture_generator, invoke
from scripts.emulator import Emulator, scenario, traffic

pytestmark = pytest.mark.e2e
SETUP = scenario.Setup(stack="e2e-api", project="apidemo")
ROWS = capture_generator.csv_rows(capture_generator.reference_frame(40, seed=5))


@dataclass
class Story:
    emu: Emulator
    arns: list[str]
    outputs: dict[str, str]
    api_stack: str
    key: str


def nested_outputs(emu: Emulator, logical_id: str) -> tuple[str, dict[str, str]]:
    cfn = emu.client("cloudformation", SETUP.region)
    stacks = scenario.nested_stacks(emu, SETUP.region, SETUP.stack)
    (name,) = [name for _, logical, name, _ in stacks if logical == logical_id]
    return name, scenario.outputs(cfn.describe_stacks(StackName=name)["Stacks"][0])


@pytest.fixture(scope="module")
def story(dist: Path) -> Iterator[Story]:
    with Emulator(regions=[SETUP.region]) as emu:
        emu.upload_dist(SETUP.hosting_bucket, SETUP.key_prefix, dist, SETUP.region)
        scenario.create_artifacts_bucket(emu, SETUP)
        arns = scenario.create_registry(emu, SETUP, ["Approved", "PendingManualApproval"])
        stack = scenario.create_root_stack(emu, SETUP, InferenceApi="api-key")
        api_stack, api_outputs = nested_outputs(emu, "Api")
        key = traffic.api_key_value(emu, SETUP.region, api_outputs["ApiKeyId"])
        yield Story(emu, arns, scenario.outputs(stack), api_stack, key)


def post(story: Story, body: bytes, content_type: str | None = "text/csv", **headers: str):
    request = invoke.build_request(
        story.outputs["InferenceApiUrl"], body, content_type or "", api_key=story.key
    )
    if content_type is None:
        del request.headers["Content-Type"]
    for name, value in headers.items():
        request.headers[name] = value
    return invoke.send(request, connect_to=story.emu.endpoint_url)


def api_definition(story: Story) -> dict:
    apigw = story.emu.client("apigateway", SETUP.region)
    (api,) = apigw.get_rest_apis()["items"]
    resources = apigw.get_resources(restApiId=api["id"])["items"]
    (resource,) = [r for r in resources if r["path"] == "/invocations"]
    method = apigw.get_method(restApiId=api["id"], resourceId=resource["id"], httpMethod="POST")
    (stage,) = apigw.get_stages(restApiId=api["id"])["item"]
    for answer in (method, stage):
        answer.pop("ResponseMetadata", None)
    return {"api": api["id"], "resource": resource["id"], "method": method, "stage": stage}


def test_api_is_created_with_the_stage(story):
    url = story.outputs["InferenceApiUrl"]
    assert url.startswith("https://") and url.endswith(f"/{SETUP.stage}/invocations")
    definition = api_definition(story)
    integration = definition["method"]["methodIntegration"]
    assert integration["uri"] == (
        f"arn:aws:apigateway:{SETUP.region}:runtime.sagemaker:path/endpoints/"
        f"{SETUP.endpoint}/invocations"
    )
    assert integration["requestTemplates"] == {"text/csv": "$input.body"}  # the package's type
    assert integration["passthroughBehavior"] == "NEVER"
    assert definition["method"]["apiKeyRequired"] is True
    apigw = story.emu.client("apigateway", SETUP.region)
    (plan,) = apigw.get_usage_plans()["items"]
    assert plan["quota"] == {"limit": 100000, "period": "DAY"}
    assert plan["apiStages"] == [{"apiId": definition["api"], "stage": SETUP.stage}]


def test_rows_sent_through_the_api_are_answered_and_land_in_data_capture(story):
    answers = traffic.send_through_api(
        story.emu, SETUP.region, story.outputs["InferenceApiUrl"], ROWS, api_key=story.key
    )

    assert [a.status for a in answers] == [200] * 4  # 40 rows, 10 a request
    scores = [line for a in answers for line in a.body.splitlines()]
    assert len(scores) == len(ROWS) and all(0 <= float(s) < 1 for s in scores)
    s3 = story.emu.client("s3", SETUP.region)
    bucket = story.outputs["DataBucketName"]
    prefix = f"capture/{SETUP.endpoint}/AllTraffic/"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]]
    assert len(keys) == 4
    captured = []
    for key in keys:
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms"
        record = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        captured += record["captureData"]["endpointInput"]["data"].splitlines()
    assert sorted(captured) == sorted(ROWS)


def test_the_deployed_monitor_reads_what_the_api_captured(story):
    function = next(
        f["FunctionName"]
        for f in story.emu.client("lambda", SETUP.region).list_functions()["Functions"]
        if (f.get("Environment") or {}).get("Variables", {}).get("DRIFTGATE_ENDPOINT_NAME")
        == SETUP.endpoint
    )
    s3 = story.emu.client("s3", SETUP.region)
    prefix = f"capture/{SETUP.endpoint}/AllTraffic/"
    listing = s3.list_objects_v2(Bucket=story.outputs["DataBucketName"], Prefix=prefix)
    hour = listing["Contents"][0]["Key"].removeprefix(prefix)[:13]  # yyyy/mm/dd/hh
    window_end = datetime.strptime(hour, "%Y/%m/%d/%H").replace(tzinfo=UTC) + timedelta(hours=1)

    summary = traffic.run_monitor(story.emu, SETUP.region, function, window_end)

    # Four captured requests of ten rows; too few for a drift verdict (min_records).
    assert (summary["records"], summary["rows_analysed"]) == (4, len(ROWS))
    assert summary["malformed_total"] == 0


@pytest.mark.parametrize(
    ("headers", "status", "error"),
    [
        ({"x-api-key": "not-the-key"}, 403, "INVALID_API_KEY"),
        ({"Content-Type": "application/x-npy"}, 415, "UNSUPPORTED_MEDIA_TYPE"),
        ({"Content-Type": "application/json"}, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ],
)
def test_refusals_are_json_gateway_responses(story, headers, status, error):
    answer = post(story, b"1,2,3\n", **headers)
    assert answer.status == status
    assert json.loads(answer.body)["error"] == error


def test_missing_content_type_is_a_bad_request(story):
    answer = post(story, b"1,2,3\n", content_type=None)
    assert answer.status == 400
    body = json.loads(answer.body)
    assert body["error"] == "BAD_REQUEST_PARAMETERS" and "Content-Type" in body["message"]


def test_payload_over_api_gateways_10_mb_is_refused(story):
    answer = post(story, b"1," * (5 * 1024 * 1024 + 1))
    assert answer.status == 413 and json.loads(answer.body)["error"] == "REQUEST_TOO_LARGE"


def test_payload_over_the_endpoints_6_mb_maps_to_400(story):
    answer = post(story, b"1," * (3 * 1024 * 1024 + 1))
    assert answer.status == 400 and json.loads(answer.body)["error"] == "BadRequest"


def test_model_error_is_502_without_trace_log_stream_or_request_id(story):
    answer = post(story, b"1,2,3\n4,5\n")
    assert answer.status == 502
    assert json.loads(answer.body)["error"] == "ModelError"
    for leak in ("Traceback", "LogStreamArn", "arn:aws:logs", "serve.py", "RequestId"):
        assert leak not in answer.body


def test_sigv4_request_is_refused_by_an_api_key_api_and_a_forged_one_too(story):
    url = story.outputs["InferenceApiUrl"]
    forged = Credentials("testing", "wrong-secret", "testing")
    request = invoke.build_request(url, b"1,2\n", "text/csv", credentials=forged)
    assert invoke.send(request, connect_to=story.emu.endpoint_url).status == 403


def test_access_log_has_no_body(story):
    logs = story.emu.client("logs", SETUP.region)
    groups = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
    (group,) = [g for g in groups if "AccessLogGroup" in g]
    lines = [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]
    assert len(lines) >= 4
    records = [json.loads(line) for line in lines]
    assert {"200", "403", "415"} <= {r["status"] for r in records}
    assert all(ROWS[0] not in line and "4,5" not in line for line in lines)


def test_model_update_changes_no_api_resource(story):
    before = api_definition(story)
    scenario.approve(story.emu, SETUP, story.arns[1])
    updated = scenario.update_root_stack(
        story.emu, SETUP, InferenceApi="api-key", ModelNonce="api-e2e-2"
    )
    assert updated["StackStatus"] == "UPDATE_COMPLETE"
    assert scenario.deployed_package(story.emu, SETUP) == story.arns[1]
    assert api_definition(story) == before
    answers = traffic.send_through_api(
        story.emu, SETUP.region, story.outputs["InferenceApiUrl"], ROWS[:5], api_key=story.key
    )
    assert [a.status for a in answers] == [200]


def test_delete_removes_the_api(story):
    story.emu.client("cloudformation", SETUP.region).delete_stack(StackName=SETUP.stack)
    apigw = story.emu.client("apigateway", SETUP.region)
    assert apigw.get_rest_apis()["items"] == []
    assert apigw.get_usage_plans()["items"] == []
    assert apigw.get_api_keys()["items"] == []
