"""The pure parts of `make check-aws` (the rest needs a real account)."""

import base64
import hashlib

import pytest

from scripts import check_aws


def test_code_sha256_is_lambdas_base64_digest(tmp_path):
    archive = tmp_path / "f.zip"
    archive.write_bytes(b"PK code")
    assert (
        check_aws.code_sha256(archive)
        == base64.b64encode(hashlib.sha256(b"PK code").digest()).decode()
    )


def test_functions_not_running_a_packaged_zip_are_named(tmp_path):
    (tmp_path / "functions").mkdir()
    archive = tmp_path / "functions" / "drift_monitor-0123456789abcdef.zip"
    archive.write_bytes(b"new code")
    deployed = {"monitor": check_aws.code_sha256(archive), "baseline": "b2xkIGNvZGU="}
    assert check_aws.stale_functions(deployed, tmp_path) == ["baseline"]


def test_versions_are_the_two_newest_approved():
    listed = [
        {"ModelPackageArn": "arn:aws:sagemaker:us-east-1:1:model-package/g/7"},
        {"ModelPackageArn": "arn:aws:sagemaker:us-east-1:1:model-package/g/5"},
    ]
    assert check_aws.previous_and_latest(listed) == (5, 7)


def test_one_approved_version_is_refused_with_what_to_do():
    with pytest.raises(SystemExit, match="needs two approved versions"):
        check_aws.previous_and_latest([{"ModelPackageArn": "a/model-package/g/1"}])


def test_failure_reasons_by_resource():
    events = [
        {"LogicalResourceId": "DeploymentCheck", "ResourceStatus": "UPDATE_FAILED",
         "ResourceStatusReason": "rolled back"},
        {"LogicalResourceId": "Endpoint", "ResourceStatus": "UPDATE_COMPLETE"},
    ]  # fmt: skip
    assert check_aws.failure_reasons(events, "UPDATE_FAILED") == {"DeploymentCheck": "rolled back"}


def test_refuses_without_credentials(no_credentials, tmp_path):
    parameters = tmp_path / "p.json"
    parameters.write_text('[{"ParameterKey": "ModelPackageGroupName", "ParameterValue": "g"}]')
    with pytest.raises(SystemExit):
        check_aws.main(["--bucket", "b", "--region", "us-east-1", "--parameters", str(parameters)])
