"""monitoring.yml: every request a role's holder makes is allowed by its ARNs and conditions.

Functions we own (MonitorFunction, MergeFunction, the drift baseline custom resource) run
their real code on moto with the environment the template gives them; every botocore
request is recorded and checked against the role's statements rendered with the same
parameters (tests/templates/iam_model.py). The roles services assume (SchedulerRole,
ProcessingRole, ModelMonitorRole) are checked against the requests their service makes
for the configuration the template declares, as the service's documentation lists them.
A prefix, namespace, job-name pattern or passed role that drifts between the code's
environment and the policy fails here, not with AccessDenied in the first run.
"""

import json
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from moto import mock_aws

from drift_monitor import lambda_handler, merge_handler
from drift_monitor.baseline import build_baseline_from_columns
from drift_monitor.monitor import load_baseline_files
from drift_monitor.processing_launch import MANIFEST_INPUT, STATE_OUTPUT, job_locations
from drift_monitor.profile import WindowProfile
from drift_monitor.storage import Storage
from tests.templates import iam_model
from tests.templates.iam_model import (
    ACCOUNT,
    REGION,
    all_authorizations,
    allowed,
    granted_actions,
    recorded,
    refusals,
    render,
    role_statements,
)

TEMPLATE = "monitoring.yml"
# Granted for what Lambda does for the function (its log stream), not for its calls.
LAMBDA_PLATFORM = {"logs:CreateLogStream", "logs:PutLogEvents"}
# Reading an SSE-KMS object makes S3 call kms:Decrypt as the caller (iam_model models it
# from the object's encryption): every object these roles read is under the stack key.
VIA_S3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}


def params(**overrides: Any) -> dict[str, Any]:
    conditions = {"UseBuiltin": True, "UseModelMonitor": False, "UseProcessing": True}
    conditions.update(overrides.pop("conditions", {}))
    return iam_model.sample_params(
        **{"AWS::StackName": "demo-staging-Monitoring-1X2Y3Z", **overrides},
        conditions=conditions,
    )


def statements(templates, role: str, p: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return role_statements(templates[TEMPLATE], role, p or params())


def function_environment(templates, function: str, p: dict[str, Any]) -> dict[str, str]:
    """The function's Environment.Variables as CloudFormation resolves them."""
    template = templates[TEMPLATE]
    variables = template["Resources"][function]["Properties"]["Environment"]["Variables"]
    # The custom resource echoes the validated baseline URIs (Custom::DriftBaseline).
    p = {
        **p,
        "DriftBaseline.StatisticsS3Uri": p["BaselineStatisticsS3Uri"],
        "DriftBaseline.ConstraintsS3Uri": p["BaselineConstraintsS3Uri"],
    }
    return {name: str(render(value, p, template)) for name, value in variables.items()}


@pytest.fixture
def aws(monkeypatch):
    for key, value in iam_model.TEST_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in ("demo-data", "demo-artifacts", "demo-hosting"):
            s3.create_bucket(Bucket=bucket)
        yield s3


RNG = np.random.default_rng(3)
BASELINE = build_baseline_from_columns(["x"], [[f"{v:.5f}" for v in RNG.normal(size=500)]])


def put_uri(s3, uri: str, body: str | bytes, kms_key: str = "") -> None:
    """An object at `uri`; SSE-KMS with `kms_key` when given."""
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key} if kms_key else {}
    s3.put_object(Bucket=bucket, Key=key, Body=body, **encryption)


def capture_line(i: int, value: float, hour: int = 15) -> str:
    return json.dumps(
        {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": f"{value:.5f}",
                    "encoding": "CSV",
                },
                "endpointOutput": {
                    "observedContentType": "text/csv",
                    "mode": "OUTPUT",
                    "data": "0.5",
                    "encoding": "CSV",
                },
            },
            "eventMetadata": {
                "eventId": str(i),
                "inferenceTime": f"2026-11-23T{hour}:{i % 60:02d}:10Z",
            },
            "eventVersion": "0",
        }
    )


def stage_inputs(s3, env: dict[str, str], hour: int = 15) -> None:
    """Baseline files (SSE-KMS with the stack key, as build.yml's DataQuality step writes
    them) and one drifted hour of capture where the environment says."""
    stats, constraints = BASELINE
    key = env["DRIFTGATE_KMS_KEY_ARN"]
    put_uri(s3, env["DRIFTGATE_BASELINE_STATISTICS_S3_URI"], json.dumps(stats), key)
    put_uri(s3, env["DRIFTGATE_BASELINE_CONSTRAINTS_S3_URI"], json.dumps(constraints), key)
    lines = [capture_line(i, RNG.normal(3.0), hour) for i in range(200)]
    folder = f"{env['DRIFTGATE_CAPTURE_S3_URI']}/{env['DRIFTGATE_ENDPOINT_NAME']}"
    put_uri(s3, f"{folder}/AllTraffic/2026/11/23/{hour}/part.jsonl", "\n".join(lines) + "\n")


