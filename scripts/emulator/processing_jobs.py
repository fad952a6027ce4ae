"""SageMaker Processing jobs, run locally: moto does not run containers.

``run_processing_job(request, s3, workdir)`` takes a CreateProcessingJob-shaped request
(the boto3 keyword arguments) and runs it as SageMaker would, one instance after another:

- each instance gets its own folder standing in for the container's filesystem; every
  container path in the request (``/opt/ml/...``), in ``ContainerEntrypoint``,
  ``ContainerArguments`` and ``Environment`` values, is rewritten into that folder;
- ``ProcessingInputs`` with ``S3Input`` are downloaded to their ``LocalPath``
  (``S3DataType`` ``S3Prefix`` or ``ManifestFile``, ``S3InputMode`` ``File``), keys
  relative to the prefix (the manifest's ``{"prefix": ...}`` entry): ``FullyReplicated`` gives every
  instance every object, ``ShardedByS3Key`` gives each instance its share of the objects
  (here: sorted keys dealt round-robin; AWS documents only "about 1/N of the objects");
- ``/opt/ml/config/resourceconfig.json`` (``current_host``, ``hosts``) and
  ``/opt/ml/config/processingjobconfig.json`` (the request) are written (docs: "How to
  Build Your Own Processing Container", "How Amazon SageMaker Processing Configures Your
  Processing Container");
- the container runs the entrypoint and arguments with ``Environment`` as its
  environment; a non-zero exit fails the job with the last lines of its stderr;
- after every instance succeeded, each ``ProcessingOutputs`` ``S3Output`` (``EndOfJob``)
  ``LocalPath`` is uploaded under its ``S3Uri``, per instance, keys relative to the path
  (SSE-KMS with ``ProcessingOutputConfig.KmsKeyId`` when given).

The image is not pulled: the entrypoint runs with this interpreter (``python3`` and
``python`` become ``sys.executable``), with ``PYTHONPATH`` rewritten like the other
paths. Features outside this list (Pipe mode, compressed inputs, dataset definitions,
continuous uploads, ``AppManaged``) are refused by name.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

CONTAINER_ROOT = "/opt/ml"
COMPLETED, FAILED = "Completed", "Failed"


class UnsupportedProcessingFeature(ValueError):
    """The request uses something this emulator does not implement."""


@dataclass
class ProcessingJobRun:
    """The outcome, in DescribeProcessingJob's vocabulary."""

    name: str
    status: str
    failure_reason: str = ""
    instances: list[str] = field(default_factory=list)  # hosts: algo-1, algo-2, ...
    inputs_per_host: dict[str, dict[str, list[str]]] = field(default_factory=dict)


# A container runner takes (argv, environment, instance folder) and returns (exit code,
# stderr text). The default runs a subprocess; tests may pass an in-process one.
ContainerRunner = Callable[[list[str], dict[str, str], Path], tuple[int, str]]


