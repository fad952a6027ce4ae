"""The Processing path end to end: the scheduled run routes a window, the emulated
SageMaker runs the packaged bundle per instance over sharded inputs, the merge function
finishes the window on the job's end event; the Lambda path gives the same bytes."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from drift_monitor import build_baseline, merge_handler
from drift_monitor.monitor import MonitorResult, Publisher
from drift_monitor.scheduled import ProcessingStarted, ScheduledConfig, run_scheduled
from drift_monitor.storage import Storage
from drift_monitor.window import Window, iso
from scripts import capture_generator as gen
from scripts.emulator.processing_jobs import ProcessingJobs

pytestmark = pytest.mark.e2e

REGION = "us-east-1"
DATA, HOSTING, ARTIFACTS = "data", "hosting", "artifacts"
ENDPOINT, SCHEDULE = "demo-staging", "demo-staging-data-quality"
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
WINDOW = Window(START, datetime(2026, 11, 23, 11, 0, tzinfo=UTC))
FOLDER = f"monitoring/{ENDPOINT}/{SCHEDULE}/2026/11/23/11"
ANALYSIS_FILES = (
    "constraint_violations.json",
    "driftgate_summary.json",
    "report.html",
    "statistics.json",
)


def packaged_code_key(dist: Path) -> str:
    """The bundle's key as the packaged monitoring.yml names it (content-hashed by
    scripts/package.py), under this test's templates prefix."""
    text = (dist / "templates" / "monitoring.yml").read_text(encoding="utf-8")
    (name,) = set(re.findall(r"functions/(drift_monitor_processing-[0-9a-f]+\.zip)", text))
    assert (dist / "functions" / name).is_file(), name
    return f"driftgate/functions/{name}"


