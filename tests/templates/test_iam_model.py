"""The IAM model the request tests rely on evaluates statements as IAM does."""

import pytest

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
