"""The IAM model the request tests rely on evaluates statements as IAM does."""

import boto3
import pytest
from moto import mock_aws

from tests.templates import iam_model
from tests.templates.iam_model import allowed, authorizations, render

BUCKET = "arn:aws:s3:::demo-data"


def statement(**fields):
    return {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET, **fields}


def test_wildcards_are_iam_wildcards_not_shell_patterns():
    rule = [statement(Action="s3:Get*", Resource="arn:aws:s3:::demo-[data]/a?c/*")]
    assert allowed(rule, "s3:GetObject", "arn:aws:s3:::demo-[data]/abc/x/y", {})
    assert not allowed(rule, "s3:GetObject", "arn:aws:s3:::demo-d/abc/x", {})
    assert allowed(rule, "S3:getobject", "arn:aws:s3:::demo-[data]/abc/x", {})  # actions: any case


def test_conditions_need_their_key_and_a_matching_value():
    rule = [statement(Condition={"StringLike": {"s3:prefix": ["capture/e/*", "monitoring/e/*"]}})]
    assert allowed(rule, "s3:ListBucket", BUCKET, {"s3:prefix": "monitoring/e/x"})
    assert not allowed(rule, "s3:ListBucket", BUCKET, {"s3:prefix": "capture/other/"})
    assert not allowed(rule, "s3:ListBucket", BUCKET, {})


def test_operators_and_set_qualifiers():
    arn_like = [statement(Condition={"ArnLike": {"aws:SourceArn": "arn:aws:events:*:1:rule/x-*"}})]
    assert allowed(
        arn_like, "s3:ListBucket", BUCKET, {"aws:SourceArn": "arn:aws:events:r:1:rule/x-1"}
    )
    boolean = [statement(Condition={"Bool": {"aws:SecureTransport": True}})]
    assert allowed(boolean, "s3:ListBucket", BUCKET, {"aws:SecureTransport": "true"})
    assert not allowed(boolean, "s3:ListBucket", BUCKET, {"aws:SecureTransport": "false"})
    any_value = [statement(Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}})]
    assert allowed(any_value, "s3:ListBucket", BUCKET, {"aws:TagKeys": ["x", "team"]})
    assert not allowed(any_value, "s3:ListBucket", BUCKET, {"aws:TagKeys": ["x"]})
    all_values = [statement(Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}})]
    assert allowed(all_values, "s3:ListBucket", BUCKET, {})  # no key: vacuously true
    assert not allowed(all_values, "s3:ListBucket", BUCKET, {"aws:TagKeys": ["team", "x"]})


def test_an_explicit_deny_wins_and_not_elements_are_refused():
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    assert not allowed([statement(), deny], "s3:ListBucket", BUCKET, {})
    with pytest.raises(AssertionError, match="NotResource"):
        allowed([statement(NotResource="x")], "s3:ListBucket", BUCKET, {})


def test_passing_a_role_names_the_receiving_service():
    job = {
        "ProcessingJobName": "Sched-1",
        "RoleArn": "arn:aws:iam::1:role/r",
        "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large"}},
    }
    requests = authorizations("sagemaker", "CreateProcessingJob", job)
    assert requests[0][1].endswith(":processing-job/sched-1")  # lower case in ARNs
    assert requests[-1] == (
        "iam:PassRole",
        "arn:aws:iam::1:role/r",
        {"iam:PassedToService": "sagemaker.amazonaws.com"},
    )


def test_unmodelled_requests_and_intrinsics_fail_loudly():
    with pytest.raises(AssertionError, match="not modelled"):
        authorizations("s3", "PutBucketPolicy", {"Bucket": "b"})
    with pytest.raises(AssertionError, match="not modelled"):
        render({"Fn::Base64": "x"}, {}, {})


def test_reading_an_sse_kms_object_needs_its_key_through_s3(monkeypatch):
    """The GetObject request names no key; the stored object does. `recorded` takes it
    from S3's answer, so a read of a stack-key object asks for that key's kms:Decrypt."""
    for name, value in iam_model.TEST_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    with mock_aws():
        s3 = boto3.client("s3", region_name=iam_model.REGION)
        s3.create_bucket(Bucket="demo-artifacts")
        s3.put_object(Bucket="demo-artifacts", Key="plain", Body=b"x")
        s3.put_object(
            Bucket="demo-artifacts",
            Key="keyed",
            Body=b"x",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=key,
        )

        def read() -> None:
            client = boto3.client("s3")
            for name in ("plain", "keyed"):
                client.get_object(Bucket="demo-artifacts", Key=name)["Body"].read()
            client.head_object(Bucket="demo-artifacts", Key="keyed")

        requests, _ = iam_model.recorded(read)
    assert iam_model.all_authorizations(requests) == [
        ("s3:GetObject", "arn:aws:s3:::demo-artifacts/plain", {}),
        ("s3:GetObject", "arn:aws:s3:::demo-artifacts/keyed", {}),
        ("kms:Decrypt", key, {"kms:ViaService": "s3.us-east-1.amazonaws.com"}),
        ("s3:GetObject", "arn:aws:s3:::demo-artifacts/keyed", {}),
    ]
