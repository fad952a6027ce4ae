import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from scripts import deploy


def write(tmp_path, content):
    path = tmp_path / "params.json"
    path.write_text(content)
    return path


def test_reads_a_create_stack_parameter_file(tmp_path):
    path = write(
        tmp_path,
        json.dumps(
            [
                {"ParameterKey": "ProjectName", "ParameterValue": "fraud"},
                {"ParameterKey": "InstanceCount", "ParameterValue": 2},
            ]
        ),
    )
    assert deploy.read_parameter_file(path) == {"ProjectName": "fraud", "InstanceCount": "2"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"ProjectName": "x"}', "must be a JSON list"),
        ('[{"ParameterValue": "x"}]', "entry 0 has no ParameterKey"),
    ],
)
def test_malformed_parameter_files_are_refused(tmp_path, content, message):
    with pytest.raises(SystemExit) as stop:
        deploy.read_parameter_file(write(tmp_path, content))
    assert message in str(stop.value.code)


def test_missing_parameter_file_is_named(tmp_path):
    with pytest.raises(SystemExit) as stop:
        deploy.read_parameter_file(tmp_path / "nope.json")
    assert "nope.json not found" in str(stop.value.code)


def test_command_overrides_hosting_parameters_and_asks_for_capabilities():
    command = deploy.deploy_command(
        "dg",
        "eu-west-1",
        "acme-dg-eu-west-1",
        "driftgate/",
        {"ProjectName": "fraud", "TemplatesBucketName": "stale"},
    )
    overrides = command[command.index("--parameter-overrides") + 1 :]
    assert overrides == [
        "ProjectName=fraud",
        "TemplatesBucketName=acme-dg-eu-west-1",
        "TemplatesBucketRegion=eu-west-1",
        "TemplatesKeyPrefix=driftgate/",
    ]
    at = command.index("--capabilities")
    capabilities = command[at + 1 : at + 3]
    assert capabilities == ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    assert command[command.index("--template-file") + 1].endswith("templates/pipeline.yml")


def test_refuses_without_credentials(no_credentials, tmp_path, capsys):
    path = write(tmp_path, "[]")
    with pytest.raises(SystemExit) as stop:
        deploy.main(["--bucket", "acme-dg", "--region", "us-east-1", "--parameters", str(path)])
    assert stop.value.code == 2
    assert "No AWS credentials found" in capsys.readouterr().err


@mock_aws
def test_refuses_when_templates_are_not_published(fake_credentials, tmp_path):
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="acme-dg-us-east-1")
    path = write(tmp_path, "[]")
    with pytest.raises(SystemExit) as stop:
        deploy.main(["--bucket", "acme-dg", "--region", "us-east-1", "--parameters", str(path)])
    assert "publish first" in str(stop.value.code)
    assert "s3://acme-dg-us-east-1/driftgate/templates/stage.yml" in str(stop.value.code)


def test_refuses_placeholders_left_in_the_parameter_file(fake_credentials, capsys):
    shipped = deploy.ROOT / "parameters" / "example.json"
    with pytest.raises(SystemExit) as stop:
        deploy.main(["--bucket", "acme-dg", "--region", "us-east-1", "--parameters", str(shipped)])
    message = str(stop.value.code)
    # the email too: an example.com address never confirms the subscription, so no
    # alarm would ever reach the team
    assert "set ArtifactsBucketName, NotificationEmail (still a replace-with-" in message
    assert "TemplatesBucketName" not in message  # deploy fills the hosting values itself


def test_filled_in_parameters_pass(tmp_path):
    values = {"ArtifactsBucketName": "acme-artifacts", "TemplatesBucketName": "replace-with-x"}
    deploy.require_filled_in(tmp_path / "p.json", values)


class Stacks:
    """describe_stacks answering one status, or that the stack does not exist."""

    def __init__(self, status: str | None) -> None:
        self.status = status

    def describe_stacks(self, StackName: str) -> dict:
        if self.status is None:
            message = f"Stack with id {StackName} does not exist"
            error = {"Error": {"Code": "ValidationError", "Message": message}}
            raise ClientError(error, "DescribeStacks")
        return {"Stacks": [{"StackName": StackName, "StackStatus": self.status}]}


def test_a_stack_that_failed_its_creation_is_refused_with_the_way_out():
    with pytest.raises(SystemExit) as stop:
        deploy.require_deployable(Stacks("ROLLBACK_COMPLETE"), "fraud", "eu-west-1")
    message = str(stop.value.code)
    assert "failed its creation" in message
    assert "aws cloudformation delete-stack --stack-name fraud --region eu-west-1" in message


@pytest.mark.parametrize("status", [None, "CREATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"])
def test_new_and_updatable_stacks_pass(status):
    deploy.require_deployable(Stacks(status), "fraud", "eu-west-1")


@mock_aws
def test_a_missing_stack_is_a_first_deploy_on_moto(fake_credentials):
    deploy.require_deployable(boto3.client("cloudformation"), "fraud", "us-east-1")
