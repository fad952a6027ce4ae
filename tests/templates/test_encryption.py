"""Everything that stores data is encrypted with the stack's KMS key.

The stack's key is `Key` in foundation.yml and the `KmsKeyArn` parameter everywhere
else; the last test follows it from the foundation output down to every child.
"""

from typing import Any

import pytest

STACK_KEY_IN_FOUNDATION = {"Fn::GetAtt": ["Key", "Arn"]}
STACK_KEY = {"Ref": "KmsKeyArn"}


def get(node: Any, path: str) -> Any:
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node.get(part)
        if node is None:
            return None
    return node


# Where each storing resource type names its key.
KEY_PATHS: dict[str, tuple[str, ...]] = {
    "AWS::S3::Bucket": (
        "BucketEncryption.ServerSideEncryptionConfiguration.0"
        ".ServerSideEncryptionByDefault.KMSMasterKeyID",
    ),
    "AWS::SNS::Topic": ("KmsMasterKeyId",),
    "AWS::Logs::LogGroup": ("KmsKeyId",),
    "AWS::SageMaker::EndpointConfig": ("KmsKeyId", "DataCaptureConfig.KmsKeyId"),
    "AWS::CodePipeline::Pipeline": ("ArtifactStore.EncryptionKey.Id",),
    "AWS::SageMaker::DataQualityJobDefinition": (
        "DataQualityJobOutputConfig.KmsKeyId",
        "JobResources.ClusterConfig.VolumeKmsKeyId",
    ),
}

# Types that hold no data of ours at rest (or are encrypted by what they point to).
NO_DATA_AT_REST: dict[str, str] = {
    "AWS::CloudFormation::Stack": "a nested stack",
    "AWS::KMS::Key": "the key itself",
    "AWS::KMS::Alias": "a name for the key",
    "AWS::S3::BucketPolicy": "policy",
    "AWS::SNS::TopicPolicy": "policy",
    "AWS::SNS::Subscription": "routing",
    "AWS::IAM::Role": "identity",
    "AWS::IAM::Policy": "identity",
    "AWS::Lambda::Permission": "policy",
    "AWS::SageMaker::Model": "points at the package; artifacts stay in the artifacts bucket",
    "AWS::SageMaker::Endpoint": "volumes use the endpoint config's KmsKeyId",
    "AWS::SageMaker::MonitoringSchedule": "output and volume keys are in the job definition",
    "AWS::ApplicationAutoScaling::ScalableTarget": "configuration",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "configuration",
    "AWS::CloudWatch::Alarm": "configuration",
    "AWS::CloudWatch::Dashboard": "configuration",
    "AWS::Events::Rule": "routing; its SNS target is encrypted",
    "AWS::SageMaker::ModelPackageGroup": "a registry name; packages point at the artifacts bucket",
    "AWS::SageMaker::Pipeline": "a definition; its jobs name the stack key (test_build_pipeline)",
    "Custom::ApprovedModelPackage": "returns names only",
    "Custom::DriftBaseline": "returns names only",
    "Custom::StageStacks": "deletes stacks, stores nothing",
    "Custom::EndpointDeployment": "returns names only",
    # A customer key would cover only the target input (Scheduler guide, encryption at
    # rest), a constant template; the Scheduler's AWS owned key encrypts the rest.
    "AWS::Scheduler::Schedule": "constant target input, AWS owned key",
    # Inference API (api.yml): configuration; payloads pass through, never stored (no
    # cache, no body logging), access logs go to a KMS-encrypted log group.
    "AWS::ApiGateway::RestApi": "configuration",
    "AWS::ApiGateway::Resource": "configuration",
    "AWS::ApiGateway::Method": "configuration",
    "AWS::ApiGateway::RequestValidator": "configuration",
    "AWS::ApiGateway::GatewayResponse": "configuration",
    "AWS::ApiGateway::Deployment": "configuration snapshot",
    "AWS::ApiGateway::Stage": "configuration; no cache cluster",
    "AWS::ApiGateway::UsagePlan": "configuration",
    "AWS::ApiGateway::UsagePlanKey": "configuration",
    "AWS::ApiGateway::ApiKey": "the key value is held by API Gateway, never in the template",
    "AWS::ApiGateway::Account": "a regional setting",
}


