"""SageMaker Processing and Training jobs run on this machine (moto runs no container).

``run_processing_job(request, s3, workdir)`` and ``run_training_job(request, s3,
workdir)`` take CreateProcessingJob / CreateTrainingJob-shaped requests. Each job gets a
folder standing in for the container's filesystem: every documented container path
(``/opt/ml/...``) in the entrypoint, arguments and environment is moved into it. The
image is not pulled; ``python3`` runs with this interpreter.

Processing jobs run through ``processing_jobs``, the emulator's one Processing runner
(the monitor's sharded path uses it too); this module only turns its outcome into the
pipeline runner's vocabulary.
Training (script mode, the training toolkit's contract): the ``sagemaker_submit_directory``
tar.gz is unpacked to ``/opt/ml/code``, channels are downloaded to
``/opt/ml/input/data/<channel>`` (``SM_CHANNEL_<NAME>``), ``sagemaker_program`` runs with
the other hyperparameters as ``--name value`` and ``SM_MODEL_DIR=/opt/ml/model``, whose
content is uploaded as ``<S3OutputPath>/<job>/output/model.tar.gz``.

Anything else (Pipe mode, compression, several instances, other data sources) is
refused by name.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scripts.emulator import processing_jobs

CONTAINER_ROOT = "/opt/ml/"


class JobFailed(RuntimeError):
    """The job ran and failed; the message is its failure reason."""


class UnsupportedJobFeature(ValueError):
    """The request uses something the local runner does not implement."""


def _split(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise UnsupportedJobFeature(f"only s3:// URIs are emulated, got {uri!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def rewrite(value: str, root: Path) -> str:
    return value.replace(CONTAINER_ROOT, f"{root}/opt/ml/")


def download_prefix(s3: Any, uri: str, target: Path) -> int:
    """Objects under ``uri`` into ``target``, keys relative to the prefix; returns count."""
    bucket, prefix = _split(uri)
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.endswith("/"):
                continue
            relative = key[len(prefix) :].lstrip("/") or key.rsplit("/", 1)[-1]
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            count += 1
    return count


def upload_folder(s3: Any, folder: Path, uri: str, kms_key: str | None) -> list[str]:
    bucket, prefix = _split(uri)
    extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key} if kms_key else {}
    keys = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = "/".join([prefix.rstrip("/"), path.relative_to(folder).as_posix()]).lstrip("/")
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), **extra)
        keys.append(key)
    return keys


def _run(argv: list[str], env: Mapping[str, str], root: Path) -> None:
    command = [sys.executable if part in ("python3", "python") else part for part in argv]
    result = subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, check=False,
        timeout=900,
    )  # fmt: skip
    if result.returncode != 0:
        message = root / "opt" / "ml" / "output" / "message"
        if message.is_file():
            reason = message.read_text(encoding="utf-8")[:1024]
        else:
            reason = "\n".join(result.stderr.strip().splitlines()[-5:])[-1024:]
        raise JobFailed(f"AlgorithmError: {reason}")


def _single_instance(resources: Mapping[str, Any]) -> None:
    if int(resources.get("InstanceCount", 1)) != 1:
        raise UnsupportedJobFeature("only InstanceCount 1 is emulated by the pipeline runner")


def run_processing_job(request: Mapping[str, Any], s3: Any, workdir: Path) -> dict[str, Any]:
    """Run a CreateProcessingJob request through the emulator's one Processing runner
    (``processing_jobs``); returns the Describe-like outcome, raises JobFailed."""
    _single_instance(request["ProcessingResources"]["ClusterConfig"])
    try:
        run = processing_jobs.run_processing_job(request, s3, workdir)
    except processing_jobs.UnsupportedProcessingFeature as error:
        raise UnsupportedJobFeature(str(error)) from error
    if run.status != processing_jobs.COMPLETED:
        raise JobFailed(run.failure_reason)
    outputs = (request.get("ProcessingOutputConfig") or {}).get("Outputs", [])
    return {
        "ProcessingJobName": run.name,
        "ProcessingJobStatus": run.status,
        "Outputs": {o["OutputName"]: o["S3Output"]["S3Uri"] for o in outputs},
    }


def _model_archive(model_dir: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(model_dir.rglob("*")):
            archive.add(path, arcname=path.relative_to(model_dir).as_posix(), recursive=False)
    return buffer.getvalue()


def run_training_job(request: Mapping[str, Any], s3: Any, workdir: Path) -> dict[str, Any]:
    """Run a CreateTrainingJob request in script mode; returns the model artefact URI."""
    name = str(request["TrainingJobName"])
    root = workdir / name
    _single_instance(request["ResourceConfig"])
    if request["AlgorithmSpecification"].get("TrainingInputMode", "File") != "File":
        raise UnsupportedJobFeature("only TrainingInputMode File is emulated")
    hyper = {k: str(v) for k, v in (request.get("HyperParameters") or {}).items()}
    program, source = (
        hyper.pop("sagemaker_program", ""),
        hyper.pop("sagemaker_submit_directory", ""),
    )
    if not program or not source:
        raise UnsupportedJobFeature(
            "only script mode (sagemaker_program, sagemaker_submit_directory)"
        )
    hyper.pop("sagemaker_region", None)
    code = root / "opt" / "ml" / "code"
    bucket, key = _split(source)
    with tarfile.open(
        fileobj=io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    ) as archive:
        archive.extractall(code, filter="data")
    env = {"SM_MODEL_DIR": str(root / "opt" / "ml" / "model")}
    channels = []
    for channel in request.get("InputDataConfig", []):
        source_spec = channel["DataSource"].get("S3DataSource")
        if source_spec is None or source_spec.get("S3DataType") != "S3Prefix":
            raise UnsupportedJobFeature(
                f"channel {channel['ChannelName']}: only S3Prefix S3DataSource"
            )
        target = root / "opt" / "ml" / "input" / "data" / channel["ChannelName"]
        download_prefix(s3, source_spec["S3Uri"], target)
        env[f"SM_CHANNEL_{channel['ChannelName'].upper()}"] = str(target)
        channels.append(channel["ChannelName"])
    env["SM_CHANNELS"] = ",".join(channels)
    argv = ["python3", str(code / program)]
    for k, v in hyper.items():
        argv += [f"--{k}", v]
    (root / "opt" / "ml" / "model").mkdir(parents=True, exist_ok=True)
    (root / "opt" / "ml" / "output").mkdir(parents=True, exist_ok=True)
    _run(argv, env, root)
    output = request["OutputDataConfig"]
    uri = f"{output['S3OutputPath'].rstrip('/')}/{name}/output/model.tar.gz"
    bucket, key = _split(uri)
    extra = (
        {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": output["KmsKeyId"]}
        if output.get("KmsKeyId")
        else {}
    )
    s3.put_object(
        Bucket=bucket, Key=key, Body=_model_archive(root / "opt" / "ml" / "model"), **extra
    )
    return {
        "TrainingJobName": name,
        "TrainingJobStatus": "Completed",
        "ModelArtifacts": {"S3ModelArtifacts": uri},
    }
