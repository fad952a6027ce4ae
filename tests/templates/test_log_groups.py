"""Log groups are the stack's: encrypted, expiring, and deleted with it."""

from typing import Any


def _log_groups(templates: dict[str, dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (name, logical_id, resource)
        for name, template in templates.items()
        for logical_id, resource in template.get("Resources", {}).items()
        if isinstance(resource, dict) and resource.get("Type") == "AWS::Logs::LogGroup"
    ]


def test_every_log_group_is_encrypted_expires_and_is_deleted(templates):
    groups = _log_groups(templates)
    assert groups
    for name, logical_id, resource in groups:
        props = resource["Properties"]
        assert props["KmsKeyId"] == {"Ref": "KmsKeyArn"}, f"{name}:{logical_id}"
        assert 1 <= props["RetentionInDays"] <= 365, f"{name}:{logical_id}"
        assert resource.get("DeletionPolicy", "Delete") == "Delete", f"{name}:{logical_id}"


def test_endpoint_logs_go_to_the_stack_log_group(templates):
    resources = templates["endpoint.yml"]["Resources"]
    group = resources["EndpointLogGroup"]["Properties"]
    # The path SageMaker writes endpoint container logs to.
    assert group["LogGroupName"] == {"Fn::Sub": "/aws/sagemaker/Endpoints/${EndpointName}"}
    assert "EndpointLogGroup" in [resources["Endpoint"].get("DependsOn")]


def test_endpoint_role_writes_only_that_group_and_creates_none(role_statements):
    statements = role_statements[("endpoint.yml", "ExecutionRole")]
    logs = [s for s in statements if any(a.startswith("logs:") for a in _as_list(s["Action"]))]
    assert len(logs) == 1
    assert "logs:CreateLogGroup" not in logs[0]["Action"]
    assert logs[0]["Resource"] == {"Fn::GetAtt": ["EndpointLogGroup", "Arn"]}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
