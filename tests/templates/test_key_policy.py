"""The stack key admits the services that encrypt with it, each the way it calls KMS."""

from typing import Any


def _statements(templates: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    key = templates["foundation.yml"]["Resources"]["Key"]["Properties"]["KeyPolicy"]
    return {statement["Sid"]: statement for statement in key["Statement"]}


def _services(statement: dict[str, Any]) -> list[Any]:
    service = statement["Principal"].get("Service", [])
    return service if isinstance(service, list) else [service]


def test_alarms_may_use_the_key_only_for_this_accounts_alarms(templates):
    statement = _statements(templates)["AlarmPublishers"]
    assert _services(statement) == ["cloudwatch.amazonaws.com"]
    assert statement["Condition"]["StringEquals"] == {
        "aws:SourceAccount": {"Ref": "AWS::AccountId"}
    }
    assert statement["Condition"]["ArnLike"] == {
        "aws:SourceArn": {
            "Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*"
        }
    }


def test_eventbridge_grant_has_no_source_condition_its_request_would_lack(templates):
    statements = _statements(templates)
    events = [s for s in statements.values() if "events.amazonaws.com" in _services(s)]
    assert len(events) == 1
    assert _services(events[0]) == ["events.amazonaws.com"]
    assert "Condition" not in events[0]
    assert set(events[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


def test_logs_use_is_bound_to_this_accounts_log_groups(templates):
    statement = _statements(templates)["CloudWatchLogs"]
    assert _services(statement) == [{"Fn::Sub": "logs.${AWS::Region}.${AWS::URLSuffix}"}]
    context = statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert context == {
        "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
    }


def test_sagemaker_may_create_grants_for_volumes_through_the_account_statement(templates):
    # Endpoint and processing volumes: SageMaker creates grants with the caller's rights.
    assert "kms:CreateGrant" in _statements(templates)["AccountUseThroughServices"]["Action"]


def test_no_statement_hands_key_use_to_the_account_unconditionally(templates):
    for sid, statement in _statements(templates).items():
        actions = set(statement["Action"])
        crypto = {a for a in actions if a.startswith(("kms:Decrypt", "kms:GenerateDataKey"))}
        if crypto and "AWS" in statement["Principal"]:
            assert "kms:ViaService" in statement["Condition"]["StringEquals"], sid


# Exactly what administering (not using) a key needs: aliases, policy, rotation, state,
# tags, descriptions, deletion, and revoking grants (KMS guide, default key policy).
ADMINISTRATION_ACTIONS = {
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
}


def test_administration_lists_only_what_administration_needs(templates):
    actions = _statements(templates)["AccountAdministration"]["Action"]
    assert not [a for a in actions if "*" in a], "wildcards also match kms:CreateGrant"
    assert set(actions) == ADMINISTRATION_ACTIONS


def test_grants_are_created_only_through_the_services(templates):
    for sid, statement in _statements(templates).items():
        actions = statement["Action"]
        actions = actions if isinstance(actions, list) else [actions]
        if any(a in ("kms:CreateGrant", "kms:Create*", "kms:*") for a in actions):
            assert "kms:ViaService" in statement.get("Condition", {}).get("StringEquals", {}), sid
