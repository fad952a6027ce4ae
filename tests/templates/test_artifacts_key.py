"""The artifacts bucket's customer key is used for reading through S3 only, by every
role that reads the artifacts bucket, and only when the key is given."""

from typing import Any

ARTIFACTS_KEY = {"Ref": "ArtifactsKmsKeyArn"}
VIA_S3 = {"kms:ViaService": {"Fn::Sub": "s3.${AWS::Region}.${AWS::URLSuffix}"}}


def _grants(templates: dict[str, dict[str, Any]]) -> list[tuple[str, str, Any]]:
    """(template, role, statement entry) for every statement that names the artifacts key."""
    found = []
    for name, template in templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            if not isinstance(resource, dict) or resource.get("Type") != "AWS::IAM::Role":
                continue
            for policy in resource["Properties"].get("Policies", []):
                for entry in policy["PolicyDocument"]["Statement"]:
                    if _names_artifacts_key(entry):
                        found.append((name, logical_id, entry))
    return found


def _names_artifacts_key(node: Any) -> bool:
    if isinstance(node, dict):
        return node == ARTIFACTS_KEY or any(_names_artifacts_key(v) for v in node.values())
    if isinstance(node, list):
        return any(_names_artifacts_key(v) for v in node)
    return False


def test_every_artifacts_key_grant_is_conditional_decrypt_through_s3(templates):
    grants = _grants(templates)
    roles = {(name, role) for name, role, _ in grants}
    assert ("endpoint.yml", "ExecutionRole") in roles
    assert ("monitoring.yml", "DriftBaselineRole") in roles
    for name, role, entry in grants:
        condition, statement, otherwise = entry["Fn::If"]
        assert condition == "HasArtifactsKey", f"{name}:{role}"
        assert otherwise == {"Ref": "AWS::NoValue"}, f"{name}:{role}"
        assert statement["Action"] == "kms:Decrypt", f"{name}:{role}"
        assert statement["Resource"] == ARTIFACTS_KEY, f"{name}:{role}"
        assert statement["Condition"]["StringEquals"] == VIA_S3, f"{name}:{role}"