WINDOW_EVENT = {"window_end": "2026-11-23T16:00:00Z"}


def run_monitor(monkeypatch, env: dict[str, str], canned=None, event=None) -> tuple[list, Any]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return recorded(lambda: lambda_handler.handler(event or WINDOW_EVENT, None), canned)


def platform(templates, function: str, p: dict[str, Any]) -> list[iam_model.Authorization]:
    """Lambda's log writes, and S3's kms:Decrypt as the caller for each SSE-KMS object read
    (encrypted with the stack key: capture, reports, claims)."""
    decrypt = ("kms:Decrypt", p["KmsKeyArn"], {"kms:ViaService": f"s3.{REGION}.amazonaws.com"})
    return [*iam_model.lambda_platform_requests(templates[TEMPLATE], function, p), decrypt]


# ------------------------------------------------------------------ MonitorRole


def test_a_lambda_run_of_the_monitor_is_allowed_by_its_role(templates, aws, monkeypatch):
    p = params()
    env = function_environment(templates, "MonitorFunction", p)
    stage_inputs(aws, env)
    requests, summary = run_monitor(monkeypatch, env)
    assert summary["status"] == "completed" and summary["violations"], summary
    seen = all_authorizations(requests)
    assert refusals(statements(templates, "MonitorRole", p), seen) == []
    assert {a for a, _, _ in seen} == {
        "s3:ListBucket",
        "s3:GetObject",
        "s3:PutObject",
        "kms:GenerateDataKey",
        "kms:Decrypt",  # the SSE-KMS baseline files
        "cloudwatch:PutMetricData",
        "events:PutEvents",
    }


def processing_env(templates, p: dict[str, Any]) -> dict[str, str]:
    env = function_environment(templates, "MonitorFunction", p)
    # Measured throughput of 1 byte/s: any window is past half the timeout.
    return {**env, "DRIFTGATE_BYTES_PER_SECOND": "1"}


def test_a_processing_launch_is_allowed_by_the_monitor_role(templates, aws, monkeypatch):
    """The window too large for the Lambda: claim, manifest, CreateProcessingJob (passing
    ProcessingRole to SageMaker), then a later run checks on the job."""
    p = params()
    env = processing_env(templates, p)
    stage_inputs(aws, env)
    launch, started = run_monitor(monkeypatch, env)
    assert started["status"] == "processing", started
    resume, summary = run_monitor(
        monkeypatch,
        env,
        canned={("sagemaker", "DescribeProcessingJob"): {"ProcessingJobStatus": "InProgress"}},
    )
    assert summary["job_status"] == "InProgress", summary
    seen = all_authorizations(launch + resume)
    role = statements(templates, "MonitorRole", p)
    assert refusals(role, seen) == []
    (passed,) = [r for r in seen if r[0] == "iam:PassRole"]
    assert passed[1] == env["DRIFTGATE_PROCESSING_ROLE_ARN"]
    assert passed[2] == {"iam:PassedToService": "sagemaker.amazonaws.com"}
    # With a window that fits the Lambda (the hour before), both paths together use
    # every grant of the role (each action on each resource), and nothing else.
    stage_inputs(aws, env, hour=14)
    lambda_env = {**env, "DRIFTGATE_BYTES_PER_SECOND": "30000000"}
    fits, ran = run_monitor(monkeypatch, lambda_env, event={"window_end": "2026-11-23T15:00:00Z"})
    assert ran["status"] == "completed" and ran["violations"], ran
    every = seen + all_authorizations(fits) + platform(templates, "MonitorFunction", p)
    assert refusals(role, every) == []
    assert iam_model.unused_grants(role, every) == []


def test_the_passed_role_must_go_to_sagemaker_only(templates):
    role = statements(templates, "MonitorRole")
    processing = params()["AWS::StackName"] + "-ProcessingRole-" + iam_model.SUFFIX
    arn = f"arn:aws:iam::{ACCOUNT}:role/{processing}"
    assert allowed(role, "iam:PassRole", arn, {"iam:PassedToService": "sagemaker.amazonaws.com"})
    assert not allowed(role, "iam:PassRole", arn, {"iam:PassedToService": "lambda.amazonaws.com"})
    assert not allowed(role, "iam:PassRole", arn, {})


