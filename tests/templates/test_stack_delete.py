"""Deleting the stack leaves only what is retained on purpose: the data bucket and the
key that can still read it, and a model package group the build created (the registry
is the record of every model; README says so)."""

from collections.abc import Iterator
from typing import Any

RETAINED = {
    ("foundation.yml", "DataBucket"),
    ("foundation.yml", "Key"),
    # CodePipeline's artifact store: a non-empty bucket cannot be deleted; its lifecycle
    # expires every object within 30 days of the last run.
    ("delivery.yml", "ArtifactBucket"),
    ("build.yml", "ModelPackageGroup"),
    # Opt-in (AccountLoggingRole=create): API Gateway's account-wide CloudWatch role
    # outlives the stack so the region's API logging never points at a deleted role.
    ("api.yml", "ApiGatewayLoggingRole"),
    ("api.yml", "LoggingAccount"),
}


def _resources(
    templates: dict[str, dict[str, Any]],
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, template in templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            if logical_id.startswith("Fn::ForEach::"):
                for fragment_id, fragment in resource[2].items():
                    yield name, fragment_id, fragment
            else:
                yield name, logical_id, resource


def test_only_the_data_bucket_and_its_key_are_retained(templates):
    retained = {
        (name, logical_id)
        for name, logical_id, resource in _resources(templates)
        if "Retain" in (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy"))
        or resource.get("DeletionPolicy") == "RetainExceptOnCreate"
    }
    assert retained == RETAINED


def test_retained_resources_keep_both_policies(templates):
    for name, logical_id in RETAINED:
        resource = templates[name]["Resources"][logical_id]
        assert resource["DeletionPolicy"] == "Retain"
        assert resource["UpdateReplacePolicy"] == "Retain"


def test_no_resource_creates_log_groups_outside_the_stack(role_statements):
    # A role that may create log groups leaves them behind (unencrypted, never expiring).
    # Processing jobs (Model Monitor's, and the builtin monitor's sharded runs) write to
    # SageMaker's account-wide group, which the stack cannot own; their roles are
    # exceptions. So is API Gateway's account-wide CloudWatch role (opt-in): it serves
    # every REST API of the region, whose execution logs API Gateway names itself;
    # driftgate's own stage keeps execution logging off.
    creators = {
        key
        for key, statements in role_statements.items()
        for statement in statements
        if "logs:CreateLogGroup" in _as_list(statement["Action"])
    }
    # Model Monitor and the build pipeline's Processing and Training jobs write to
    # SageMaker's account-wide groups; the stage stacks' CloudFormation role creates the
    # stage's own log groups (deleted with those stacks).
    assert creators <= {
        ("monitoring.yml", "ModelMonitorRole"),
        ("monitoring.yml", "ProcessingRole"),
        ("build.yml", "PipelineExecutionRole"),
        ("api.yml", "ApiGatewayLoggingRole"),
        ("delivery.yml", "StageStackRole"),
    }


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
