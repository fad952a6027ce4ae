"""The emulator's seam on a tiny template of its own: custom resources run their real
handler for Create, Update and Delete; a FAILED answer rolls the stack back with the
handler's reason; nested outputs resolve. The real templates are in test_e2e_stack.py."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from scripts.emulator import Emulator
from tests.e2e.helpers import build_fixture_dist

pytestmark = pytest.mark.e2e
REGION = "us-east-1"
HOSTING = "fixture-hosting"


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    dist = build_fixture_dist(tmp_path_factory.mktemp("dist"))
    with Emulator(regions=[REGION]) as emulator:
        emulator.upload_dist(HOSTING, "fixture/", dist)
        yield emulator


@pytest.fixture
def journal(emu: Emulator, request: pytest.FixtureRequest) -> str:
    name = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:50]
    emu.client("s3").create_bucket(Bucket=name)
    return name


def journal_keys(emu: Emulator, bucket: str) -> list[str]:
    listing = emu.client("s3").list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def create(emu: Emulator, name: str, value: str, journal: str, **extra: str) -> dict:
    cfn = emu.client("cloudformation")
    parameters = {"TemplatesBucketName": HOSTING, "Value": value, "Journal": journal, **extra}
    cfn.create_stack(
        StackName=name,
        TemplateURL=emu.template_url(HOSTING, "fixture/templates/root.yml", REGION),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    return cfn.describe_stacks(StackName=name)["Stacks"][0]


def outputs(stack: dict) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


def events(emu: Emulator, stack: str) -> list[dict]:
    return emu.client("cloudformation").describe_stack_events(StackName=stack)["StackEvents"]


def test_create_runs_the_handler_and_nested_outputs_reach_the_root(emu, journal):
    stack = create(emu, "seam-create", "one", journal)

    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert outputs(stack)["Echo"] == "one"
    assert journal_keys(emu, journal) == ["Create/echo-one"]


def test_update_sends_update_and_the_new_value_reaches_its_users(emu, journal):
    create(emu, "seam-update", "one", journal)
    cfn = emu.client("cloudformation")
    cfn.update_stack(
        StackName="seam-update",
        TemplateURL=emu.template_url(HOSTING, "fixture/templates/root.yml", REGION),
        Parameters=[
            {"ParameterKey": "TemplatesBucketName", "ParameterValue": HOSTING},
            {"ParameterKey": "Value", "ParameterValue": "two"},
            {"ParameterKey": "Journal", "ParameterValue": journal},
        ],
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = cfn.describe_stacks(StackName="seam-update")["Stacks"][0]

    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert outputs(stack)["Echo"] == "two"
    # New physical id: CloudFormation deletes the old one after the update.
    assert journal_keys(emu, journal) == ["Create/echo-one", "Delete/echo-one", "Update/echo-two"]
    ssm = emu.client("ssm")
    (parameter,) = [
        p for p in ssm.describe_parameters()["Parameters"] if "seam-update" in p["Name"]
    ]
    assert ssm.get_parameter(Name=parameter["Name"])["Parameter"]["Value"] == "two"


def test_delete_sends_delete_and_removes_the_nested_stack(emu, journal):
    stack_id = create(emu, "seam-delete", "three", journal)["StackId"]
    cfn = emu.client("cloudformation")

    cfn.delete_stack(StackName="seam-delete")

    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert journal_keys(emu, journal) == ["Create/echo-three", "Delete/echo-three"]
    live = [
        s for s in cfn.list_stacks()["StackSummaries"] if s["StackName"].startswith("seam-delete")
    ]
    assert {s["StackStatus"] for s in live} == {"DELETE_COMPLETE"}
    assert not emu.client("lambda").list_functions()["Functions"] or all(
        "seam-delete" not in f["FunctionName"]
        for f in emu.client("lambda").list_functions()["Functions"]
    )


def test_failed_answer_rolls_back_with_the_handlers_reason(emu, journal):
    stack = create(emu, "seam-fail", "fail", journal)

    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    (child_failure,) = [
        e for e in events(emu, "seam-fail") if e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert child_failure["LogicalResourceId"] == "Child"
    nested_id = re.search(r"Embedded stack (\S+)", child_failure["ResourceStatusReason"]).group(1)
    (echo_failure,) = [e for e in events(emu, nested_id) if e["ResourceStatus"] == "CREATE_FAILED"]
    assert echo_failure["LogicalResourceId"] == "Echo"
    assert echo_failure["ResourceStatusReason"] == "Value 'fail' asks this resource to fail"
    # Rolled back: the nested stack is gone.
    nested = emu.client("cloudformation").describe_stacks(StackName=nested_id)["Stacks"][0]
    assert nested["StackStatus"] == "DELETE_COMPLETE"


def test_handler_that_cannot_start_fails_at_once_instead_of_hanging(emu, journal):
    stack = create(emu, "seam-crash", "four", journal, Handler="missing.handler")

    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    nested_id = re.search(
        r"Embedded stack (\S+)",
        next(e for e in events(emu, "seam-crash") if e["ResourceStatus"] == "CREATE_FAILED")[
            "ResourceStatusReason"
        ],
    ).group(1)
    (failure,) = [e for e in events(emu, nested_id) if e["ResourceStatus"] == "CREATE_FAILED"]
    assert "did not answer the Create request" in failure["ResourceStatusReason"]
    assert "missing" in failure["ResourceStatusReason"]
    assert journal_keys(emu, journal) == []