def test_the_check_refuses_a_prefix_or_namespace_the_role_does_not_cover(templates):
    role = statements(templates, "MonitorRole")
    other = ("s3:ListBucket", "arn:aws:s3:::demo-data", {"s3:prefix": "capture/other-endpoint/"})
    assert not allowed(role, *other)
    aws_namespace = {"cloudwatch:namespace": "aws/sagemaker/Endpoints/data-metrics"}
    assert not allowed(role, "cloudwatch:PutMetricData", "*", aws_namespace)
    job = iam_model.sagemaker_arn("processing-job", "other-schedule-202611231600")
    assert not allowed(role, "sagemaker:CreateProcessingJob", job, {})


# ------------------------------------------------------------------ MergeRole


def test_a_merge_is_allowed_by_its_role(templates, aws, monkeypatch):
    """The job the monitor started ends; MergeFunction reads it back and finishes."""
    p = params()
    env = processing_env(templates, p)
    stage_inputs(aws, env)
    launch, _ = run_monitor(monkeypatch, env)
    (job,) = [params_ for s, o, params_ in launch if o == "CreateProcessingJob"]
    # One shard's state, as the job would write it under its state output.
    storage = Storage(aws)
    baseline = load_baseline_files(
        env["DRIFTGATE_BASELINE_STATISTICS_S3_URI"],
        env["DRIFTGATE_BASELINE_CONSTRAINTS_S3_URI"],
        storage,
    )
    profile = WindowProfile.for_baseline(baseline)
    profile.update_columns([[f"{RNG.normal(3.0):.5f}" for _ in range(200)]])
    state_uri = job_locations(job)[STATE_OUTPUT] + "/shard-0.json"
    put_uri(aws, state_uri, json.dumps(profile.to_dict()))

    for name, value in function_environment(templates, "MergeFunction", p).items():
        monkeypatch.setenv(name, value)
    described = {**job, "ProcessingJobStatus": "Completed"}
    event = {"detail": {"ProcessingJobName": job["ProcessingJobName"]}}
    requests, summary = recorded(
        lambda: merge_handler.handler(event, None),
        canned={("sagemaker", "DescribeProcessingJob"): described},
    )
    assert summary["status"] == "completed" and summary["shards"] == 1, summary
    seen = all_authorizations(requests) + platform(templates, "MergeFunction", p)
    role = statements(templates, "MergeRole", p)
    assert refusals(role, seen) == []
    assert iam_model.unused_grants(role, seen) == []


# ------------------------------------------------------------------ DriftBaselineRole


def test_drift_baseline_reads_only_what_its_role_allows(templates, aws, monkeypatch):
    root = Path(__file__).resolve().parents[2] / "custom_resources"
    for folder in (root, root / "drift_baseline"):
        monkeypatch.syspath_prepend(str(folder))
    import baseline_check

    p = params()
    stats, constraints = BASELINE
    # As build.yml's DataQuality step writes them: SSE-KMS with the stack key.
    put_uri(aws, p["BaselineStatisticsS3Uri"], json.dumps(stats), p["KmsKeyArn"])
    put_uri(aws, p["BaselineConstraintsS3Uri"], json.dumps(constraints), p["KmsKeyArn"])
    properties = templates[TEMPLATE]["Resources"]["DriftBaseline"]["Properties"]
    rendered = render({k: v for k, v in properties.items() if k != "ServiceToken"}, p, {})
    request = baseline_check.parse_properties(
        {k: v for k, v in rendered.items() if k != "ServiceTimeout"}
    )
    requests, _ = recorded(lambda: baseline_check.validate(baseline_check.s3_client(), request))
    seen = all_authorizations(requests)
    role = statements(templates, "DriftBaselineRole", p)
    assert seen.count(("kms:Decrypt", p["KmsKeyArn"], VIA_S3)) == 2
    assert len(seen) == 4 and refusals(role, seen) == []
    assert {a for a, _, _ in seen} | LAMBDA_PLATFORM == granted_actions(role)
    logs = iam_model.lambda_platform_requests(templates[TEMPLATE], "DriftBaselineFunction", p)
    assert iam_model.unused_grants(role, seen + logs) == []
    # With an artifacts key, the role may decrypt through S3 only.
    keyed = params(ArtifactsKmsKeyArn=p["KmsKeyArn"].replace("1234abcd", "9999abcd"))
    keyed_role = statements(templates, "DriftBaselineRole", keyed)
    via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    assert allowed(keyed_role, "kms:Decrypt", keyed["ArtifactsKmsKeyArn"], via_s3)
    assert not allowed(keyed_role, "kms:Decrypt", keyed["ArtifactsKmsKeyArn"], {})


