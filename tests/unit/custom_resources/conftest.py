"""Fixtures for the custom-resource tests; helpers are in cr_support.py."""

import ssl
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.loaders
import botocore.retries.standard
import botocore.session
import crhelper.utils
import pytest
from cr_support import REGION, CallLog, CapturedConnection, record_calls
from moto import mock_aws

# One loader for all tests: parsing SageMaker's service model takes most of a second.
_LOADER = botocore.loaders.create_loader()


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def responses(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Bodies sent to CloudFormation, in order, captured at crhelper's HTTPS connection."""
    CapturedConnection.sent = []
    monkeypatch.setattr(crhelper.utils, "HTTPSConnection", CapturedConnection)
    # No TLS happens here; skip loading the system CA store on every response.
    fake_ssl = SimpleNamespace(
        create_default_context=lambda *args, **kwargs: SimpleNamespace(),
        Purpose=ssl.Purpose,
    )
    monkeypatch.setattr(crhelper.utils, "ssl", fake_ssl)
    return CapturedConnection.sent


@pytest.fixture
def session() -> Iterator[boto3.Session]:
    """moto-backed default session; clients the handlers create inherit its event hooks."""
    with mock_aws():
        core = botocore.session.get_session()
        core.register_component("data_loader", _LOADER)
        boto3.setup_default_session(botocore_session=core, region_name=REGION)
        try:
            yield boto3.DEFAULT_SESSION
        finally:
            boto3.DEFAULT_SESSION = None


@pytest.fixture
def call_log(session: boto3.Session) -> CallLog:
    return record_calls(session)


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep botocore's retry decisions but skip the jittered sleep between attempts."""
    monkeypatch.setattr(
        botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0
    )
