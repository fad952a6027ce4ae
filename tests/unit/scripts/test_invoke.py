"""scripts/invoke.py: rows in, signed or keyed requests out, answers printed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from botocore.credentials import Credentials

from scripts import invoke

URL = "https://abc123defg.execute-api.eu-west-1.amazonaws.com/staging/invocations"
CREDENTIALS = Credentials("AKIDEXAMPLE", "secret", None)


class FakeResponse:
    def __init__(self, status: int, body: bytes, content_type: str = "text/csv") -> None:
        self.status_code = status
        self.content = body
        self.headers = {"Content-Type": content_type}


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Requests that would have gone out; each is answered from `answers` (or 200)."""
    requests: list[Any] = []

    def send(self: Any, prepared: Any) -> FakeResponse:
        requests.append(prepared)
        body = prepared.body if isinstance(prepared.body, bytes) else prepared.body.encode()
        if b"bad" in body:
            return FakeResponse(502, b'{"error": "ModelError"}', "application/json")
        rows = [line for line in body.decode().splitlines() if line]
        return FakeResponse(200, ("\n".join("0.5" for _ in rows) + "\n").encode())

    monkeypatch.setattr(invoke.URLLib3Session, "send", send)
    return requests


def test_rows_skip_blank_lines_and_line_ends():
    assert invoke.read_rows(["1,2\r\n", "\n", "  \n", "3,4"]) == ["1,2", "3,4"]


def test_batches_keep_order_and_size():
    assert list(invoke.batches(["a", "b", "c"], 2)) == [["a", "b"], ["c"]]


def test_region_comes_from_the_execute_api_host():
    assert invoke.region_of(URL) == "eu-west-1"
    with pytest.raises(ValueError, match="--region"):
        invoke.region_of("https://api.example.com/invocations")


def test_api_key_request_carries_the_key_and_no_signature():
    request = invoke.build_request(URL, b"1,2\n", "text/csv", api_key="k" * 40)
    assert request.headers["x-api-key"] == "k" * 40
    assert "Authorization" not in request.headers


def test_iam_request_is_sigv4_signed_for_execute_api_in_the_urls_region():
    request = invoke.build_request(URL, b"1,2\n", "text/csv", credentials=CREDENTIALS)
    authorization = request.headers["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in authorization
    assert "host" in authorization.split("SignedHeaders=")[1].split(",")[0].split(";")


def test_connect_to_keeps_the_apis_host_header_and_path(sent):
    request = invoke.build_request(URL, b"1,2\n", "text/csv", credentials=CREDENTIALS)
    invoke.send(request, connect_to="http://127.0.0.1:5000")
    (prepared,) = sent
    assert prepared.url == "http://127.0.0.1:5000/staging/invocations"
    assert prepared.headers["Host"] == "abc123defg.execute-api.eu-west-1.amazonaws.com"


def test_main_prints_one_answer_per_row(sent, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    rows = io.StringIO("".join(f"{i},{i}\n" for i in range(5)))

    status = invoke.main(["--url", URL, "--rows-per-request", "2", "-"], stdin=rows)

    assert status == 0
    assert capsys.readouterr().out.splitlines() == ["0.5"] * 5
    assert len(sent) == 3  # 2 + 2 + 1 rows


def test_refused_request_is_reported_and_fails_the_run(sent, capsys, monkeypatch):
    monkeypatch.setenv(invoke.API_KEY_VARIABLE, "k" * 40)
    status = invoke.main(
        ["--url", URL, "--auth", "api-key", "--rows-per-request", "1", "-"],
        stdin=io.StringIO("1,2\nbad\n3,4\n"),
    )
    captured = capsys.readouterr()
    assert status == 1
    assert captured.out.splitlines() == ["0.5", "0.5"]
    assert 'HTTP 502: {"error": "ModelError"}' in captured.err


def test_api_key_mode_without_a_key_says_how_to_give_one(monkeypatch):
    monkeypatch.delenv(invoke.API_KEY_VARIABLE, raising=False)
    with pytest.raises(SystemExit, match="DRIFTGATE_API_KEY or --api-key-id"):
        invoke.main(["--url", URL, "--auth", "api-key", "-"], stdin=io.StringIO("1\n"))


def test_rows_per_request_must_be_positive():
    with pytest.raises(SystemExit):
        invoke.main(["--url", URL, "--rows-per-request", "0"])


class Described:
    """A session whose one stack has the given outputs."""

    def __init__(self, outputs: dict[str, str]) -> None:
        self.outputs = [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]

    def client(self, _service: str) -> Described:
        return self

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        return {"Stacks": [{"StackName": StackName, "Outputs": self.outputs}]}


def test_the_url_is_the_stacks_output():
    session = Described({"InferenceApiUrl": URL})
    assert invoke.stack_output(session, "fraud", "InferenceApiUrl") == URL


def test_a_pipeline_root_stack_points_at_its_stage_stacks():
    session = Described({"StagingStackName": "fraud-staging", "ProductionStackName": "fraud-prod"})
    with pytest.raises(SystemExit) as stop:
        invoke.stack_output(session, "fraud", "InferenceApiUrl")
    message = str(stop.value.code)
    assert "pipeline-mode root stack" in message
    assert "(fraud-staging or fraud-prod)" in message


def test_a_stage_without_an_api_says_how_to_add_one():
    session = Described({"InferenceApiUrl": "none", "EndpointName": "fraud-dev"})
    with pytest.raises(SystemExit, match="deploy it with InferenceApi iam or api-key"):
        invoke.stack_output(session, "fraud", "InferenceApiUrl")