# ------------------------------------------------------------------ service roles


def test_the_scheduler_invokes_exactly_the_monitor_function(templates):
    """EventBridge Scheduler User Guide, "Set up the execution role": the role allows the
    target's API on the target (Lambda: lambda:InvokeFunction on the function ARN)."""
    p = params()
    template = templates[TEMPLATE]
    target = render(template["Resources"]["MonitorSchedule"]["Properties"]["Target"], p, template)
    assert target["RoleArn"] == render({"Fn::GetAtt": ["SchedulerRole", "Arn"]}, p, template)
    role = statements(templates, "SchedulerRole", p)
    assert allowed(role, "lambda:InvokeFunction", target["Arn"], {})
    assert iam_model.unused_grants(role, [("lambda:InvokeFunction", target["Arn"], {})]) == []
    other = target["Arn"].replace("MonitorFunction", "MergeFunction")
    assert not allowed(role, "lambda:InvokeFunction", other, {})


def job_requests(
    job: dict[str, Any], log_group: str, input_key: str
) -> list[iam_model.Authorization]:
    """What SageMaker does with a Processing job's role (SageMaker Developer Guide,
    "CreateProcessingJob API: Execution Role Permissions"): lists each S3Prefix input's
    prefix and reads its objects (SSE-KMS under `input_key`: kms:Decrypt through S3, as
    capture, the baselines build.yml writes and the monitor's manifest all are), reads a
    ManifestFile and the objects it lists, writes each output under its S3Uri (a KMS
    data key and kms:Encrypt when KmsKeyId is set), a grant on the volume key, pulls the
    image from ECR (iam_model.image_pull_requests), and writes the job's logs."""
    out: list[iam_model.Authorization] = []
    via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    for item in job["ProcessingInputs"]:
        s3_input = item["S3Input"]
        bucket, key = s3_input["S3Uri"].removeprefix("s3://").split("/", 1)
        out.append(("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}", {}))
        out.append(("kms:Decrypt", input_key, VIA_S3))
        if s3_input["S3DataType"] == "S3Prefix":
            out.append(("s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": key}))
    for output in job["ProcessingOutputConfig"]["Outputs"]:
        bucket, key = output["S3Output"]["S3Uri"].removeprefix("s3://").split("/", 1)
        out.append(("s3:PutObject", f"arn:aws:s3:::{bucket}/{key}/shard-0.json", {}))
    if job["ProcessingOutputConfig"].get("KmsKeyId"):
        out.append(("kms:GenerateDataKey", job["ProcessingOutputConfig"]["KmsKeyId"], via_s3))
        # "If you specify a KMS key in the output configuration of your processing job":
        # the guide adds kms:Encrypt on it (the calling service is not named).
        out.append(("kms:Encrypt", job["ProcessingOutputConfig"]["KmsKeyId"], {}))
    volume_key = job["ProcessingResources"]["ClusterConfig"].get("VolumeKmsKeyId")
    if volume_key:
        out.append(("kms:CreateGrant", volume_key, {}))
    out += iam_model.image_pull_requests(job["AppSpecification"]["ImageUri"])
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{log_group}"
    out.append(("logs:CreateLogGroup", f"{group}:*", {}))
    out.append(("logs:DescribeLogStreams", f"{group}:*", {}))
    stream = f"{group}:log-stream:{job.get('ProcessingJobName', 'job')}/algo-1-1700000000"
    out.extend([("logs:CreateLogStream", stream, {}), ("logs:PutLogEvents", stream, {})])
    return out


