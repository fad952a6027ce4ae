"""Every IAM grant is scoped: named actions, named resources, no escalation paths.

`Resource: "*"` is allowed only for actions that support no resource-level permission
(Service Authorization Reference), each listed here with the reason and any condition
that must narrow it instead.
"""

import re
from typing import Any

import pytest

# action -> (why "*" is needed, condition key that must then be present or None)
STAR_RESOURCE_ALLOWED: dict[str, tuple[str, str | None]] = {
    "sagemaker:ListModelPackages": ("list actions take no resource ARN", None),
    "ecr:GetAuthorizationToken": ("registry login token is account-wide", None),
    "cloudwatch:PutMetricData": ("no resource type; narrowed by namespace", "cloudwatch:namespace"),
    "codepipeline:PutJobSuccessResult": ("job results have no resource type", None),
    "codepipeline:PutJobFailureResult": ("job results have no resource type", None),
    # The delivery pipeline's CloudFormation actions (CodePipeline service-role guide).
    "cloudformation:ValidateTemplate": ("no resource-level permission", None),
    # CloudFormation creating the endpoint's autoscaling (delivery.yml StageStackRole).
    "application-autoscaling:RegisterScalableTarget": ("no resource-level permission", None),
    "application-autoscaling:DeregisterScalableTarget": ("no resource-level permission", None),
    "application-autoscaling:DescribeScalableTargets": ("describe takes no resource", None),
    "application-autoscaling:PutScalingPolicy": ("no resource-level permission", None),
    "application-autoscaling:DeleteScalingPolicy": ("no resource-level permission", None),
    "application-autoscaling:DescribeScalingPolicies": ("describe takes no resource", None),
    "application-autoscaling:DescribeScheduledActions": ("describe takes no resource", None),
    # CloudFormation's log group handler reads the account's log resource policies back.
    "logs:DescribeResourcePolicies": ("account-wide listing, no resource type", None),
}
ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")
PRINCIPAL_ROOT = {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def all_resources(templates: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (name, logical_id, resource)
        for name, template in templates.items()
        for logical_id, resource in template.get("Resources", {}).items()
        if isinstance(resource, dict)
    ]


def allow_statements(role_statements):
    for (template, role), statements in role_statements.items():
        for statement in statements:
            if statement.get("Effect") == "Allow":
                yield f"{template}/{role}/{statement.get('Sid', '?')}", statement


def test_roles_exist_to_check(role_statements):
    assert len(role_statements) >= 6  # two in endpoint.yml, four in monitoring.yml


def test_actions_are_named_exactly(role_statements):
    for where, statement in allow_statements(role_statements):
        assert "NotAction" not in statement, where
        for action in as_list(statement["Action"]):
            assert ACTION.match(action), f"{where}: {action!r} is a wildcard or malformed"


def test_star_resource_only_where_unavoidable(role_statements):
    for where, statement in allow_statements(role_statements):
        assert "NotResource" not in statement, where
        if "*" not in as_list(statement["Resource"]):
            continue
        for action in as_list(statement["Action"]):
            assert action in STAR_RESOURCE_ALLOWED, f"{where}: {action} on '*'"
            _, condition_key = STAR_RESOURCE_ALLOWED[action]
            if condition_key:
                keys = {k for test in statement.get("Condition", {}).values() for k in test}
                assert condition_key in keys, f"{where}: {action} on '*' needs {condition_key}"


def test_pass_role_always_names_the_receiving_service(role_statements):
    """iam:PassRole without iam:PassedToService would let the role be handed to any
    service that accepts roles (IAM guide, "Grant a user permissions to pass a role")."""
    for where, statement in allow_statements(role_statements):
        if "iam:PassRole" not in as_list(statement["Action"]):
            continue
        assert "*" not in as_list(statement["Resource"]), where
        services = statement.get("Condition", {}).get("StringEquals", {})
        assert "iam:PassedToService" in services, f"{where}: PassRole to any service"


# Statements whose ARN leaves the account open, with the reason.
ANY_ACCOUNT_ALLOWED = {
    "endpoint.yml/ExecutionRole/EcrPull": "inference images live in AWS-owned accounts "
    "(deep learning containers) or the user's; the package decides which",
}
PSEUDO = {
    "${AWS::Partition}": "aws",
    "${AWS::Region}": "us-east-1",
    "${AWS::AccountId}": "123456789012",
    "${AWS::URLSuffix}": "amazonaws.com",
}


def arn_texts(resource: Any) -> list[str]:
    """The literal ARN strings of a resource entry, pseudo parameters filled in."""
    texts = []
    if isinstance(resource, str):
        texts.append(resource)
    elif isinstance(resource, dict) and "Fn::Sub" in resource:
        sub = resource["Fn::Sub"]
        texts.append(sub if isinstance(sub, str) else sub[0])
    for i, text in enumerate(texts):
        for pseudo, value in PSEUDO.items():
            text = text.replace(pseudo, value)
        texts[i] = text
    return texts


def test_resources_do_not_open_service_region_or_account(role_statements):
    for where, statement in allow_statements(role_statements):
        for resource in as_list(statement["Resource"]):
            for text in arn_texts(resource):
                if text == "*":
                    continue
                fields = text.split(":", 5)
                assert len(fields) == 6 and fields[0] == "arn", f"{where}: {text}"
                _, _, service, region, account, path = fields
                assert "*" not in service + region, f"{where}: {text}"
                if "*" in account:
                    assert where in ANY_ACCOUNT_ALLOWED, f"{where}: any account in {text}"
                assert path not in ("*", "", "/*"), f"{where}: every resource of {service}"


def test_arn_check_sees_through_pseudo_parameters():
    text = arn_texts({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/capture/*"})
    assert text == ["arn:aws:s3:::${Bucket}/capture/*"]


def test_roles_have_no_managed_policies_or_names(templates):
    for name, logical_id, resource in all_resources(templates):
        if resource["Type"] != "AWS::IAM::Role":
            continue
        properties = resource["Properties"]
        assert "ManagedPolicyArns" not in properties, f"{name}/{logical_id}: inline, scoped only"
        assert "RoleName" not in properties, f"{name}/{logical_id}: would need NAMED_IAM"
        trust = properties["AssumeRolePolicyDocument"]["Statement"]
        for statement in as_list(trust):
            principal = statement["Principal"]
            assert set(principal) == {"Service"}, f"{name}/{logical_id}: trusts {principal}"
            assert statement["Action"] == "sts:AssumeRole"


def test_resource_policies_never_allow_everyone(templates, policy_statements):
    for name, logical_id, resource in all_resources(templates):
        if resource["Type"] not in ("AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy"):
            continue
        for statement in policy_statements(resource["Properties"]["PolicyDocument"]):
            if statement["Effect"] == "Allow":
                assert statement["Principal"] != "*", f"{name}/{logical_id}"
                assert "aws:SourceAccount" in str(statement.get("Condition")), (
                    f"{name}/{logical_id}: service principals scoped to this account"
                )


def key_statements(templates: dict[str, Any]) -> list[dict[str, Any]]:
    key = templates["foundation.yml"]["Resources"]["Key"]["Properties"]
    return key["KeyPolicy"]["Statement"]


def test_key_policy_never_grants_kms_star(templates):
    for statement in key_statements(templates):
        assert "kms:*" not in as_list(statement["Action"]), statement.get("Sid")
        assert statement["Principal"] != "*", statement.get("Sid")


CRYPTO_PREFIXES = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncrypt")


# EventBridge's KMS request for an SNS target carries no source context to condition on
# (test_key_policy.py); the grant names that one service principal instead.
UNCONDITIONABLE_SERVICES = frozenset({"events.amazonaws.com"})


def test_key_crypto_use_is_conditioned(templates):
    """The account administers the key; every cryptographic use is narrowed by a condition."""
    for statement in key_statements(templates):
        uses = [a for a in as_list(statement["Action"]) if a.startswith(CRYPTO_PREFIXES)]
        if uses and not statement.get("Condition"):
            services = as_list(statement["Principal"].get("Service", []))
            assert services, f"{statement.get('Sid')}: {uses} unconditioned"
            assert set(services) <= UNCONDITIONABLE_SERVICES, statement.get("Sid")


def test_key_administration_belongs_to_the_account(templates):
    (admin,) = [
        s for s in key_statements(templates) if not s.get("Condition") and "AWS" in s["Principal"]
    ]
    assert admin["Principal"] == PRINCIPAL_ROOT
    assert "kms:PutKeyPolicy" in admin["Action"] or "kms:Put*" in admin["Action"]


@pytest.mark.parametrize(
    "service",
    ["s3", "sagemaker", "lambda", "sns"],
)
def test_account_use_of_the_key_goes_through_our_services(templates, service):
    (statement,) = [
        s for s in key_statements(templates) if s.get("Sid") == "AccountUseThroughServices"
    ]
    services = statement["Condition"]["StringEquals"]["kms:ViaService"]
    assert {"Fn::Sub": f"{service}.${{AWS::Region}}.${{AWS::URLSuffix}}"} in services
