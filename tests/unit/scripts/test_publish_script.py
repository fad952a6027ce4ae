import json
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto import mock_aws

from scripts import publish


def test_refuses_without_credentials(no_credentials, dist, capsys):
    with pytest.raises(SystemExit) as stop:
        publish.main(["--bucket", "acme-dg", "--regions", "us-east-1", "--dist", str(dist)])
    assert stop.value.code == 2
    assert "No AWS credentials found" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("bucket", "prefix", "regions", "message"),
    [
        ("", "driftgate/", ["us-east-1"], "BUCKET is required"),
        ("Acme_DG", "driftgate/", ["us-east-1"], "not a valid base name"),
        ("acme-dg", "driftgate", ["us-east-1"], "must be empty or end with '/'"),
        ("acme-dg", "driftgate/", [], "REGIONS is empty"),
    ],
)
def test_refuses_bad_arguments(bucket, prefix, regions, message):
    with pytest.raises(SystemExit) as stop:
        publish.validate(bucket, prefix, regions)
    assert message in str(stop.value.code)


def test_refuses_unpackaged_tree(fake_credentials, tmp_path):
    with pytest.raises(SystemExit) as stop:
        publish.main(["--bucket", "acme-dg", "--regions", "us-east-1", "--dist", str(tmp_path)])
    assert "make package" in str(stop.value.code)


@pytest.fixture
def moto_ignores_policy_conditions(monkeypatch):
    """moto evaluates bucket-policy Conditions with no request context, so the TLS-only
    Deny (aws:SecureTransport=false) denies every object call, TLS or not (a moto bug).
    The policy's content is asserted directly instead."""
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    monkeypatch.setattr(FakeBucket, "get_permission", lambda *_: PermissionResult.NEUTRAL)


@mock_aws
def test_uploads_privately_to_one_bucket_per_region(
    fake_credentials, dist, capsys, moto_ignores_policy_conditions
):
    regions = ["us-east-1", "eu-west-1"]
    assert publish.main(["--bucket", "acme-dg", "--regions", *regions, "--dist", str(dist)]) == 0

    for region in regions:
        s3 = boto3.client("s3", region_name=region)
        bucket = f"acme-dg-{region}"
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
        assert keys == [
            "driftgate/functions/drift_baseline.zip",
            "driftgate/templates/pipeline.yml",
            "driftgate/templates/stage.yml",
        ]
        location = s3.get_bucket_location(Bucket=bucket)["LocationConstraint"]
        assert (location or "us-east-1") == region
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values()) and len(block) == 4
        ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
        assert ownership == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
        default = encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]
        assert default["SSEAlgorithm"] == "AES256"
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        (deny,) = policy["Statement"]
        assert deny["Effect"] == "Deny"
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        # The release archive is the delivery pipeline's S3 source: versioning required.
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        for key in keys:
            grants = s3.get_object_acl(Bucket=bucket, Key=key)["Grants"]
            assert all("URI" not in g["Grantee"] for g in grants), f"{key} has a group grant"

    out = capsys.readouterr().out
    assert out.count("Launch Stack:") == 2
    assert "[![Launch Stack in eu-west-1]" in out


def test_launch_stack_url_fills_the_hosting_parameters():
    url = publish.launch_stack_url("acme-dg-eu-west-1", "driftgate/", "eu-west-1", "driftgate")
    parts = urlsplit(url)
    assert parts.netloc == "eu-west-1.console.aws.amazon.com"
    query = parse_qs(parts.fragment.split("?", 1)[1])
    assert query["templateURL"] == [
        "https://acme-dg-eu-west-1.s3.eu-west-1.amazonaws.com/driftgate/templates/pipeline.yml"
    ]
    assert query["param_TemplatesBucketName"] == ["acme-dg-eu-west-1"]
    assert query["param_TemplatesBucketRegion"] == ["eu-west-1"]
    assert query["param_TemplatesKeyPrefix"] == ["driftgate/"]


def client_error(code, operation):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": "m"}}, operation)


@pytest.mark.parametrize(
    ("code", "operation", "message"),
    [
        ("403", "HeadBucket", "exists but these credentials cannot read it"),
        ("BucketAlreadyExists", "CreateBucket", "belongs to another account"),
        ("AccessDenied", "PutBucketPolicy", "need s3:PutBucketPolicy on it"),
        ("AccessDenied", "PutBucketVersioning", "need s3:PutBucketVersioning on it"),
        ("AccessDenied", "PutPublicAccessBlock", "need s3:PutBucketPublicAccessBlock on it"),
        ("ExpiredToken", "HeadBucket", "aws sso login"),
        ("InvalidToken", "HeadBucket", "in an opt-in region, enable the region"),
        ("SlowDown", "PutObject", "PutObject on acme-dg-us-east-1 failed: SlowDown: m"),
    ],
)
def test_failure_messages_say_what_to_do(code, operation, message):
    assert message in publish.failure_message(client_error(code, operation), "acme-dg-us-east-1")


def test_aws_errors_end_in_one_line_not_a_traceback(fake_credentials, dist, capsys, monkeypatch):
    class DeniedS3:
        def head_bucket(self, **_):
            raise client_error("403", "HeadBucket")

    monkeypatch.setattr(boto3.Session, "client", lambda *_a, **_k: DeniedS3())
    code = publish.main(["--bucket", "acme-dg", "--regions", "eu-west-1", "--dist", str(dist)])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: eu-west-1: bucket acme-dg-eu-west-1 exists but")
    assert "choose another BUCKET" in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_an_existing_bucket_with_acls_is_made_owner_enforced(fake_credentials):
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="acme-dg-us-east-1", ObjectOwnership="ObjectWriter")
        publish.ensure_private_bucket(s3, "acme-dg-us-east-1", "us-east-1")
        rules = s3.get_bucket_ownership_controls(Bucket="acme-dg-us-east-1")["OwnershipControls"]
        assert rules["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_every_s3_call_of_publishing_has_its_iam_action_named(
    fake_credentials, dist, moto_ignores_policy_conditions
):
    """An access-denied message names the action to grant, for whichever call failed."""
    called: list[str] = []
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.meta.events.register("before-call.s3.*", lambda model, **_: called.append(model.name))
        publish.ensure_private_bucket(s3, "acme-dg-eu-west-1", "eu-west-1")
        publish.upload_tree(s3, dist, "acme-dg-eu-west-1", "driftgate/")
    assert {"HeadBucket", "CreateBucket", "PutObject"} <= set(called)
    assert set(called) <= set(publish.S3_ACTIONS), sorted(set(called) - set(publish.S3_ACTIONS))
