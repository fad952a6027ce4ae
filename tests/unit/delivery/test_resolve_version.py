"""Resolve: the ModelPackage variable becomes one approved version, via package_lookup."""

import json

import boto3
import package_lookup
import pytest
import resolve
from delivery_support import ACCOUNT, REGION, load_handler
from pipeline_job import ActionError, Job

GROUP = "churn"
BUCKET = "artifacts"
LOCATION = package_lookup.FunctionLocation("aws", REGION, ACCOUNT)


def register(client, status, baseline=True):
    extra = {}
    if baseline:
        extra["DriftCheckBaselines"] = {
            "ModelDataQuality": {
                "Statistics": {"ContentType": "application/json", "S3Uri": f"s3://{BUCKET}/s.json"},
                "Constraints": {
                    "ContentType": "application/json",
                    "S3Uri": f"s3://{BUCKET}/c.json",
                },
            }
        }
    return client.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelApprovalStatus=status,
        InferenceSpecification={
            "Containers": [{"Image": "img", "ModelDataUrl": f"s3://{BUCKET}/m.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        **extra,
    )["ModelPackageArn"]


@pytest.fixture
def sagemaker(moto_aws):
    client = boto3.client("sagemaker", region_name=REGION)
    client.create_model_package_group(ModelPackageGroupName=GROUP)
    return client


STAGE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/churn-delivery-StageStackRole-AbC123"
STAGE_STACKS = ("churn-staging", "churn-prod")


def job(requested):
    return Job(
        "job-1",
        {
            "ModelPackage": requested,
            "ModelPackageGroupName": GROUP,
            "ArtifactsBucketName": BUCKET,
            "StageStacks": ",".join(STAGE_STACKS),
            "StageStackRoleArn": STAGE_ROLE,
        },
    )


def run(request, client):
    return resolve.resolve_job(request, LOCATION, client, remaining_ms=lambda: 300_000)


def test_an_approval_arn_pins_that_version_even_when_a_newer_one_is_approved(sagemaker):
    first = register(sagemaker, "Approved")
    register(sagemaker, "Approved")
    variables = run(job(first), sagemaker)
    assert variables["ModelPackageVersion"] == "1"
    assert variables["ModelPackageArn"] == first
    assert variables["BaselineStatisticsS3Uri"] == f"s3://{BUCKET}/s.json"
    assert variables["BaselineConstraintsS3Uri"] == f"s3://{BUCKET}/c.json"


def test_latest_is_the_newest_approved(sagemaker):
    register(sagemaker, "Approved")
    register(sagemaker, "Approved")
    register(sagemaker, "PendingManualApproval")
    assert run(job("latest"), sagemaker)["ModelPackageVersion"] == "2"


def test_a_version_number_is_pinned(sagemaker):
    register(sagemaker, "Approved")
    register(sagemaker, "Approved")
    assert run(job("1"), sagemaker)["ModelPackageVersion"] == "1"


@pytest.mark.parametrize("status", ["PendingManualApproval", "Rejected"])
def test_a_package_that_is_not_approved_fails_with_the_approve_command(sagemaker, status):
    arn = register(sagemaker, status)
    with pytest.raises(Exception, match=f"version 1 of {GROUP} is {status}; approve it"):
        run(job(arn), sagemaker)


def test_an_empty_group_says_so(sagemaker):
    with pytest.raises(Exception, match=f"group {GROUP} has no model packages yet"):
        run(job("latest"), sagemaker)


def test_a_package_without_baseline_is_refused(sagemaker):
    register(sagemaker, "Approved", baseline=False)
    with pytest.raises(Exception, match="has no data-quality baseline"):
        run(job("latest"), sagemaker)


def test_another_groups_package_is_refused():
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/fraud/3"
    with pytest.raises(
        ActionError, match=f"belongs to group fraud; this pipeline delivers {GROUP}"
    ):
        resolve.requested_version(arn, GROUP)


@pytest.mark.parametrize("value", ["newest", "0", "arn:aws:sagemaker:x"])
def test_an_unusable_request_is_named(value):
    with pytest.raises(Exception, match=r"ModelPackage is|not a versioned model package ARN"):
        resolve.requested_version(value, GROUP)


def test_the_handler_reports_the_variables_to_codepipeline(sagemaker, monkeypatch, codepipeline):
    resolve_handler = load_handler("resolve_version")

    arn = register(sagemaker, "Approved")
    client, stubber = codepipeline
    monkeypatch.setattr(resolve_handler.pipeline_job, "codepipeline_client", lambda: client)
    expected = {
        "ModelPackageArn": arn,
        "ModelPackageVersion": "1",
        "ModelPackageGroupName": GROUP,
        "BaselineStatisticsS3Uri": f"s3://{BUCKET}/s.json",
        "BaselineConstraintsS3Uri": f"s3://{BUCKET}/c.json",
        "SupportedContentTypes": "text/csv",
    }
    stubber.add_response("put_job_success_result", {}, {"jobId": "j", "outputVariables": expected})
    context = type(
        "C",
        (),
        {
            "invoked_function_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:r",
            "get_remaining_time_in_millis": lambda self: 300_000,
        },
    )()
    event = {"CodePipeline.job": {"id": "j", "data": {"actionConfiguration": {"configuration": {
        "UserParameters": json.dumps(job(arn).user_parameters)}}}}}  # fmt: skip
    resolve_handler.handler(event, context)
