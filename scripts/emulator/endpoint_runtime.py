"""SageMaker Runtime ``InvokeEndpoint`` for the emulator: a stand-in model and data capture.

moto 5.2.5 answers InvokeEndpoint with canned bodies and writes no data capture. This
seam implements only what driftgate relies on, from the SageMaker docs ("InvokeEndpoint",
"Capture data from real-time endpoint"):
- the endpoint must exist and be InService, else ``ValidationError`` (400);
- a body over 6 MB (the API's ``Body`` maximum, 6291456 bytes) is a ``ValidationError``;
- the stand-in model reads ``text/csv`` rows of one width and answers one score per row
  (``text/csv``); anything else is a ``ModelError`` (424) carrying the model's status and
  message, as SageMaker relays a container's error;
- with the endpoint config's ``DataCaptureConfig`` enabled, each invocation is sampled
  at ``InitialSamplingPercentage`` and written as one JSON Lines record under
  ``<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/``, SSE-KMS with the config's
  ``KmsKeyId``, ``CSV`` encoding for the configured CSV content types.
Nothing else (multi-variant routing, TargetModel, inference components, async or
streaming invocation) is emulated; those raise ``NotEmulated``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.s3.models import s3_backends
from moto.sagemaker.models import sagemaker_backends

MAX_BODY_BYTES = 6 * 1024 * 1024
CSV_DEFAULT = ("text/csv",)
JSON_DEFAULT = ("application/json",)


class NotEmulated(RuntimeError):
    """A documented InvokeEndpoint feature this seam does not implement, by name."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _error(status: int, code: str, message: str, **extra: str) -> Answer:
    body = json.dumps({"ErrorCode": code, "Message": message, **extra}).encode()
    return Answer(status, body, {"Content-Type": "application/json", "x-amzn-ErrorType": code})


def score_rows(text: str) -> list[str]:
    """The stand-in model: a stable score in [0, 1) per CSV row; every row must have the
    first row's number of columns (a real model refuses a malformed batch the same way)."""
    rows = [line for line in text.splitlines() if line.strip()]
    if not rows:
        raise ValueError("no rows in the payload")
    width = len(rows[0].split(","))
    scores = []
    for number, row in enumerate(rows, start=1):
        if len(row.split(",")) != width:
            raise ValueError(f"row {number} has {len(row.split(','))} columns, row 1 has {width}")
        digest = hashlib.sha256(row.encode()).digest()
        scores.append(f"{int.from_bytes(digest[:4], 'big') / 2**32:.4f}")
    return scores


def invoke_endpoint(
    account_id: str, region: str, endpoint_name: str, body: bytes, content_type: str,
    accept: str | None = None, rng: random.Random | None = None,
) -> Answer:  # fmt: skip
    backend = sagemaker_backends[account_id][region]
    endpoint = backend.endpoints.get(endpoint_name)
    if endpoint is None or endpoint.endpoint_status != "InService":
        return _error(
            400, "ValidationError",
            f"Endpoint {endpoint_name} of account {account_id} not found.",
        )  # fmt: skip
    if len(body) > MAX_BODY_BYTES:
        return _error(400, "ValidationError", "Request body exceeds the 6 MB limit.")
    config = backend.endpoint_configs[endpoint.endpoint_config_name]
    if len(config.production_variants) != 1:
        raise NotEmulated("InvokeEndpoint on an endpoint with several production variants")
    variant = config.production_variants[0]["VariantName"]
    base_type = content_type.split(";")[0].strip().lower()
    try:
        if base_type != "text/csv":
            raise LookupError(f"unsupported content type {base_type}")
        answer = "\n".join(score_rows(body.decode("utf-8"))) + "\n"
    except (ValueError, LookupError, UnicodeDecodeError) as error:
        # What a container's traceback looks like when SageMaker relays it (the API in
        # front must not pass it on).
        trace = f'Traceback (most recent call last):\\n  File "/opt/program/serve.py"\\n{error}'
        return _error(
            424, "ModelError",
            f"Received client error (400) from primary with message \"{trace}\".",
            OriginalStatusCode="400", OriginalMessage=trace,
            LogStreamArn=(
                f"arn:aws:logs:{region}:{account_id}:log-group:/aws/sagemaker/Endpoints/"
                f"{endpoint_name}"
            ),
        )  # fmt: skip
    output = answer.encode()
    output_type = "text/csv; charset=utf-8"
    sampler = rng or random.Random()  # noqa: S311 - capture sampling, not security
    capture(account_id, region, endpoint_name, variant, config.data_capture_config,
            body, content_type, output, output_type, sampler)  # fmt: skip
    headers = {"Content-Type": output_type, "x-Amzn-Invoked-Production-Variant": variant}
    return Answer(200, output, headers)


def _encoding(content_type: str, header: dict[str, Any]) -> str:
    base = content_type.split(";")[0].strip().lower()
    if base in [t.lower() for t in header.get("CsvContentTypes", CSV_DEFAULT)]:
        return "CSV"
    if base in [t.lower() for t in header.get("JsonContentTypes", JSON_DEFAULT)]:
        return "JSON"
    return "BASE64"


def _payload(data: bytes, content_type: str, header: dict[str, Any], mode: str) -> dict[str, str]:
    encoding = _encoding(content_type, header)
    text = base64.b64encode(data).decode() if encoding == "BASE64" else data.decode("utf-8")
    return {"observedContentType": content_type, "mode": mode, "data": text, "encoding": encoding}


def capture(
    account_id: str, region: str, endpoint: str, variant: str, config: dict[str, Any] | None,
    body: bytes, content_type: str, output: bytes, output_type: str, rng: random.Random,
) -> str | None:  # fmt: skip
    """Write one capture record as SageMaker lays it out; its S3 key, or None."""
    if not config or not config.get("EnableCapture", False):
        return None
    if rng.uniform(0, 100) >= float(config.get("InitialSamplingPercentage", 100)):
        return None
    modes = {option["CaptureMode"] for option in config.get("CaptureOptions", [])}
    header = config.get("CaptureContentTypeHeader") or {}
    record: dict[str, Any] = {"captureData": {}}
    if "Input" in modes:
        record["captureData"]["endpointInput"] = _payload(body, content_type, header, "INPUT")
    if "Output" in modes:
        record["captureData"]["endpointOutput"] = _payload(output, output_type, header, "OUTPUT")
    now = datetime.now(UTC)
    record["eventMetadata"] = {
        "eventId": str(uuid.uuid4()),
        "inferenceTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    record["eventVersion"] = "0"
    destination = config["DestinationS3Uri"].removeprefix("s3://").rstrip("/")
    bucket, _, prefix = destination.partition("/")
    key = (
        f"{prefix + '/' if prefix else ''}{endpoint}/{variant}/"
        f"{now:%Y/%m/%d/%H}/{now:%M-%S-%f}-{uuid.uuid4()}.jsonl"
    )
    extra = {}
    if config.get("KmsKeyId"):
        extra = {"encryption": "aws:kms", "kms_key_id": config["KmsKeyId"]}
    s3_backends[account_id]["aws"].put_object(
        bucket, key, (json.dumps(record) + "\n").encode(), **extra
    )
    return key
