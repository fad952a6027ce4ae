"""Helpers for the custom-resource tests (fixtures live in conftest.py).

Each Lambda zip has `handler.py`, its logic module and `common/` at the root, so importing
this module puts those folders on sys.path; `load_handler` loads each `handler.py` under
its own module name.
"""

import importlib.util
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import boto3
from botocore.awsrequest import AWSResponse

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ROOT / "custom_resources"
FIXTURES = Path(__file__).parent / "fixtures"
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:driftgate-custom-resource"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/driftgate/{uuid.uuid4()}"

for folder in (
    SOURCES,
    SOURCES / "approved_model_package",
    SOURCES / "drift_baseline",
    SOURCES / "stage_stacks",
    SOURCES / "deployment_check",
):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def load_handler(folder: str) -> ModuleType:
    """Import custom_resources/<folder>/handler.py (AWS_REGION must be set: crhelper
    creates clients at import)."""
    name = f"{folder}_handler"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SOURCES / folder / "handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class LambdaContext:
    """The parts of the Lambda context crhelper and the handlers read."""

    remaining_ms: int = 60_000
    invoked_function_arn: str = FUNCTION_ARN
    function_name: str = "driftgate-custom-resource"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining_ms - (time.monotonic() - self.started) * 1000)


def make_event(
    request_type: str,
    resource_type: str,
    properties: dict[str, Any],
    *,
    physical_id: str | None = None,
    old_properties: dict[str, Any] | None = None,
    logical_id: str = "Resource",
    stack_id: str = STACK_ID,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": FUNCTION_ARN,
        "ResponseURL": "https://cloudformation-custom-resource-response.test/response?sig=1",
        "StackId": stack_id,
        "RequestId": str(uuid.uuid4()),
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": {"ServiceToken": FUNCTION_ARN, **properties},
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    if old_properties is not None:
        event["OldResourceProperties"] = {"ServiceToken": FUNCTION_ARN, **old_properties}
    return event


class CapturedConnection:
    """Stands in for crhelper's HTTPSConnection and records each PUT body."""

    sent: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, host: str, **kwargs: Any) -> None:
        self.host = host

    def request(self, method: str, url: str, body: str, headers: dict[str, str]) -> None:
        assert method == "PUT"
        assert int(headers["content-length"]) == len(body)
        CapturedConnection.sent.append(json.loads(body))

    def getresponse(self) -> Any:
        return type("Response", (), {"reason": "OK", "status": 200})()


@dataclass
class CallLog:
    """AWS API calls as botocore sees them: once per operation, whatever the retries."""

    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def names(self) -> list[str]:
        return [f"{service}:{operation}" for service, operation, _ in self.calls]

    def params(self, operation: str) -> list[dict[str, Any]]:
        return [params for _, name, params in self.calls if name == operation]


def record_calls(session: boto3.Session) -> CallLog:
    log = CallLog()

    def on_call(event_name: str, params: dict[str, Any], **kwargs: Any) -> None:
        _, service, operation = event_name.split(".")
        log.calls.append((service, operation, dict(params)))

    session.events.register("before-parameter-build", on_call)
    return log


class _RawBody:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._body


def json_error(status: int, code: str, message: str) -> AWSResponse:
    """An error answer in the JSON protocol (SageMaker)."""
    body = json.dumps({"__type": code, "message": message}).encode()
    headers = {"x-amzn-requestid": "test", "content-type": "application/x-amz-json-1.1"}
    return AWSResponse("https://api.sagemaker.test", status, headers, _RawBody(body))


def xml_error(status: int, code: str, message: str) -> AWSResponse:
    """An error answer in S3's REST-XML protocol."""
    body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
    headers = {"x-amz-request-id": "test", "content-type": "application/xml"}
    return AWSResponse("https://s3.test", status, headers, _RawBody(body))


def inject(
    session: boto3.Session, event: str, answer: Callable[[], Any], times: int | None = None
) -> list[int]:
    """Answer the first `times` HTTP attempts of `event` (all when None) with `answer()`.

    Runs before moto's own before-send handler, so botocore's retry logic sees a real
    error response and decides whether to retry. Returns a one-item attempt counter.
    """
    counter = [0]

    def hook(**kwargs: Any) -> Any:
        counter[0] += 1
        if times is None or counter[0] <= times:
            return answer()
        return None

    session.events.register_first(event, hook)
    return counter


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


def run_handler(
    folder: str, resource_type: str, request_type: str, properties: dict[str, Any], **kwargs: Any
) -> None:
    """Invoke a custom resource's handler as CloudFormation would."""
    context = kwargs.pop("context", None) or LambdaContext()
    load_handler(folder).handler(
        make_event(request_type, resource_type, properties, **kwargs), context
    )


def only(responses: list[dict[str, Any]]) -> dict[str, Any]:
    """The single response sent to CloudFormation."""
    assert len(responses) == 1, responses
    return responses[0]


def failed_reason(responses: list[dict[str, Any]]) -> str:
    """The Reason of the single FAILED response, within CloudFormation's 256 characters."""
    response = only(responses)
    assert response["Status"] == "FAILED", response
    assert len(response["Reason"]) <= 256
    return str(response["Reason"])


def run_until_crhelper_times_out(
    run: Callable[..., None], responses: list[dict[str, Any]], released: Any
) -> None:
    """Run a Create with 700 ms of Lambda time left while a stalled AWS call waits on
    ``released``; release it once crhelper's timer has answered CloudFormation."""
    import threading

    def watch() -> None:
        while not responses:
            time.sleep(0.01)
        released.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    run("Create", context=LambdaContext(remaining_ms=700))
    watcher.join(5)
