"""The helpers both custom resources share (custom_resources/common)."""

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from common.aws import ATTEMPTS, WORST_CASE_CALL_SECONDS, client_config
from common.errors import REASON_LIMIT, CustomResourceError, aws_failure, fit_reason, shorten
from common.properties import reject_unknown, required_string, string_property
from common.s3uri import S3Location, is_s3_uri, parse_s3_uri


def client_error(code: str, message: str = "boom") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "GetObject")


def test_shorten_keeps_both_ends():
    value = "s3://bucket/" + "x" * 200 + "/constraints.json"
    short = shorten(value, 60)
    assert len(short) <= 60
    assert short.startswith("s3://bucket/")
    assert short.endswith("constraints.json")
    assert shorten("short") == "short"


def test_reasons_never_exceed_what_cloudformation_shows():
    assert len(str(CustomResourceError("x" * 1000))) == REASON_LIMIT
    assert fit_reason("fine") == "fine"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (client_error("AccessDeniedException"), "access denied: s3:GetObject on s3://b/k;"),
        (client_error("SlowDown"), "s3:GetObject on s3://b/k was throttled on every retry"),
        (
            client_error("InternalError", "oops"),
            "s3:GetObject on s3://b/k failed: InternalError: oops",
        ),
        (
            ReadTimeoutError(endpoint_url="https://s3.test"),
            "s3:GetObject on s3://b/k failed after retries: Read timeout",
        ),
        (ValueError("odd"), "s3:GetObject on s3://b/k failed: odd"),
    ],
)
def test_aws_failure_reasons(error, expected):
    assert str(aws_failure("s3:GetObject", "s3://b/k", error)).startswith(expected)


def test_client_config_bounds_each_call():
    config = client_config()
    assert config.retries == {"mode": "standard", "max_attempts": ATTEMPTS - 1}
    assert (config.connect_timeout, config.read_timeout) == (2, 5)
    assert WORST_CASE_CALL_SECONDS == 24


def test_reject_unknown_allows_cloudformation_own_properties():
    reject_unknown({"ServiceToken": "arn", "ServiceTimeout": "120", "A": "1"}, ["A"])
    with pytest.raises(CustomResourceError, match="unknown property B, C; expected A"):
        reject_unknown({"A": "1", "B": "2", "C": "3"}, ["A"])


def test_string_property_rules():
    props = {"Flag": True, "Blank": "", "Num": 7}
    with pytest.raises(CustomResourceError, match="property Flag must be a string"):
        string_property(props, "Flag", pattern=".*", expected="text")
    assert string_property(props, "Blank", pattern=".*", expected="x", required=False) is None
    with pytest.raises(CustomResourceError, match="property Blank is required: x"):
        required_string(props, "Blank", pattern=".*", expected="x")
    assert required_string(props, "Num", pattern="[0-9]+", expected="n") == "7"


@pytest.mark.parametrize(
    ("uri", "valid"),
    [
        ("s3://my-bucket/a/b.json", True),
        ("s3://my-bucket/", False),
        ("s3://My_Bucket/a.json", False),
        ("https://my-bucket.s3.amazonaws.com/a.json", False),
        ("s3://ab/a.json", False),
    ],
)
def test_s3_uri_shapes(uri, valid):
    assert is_s3_uri(uri) is valid


def test_parse_s3_uri():
    location = parse_s3_uri("s3://my-bucket/baselines/v1/statistics.json")
    assert location == S3Location("my-bucket", "baselines/v1/statistics.json")
    assert location.file_name == "statistics.json"
    assert location.uri == "s3://my-bucket/baselines/v1/statistics.json"
    with pytest.raises(ValueError, match="not an s3://bucket/key URI"):
        parse_s3_uri("s3://bucket-only")
