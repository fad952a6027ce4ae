"""Stack delete on the emulator: a nested stack that cannot be deleted fails its parent, as
CloudFormation's does, instead of leaving a DELETE_FAILED child under a deleted parent."""

import json

from scripts.emulator import Emulator

REGION = "us-east-1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }],
}  # fmt: skip
CHILD = {
    "Resources": {
        "Worker": {
            "Type": "AWS::IAM::Role",
            "Properties": {"RoleName": "worker", "AssumeRolePolicyDocument": TRUST},
        }
    }
}
READ_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


def parent(template_url):
    return {
        "Resources": {
            "Child": {
                "Type": "AWS::CloudFormation::Stack",
                "Properties": {"TemplateURL": template_url},
            }
        }
    }


def create_parent_and_child(emu):
    """Stack ``parent`` with one nested stack holding the role ``worker``."""
    s3 = emu.client("s3", REGION)
    s3.create_bucket(Bucket="templates")
    s3.put_object(Bucket="templates", Key="child.json", Body=json.dumps(CHILD))
    cfn = emu.client("cloudformation", REGION)
    url = emu.template_url("templates", "child.json", REGION)
    cfn.create_stack(StackName="parent", TemplateBody=json.dumps(parent(url)))
    return cfn


def test_a_nested_stack_that_fails_to_delete_fails_its_parent():
    with Emulator(regions=[REGION]) as emu:
        cfn = create_parent_and_child(emu)
        # A policy attached outside the stack: IAM refuses to delete the role (DeleteConflict).
        iam = emu.client("iam", REGION)
        policy = iam.create_policy(PolicyName="read", PolicyDocument=json.dumps(READ_ONLY))
        iam.attach_role_policy(RoleName="worker", PolicyArn=policy["Policy"]["Arn"])

        cfn.delete_stack(StackName="parent")

        stacks = {s["StackName"]: s for s in cfn.list_stacks()["StackSummaries"]}
        child = next(s for name, s in stacks.items() if name.startswith("parent-Child"))
        assert child["StackStatus"] == "DELETE_FAILED"
        assert stacks["parent"]["StackStatus"] == "DELETE_FAILED"
        events = cfn.describe_stack_events(StackName=stacks["parent"]["StackId"])["StackEvents"]
        reasons = [
            e.get("ResourceStatusReason", "")
            for e in events
            if e["ResourceStatus"] == "DELETE_FAILED"
        ]
        assert any("Child" in reason and child["StackName"] in reason for reason in reasons), (
            reasons
        )


def test_a_parent_whose_nested_stacks_delete_is_deleted():
    with Emulator(regions=[REGION]) as emu:
        cfn = create_parent_and_child(emu)

        cfn.delete_stack(StackName="parent")

        statuses = {s["StackStatus"] for s in cfn.list_stacks()["StackSummaries"]}
        assert statuses == {"DELETE_COMPLETE"}
        assert emu.client("iam", REGION).list_roles()["Roles"] == []