def _split(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise UnsupportedProcessingFeature(f"only s3:// URIs are emulated, got {uri!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def _local(root: Path, container_path: str) -> Path:
    if not container_path.startswith("/opt/ml/processing/"):
        # CreateProcessingJob refuses a LocalPath outside /opt/ml/processing/.
        raise ValueError(f"LocalPath must begin with /opt/ml/processing/, got {container_path!r}")
    return root / container_path.lstrip("/")


def rewrite(value: str, root: Path) -> str:
    """A container path (or a value holding some, e.g. PYTHONPATH) moved into ``root``."""
    return value.replace(CONTAINER_ROOT + "/", f"{root}/opt/ml/").replace(
        CONTAINER_ROOT + ":", f"{root}/opt/ml:"
    )


def _list_keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/"))
    return sorted(keys)


def _check_input(item: Mapping[str, Any]) -> Mapping[str, Any]:
    for refused in ("DatasetDefinition",):
        if refused in item:
            raise UnsupportedProcessingFeature(f"ProcessingInputs {refused} is not emulated")
    if item.get("AppManaged"):
        raise UnsupportedProcessingFeature("AppManaged inputs are not emulated")
    s3_input = item["S3Input"]
    if s3_input.get("S3DataType", "S3Prefix") not in ("S3Prefix", "ManifestFile"):
        raise ValueError(f"S3DataType {s3_input.get('S3DataType')!r} is not valid")
    if s3_input.get("S3InputMode", "File") != "File":
        raise UnsupportedProcessingFeature("only S3InputMode File is emulated")
    if s3_input.get("S3CompressionType", "None") != "None":
        raise UnsupportedProcessingFeature("only S3CompressionType None is emulated")
    distribution = s3_input.get("S3DataDistributionType", "FullyReplicated")
    if distribution not in ("FullyReplicated", "ShardedByS3Key"):
        raise ValueError(f"S3DataDistributionType {distribution!r} is not valid")
    return s3_input


def shard_keys(keys: list[str], instance: int, count: int, distribution: str) -> list[str]:
    """The objects instance ``instance`` (0-based) of ``count`` receives."""
    if distribution == "FullyReplicated":
        return list(keys)
    return keys[instance::count]


def _manifest(s3: Any, uri: str) -> tuple[str, list[str]]:
    """(prefix, keys) of a manifest file: ``[{"prefix": "s3://b/p/"}, "rel/key", ...]``."""
    bucket, key = _split(uri)
    document = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    if not document or not isinstance(document[0], dict) or "prefix" not in document[0]:
        raise ValueError(f"manifest {uri} does not start with a {{'prefix': ...}} entry")
    return document[0]["prefix"], [str(k) for k in document[1:]]


def _download(
    s3: Any, s3_input: Mapping[str, Any], root: Path, instance: int, count: int
) -> list[str]:
    """Objects of this instance's share, at LocalPath / (key relative to the prefix)."""
    if s3_input.get("S3DataType", "S3Prefix") == "ManifestFile":
        base_uri, relative = _manifest(s3, s3_input["S3Uri"])
        bucket, base = _split(base_uri)
        keys = sorted(base + r for r in relative)
    else:
        bucket, prefix = _split(s3_input["S3Uri"])
        keys = _list_keys(s3, bucket, prefix)
        folder = prefix.rstrip("/") + "/"
        if prefix.endswith("/") or (keys and all(k.startswith(folder) for k in keys)):
            base = folder  # a folder-like prefix: its content lands directly at LocalPath
        else:
            base = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix else ""
    if not keys:
        # SageMaker fails a job whose input matches no object.
        raise FileNotFoundError(f"no object under {s3_input['S3Uri']}")
    mine = shard_keys(keys, instance, count, s3_input.get("S3DataDistributionType", ""))
    target = _local(root, s3_input["LocalPath"])
    target.mkdir(parents=True, exist_ok=True)
    for key in mine:
        path = target / key[len(base) :]
        path.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(path))
    return mine


def _upload(s3: Any, output: Mapping[str, Any], root: Path, kms_key: str | None) -> None:
    s3_output = output["S3Output"]
    if s3_output.get("S3UploadMode", "EndOfJob") != "EndOfJob":
        raise UnsupportedProcessingFeature("only S3UploadMode EndOfJob is emulated")
    bucket, prefix = _split(s3_output["S3Uri"])
    source = _local(root, s3_output["LocalPath"])
    extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key} if kms_key else {}
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        key = "/".join(
            part for part in (prefix.rstrip("/"), path.relative_to(source).as_posix()) if part
        )
        s3.upload_file(str(path), bucket, key, ExtraArgs=extra or None)


def _aws_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("AWS_")}