def resources(templates: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for name, template in templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            if logical_id.startswith("Fn::ForEach::"):
                resource = next(iter(resource[2].values()))  # the per-item resource
            found.append((name, logical_id, resource))
    return found


def stack_key(template_name: str) -> dict[str, Any]:
    return STACK_KEY_IN_FOUNDATION if template_name == "foundation.yml" else STACK_KEY


def test_every_resource_type_is_classified(templates):
    types = {resource["Type"] for _, _, resource in resources(templates)}
    known = set(KEY_PATHS) | set(NO_DATA_AT_REST) | {"AWS::Lambda::Function"}
    assert types - known == set(), "classify new types: where is their key, or why none?"


def test_storing_resources_use_the_stack_key(templates):
    checked = 0
    for name, logical_id, resource in resources(templates):
        for path in KEY_PATHS.get(resource["Type"], ()):
            value = get(resource.get("Properties", {}), path)
            assert value == stack_key(name), f"{name}/{logical_id} {path} = {value!r}"
            checked += 1
    assert checked >= 8  # the bucket, topic, log groups, schedule, endpoint config at least


def test_bucket_encryption_is_sse_kms_with_bucket_key(templates):
    for name, logical_id, resource in resources(templates):
        if resource["Type"] != "AWS::S3::Bucket":
            continue
        rule = resource["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms", logical_id
        # The bucket key cuts KMS requests (and cost) for capture's many small objects.
        assert rule.get("BucketKeyEnabled") is True, f"{name}/{logical_id}"


def test_buckets_block_public_access_and_deny_plain_http(templates):
    foundation = templates["foundation.yml"]["Resources"]
    buckets = [lid for lid, r in foundation.items() if r["Type"] == "AWS::S3::Bucket"]
    assert buckets
    for logical_id in buckets:
        block = foundation[logical_id]["Properties"]["PublicAccessBlockConfiguration"]
        assert all(block[flag] is True for flag in (
            "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"
        ))  # fmt: skip
        assert foundation[logical_id]["DeletionPolicy"] == "Retain"
        assert foundation[logical_id]["Properties"]["VersioningConfiguration"] == {
            "Status": "Enabled"
        }
        policies = [
            r["Properties"]["PolicyDocument"]["Statement"]
            for r in foundation.values()
            if r["Type"] == "AWS::S3::BucketPolicy"
            and r["Properties"]["Bucket"] == {"Ref": logical_id}
        ]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for statements in policies
            for s in statements
        ), f"{logical_id} must refuse requests without TLS"


def test_capture_and_monitoring_output_go_to_the_data_bucket(templates):
    config = templates["endpoint.yml"]["Resources"]["EndpointConfig"]["Properties"]
    assert config["DataCaptureConfig"]["DestinationS3Uri"] == {
        "Fn::Sub": "s3://${DataBucketName}/capture"
    }
    job = templates["monitoring.yml"]["Resources"]["DataQualityJobDefinition"]["Properties"]
    output = job["DataQualityJobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]["S3Uri"]
    assert output == {"Fn::Sub": "s3://${DataBucketName}/monitoring/${EndpointName}"}


@pytest.mark.parametrize("template_name", ["endpoint.yml", "monitoring.yml"])
def test_lambda_environment_and_logs_are_encrypted(templates, template_name):
    functions = {
        lid: r["Properties"]
        for lid, r in templates[template_name]["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function"
    }
    assert functions
    log_groups = {
        lid
        for lid, r in templates[template_name]["Resources"].items()
        if r["Type"] == "AWS::Logs::LogGroup"
    }
    for logical_id, properties in functions.items():
        assert properties.get("KmsKeyArn") == STACK_KEY, f"{logical_id} environment key"
        group = properties.get("LoggingConfig", {}).get("LogGroup")
        # Without its own (encrypted) group Lambda logs to an unencrypted default group.
        assert isinstance(group, dict) and group.get("Ref") in log_groups, logical_id


def test_key_rotates(templates):
    key = templates["foundation.yml"]["Resources"]["Key"]["Properties"]
    assert key["EnableKeyRotation"] is True


def test_the_stack_key_reaches_every_child(templates):
    assert templates["foundation.yml"]["Outputs"]["KmsKeyArn"]["Value"] == STACK_KEY_IN_FOUNDATION
    stage = templates["pipeline.yml"]["Resources"]["Stage"]["Properties"]["Parameters"]
    assert stage["KmsKeyArn"] == {"Fn::GetAtt": ["Foundation", "Outputs.KmsKeyArn"]}
    for logical_id, resource in templates["stage.yml"]["Resources"].items():
        passed = resource["Properties"]["Parameters"]
        if "KmsKeyArn" in passed:
            assert passed["KmsKeyArn"] == STACK_KEY, logical_id
    stage_resources = templates["stage.yml"]["Resources"]
    for nested in ("Endpoint", "Monitoring"):
        assert "KmsKeyArn" in stage_resources[nested]["Properties"]["Parameters"], nested
