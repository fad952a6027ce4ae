"""The emulator's Processing job runner: inputs per instance, container paths, outputs."""

from __future__ import annotations

import json
import textwrap

import boto3
import pytest
from moto import mock_aws

from scripts.emulator.processing_jobs import (
    FAILED,
    UnsupportedProcessingFeature,
    run_processing_job,
    shard_keys,
    state_change_event,
)

ENTRY = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    config = json.loads(Path(os.environ["RESOURCE_CONFIG"]).read_text())
    host = config["current_host"]
    if os.environ.get("FAIL_ON") == host:
        print("boom on " + host, file=sys.stderr)
        sys.exit(3)
    data = Path(sys.argv[1])
    seen = sorted(p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file())
    shared = Path(os.environ["SHARED"]).read_text()
    out = Path(os.environ["OUT"]) / f"{host}.json"
    out.write_text(json.dumps({"hosts": config["hosts"], "seen": seen, "shared": shared}))
    """
)


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="data")
        for i in range(5):
            client.put_object(Bucket="data", Key=f"capture/h/{i:02d}.jsonl", Body=b"x")
        client.put_object(Bucket="data", Key="code/entry.py", Body=ENTRY.encode())
        client.put_object(Bucket="data", Key="shared/note.txt", Body=b"same for all")
        yield client


def request(
    count=2, distribution="ShardedByS3Key", data_type="S3Prefix", uri="s3://data/capture/h/"
):
    def s3_input(name, s3_uri, local, dist="FullyReplicated", kind="S3Prefix"):
        return {
            "InputName": name,
            "S3Input": {
                "S3Uri": s3_uri,
                "LocalPath": local,
                "S3DataType": kind,
                "S3InputMode": "File",
                "S3DataDistributionType": dist,
            },
        }

    return {
        "ProcessingJobName": "job-1",
        "RoleArn": "arn:aws:iam::123456789012:role/r",
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": count,
                "InstanceType": "ml.m5.xlarge",
                "VolumeSizeInGB": 30,
            }
        },
        "AppSpecification": {
            "ImageUri": "image",
            "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/entry.py"],
            "ContainerArguments": ["/opt/ml/processing/data"],
        },
        "Environment": {
            "RESOURCE_CONFIG": "/opt/ml/config/resourceconfig.json",
            "SHARED": "/opt/ml/processing/shared/note.txt",
            "OUT": "/opt/ml/processing/output",
        },
        "ProcessingInputs": [
            s3_input("code", "s3://data/code/entry.py", "/opt/ml/processing/input/code"),
            s3_input("data", uri, "/opt/ml/processing/data", distribution, data_type),
            s3_input("shared", "s3://data/shared/", "/opt/ml/processing/shared"),
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "out",
                    "S3Output": {
                        "S3Uri": "s3://data/out/job-1",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
    }


def outputs(s3):
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="data", Prefix="out/").get("Contents", [])]
    return {k: json.loads(s3.get_object(Bucket="data", Key=k)["Body"].read()) for k in keys}


def test_sharded_input_splits_objects_and_replicated_inputs_reach_every_instance(s3, tmp_path):
    run = run_processing_job(request(), s3, tmp_path)
    assert run.status == "Completed", run.failure_reason
    got = outputs(s3)
    assert sorted(got) == ["out/job-1/algo-1.json", "out/job-1/algo-2.json"]
    first, second = got["out/job-1/algo-1.json"], got["out/job-1/algo-2.json"]
    assert first["hosts"] == ["algo-1", "algo-2"]
    assert first["seen"] == ["00.jsonl", "02.jsonl", "04.jsonl"]
    assert second["seen"] == ["01.jsonl", "03.jsonl"]
    assert first["shared"] == second["shared"] == "same for all"


def test_fully_replicated_input_gives_every_instance_everything(s3, tmp_path):
    run_processing_job(request(distribution="FullyReplicated"), s3, tmp_path)
    for document in outputs(s3).values():
        assert len(document["seen"]) == 5


def test_manifest_input_downloads_exactly_the_listed_objects(s3, tmp_path):
    manifest = [{"prefix": "s3://data/capture/"}, "h/01.jsonl", "h/04.jsonl"]
    s3.put_object(Bucket="data", Key="manifests/m.json", Body=json.dumps(manifest).encode())
    job = request(count=1, data_type="ManifestFile", uri="s3://data/manifests/m.json")
    assert run_processing_job(job, s3, tmp_path).status == "Completed"
    assert outputs(s3)["out/job-1/algo-1.json"]["seen"] == ["h/01.jsonl", "h/04.jsonl"]


def test_a_failing_instance_fails_the_job_with_its_stderr_and_uploads_nothing(s3, tmp_path):
    job = request()
    job["Environment"]["FAIL_ON"] = "algo-2"
    run = run_processing_job(job, s3, tmp_path)
    assert run.status == FAILED
    assert "algo-2 exited with code 3" in run.failure_reason
    assert "boom on algo-2" in run.failure_reason
    assert outputs(s3) == {}
    event = state_change_event(job, run, "us-east-1", "123456789012")
    assert event["detail-type"] == "SageMaker Processing Job State Change"
    assert event["detail"]["ProcessingJobStatus"] == "Failed"
    assert event["detail"]["ProcessingJobName"] == "job-1"


def test_an_input_matching_no_object_fails_the_job(s3, tmp_path):
    run = run_processing_job(request(uri="s3://data/nothing/"), s3, tmp_path)
    assert run.status == FAILED
    assert "no object under s3://data/nothing/" in run.failure_reason


def test_refuses_what_it_does_not_emulate(s3, tmp_path):
    job = request()
    job["ProcessingInputs"][1]["S3Input"]["S3InputMode"] = "Pipe"
    with pytest.raises(UnsupportedProcessingFeature, match="S3InputMode File"):
        run_processing_job(job, s3, tmp_path)
    job = request()
    job["ProcessingInputs"][1]["S3Input"]["LocalPath"] = "/tmp/data"
    with pytest.raises(ValueError, match="/opt/ml/processing/"):
        run_processing_job(job, s3, tmp_path)


def test_shards_cover_every_key_once():
    keys = [f"k{i}" for i in range(7)]
    shards = [shard_keys(keys, i, 3, "ShardedByS3Key") for i in range(3)]
    assert sorted(k for s in shards for k in s) == keys


def test_a_folder_prefix_without_slash_lands_its_content_at_local_path(s3, tmp_path):
    run = run_processing_job(request(count=1, uri="s3://data/capture/h"), s3, tmp_path)
    assert run.status == "Completed", run.failure_reason
    assert outputs(s3)["out/job-1/algo-1.json"]["seen"][0] == "00.jsonl"


def test_a_partial_name_prefix_keeps_the_matched_names(s3, tmp_path):
    s3.put_object(Bucket="data", Key="capture/h-late/05.jsonl", Body=b"x")
    run = run_processing_job(request(count=1, uri="s3://data/capture/h"), s3, tmp_path)
    assert run.status == "Completed", run.failure_reason
    seen = outputs(s3)["out/job-1/algo-1.json"]["seen"]
    assert "h/00.jsonl" in seen and "h-late/05.jsonl" in seen


EXIT_WITH_MESSAGE = (
    "import sys, pathlib\npathlib.Path(sys.argv[1]).write_text('bad')\nsys.exit(2)\n"
)


def test_the_exit_message_is_the_failure_reason(s3, tmp_path):
    s3.put_object(Bucket="data", Key="code/entry.py", Body=EXIT_WITH_MESSAGE.encode())
    job = request(count=1)
    job["AppSpecification"]["ContainerArguments"] = ["/opt/ml/output/message"]
    run = run_processing_job(job, s3, tmp_path)
    assert (run.status, run.failure_reason) == (FAILED, "AlgorithmError: bad")


def test_the_container_gets_the_aws_settings_and_nothing_else_of_the_host(
    s3, tmp_path, monkeypatch
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("HOST_ONLY_SECRET", "x")
    script = (
        "import os, sys\n"
        "ok = os.environ.get('AWS_ENDPOINT_URL') == 'http://127.0.0.1:1'\n"
        "sys.exit(0 if ok and 'HOST_ONLY_SECRET' not in os.environ else 5)\n"
    )
    s3.put_object(Bucket="data", Key="code/entry.py", Body=script.encode())
    run = run_processing_job(request(count=1), s3, tmp_path)
    assert run.status == "Completed", run.failure_reason
