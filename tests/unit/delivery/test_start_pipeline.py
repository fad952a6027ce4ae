"""The approval trigger starts this pipeline with the approved package, once per event."""

import pytest
import starter
from delivery_support import ACCOUNT, REGION, load_handler

ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn/4"


def event(group="churn", status="Approved", **extra):
    return {
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "source": "aws.sagemaker",
        "detail-type": "SageMaker Model Package State Change",
        "detail": {
            "ModelPackageGroupName": group,
            "ModelPackageArn": ARN,
            "ModelPackageVersion": 4,
            "ModelApprovalStatus": status,
            **extra,
        },
    }


def test_an_approval_starts_the_pipeline_with_the_package_arn_and_the_event_id(codepipeline):
    client, stubber = codepipeline
    stubber.add_response(
        "start_pipeline_execution",
        {"pipelineExecutionId": "e-1"},
        {
            "name": "driftgate-delivery",
            "variables": [{"name": "ModelPackage", "value": ARN}],
            "clientRequestToken": "7bf73129-1428-4cd3-a780-95db273d1602",
        },
    )
    result = starter.start_for_event(event(), "driftgate-delivery", "churn", client)
    assert result == {"started": "e-1", "ignored": ""}


@pytest.mark.parametrize(
    ("changed", "reason"),
    [
        ({"group": "fraud"}, "group 'fraud'"),
        ({"status": "Rejected"}, "Rejected, not Approved"),
        ({"status": "PendingManualApproval"}, "PendingManualApproval"),
    ],
)
def test_other_groups_and_other_states_start_nothing(codepipeline, changed, reason):
    client, _ = codepipeline  # no response stubbed: any call would fail the test
    result = starter.start_for_event(event(**changed), "driftgate-delivery", "churn", client)
    assert result["started"] == ""
    assert reason in result["ignored"]


def test_a_failed_start_raises_so_eventbridge_retries(codepipeline):
    client, stubber = codepipeline
    stubber.add_client_error("start_pipeline_execution", "ThrottlingException", "Rate exceeded")
    with pytest.raises(
        Exception, match="StartPipelineExecution on driftgate-delivery was throttled"
    ):
        starter.start_for_event(event(), "driftgate-delivery", "churn", client)


def test_a_missing_pipeline_is_named(codepipeline):
    client, stubber = codepipeline
    stubber.add_client_error(
        "start_pipeline_execution", "PipelineNotFoundException", "no such pipeline"
    )
    with pytest.raises(Exception, match="PipelineNotFoundException"):
        starter.start_for_event(event(), "driftgate-delivery", "churn", client)


def test_the_handler_reads_its_environment(monkeypatch, codepipeline):
    handler = load_handler("start_pipeline")
    monkeypatch.setenv("DRIFTGATE_DELIVERY_PIPELINE", "p")
    monkeypatch.setenv("DRIFTGATE_MODEL_PACKAGE_GROUP", "churn")
    calls = []
    monkeypatch.setattr(handler.starter, "start_for_event", lambda e, **kw: calls.append(kw) or {})
    handler.handler(event(), None)
    assert calls == [{"pipeline_name": "p", "group_name": "churn"}]
