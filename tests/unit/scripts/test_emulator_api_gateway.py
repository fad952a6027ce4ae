"""The emulator's API Gateway and InvokeEndpoint seams, piece by piece (the e2e test
runs them together behind a deployed stack)."""

from __future__ import annotations

import json
import random
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.credentials import Credentials

from scripts import invoke
from scripts.emulator import api_gateway, endpoint_runtime

HOST = "abc123defg.execute-api.eu-west-1.amazonaws.com"
URL = f"https://{HOST}/staging/invocations"
EMULATOR = Credentials("testing", "testing", "testing")


def as_seam_request(signed: Any) -> api_gateway.Request:
    """What the WSGI patch hands the seam for a request scripts/invoke.py built."""
    headers = {name.lower(): value for name, value in signed.headers.items()}
    body = signed.body if isinstance(signed.body, bytes) else signed.body.encode()
    return api_gateway.Request("POST", HOST, "/staging/invocations", "", headers, body)


# --- SigV4 -----------------------------------------------------------------------------


def test_signature_made_with_the_emulators_credentials_verifies():
    signed = invoke.build_request(URL, b"1,2\n", "text/csv", credentials=EMULATOR)
    assert api_gateway.check_signature(as_seam_request(signed), "eu-west-1", EMULATOR) is None


@pytest.mark.parametrize(
    ("credentials", "region", "tamper"),
    [
        (Credentials("testing", "another-secret", "testing"), "eu-west-1", False),
        (EMULATOR, "us-east-1", False),  # signed for another region
        (EMULATOR, "eu-west-1", True),  # body changed after signing
    ],
)
def test_bad_signatures_are_refused(credentials, region, tamper):
    signed = invoke.build_request(URL, b"1,2\n", "text/csv", credentials=credentials, region=region)
    request = as_seam_request(signed)
    if tamper:
        request = api_gateway.Request(
            request.method, request.host, request.path, "", request.headers, b"9,9\n"
        )
    # The seam checks against the region of the API's host (eu-west-1).
    problem = api_gateway.check_signature(request, "eu-west-1", EMULATOR)
    assert problem == "INVALID_SIGNATURE"


def test_unsigned_request_is_missing_its_token():
    request = as_seam_request(invoke.build_request(URL, b"1\n", "text/csv"))
    assert api_gateway.check_signature(request, "eu-west-1", EMULATOR) == (
        "MISSING_AUTHENTICATION_TOKEN"
    )


# --- integration and gateway responses ---------------------------------------------------


def integration(**responses: tuple[str | None, dict[str, str]]) -> Any:
    return SimpleNamespace(
        integration_responses={
            status: SimpleNamespace(
                status_code=status, selection_pattern=pattern, response_templates=templates,
                response_parameters={},
            )
            for status, (pattern, templates) in responses.items()
        }
    )  # fmt: skip


def test_integration_response_is_selected_by_backend_status():
    mapped = integration(
        **{"200": (None, {}), "502": ("424", {"application/json": '{"error": "ModelError"}'})}
    )
    failed = api_gateway.integration_response(mapped, 424, b"Traceback...", {})
    assert (failed.status, failed.body) == (502, b'{"error": "ModelError"}')
    ok = api_gateway.integration_response(mapped, 200, b"0.5\n", {})
    assert (ok.status, ok.body) == (200, b"0.5\n")


def test_vtl_in_a_response_template_is_refused_by_name():
    mapped = integration(**{"200": (None, {"application/json": "$input.json('$')"})})
    with pytest.raises(api_gateway.NotEmulated, match="VTL"):
        api_gateway.integration_response(mapped, 200, b"{}", {})


def test_gateway_response_falls_back_to_default_4xx_template():
    template = '{"error": "$context.error.responseType", "message": $context.error.messageString}'
    api = SimpleNamespace(
        gateway_responses={
            "DEFAULT_4XX": SimpleNamespace(status_code=None, response_templates={
                "application/json": template})
        }
    )  # fmt: skip
    response = api_gateway.gateway_error(api, "UNSUPPORTED_MEDIA_TYPE")
    assert response.status == 415
    assert json.loads(response.body) == {
        "error": "UNSUPPORTED_MEDIA_TYPE",
        "message": "Unsupported Media Type",
    }


# --- InvokeEndpoint: stand-in model and capture ------------------------------------------


def test_stand_in_model_scores_each_row_stably():
    assert endpoint_runtime.score_rows("1,2\n3,4\n") == endpoint_runtime.score_rows("1,2\n3,4")
    assert len(endpoint_runtime.score_rows("1,2\n3,4\n")) == 2


@pytest.mark.parametrize("text", ["", "1,2\n3\n"])
def test_stand_in_model_refuses_empty_or_ragged_batches(text):
    with pytest.raises(ValueError):
        endpoint_runtime.score_rows(text)


def test_capture_is_skipped_when_disabled_or_not_sampled():
    args = ("123456789012", "eu-west-1", "e", "AllTraffic")
    payload = (b"1\n", "text/csv", b"0.5\n", "text/csv")
    assert (
        endpoint_runtime.capture(*args, {"EnableCapture": False}, *payload, random.Random(1))
        is None
    )
    config = {"EnableCapture": True, "InitialSamplingPercentage": 0, "DestinationS3Uri": "s3://b"}
    assert endpoint_runtime.capture(*args, config, *payload, random.Random(1)) is None


@pytest.mark.parametrize(
    ("content_type", "header", "encoding"),
    [
        ("text/csv", {}, "CSV"),
        ("application/json; charset=utf-8", {}, "JSON"),
        ("application/x-npy", {}, "BASE64"),
        ("text/plain", {"CsvContentTypes": ["text/plain"]}, "CSV"),
    ],
)
def test_capture_encoding_follows_the_content_type_header(content_type, header, encoding):
    payload = endpoint_runtime._payload(b"1,2", content_type, header, "INPUT")
    assert payload["encoding"] == encoding
    assert payload["observedContentType"] == content_type
