"""What exists in the emulator, by service: to show that a deleted stack left nothing."""

from __future__ import annotations

from scripts.emulator.server import Emulator


def inventory(emu: Emulator, region: str) -> dict[str, list[str]]:
    """Names of the resources driftgate's templates create, per kind."""
    s3 = emu.client("s3", region)
    sagemaker = emu.client("sagemaker", region)
    kms = emu.client("kms", region)
    keys = [
        key["KeyId"]
        for key in kms.list_keys()["Keys"]
        if kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    ]
    return {
        "S3 buckets": [b["Name"] for b in s3.list_buckets().get("Buckets", [])],
        "KMS keys (enabled)": keys,
        "SNS topics": [t["TopicArn"] for t in emu.client("sns", region).list_topics()["Topics"]],
        "IAM roles": [r["RoleName"] for r in emu.client("iam", region).list_roles()["Roles"]],
        "Lambda functions": [
            f["FunctionName"] for f in emu.client("lambda", region).list_functions()["Functions"]
        ],
        "SageMaker endpoints": [e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]],
        "SageMaker endpoint configs": [
            c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]
        ],
        "SageMaker models": [m["ModelName"] for m in sagemaker.list_models()["Models"]],
        "EventBridge rules": [
            r["Name"] for r in emu.client("events", region).list_rules()["Rules"]
        ],
        "CloudWatch dashboards": [
            d["DashboardName"]
            for d in emu.client("cloudwatch", region).list_dashboards()["DashboardEntries"]
        ],
        "KMS aliases": [
            a["AliasName"]
            for a in kms.list_aliases()["Aliases"]
            if not a["AliasName"].startswith("alias/aws/")
        ],
        "CloudWatch log groups": [
            g["logGroupName"] for g in emu.client("logs", region).describe_log_groups()["logGroups"]
        ],
        "SSM parameters": [
            p["Name"] for p in emu.client("ssm", region).describe_parameters()["Parameters"]
        ],
        "Live stacks": [
            s["StackName"]
            for s in emu.client("cloudformation", region).list_stacks()["StackSummaries"]
            if s["StackStatus"] != "DELETE_COMPLETE"
        ],
    }


def difference(after: dict[str, list[str]], before: dict[str, list[str]]) -> dict[str, list[str]]:
    """What ``after`` has that ``before`` had not, per kind (empty kinds left out)."""
    extra = {kind: sorted(set(names) - set(before.get(kind, []))) for kind, names in after.items()}
    return {kind: names for kind, names in extra.items() if names}
