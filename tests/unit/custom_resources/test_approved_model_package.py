"""Custom::ApprovedModelPackage through its Lambda handler, on moto's model registry."""

import json
import threading
import time
from typing import Any

import boto3
import package_lookup
import pytest
from botocore.exceptions import EndpointConnectionError
from cr_support import (
    ACCOUNT,
    REGION,
    ROOT,
    CallLog,
    LambdaContext,
    failed_reason,
    inject,
    json_error,
    only,
    record_calls,
    run_handler,
    run_until_crhelper_times_out,
)
from moto.sagemaker.models import sagemaker_backends

GROUP = "churn-model"
BUCKET = "artifacts-bucket"
RESOURCE_TYPE = "Custom::ApprovedModelPackage"
LIST_EVENT = "before-send.sagemaker.ListModelPackages"
LATEST_PARAMS = {
    "ModelPackageGroupName": GROUP,
    "ModelApprovalStatus": "Approved",
    "SortBy": "CreationTime",
    "SortOrder": "Descending",
    "MaxResults": 100,
}
INFERENCE = {
    "Containers": [{"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/churn:1"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}


def arn(version: int, group: str = GROUP) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{group.lower()}/{version}"


def quality(prefix: str) -> dict[str, Any]:
    return {
        "ModelDataQuality": {
            "Statistics": {"ContentType": "application/json", "S3Uri": f"{prefix}/statistics.json"},
            "Constraints": {
                "ContentType": "application/json",
                "S3Uri": f"{prefix}/constraints.json",
            },
        }
    }


def register(status: str, *, group: str = GROUP, **extra: Any) -> str:
    """Register the next version of `group` (created on first use) with `status`."""
    client = boto3.client("sagemaker", region_name=REGION)
    inference = extra.pop("InferenceSpecification", INFERENCE)
    groups = client.list_model_package_groups()["ModelPackageGroupSummaryList"]
    if group not in {g["ModelPackageGroupName"] for g in groups}:
        client.create_model_package_group(ModelPackageGroupName=group)
    if not extra:
        count = len(
            client.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
        )
        extra = {"DriftCheckBaselines": quality(f"s3://{BUCKET}/baselines/v{count + 1}")}
    return str(
        client.create_model_package(
            ModelPackageGroupName=group,
            ModelApprovalStatus=status,
            InferenceSpecification=inference,
            **extra,
        )["ModelPackageArn"]
    )


def bulk_register(count: int, status: str, group: str) -> None:
    """Many versions straight into moto's backend (the API path costs ~5 ms a package)."""
    backend = sagemaker_backends[ACCOUNT][REGION]
    backend.create_model_package_group(group, None, None)
    for _ in range(count):
        backend.create_model_package(
            model_package_name=None,
            model_package_group_name=group,
            model_package_description=None,
            inference_specification=INFERENCE,
            validation_specification=None,
            source_algorithm_specification=None,
            certify_for_marketplace=False,
            tags=None,
            model_approval_status=status,
            metadata_properties=None,
            model_metrics=None,
            client_token=None,
            customer_metadata_properties=None,
            drift_check_baselines=quality(f"s3://{BUCKET}/baselines"),
            domain=None,
            task=None,
            sample_payload_url=None,
            additional_inference_specifications=None,
        )


def props(**overrides: Any) -> dict[str, Any]:
    values = {"ModelPackageGroupName": GROUP, "Version": "latest", "ArtifactsBucketName": BUCKET}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def run(request_type: str, properties: dict[str, Any], **kwargs: Any) -> None:
    run_handler("approved_model_package", RESOURCE_TYPE, request_type, properties, **kwargs)


# --- Create: latest and pinned -------------------------------------------------------


def test_create_latest_answers_arn_version_and_baseline(responses, call_log: CallLog):
    register("Approved")
    newest = register("Approved")

    run("Create", props(Nonce="exec-1"))

    response = only(responses)
    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == newest == arn(2)
    assert response["Data"] == {
        "ModelPackageArn": arn(2),
        "ModelPackageVersion": "2",
        "ModelPackageGroupName": GROUP,
        "BaselineStatisticsS3Uri": f"s3://{BUCKET}/baselines/v2/statistics.json",
        "BaselineConstraintsS3Uri": f"s3://{BUCKET}/baselines/v2/constraints.json",
        "SupportedContentTypes": "text/csv",
    }
    handler_calls = call_log.calls[-2:]
    assert [name for _, name, _ in handler_calls] == ["ListModelPackages", "DescribeModelPackage"]
    assert handler_calls[0][2] == LATEST_PARAMS


def test_latest_skips_pending_and_rejected_versions(responses, session):
    register("Approved")
    register("Approved")
    register("PendingManualApproval")
    register("Rejected")

    run("Create", props())

    assert only(responses)["PhysicalResourceId"] == arn(2)


def test_pinned_version_is_one_describe_call(responses, session):
    register("Approved")
    register("Approved")
    log = record_calls(session)

    run("Create", props(Version="1"))

    response = only(responses)
    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == arn(1)
    assert response["Data"]["ModelPackageVersion"] == "1"
    assert log.names() == ["sagemaker:DescribeModelPackage"]
    assert log.params("DescribeModelPackage") == [{"ModelPackageName": arn(1)}]


@pytest.mark.parametrize("status", ["Rejected", "PendingManualApproval"])
def test_pinned_version_not_approved_fails(responses, session, status):
    register("Approved")
    register(status)

    run("Create", props(Version="2"))

    reason = failed_reason(responses)
    assert reason.startswith(f"version 2 of {GROUP} is {status}; approve it")
    assert arn(2) in reason
    assert reason.endswith("or use Version=latest")


def test_pinned_version_missing_fails(responses, session):
    register("Approved")

    run("Create", props(Version="9"))

    assert failed_reason(responses) == (
        f"version 9 of {GROUP} does not exist; set Version to an approved version or to latest"
    )


def test_pinned_version_in_missing_group_fails(responses, session):
    run("Create", props(Version="1", ModelPackageGroupName="nope"))

    assert failed_reason(responses).startswith("group nope does not exist")


def test_mixed_case_group_resolves_lower_case_arn(responses, session):
    register("Approved", group="Churn-Model-X")

    run("Create", props(Version="1", ModelPackageGroupName="Churn-Model-X"))

    assert only(responses)["PhysicalResourceId"] == arn(1, "churn-model-x")


# --- Create: groups with nothing to deploy ------------------------------------------


def test_missing_group_fails(responses, session):
    run("Create", props(ModelPackageGroupName="nope"))

    assert failed_reason(responses) == (
        "group nope does not exist in this account and region; check ModelPackageGroupName"
    )


def test_missing_group_reported_as_an_error_by_list_fails_the_same(responses, session):
    group_arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/nope"
    message = f"ModelPackageGroup {group_arn} does not exist."
    inject(session, LIST_EVENT, lambda: json_error(400, "ValidationException", message))

    run("Create", props(ModelPackageGroupName="nope"))

    assert failed_reason(responses).startswith("group nope does not exist")


def test_empty_group_fails(responses, session):
    boto3.client("sagemaker", region_name=REGION).create_model_package_group(
        ModelPackageGroupName=GROUP
    )

    run("Create", props())

    assert failed_reason(responses).startswith(f"group {GROUP} has no model packages yet")


def test_group_without_approved_version_says_how_to_approve(responses, session):
    register("Rejected")
    register("PendingManualApproval")
    register("PendingManualApproval")

    run("Create", props())

    assert failed_reason(responses) == (
        f"group {GROUP} has 3 packages, none approved; approve one: aws sagemaker "
        "update-model-package --model-approval-status Approved "
        f"--model-package-arn {arn(3)}"
    )


def test_large_unapproved_group_is_counted_in_one_page(responses, session):
    bulk_register(101, "PendingManualApproval", GROUP)
    log = record_calls(session)

    run("Create", props())

    assert f"group {GROUP} has over 100 packages, none approved" in failed_reason(responses)
    assert log.names() == ["sagemaker:ListModelPackages", "sagemaker:ListModelPackages"]


def test_long_names_keep_reason_within_cloudformation_limit(responses, session):
    group = "g" * 63
    register("PendingManualApproval", group=group)

    run("Create", props(ModelPackageGroupName=group))

    reason = failed_reason(responses)
    assert reason.startswith(f"group {group} has 1 packages, none approved")
    assert "(truncated)" not in reason


# --- O(1) lookup ---------------------------------------------------------------------


def test_latest_lookup_costs_the_same_for_1_and_1000_versions(responses, session):
    bulk_register(1, "Approved", "small")
    bulk_register(1000, "Approved", "large")
    log = record_calls(session)
    calls = {}
    for group in ("small", "large"):
        before = len(log.calls)
        run("Create", props(ModelPackageGroupName=group))
        calls[group] = log.names()[before:]

    assert responses[0]["PhysicalResourceId"] == arn(1, "small")
    assert responses[1]["PhysicalResourceId"] == arn(1000, "large")
    assert calls["small"] == calls["large"]
    assert calls["large"] == ["sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage"]


def test_latest_lookup_stops_at_the_first_page_holding_an_approved_package(responses, session):
    bulk_register(5, "Approved", GROUP)
    log = record_calls(session)

    run("Create", props())

    assert log.params("ListModelPackages") == [LATEST_PARAMS]


class PagedRegistry:
    """ListModelPackages as a filtering-after-paging service may answer: empty pages
    that still carry a NextToken before the page with the approved package."""

    def __init__(self, pages: list[list[str]], last_has_token: bool = False):
        self.pages, self.last_has_token, self.calls = pages, last_has_token, []

    def list_model_packages(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        index = int(kwargs.get("NextToken", "0"))
        more = index + 1 < len(self.pages) or self.last_has_token
        page = {"ModelPackageSummaryList": [{"ModelPackageArn": a} for a in self.pages[index]]}
        return {**page, **({"NextToken": str(index + 1)} if more else {})}


def test_an_empty_page_with_a_next_token_is_not_none_approved():
    registry = PagedRegistry([[], [], [arn(7)]])
    assert package_lookup.newest_approved_arn(registry, GROUP) == arn(7)
    assert [c.get("NextToken") for c in registry.calls] == [None, "1", "2"]
    assert all(
        {k: v for k, v in c.items() if k != "NextToken"} == LATEST_PARAMS for c in registry.calls
    )


def test_an_empty_last_page_is_none_approved_and_endless_empty_pages_are_named():
    assert package_lookup.newest_approved_arn(PagedRegistry([[], []]), GROUP) is None
    endless = PagedRegistry([[], [], [], []], last_has_token=True)
    with pytest.raises(package_lookup.CustomResourceError, match="3 pages of group churn-model"):
        package_lookup.newest_approved_arn(endless, GROUP)
    assert len(endless.calls) == package_lookup.APPROVED_PAGES == 3


# --- Baselines -----------------------------------------------------------------------


def test_model_metrics_baseline_is_the_fallback(responses, session):
    register("Approved", ModelMetrics=quality(f"s3://{BUCKET}/metrics"))

    run("Create", props())

    data = only(responses)["Data"]
    assert data["BaselineStatisticsS3Uri"] == f"s3://{BUCKET}/metrics/statistics.json"
    assert data["BaselineConstraintsS3Uri"] == f"s3://{BUCKET}/metrics/constraints.json"


def test_drift_check_baseline_wins_over_model_metrics(responses, session):
    register(
        "Approved",
        ModelMetrics=quality(f"s3://{BUCKET}/metrics"),
        DriftCheckBaselines=quality(f"s3://{BUCKET}/drift"),
    )

    run("Create", props())

    assert only(responses)["Data"]["BaselineStatisticsS3Uri"].startswith(f"s3://{BUCKET}/drift/")


def test_package_without_baseline_fails_with_how_to_register(responses, session):
    register("Approved", CustomerMetadataProperties={"note": "no baseline"})

    run("Create", props())

    reason = failed_reason(responses)
    assert reason.startswith(f"version 1 of {GROUP} has no data-quality baseline; register it with")
    assert "--drift-check-baselines" in reason


def test_baseline_missing_constraints_fails(responses, session):
    baseline = quality(f"s3://{BUCKET}/b")
    del baseline["ModelDataQuality"]["Constraints"]
    register("Approved", DriftCheckBaselines=baseline)

    run("Create", props())

    assert failed_reason(responses).startswith(
        f"version 1 of {GROUP}: DriftCheckBaselines.ModelDataQuality has no Constraints"
    )


def test_baseline_outside_artifacts_bucket_fails(responses, session):
    register("Approved", DriftCheckBaselines=quality("s3://someone-elses-bucket/b"))

    run("Create", props())

    assert failed_reason(responses) == (
        "baseline s3://someone-elses-bucket/b/statistics.json is outside ArtifactsBucketName "
        f"{BUCKET}, the only bucket the stack can read; store baselines there"
    )


def with_model_data(uri: str) -> dict[str, Any]:
    return {"Containers": [{**INFERENCE["Containers"][0], "ModelDataUrl": uri}]} | {
        k: v for k, v in INFERENCE.items() if k != "Containers"
    }


def test_model_data_outside_artifacts_bucket_fails(responses, session):
    register(
        "Approved",
        InferenceSpecification=with_model_data("s3://someone-elses-bucket/m/model.tar.gz"),
    )

    run("Create", props())

    assert failed_reason(responses) == (
        "model data s3://someone-elses-bucket/m/model.tar.gz is outside ArtifactsBucketName "
        f"{BUCKET}, the only bucket the endpoint's role can read; register the model from "
        "that bucket"
    )


def test_model_data_in_artifacts_bucket_is_accepted(responses, session):
    register("Approved", InferenceSpecification=with_model_data(f"s3://{BUCKET}/m/model.tar.gz"))

    run("Create", props())

    assert only(responses)["Status"] == "SUCCESS"


def test_model_data_uris_read_both_container_forms():
    package = {
        "InferenceSpecification": {
            "Containers": [
                {"Image": "i", "ModelDataUrl": "s3://a/model.tar.gz"},
                {"Image": "i", "ModelDataSource": {"S3DataSource": {"S3Uri": "s3://b/model/"}}},
                {"Image": "i"},
            ]
        }
    }
    assert package_lookup.model_data_uris(package) == ["s3://a/model.tar.gz", "s3://b/model/"]
    assert package_lookup.model_data_uris({}) == []


# --- Update and Delete ---------------------------------------------------------------


def test_update_with_new_nonce_resolves_the_newer_version(responses, session):
    register("Approved")
    register("Approved")

    run(
        "Update",
        props(Nonce="exec-2"),
        physical_id=arn(1),
        old_properties=props(Nonce="exec-1"),
    )

    response = only(responses)
    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == arn(2)
    assert response["Data"]["ModelPackageVersion"] == "2"


def test_new_nonce_without_a_newer_version_keeps_the_physical_id(responses, session):
    # Same id: CloudFormation sees no replacement, so nothing downstream is rebuilt.
    register("Approved")
    register("PendingManualApproval")

    run(
        "Update",
        props(Nonce="exec-2"),
        physical_id=arn(1),
        old_properties=props(Nonce="exec-1"),
    )

    response = only(responses)
    assert (response["Status"], response["PhysicalResourceId"]) == ("SUCCESS", arn(1))
    assert response["Data"]["ModelPackageVersion"] == "1"


def test_failed_update_keeps_the_old_physical_id(responses, session):
    register("Approved")
    register("Rejected")

    run("Update", props(Version="2"), physical_id=arn(1), old_properties=props())

    response = only(responses)
    assert response["Status"] == "FAILED"
    assert response["PhysicalResourceId"] == arn(1)


def test_delete_makes_no_calls_and_does_not_sleep(responses, call_log: CallLog):
    started = time.monotonic()

    # 300 s left: crhelper's default would sleep 120 s here before answering.
    run("Delete", props(), physical_id=arn(1), context=LambdaContext(remaining_ms=300_000))

    assert time.monotonic() - started < 2
    response = only(responses)
    assert (response["Status"], response["PhysicalResourceId"]) == ("SUCCESS", arn(1))
    assert call_log.calls == []


def test_delete_after_failed_create_succeeds(responses, call_log: CallLog):
    run("Create", props(ModelPackageGroupName="nope"))
    failed = responses[0]
    assert failed["Status"] == "FAILED"

    run("Delete", props(ModelPackageGroupName="nope"), physical_id=failed["PhysicalResourceId"])

    deleted = responses[1]
    assert deleted["Status"] == "SUCCESS"
    assert deleted["PhysicalResourceId"] == failed["PhysicalResourceId"]


def test_delete_with_malformed_properties_still_succeeds(responses, call_log: CallLog):
    run("Delete", {"Version": "v2", "Bogus": "x"}, physical_id="anything")

    assert only(responses)["Status"] == "SUCCESS"


# --- Properties ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        (props(Version="v2"), "property Version is 'v2'; expected 'latest' or a version number"),
        (props(Version="0"), "property Version is '0'"),
        (props(ModelPackageGroupName=None), "property ModelPackageGroupName is required"),
        (props(ModelPackageGroupName="bad_name!"), "property ModelPackageGroupName is"),
        (props(ArtifactsBucketName="s3://bucket"), "property ArtifactsBucketName is 's3://bucket'"),
        (props(Version=["1"]), "property Version must be a string"),
        (props(Verison="1"), "unknown property Verison; expected ArtifactsBucketName,"),
    ],
)
def test_malformed_property_fails_naming_it(responses, call_log: CallLog, properties, expected):
    run("Create", properties)

    assert failed_reason(responses).startswith(expected)
    assert call_log.calls == []


def test_numeric_version_and_latest_in_any_case_are_accepted():
    assert package_lookup.parse_properties(props(Version=3)).version == 3
    assert package_lookup.parse_properties(props(Version=" LATEST ")).version is None


# --- Faults --------------------------------------------------------------------------


def test_throttled_list_is_retried(responses, session, no_backoff):
    register("Approved")
    attempts = inject(
        session, LIST_EVENT, lambda: json_error(400, "ThrottlingException", "Rate"), 2
    )

    run("Create", props())

    assert only(responses)["Status"] == "SUCCESS"
    assert attempts[0] == 3


def test_throttling_on_every_attempt_fails_with_retry_advice(responses, session, no_backoff):
    attempts = inject(session, LIST_EVENT, lambda: json_error(400, "ThrottlingException", "Rate"))

    run("Create", props())

    assert failed_reason(responses) == (
        f"sagemaker:ListModelPackages on {GROUP} was throttled on every retry; "
        "retry the stack operation later"
    )
    assert attempts[0] == 3


def test_access_denied_fails_with_the_missing_permission(responses, session):
    attempts = inject(
        session,
        LIST_EVENT,
        lambda: json_error(400, "AccessDeniedException", "not authorized"),
    )

    run("Create", props())

    assert failed_reason(responses).startswith(
        f"access denied: sagemaker:ListModelPackages on {GROUP}; allow it in the function's role"
    )
    assert attempts[0] == 1  # not retried


def test_unreachable_endpoint_fails_after_retries(responses, session, no_backoff):
    def refuse() -> Any:
        raise EndpointConnectionError(endpoint_url="https://api.sagemaker.test")

    attempts = inject(session, LIST_EVENT, refuse)

    run("Create", props())

    reason = failed_reason(responses)
    assert reason.startswith(f"sagemaker:ListModelPackages on {GROUP} failed after retries")
    assert attempts[0] == 3


def test_timeout_answer_reaches_cloudformation_first(responses, session):
    register("Approved")
    timed_out = threading.Event()

    def stall(**kwargs: Any) -> None:
        # Hold the call until crhelper's timer has answered (Lambda would be frozen here).
        timed_out.wait(5)

    session.events.register_first(LIST_EVENT, stall)

    run_until_crhelper_times_out(lambda kind, **kw: run(kind, props(), **kw), responses, timed_out)

    assert responses[0]["Status"] == "FAILED"
    assert responses[0]["Reason"] == "Execution timed out"


# --- Plain functions -----------------------------------------------------------------


def test_function_location_reads_partition_region_and_account():
    location = package_lookup.function_location(
        "arn:aws-cn:lambda:cn-north-1:111122223333:function:fn:live"
    )
    assert location == package_lookup.FunctionLocation("aws-cn", "cn-north-1", "111122223333")
    assert package_lookup.package_arn(location, "My-Group", 7) == (
        "arn:aws-cn:sagemaker:cn-north-1:111122223333:model-package/my-group/7"
    )


def test_function_location_rejects_other_arns():
    with pytest.raises(package_lookup.CustomResourceError, match="unexpected function ARN"):
        package_lookup.function_location("arn:aws:iam::111122223333:role/x")


# --- SupportedContentTypes (the inference API validates requests against them) -------


def test_supported_content_types_are_answered_comma_joined(responses, session):
    spec = dict(INFERENCE, SupportedContentTypes=["text/csv", "application/json", "text/csv"])
    register("Approved", InferenceSpecification=spec)

    run("Create", props())

    assert only(responses)["Data"]["SupportedContentTypes"] == "text/csv,application/json"


def test_package_without_inference_specification_answers_no_content_types():
    package = {"ModelPackageVersion": 1}
    assert package_lookup.supported_content_types(package) == ()


@pytest.mark.parametrize("bad", ["text/csv,application/json", "csv", "text/ csv"])
def test_malformed_content_type_fails_naming_the_field(responses, session, bad):
    register("Approved", InferenceSpecification=dict(INFERENCE, SupportedContentTypes=[bad]))

    run("Create", props())

    response = only(responses)
    assert response["Status"] == "FAILED"
    assert "SupportedContentTypes" in response["Reason"]
    assert "MIME type" in response["Reason"]


def test_too_many_content_types_fail_before_the_4_kb_response_limit(responses, session):
    many = [f"application/x-type-{i:03d}-{'x' * 50}" for i in range(40)]
    register("Approved", InferenceSpecification=dict(INFERENCE, SupportedContentTypes=many))

    run("Create", props())

    response = only(responses)
    assert response["Status"] == "FAILED"
    assert "at most 16" in response["Reason"]


def test_largest_accepted_content_types_fit_the_response_limit():
    types = [f"application/x-{i:02d}-{'y' * 40}" for i in range(16)]
    joined = ",".join(types)
    assert len(joined) <= package_lookup.MAX_CONTENT_TYPES_CHARS
    resolved = package_lookup.ResolvedPackage(
        arn="arn:aws:sagemaker:us-east-1:123456789012:model-package/" + "g" * 63 + "/999999999",
        version=999999999,
        group_name="g" * 63,
        statistics_uri="s3://" + "b" * 63 + "/" + "k" * 400,
        constraints_uri="s3://" + "b" * 63 + "/" + "k" * 400,
        supported_content_types=tuple(types),
    )
    assert len(json.dumps({"Data": resolved.as_data()}).encode()) < 4096


# --- The 4,096-byte response: long baseline URIs -------------------------------------


def long_prefix(length: int) -> str:
    """s3://<bucket>/<deep key> of `length` characters (S3 keys reach 1,024 bytes)."""
    head = f"s3://{BUCKET}/"
    return head + "/".join(["d" * 60] * 20)[: length - len(head)].rstrip("/")


def test_long_baseline_uris_fail_with_a_reason_instead_of_an_oversized_answer(responses, session):
    # The longest values the registry accepts: 1,024-character baseline URIs, 1,024
    # characters of content types, a 63-character group.
    types = [f"application/x-{i:02d}-{'y' * 46}" for i in range(16)]
    spec = dict(INFERENCE, SupportedContentTypes=types)
    # statistics.json / constraints.json URIs of 1,024 characters, SageMaker's S3Uri limit.
    baselines = quality(long_prefix(1024 - len("/constraints.json")))
    group = "g" * 63
    register("Approved", group=group, InferenceSpecification=spec, DriftCheckBaselines=baselines)

    # A nested stack of a root with a long name: <root>-Stage-<id>-Endpoint-<id>.
    nested = f"{'r' * 100}-Stage-1A2B3C4D5E6F-Endpoint-7G8H9I0J1K2L"
    stack_id = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{nested}/{'0' * 36}"
    logical_id = "L" * 255  # CloudFormation allows logical ids of 255 characters
    run("Create", props(ModelPackageGroupName=group), logical_id=logical_id, stack_id=stack_id)

    reason = failed_reason(responses)
    assert reason.startswith("the answer would be ")
    assert "over CloudFormation's 4096-byte custom resource response" in reason
    assert "(longest: BaselineConstraintsS3Uri, BaselineStatisticsS3Uri)" in reason
    assert "shorter S3 keys" in reason


def test_long_baseline_uris_that_fit_are_answered(responses, session):
    register("Approved", DriftCheckBaselines=quality(long_prefix(1000)))

    run("Create", props())

    response = only(responses)
    assert response["Status"] == "SUCCESS"
    assert len(json.dumps(response).encode()) <= 4096


class EmptyGroup(PagedRegistry):
    """A group that exists but whose approved listing pages out empty, then counts empty."""

    def describe_model_package_group(self, **kwargs: Any) -> dict[str, Any]:
        return {"ModelPackageGroupName": GROUP}


def test_the_functions_timeout_outlasts_the_longest_request_at_its_worst():
    """Every call is bounded by common.aws (WORST_CASE_CALL_SECONDS); the longest request
    is `latest` on a group with nothing approved: the approved pages, then the count and
    the group lookup that explain why."""
    from cfnlint.decode import decode
    from common.aws import WORST_CASE_CALL_SECONDS

    from tests.unit.call_counter import CallCounter

    calls: list[str] = []
    registry = CallCounter(EmptyGroup([[]] * package_lookup.APPROVED_PAGES), calls)
    request = package_lookup.PackageRequest(GROUP, None, BUCKET)
    location = package_lookup.FunctionLocation("aws", REGION, ACCOUNT)
    with pytest.raises(package_lookup.CustomResourceError, match="no model packages yet"):
        package_lookup.resolve(registry, request, location)
    assert calls == [
        *["list_model_packages"] * package_lookup.APPROVED_PAGES,
        "list_model_packages",
        "describe_model_package_group",
    ]
    endpoint, _ = decode(str(ROOT / "templates" / "endpoint.yml"))
    function = endpoint["Resources"]["ApprovedModelPackageFunction"]["Properties"]
    assert function["Timeout"] >= len(calls) * WORST_CASE_CALL_SECONDS + 10