def test_the_processing_job_role_covers_the_job_the_monitor_starts(templates, aws, monkeypatch):
    """The job request is the monitor's own (recorded), so its inputs, outputs, keys and
    image are the ones SageMaker uses the role for."""
    p = params()
    env = processing_env(templates, p)
    stage_inputs(aws, env)
    launch, _ = run_monitor(monkeypatch, env)
    (job,) = [params_ for s, o, params_ in launch if o == "CreateProcessingJob"]
    assert job["RoleArn"] == env["DRIFTGATE_PROCESSING_ROLE_ARN"]
    # The shards read the manifest's capture files too (ManifestFile input).
    manifest_uri = job_locations(job)[MANIFEST_INPUT]
    entries = json.loads(Storage(aws).read_bytes(manifest_uri))
    capture = [entries[0]["prefix"] + key for key in entries[1:]]
    requests = job_requests(job, "/aws/sagemaker/ProcessingJobs", p["KmsKeyArn"])
    for uri in capture:
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        requests.append(("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}", {}))
        # Whether SageMaker lists what a manifest names is not documented: modelled.
        requests.append(("s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": key}))
    role = statements(templates, "ProcessingRole", p)
    assert refusals(role, requests) == []
    assert {a for a, _, _ in requests} == granted_actions(role)
    assert iam_model.unused_grants(role, requests) == []


def test_the_processing_job_role_lists_only_this_endpoints_prefixes(templates):
    role = statements(templates, "ProcessingRole", params())
    bucket = "arn:aws:s3:::demo-data"
    assert not allowed(role, "s3:ListBucket", bucket, {"s3:prefix": "capture/other-endpoint/x"})
    assert not allowed(role, "s3:ListBucket", bucket, {"s3:prefix": ""})


def test_the_model_monitor_role_covers_its_monitoring_job(templates):
    """SageMaker Developer Guide, "CreateProcessingJob API: Execution Role Permissions"
    (a monitoring job is a processing job): reads the endpoint's capture and the baseline
    files, writes reports under the output S3Uri, publishes the data-quality metrics
    (Model Monitor: publish_cloudwatch_metrics, namespace aws/sagemaker/Endpoints/
    data-metrics), pulls the analyzer image, writes logs."""
    p = params(conditions={"UseBuiltin": False, "UseModelMonitor": True, "UseProcessing": False})
    p = {
        **p,
        "DriftBaseline.StatisticsS3Uri": p["BaselineStatisticsS3Uri"],
        "DriftBaseline.ConstraintsS3Uri": p["BaselineConstraintsS3Uri"],
    }
    template = templates[TEMPLATE]
    spec = render(template["Resources"]["DataQualityJobDefinition"]["Properties"], p, template)
    endpoint = spec["DataQualityJobInput"]["EndpointInput"]["EndpointName"]
    data_bucket = p["DataBucketName"]
    capture_prefix = f"capture/{endpoint}/AllTraffic/2026/11/23/15/"
    baseline = spec["DataQualityBaselineConfig"]
    job = {
        "ProcessingJobName": "model-monitoring-202611231600-abc",
        "ProcessingInputs": [
            {
                "S3Input": {
                    "S3Uri": f"s3://{data_bucket}/{capture_prefix}",
                    "S3DataType": "S3Prefix",
                }
            },
            *[
                {"S3Input": {"S3Uri": baseline[part]["S3Uri"], "S3DataType": "S3Prefix"}}
                for part in ("StatisticsResource", "ConstraintsResource")
            ],
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {"S3Output": {"S3Uri": o["S3Output"]["S3Uri"]}}
                for o in spec["DataQualityJobOutputConfig"]["MonitoringOutputs"]
            ],
            "KmsKeyId": spec["DataQualityJobOutputConfig"]["KmsKeyId"],
        },
        "ProcessingResources": {"ClusterConfig": spec["JobResources"]["ClusterConfig"]},
        "AppSpecification": {"ImageUri": spec["DataQualityAppSpecification"]["ImageUri"]},
    }
    requests = job_requests(job, "/aws/sagemaker/ProcessingJobs", p["KmsKeyArn"])
    requests.append(
        (
            "cloudwatch:PutMetricData",
            "*",
            {"cloudwatch:namespace": "aws/sagemaker/Endpoints/data-metrics"},
        )
    )
    role = statements(templates, "ModelMonitorRole", p)
    assert refusals(role, requests) == []
    assert {a for a, _, _ in requests} == granted_actions(role)


def test_the_merge_role_reads_only_this_schedules_jobs_and_folder(templates):
    role = statements(templates, "MergeRole")
    other_job = iam_model.sagemaker_arn("processing-job", "demo-prod-data-quality-202611231600")
    assert not allowed(role, "sagemaker:DescribeProcessingJob", other_job, {})
    other_folder = "arn:aws:s3:::demo-data/monitoring/demo-prod/x.json"
    assert not allowed(role, "s3:GetObject", other_folder, {})
    assert not allowed(role, "s3:ListBucket", "arn:aws:s3:::demo-data", {"s3:prefix": "capture/"})
