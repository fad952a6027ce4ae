"""Names of account-global resources carry the region.

A CloudWatch dashboard, an IAM role or managed policy and an S3 bucket name are unique
per account (buckets: per partition), not per region ("All dashboards in your account
are global, not region-specific": AWS::CloudWatch::Dashboard, PutDashboard). The same
project and stage deployed in two regions must not share such a name: the second
stack would fail, or overwrite the first one's resource and delete it on its own
deletion.
"""

import json
from typing import Any

# Resource type -> the property naming it.
GLOBAL_NAMES = {
    "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::S3::Bucket": "BucketName",
}


def named_global_resources(templates: dict[str, Any]) -> list[tuple[str, str, Any]]:
    found = []
    for template, body in templates.items():
        for logical_id, resource in body.get("Resources", {}).items():
            prop = GLOBAL_NAMES.get(resource.get("Type", ""))
            if prop and prop in resource.get("Properties", {}):
                found.append((f"{template}:{logical_id}", prop, resource["Properties"][prop]))
    return found


def test_the_dashboard_is_among_them(templates: dict[str, Any]) -> None:
    assert any("Dashboard" in where for where, _, _ in named_global_resources(templates))


def test_every_global_name_carries_the_region(templates: dict[str, Any]) -> None:
    for where, prop, value in named_global_resources(templates):
        assert "AWS::Region" in json.dumps(value), (
            f"{where} {prop} is unique per account, not per region: {value}"
        )