def run_subprocess(argv: list[str], env: dict[str, str], root: Path) -> tuple[int, str]:
    """The default container: a subprocess of this interpreter, in the instance folder."""
    argv = [sys.executable if a in ("python3", "python") else a for a in argv]
    done = subprocess.run(
        argv,
        # AWS_* from this process stand in for the job role's credentials and point the
        # container's AWS calls at the emulator; nothing else of the host leaks in.
        env={"PATH": os.environ.get("PATH", ""), **_aws_environment(), **env},
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stderr


def _container_argv(app: Mapping[str, Any], root: Path) -> list[str]:
    entrypoint = list(app.get("ContainerEntrypoint") or [])
    if not entrypoint:
        raise UnsupportedProcessingFeature(
            "AppSpecification.ContainerEntrypoint is required here: the image's own"
            " entrypoint is not known without pulling it"
        )
    return [rewrite(a, root) for a in entrypoint + list(app.get("ContainerArguments") or [])]


def run_processing_job(
    request: Mapping[str, Any],
    s3: Any,
    workdir: Path,
    run_container: ContainerRunner = run_subprocess,
) -> ProcessingJobRun:
    """Run a CreateProcessingJob request locally; see the module docstring."""
    name = request["ProcessingJobName"]
    cluster = request["ProcessingResources"]["ClusterConfig"]
    count = int(cluster["InstanceCount"])
    hosts = [f"algo-{i + 1}" for i in range(count)]
    run = ProcessingJobRun(name=name, status=COMPLETED, instances=hosts)
    inputs = [(item, _check_input(item)) for item in request.get("ProcessingInputs", [])]
    output_config = request.get("ProcessingOutputConfig") or {}
    roots: list[Path] = []
    for index, host in enumerate(hosts):
        root = workdir / name / host
        shutil.rmtree(root, ignore_errors=True)
        roots.append(root)
        config = root / "opt/ml/config"
        config.mkdir(parents=True)
        (root / "opt/ml/output").mkdir()  # where a container may leave its exit message
        (config / "resourceconfig.json").write_text(
            json.dumps({"current_host": host, "hosts": hosts})
        )
        (config / "processingjobconfig.json").write_text(json.dumps(request, default=str))
        for output in output_config.get("Outputs", []):
            _local(root, output["S3Output"]["LocalPath"]).mkdir(parents=True, exist_ok=True)
        try:
            run.inputs_per_host[host] = {
                item["InputName"]: _download(s3, s3_input, root, index, count)
                for item, s3_input in inputs
            }
        except FileNotFoundError as exc:
            run.status, run.failure_reason = FAILED, f"ClientError: {exc}"
            return run
        env = {k: rewrite(str(v), root) for k, v in (request.get("Environment") or {}).items()}
        code, stderr = run_container(_container_argv(request["AppSpecification"], root), env, root)
        if code != 0:
            # A container may explain itself in /opt/ml/output/message (the job's
            # ExitMessage, up to 1 KB); otherwise the last lines of its stderr.
            message = root / "opt/ml/output/message"
            if message.is_file():
                reason = f"AlgorithmError: {message.read_text(encoding='utf-8')}"
            else:
                tail = "\n".join(stderr.strip().splitlines()[-5:])
                reason = f"AlgorithmError: {host} exited with code {code}: {tail}"
            run.status, run.failure_reason = FAILED, reason[:1024]  # FailureReason: up to 1 KB
            return run
    for root in roots:
        for output in output_config.get("Outputs", []):
            _upload(s3, output, root, output_config.get("KmsKeyId"))
    return run


def state_change_event(
    request: Mapping[str, Any], run: ProcessingJobRun, region: str, account: str
) -> dict[str, Any]:
    """The EventBridge event SageMaker sends when the job ends ("SageMaker Processing Job
    State Change", source ``aws.sagemaker``; detail in DescribeProcessingJob's shape)."""
    arn = f"arn:aws:sagemaker:{region}:{account}:processing-job/{run.name.lower()}"
    detail: dict[str, Any] = {
        **{k: v for k, v in request.items() if k != "Tags"},
        "ProcessingJobArn": arn,
        "ProcessingJobStatus": run.status,
    }
    if run.failure_reason:
        detail["FailureReason"] = run.failure_reason
    return {
        "version": "0",
        "id": f"emulated-{run.name}",
        "detail-type": "SageMaker Processing Job State Change",
        "source": "aws.sagemaker",
        "account": account,
        "region": region,
        "resources": [arn],
        "detail": detail,
    }


_JOB_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


class ProcessingJobs:
    """Stands in for the SageMaker client's processing-job calls (moto runs no job):
    ``create_processing_job`` runs the job at once with :func:`run_processing_job` and
    then hands its "SageMaker Processing Job State Change" event to ``on_end`` (what
    EventBridge would deliver to a rule's target); ``describe_processing_job`` answers
    in DescribeProcessingJob's shape. Errors are botocore ``ClientError``s with the
    documented codes: ``ResourceInUse`` for a name already used in the account and
    region, ``ResourceNotFound`` for an unknown job, ``ValidationException`` for a name
    CreateProcessingJob refuses."""

    def __init__(
        self,
        s3: Any,
        workdir: Path,
        *,
        region: str = "us-east-1",
        account: str = "123456789012",
        on_end: Callable[[dict[str, Any]], Any] | None = None,
        run_container: ContainerRunner = run_subprocess,
    ) -> None:
        self.s3, self.workdir, self.region, self.account = s3, workdir, region, account
        self.on_end, self.run_container = on_end, run_container
        self.jobs: dict[str, tuple[dict[str, Any], ProcessingJobRun]] = {}

    @staticmethod
    def _error(code: str, message: str, operation: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": message}}, operation)

    def create_processing_job(self, **request: Any) -> dict[str, str]:
        name = str(request.get("ProcessingJobName", ""))
        if not _JOB_NAME.match(name):
            raise self._error(
                "ValidationException", f"invalid job name {name!r}", "CreateProcessingJob"
            )
        if name in self.jobs:
            raise self._error("ResourceInUse", f"Job {name} already exists", "CreateProcessingJob")
        run = run_processing_job(request, self.s3, self.workdir, self.run_container)
        self.jobs[name] = (dict(request), run)
        if self.on_end:
            self.on_end(state_change_event(request, run, self.region, self.account))
        return {"ProcessingJobArn": self._arn(name)}

    def describe_processing_job(self, ProcessingJobName: str) -> dict[str, Any]:
        if ProcessingJobName not in self.jobs:
            raise self._error(
                "ResourceNotFound", f"Job {ProcessingJobName} not found", "DescribeProcessingJob"
            )
        request, run = self.jobs[ProcessingJobName]
        answer = {
            **request,
            "ProcessingJobArn": self._arn(run.name),
            "ProcessingJobStatus": run.status,
        }
        if run.failure_reason:
            answer["FailureReason"] = run.failure_reason
        return answer

    def _arn(self, name: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account}:processing-job/{name.lower()}"