@pytest.fixture
def aws(tmp_path, dist, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (DATA, HOSTING, ARTIFACTS):
            s3.create_bucket(Bucket=bucket)
        # Where `make publish` puts it: the job must find the bundle under that name.
        code_key = packaged_code_key(dist)
        s3.upload_file(str(dist / "functions" / code_key.rsplit("/", 1)[1]), HOSTING, code_key)
        monkeypatch.setenv("TEST_PROCESSING_CODE_S3_URI", f"s3://{HOSTING}/{code_key}")
        reference = gen.write_reference_csv(tmp_path / "ref.csv", gen.reference_frame(3000, 0))
        build_baseline(str(reference), str(tmp_path / "baseline"), header=True)
        for name in ("statistics.json", "constraints.json"):
            s3.upload_file(str(tmp_path / "baseline" / name), ARTIFACTS, f"baseline/{name}")
        paths, _ = gen.write_window(
            tmp_path / "capture",
            ENDPOINT,
            START,
            4000,
            7,
            gen.DriftSpec("mean_shift"),
            records_per_file=500,
        )
        for path in paths:
            key = path.relative_to(tmp_path / "capture").as_posix()
            s3.upload_file(str(path), DATA, f"capture/{key}")
        yield s3


def config(max_instances: int, bytes_per_second: int = 100_000_000) -> ScheduledConfig:
    env = {
        "DRIFTGATE_ENDPOINT_NAME": ENDPOINT,
        "DRIFTGATE_SCHEDULE_NAME": SCHEDULE,
        "DRIFTGATE_CAPTURE_S3_URI": f"s3://{DATA}/capture",
        "DRIFTGATE_BASELINE_STATISTICS_S3_URI": f"s3://{ARTIFACTS}/baseline/statistics.json",
        "DRIFTGATE_BASELINE_CONSTRAINTS_S3_URI": f"s3://{ARTIFACTS}/baseline/constraints.json",
        "DRIFTGATE_OUTPUT_S3_URI": f"s3://{DATA}/monitoring/{ENDPOINT}",
        "DRIFTGATE_MIN_RECORDS": "100",
        "DRIFTGATE_PROCESSING_MAX_INSTANCES": str(max_instances),
        "DRIFTGATE_PROCESSING_ROLE_ARN": "arn:aws:iam::123456789012:role/processing",
        "DRIFTGATE_PROCESSING_IMAGE_URI": "123.dkr.ecr.us-east-1.amazonaws.com/sklearn:1",
        "DRIFTGATE_PROCESSING_INSTANCE_TYPE": "ml.m5.xlarge",
        "DRIFTGATE_PROCESSING_CODE_S3_URI": os.environ["TEST_PROCESSING_CODE_S3_URI"],
        "DRIFTGATE_BYTES_PER_SECOND": str(bytes_per_second),
    }
    return ScheduledConfig.from_env(env)


def publisher() -> Publisher:
    return Publisher(boto3.client("cloudwatch"), boto3.client("events"))


def keys(s3, prefix=FOLDER):
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=DATA, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def read(s3, key):
    return s3.get_object(Bucket=DATA, Key=key)["Body"].read()


def metric_sum(name):
    cloudwatch = boto3.client("cloudwatch")
    points = cloudwatch.get_metric_statistics(
        Namespace="driftgate/Endpoints/data-metrics",
        MetricName=name,
        Dimensions=[
            {"Name": "Endpoint", "Value": ENDPOINT},
            {"Name": "MonitoringSchedule", "Value": SCHEDULE},
        ],
        StartTime=datetime(2026, 11, 23, tzinfo=UTC),
        EndTime=datetime(2026, 11, 24, tzinfo=UTC),
        Period=86400,
        Statistics=["Sum"],
    )["Datapoints"]
    return sum(p["Sum"] for p in points)


def sagemaker(s3, tmp_path, monkeypatch):
    """The emulated SageMaker; a job's end event goes to the deployed merge handler."""

    def deliver(event):
        real_client = boto3.client

        def client(service, *args, **kwargs):
            return jobs if service == "sagemaker" else real_client(service, *args, **kwargs)

        monkeypatch.setattr(merge_handler.boto3, "client", client)
        try:
            delivered.append(merge_handler.handler(event, None))
        finally:
            monkeypatch.setattr(merge_handler.boto3, "client", real_client)

    delivered: list[dict] = []
    jobs = ProcessingJobs(s3, tmp_path / "jobs", region=REGION, on_end=deliver)
    return jobs, delivered


def test_a_window_that_fits_runs_in_the_lambda(aws, tmp_path, monkeypatch):
    jobs, _ = sagemaker(aws, tmp_path, monkeypatch)
    result = run_scheduled(config(3), WINDOW, Storage(aws), publisher(), sagemaker=jobs)
    assert isinstance(result, MonitorResult)
    assert jobs.jobs == {}
    claim = json.loads(read(aws, f"{FOLDER}/driftgate_route.json"))
    assert (claim["route"], claim["files"]) == ("lambda", 8)


def test_a_window_too_large_runs_sharded_and_merges_like_the_lambda(aws, tmp_path, monkeypatch):
    jobs, delivered = sagemaker(aws, tmp_path, monkeypatch)
    # 1 kB/s: the window's ~1.7 MB would take ~30 minutes, past half of 900 s.
    started = run_scheduled(config(3, 1000), WINDOW, Storage(aws), publisher(), sagemaker=jobs)

    assert isinstance(started, ProcessingStarted) and started.started
    assert started.route.instances == 3
    (name,) = jobs.jobs
    request, run = jobs.jobs[name]
    assert run.status == "Completed", run.failure_reason
    sources = [i["S3Input"] for i in request["ProcessingInputs"]]
    data = next(s for s in sources if s["LocalPath"] == "/opt/ml/processing/endpointdata")
    assert (data["S3DataDistributionType"], data["S3DataType"]) == (
        "ShardedByS3Key",
        "ManifestFile",
    )
    assert request["NetworkConfig"]["EnableNetworkIsolation"] is True
    shares = [len(files["endpointdata"]) for files in run.inputs_per_host.values()]
    assert sorted(shares) == [2, 3, 3]  # 8 capture files over 3 instances, each once
    states = keys(aws, f"{FOLDER}/processing/{name}/state/")
    assert [k.rsplit("/", 1)[1] for k in states] == [f"state-algo-{i}.json" for i in (1, 2, 3)]
    (merged,) = delivered
    assert (merged["status"], merged["shards"]) == ("completed", 3)
    assert merged["violations"] >= 1
    assert metric_sum("driftgate_records") == 4000
    sharded = {name: read(aws, f"{FOLDER}/{name}") for name in ANALYSIS_FILES}

    # The same window in the Lambda: outputs byte for byte the same.
    for key in keys(aws):
        aws.delete_object(Bucket=DATA, Key=key)
    lambda_path = run_scheduled(config(0), WINDOW, Storage(aws), publisher())
    assert isinstance(lambda_path, MonitorResult)
    for name in ANALYSIS_FILES:
        assert read(aws, f"{FOLDER}/{name}") == sharded[name], name


def test_a_window_is_never_analysed_twice_and_a_late_rerun_is_a_no_op(aws, tmp_path, monkeypatch):
    jobs, delivered = sagemaker(aws, tmp_path, monkeypatch)
    run_scheduled(config(2, 1000), WINDOW, Storage(aws), publisher(), sagemaker=jobs)
    again = run_scheduled(config(2, 1000), WINDOW, Storage(aws), publisher(), sagemaker=jobs)
    assert isinstance(again, ProcessingStarted)
    assert (again.started, again.summary["job_status"]) == (False, "Completed")
    assert len(jobs.jobs) == 1 and len(delivered) == 1
    # A repeated end event (SageMaker may send several) merges nothing twice.
    (name,) = jobs.jobs
    event = {"detail": {"ProcessingJobName": name, "ProcessingJobStatus": "Completed"}}
    jobs.on_end(event)
    assert delivered[-1]["status"] == "already_merged"
    assert metric_sum("driftgate_records") == 4000


def test_a_failed_job_publishes_a_run_error_and_a_rerun_starts_the_next_attempt(
    aws, tmp_path, monkeypatch
):
    jobs, delivered = sagemaker(aws, tmp_path, monkeypatch)
    good = read_artifact(aws, "baseline/statistics.json")
    aws.put_object(Bucket=ARTIFACTS, Key="baseline/statistics.json", Body=b"not json")
    run_scheduled(config(2, 1000), WINDOW, Storage(aws), publisher(), sagemaker=jobs)
    (first,) = jobs.jobs
    assert jobs.jobs[first][1].status == "Failed"
    assert "is not valid JSON" in jobs.jobs[first][1].failure_reason
    assert delivered[-1]["status"] == "job_failed"
    assert metric_sum("driftgate_run_errors") == 1
    assert f"{FOLDER}/statistics.json" not in keys(aws)  # no analysis was written

    aws.put_object(Bucket=ARTIFACTS, Key="baseline/statistics.json", Body=good)
    retry = run_scheduled(config(2, 1000), WINDOW, Storage(aws), publisher(), sagemaker=jobs)
    assert retry.started and retry.job == f"{first}-a2"
    assert jobs.jobs[retry.job][1].status == "Completed"
    assert delivered[-1]["status"] == "completed"


def read_artifact(s3, key):
    return s3.get_object(Bucket=ARTIFACTS, Key=key)["Body"].read()


def test_the_bundle_runs_as_the_container_entrypoint(dist, tmp_path):
    """python3 <bundle>.zip unpacks itself and runs the shard entry (here with this
    interpreter's libraries: the bundle's are for the image's Python)."""
    import subprocess
    import sys

    (bundle,) = (dist / "functions").glob("drift_monitor_processing-*.zip")
    done = subprocess.run(
        [sys.executable, str(bundle)],
        env={"driftgate_mode": "nonsense", "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(tmp_path),
    )
    assert done.returncode != 0
    assert "libraries built for Python 3.12" in done.stderr


class QuotaRefusal:
    """CreateProcessingJob as a new account answers it: a quota of 0 for the type."""

    def __init__(self, jobs):
        self.jobs = jobs

    def create_processing_job(self, **request):
        from botocore.exceptions import ClientError

        message = "The account-level service limit 'ml.m5.xlarge for processing job usage' is 0"
        error = {"Error": {"Code": "ResourceLimitExceeded", "Message": message}}
        raise ClientError(error, "CreateProcessingJob")

    def __getattr__(self, name):
        return getattr(self.jobs, name)


def test_a_quota_refusal_names_the_quota_and_the_next_run_starts_the_same_attempt(
    aws, tmp_path, monkeypatch
):
    jobs, delivered = sagemaker(aws, tmp_path, monkeypatch)
    with pytest.raises(RuntimeError) as refused:
        run_scheduled(
            config(2, 1000), WINDOW, Storage(aws), publisher(), sagemaker=QuotaRefusal(jobs)
        )
    message = str(refused.value)
    assert "'ml.m5.xlarge for processing job usage' to at least 2 in Service Quotas" in message
    assert "is 0" in message and "the next run retries it" in message
    assert metric_sum("driftgate_run_errors") == 1
    claim = json.loads(read(aws, f"{FOLDER}/driftgate_route.json"))
    assert claim["route"] == "processing"

    retry = run_scheduled(config(2, 1000), WINDOW, Storage(aws), publisher(), sagemaker=jobs)
    assert retry.started and retry.job == claim["job"]  # the attempt never ran: same one
    assert delivered[-1]["status"] == "completed"


def claim_of(s3):
    return json.loads(read(s3, f"{FOLDER}/driftgate_route.json"))


def test_a_lambda_run_records_how_it_ended_in_its_claim(aws, tmp_path, monkeypatch):
    now = datetime(2026, 11, 23, 11, 5, tzinfo=UTC)
    run_scheduled(config(3), WINDOW, Storage(aws), publisher(), now=now)
    claim = claim_of(aws)
    assert (claim["route"], claim["claimed_at"], claim["finished"]) == (
        "lambda",
        "2026-11-23T11:05:00Z",
        True,
    )
    aws.put_object(Bucket=ARTIFACTS, Key="baseline/statistics.json", Body=b"not json")
    later = datetime(2026, 11, 23, 11, 30, tzinfo=UTC)
    with pytest.raises(Exception, match="not valid JSON"):
        run_scheduled(config(3), WINDOW, Storage(aws), publisher(), now=later)
    claim = claim_of(aws)
    assert claim["claimed_at"] == "2026-11-23T11:30:00Z" and "finished" not in claim
    assert claim["failed"] == "BaselineError"


def stopped_lambda_claim(s3, minutes_ago: int, now: datetime, **marks):
    """The claim a Lambda run leaves when it is stopped (timeout, memory) mid-window."""
    claimed = iso(now - timedelta(minutes=minutes_ago))
    claim = {"route": "lambda", "claimed_at": claimed, "instances": 1, **marks}
    s3.put_object(Bucket=DATA, Key=f"{FOLDER}/driftgate_route.json", Body=json.dumps(claim))


def test_a_lambda_run_stopped_before_it_ended_is_retried_on_processing(aws, tmp_path, monkeypatch):
    """Its retry would be stopped the same way: the window would never be analysed."""
    jobs, delivered = sagemaker(aws, tmp_path, monkeypatch)
    now = datetime(2026, 11, 23, 11, 40, tzinfo=UTC)
    stopped_lambda_claim(aws, 17, now)
    retry = run_scheduled(config(3), WINDOW, Storage(aws), publisher(), sagemaker=jobs, now=now)
    assert isinstance(retry, ProcessingStarted) and retry.started
    assert claim_of(aws)["route"] == "processing"
    assert delivered[-1]["status"] == "completed"
    assert metric_sum("driftgate_records") == 4000


@pytest.mark.parametrize(
    ("minutes_ago", "marks", "max_instances"),
    [
        (5, {}, 3),  # it may still be running: no second way
        (17, {"failed": "ClientError"}, 3),  # it failed and said so: the Lambda again
        (17, {}, 0),  # Processing is off: the Lambda is all there is
    ],
)
def test_other_lambda_claims_are_retried_in_the_lambda(
    aws, tmp_path, monkeypatch, minutes_ago, marks, max_instances
):
    jobs, _ = sagemaker(aws, tmp_path, monkeypatch)
    now = datetime(2026, 11, 23, 11, 40, tzinfo=UTC)
    stopped_lambda_claim(aws, minutes_ago, now, **marks)
    result = run_scheduled(
        config(max_instances), WINDOW, Storage(aws), publisher(), sagemaker=jobs, now=now
    )
    assert isinstance(result, MonitorResult) and jobs.jobs == {}
    assert claim_of(aws)["finished"] is True
