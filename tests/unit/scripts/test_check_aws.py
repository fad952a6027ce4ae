"""The pure parts of `make check-aws` (the rest needs a real account)."""

import base64
import hashlib
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml

from scripts import check_aws, deploy

ROOT = Path(__file__).resolve().parents[3]


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


def root_parameters():
    return cfn_yaml.load(str(ROOT / "templates" / "pipeline.yml"))["Parameters"]


def test_the_example_file_becomes_a_direct_builtin_stage_named_after_the_check():
    example = deploy.read_parameter_file(ROOT / "parameters" / "example.json")
    assert example["DeliveryMode"] == "pipeline" and example["BuildPipeline"] == "true"
    hosting = {"TemplatesBucketName": "b-eu-west-1", "TemplatesBucketRegion": "eu-west-1"}
    base = check_aws.check_parameters(example, "driftgate-check", hosting, previous=4)
    assert base["DeliveryMode"] == "direct"
    # one Scheduler schedule (the monitor's): the build pipeline's retrain one is off
    assert base["BuildPipeline"] == "false" and base["MonitoringBackend"] == "builtin"
    # no account-wide API Gateway logging role taken over by a test stack
    assert base["InferenceApi"] == "none" and base["InferenceApiLoggingRole"] == "existing"
    assert base["ProjectName"] == "driftgate-check" != example["ProjectName"]
    assert (base["ModelVersion"], base["InstanceCount"]) == ("4", "1")
    assert base["TemplatesBucketName"] == "b-eu-west-1" and "ModelNonce" not in base
    assert base["ModelPackageGroupName"] == example["ModelPackageGroupName"]


def test_forced_values_are_allowed_by_the_root_template():
    spec = root_parameters()
    for key, value in check_aws.CHECK_PARAMETERS.items():
        assert value in spec[key]["AllowedValues"], key
    assert check_aws.PROJECT_NAME.pattern == spec["ProjectName"]["AllowedPattern"]


@pytest.mark.parametrize("name", ["Fraud-check", "x", "a" * 22, "fraud_check"])
def test_a_stack_name_that_cannot_be_a_project_name_is_refused_first(name):
    with pytest.raises(SystemExit, match="also the check's ProjectName"):
        check_aws.main(["--bucket", "b", "--region", "us-east-1", "--stack-name", name,
                        "--parameters", "does-not-matter.json"])  # fmt: skip
