"""The action types the executor implements, each from its action reference page in the
CodePipeline guide, against the emulator's own services."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from cfnlint.decode import cfn_yaml

from scripts.emulator.codepipeline import state


@dataclass
class Outcome:
    succeeded: bool
    message: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, bytes] = field(default_factory=dict)
    waiting_token: str = ""  # a manual approval waits for this token


class ActionFailed(Exception):
    pass


@dataclass
class ActionContext:
    emu: Any
    region: str
    pipeline: str
    stage: str
    action: dict[str, Any]
    configuration: dict[str, str]  # variables already resolved
    artifacts: dict[str, bytes]
    artifact_store: dict[str, Any]

    def client(self, service: str) -> Any:
        return self.emu.client(service, self.region)


def run_action(context: ActionContext) -> Outcome:
    provider = context.action["ActionTypeId"]["Provider"]
    runner = {
        "S3": s3_source,
        "Lambda": lambda_invoke,
        "CloudFormation": cloudformation_deploy,
        "Manual": manual_approval,
    }[provider]
    try:
        return runner(context)
    except ActionFailed as failure:
        return Outcome(False, str(failure))


# --- Source: Amazon S3 (action reference "Amazon S3 source action") ---------------------


def s3_source(context: ActionContext) -> Outcome:
    bucket = context.configuration["S3Bucket"]
    key = context.configuration["S3ObjectKey"]
    s3 = context.client("s3")
    versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status")
    if versioning != "Enabled":
        raise ActionFailed(
            f"source bucket {bucket} is not versioned; an S3 source needs versioning"
        )
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        raise ActionFailed(f"source s3://{bucket}/{key}: {error}") from error
    body = response["Body"].read()
    (output,) = [a["Name"] for a in context.action.get("OutputArtifacts") or []]
    store_artifact(context, output, body)
    return Outcome(
        True,
        variables={
            "ETag": str(response.get("ETag", "")).strip('"'),
            "VersionId": str(response.get("VersionId", "")),
            "BucketName": bucket,
            "ObjectKey": key,
        },
        artifacts={output: body},
    )


def store_artifact(context: ActionContext, name: str, body: bytes) -> None:
    """Write the artifact to the pipeline's artifact store with its KMS key, as CodePipeline
    does (a missing or unusable store fails the action)."""
    store = context.artifact_store
    key = store.get("EncryptionKey") or {}
    extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key["Id"]} if key else {}
    context.client("s3").put_object(
        Bucket=store["Location"],
        Key=f"{context.pipeline[:20]}/{name[:10]}/{uuid.uuid4().hex[:7]}",
        Body=body,
        **extra,
    )


# --- Invoke: AWS Lambda (action reference "AWS Lambda invoke action") --------------------


def lambda_invoke(context: ActionContext) -> Outcome:
    job_id = str(uuid.uuid4())
    event = {
        "CodePipeline.job": {
            "id": job_id,
            "accountId": context.emu.account_id,
            "data": {
                "actionConfiguration": {"configuration": dict(context.configuration)},
                "inputArtifacts": [],
                "outputArtifacts": [],
            },
        }
    }
    response = context.client("lambda").invoke(
        FunctionName=context.configuration["FunctionName"], Payload=json.dumps(event).encode()
    )
    with state.LOCK:
        result = state.JOB_RESULTS.pop(job_id, None)
    if result is None:
        detail = response["Payload"].read().decode()[:300] if response.get("FunctionError") else ""
        raise ActionFailed(
            f"{context.configuration['FunctionName']} returned without PutJobSuccessResult or "
            f"PutJobFailureResult (on AWS the action waits for its timeout) {detail}".strip()
        )
    return Outcome(result.succeeded, result.message, result.variables)


# --- Deploy: AWS CloudFormation (CloudFormation guide, "CodePipeline configuration
# properties reference") ------------------------------------------------------------------

DONE = {"CREATE_COMPLETE", "UPDATE_COMPLETE"}


def artifact_file(context: ActionContext, reference: str) -> str:
    artifact, _, path = reference.partition("::")
    inputs = [a["Name"] for a in context.action.get("InputArtifacts") or []]
    if artifact not in inputs:
        raise ActionFailed(f"{reference}: {artifact} is not an input artifact of this action")
    try:
        with zipfile.ZipFile(io.BytesIO(context.artifacts[artifact])) as archive:
            return archive.read(path).decode()
    except KeyError as error:
        raise ActionFailed(f"{reference}: no such file in the artifact") from error


def cloudformation_deploy(context: ActionContext) -> Outcome:
    configuration = context.configuration
    mode = configuration["ActionMode"]
    if mode != "CREATE_UPDATE":
        raise ActionFailed(
            f"ActionMode {mode} not implemented by the emulator (CREATE_UPDATE only)"
        )
    body = artifact_file(context, configuration["TemplatePath"])
    declared = set(cfn_yaml.loads(body).get("Parameters") or {})
    parameters: dict[str, str] = {}
    tags: dict[str, str] = {}
    if configuration.get("TemplateConfiguration"):
        document = json.loads(artifact_file(context, configuration["TemplateConfiguration"]))
        parameters.update(document.get("Parameters") or {})
        tags.update(document.get("Tags") or {})
    overrides = json.loads(configuration.get("ParameterOverrides") or "{}")
    parameters.update(overrides)  # overrides win over the configuration file
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise ActionFailed(f"Parameters: {unknown} do not exist in the template")
    request = {
        "StackName": configuration["StackName"],
        "TemplateBody": body,
        "Parameters": [
            {"ParameterKey": k, "ParameterValue": str(v)} for k, v in parameters.items()
        ],
        "Capabilities": [c for c in configuration.get("Capabilities", "").split(",") if c],
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }
    if configuration.get("RoleArn"):
        request["RoleARN"] = configuration["RoleArn"]
    cfn = context.client("cloudformation")
    existing = stack_status(cfn, request["StackName"])
    try:
        if existing is None:
            cfn.create_stack(**request)
        elif existing in DONE or existing == "UPDATE_ROLLBACK_COMPLETE":
            cfn.update_stack(**request)
        else:
            raise ActionFailed(f"stack {request['StackName']} is {existing}; it cannot be updated")
    except ClientError as error:
        if "No updates are to be performed" not in str(error):
            raise ActionFailed(f"{request['StackName']}: {error}") from error
    stack = cfn.describe_stacks(StackName=request["StackName"])["Stacks"][0]
    if stack["StackStatus"] not in DONE:
        reason = first_failure(cfn, stack["StackId"])
        raise ActionFailed(f"stack {request['StackName']} is {stack['StackStatus']}: {reason}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}
    return Outcome(True, variables=outputs)


def stack_status(cfn: Any, name: str) -> str | None:
    try:
        return str(cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"])
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise


def first_failure(cfn: Any, stack_id: str) -> str:
    for event in reversed(cfn.describe_stack_events(StackName=stack_id)["StackEvents"]):
        if event.get("ResourceStatus", "").endswith("FAILED"):
            return f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason', '')}"
    return "see the stack's events"


# --- Approval: Manual (CodePipeline guide, "Manage approval actions") --------------------


def manual_approval(context: ActionContext) -> Outcome:
    token = str(uuid.uuid4())
    configuration = context.configuration
    if configuration.get("NotificationArn"):
        message = {
            "region": context.region,
            "approval": {
                "pipelineName": context.pipeline,
                "stageName": context.stage,
                "actionName": context.action["Name"],
                "token": token,
                "customData": configuration.get("CustomData", ""),
                "externalEntityLink": configuration.get("ExternalEntityLink", ""),
            },
        }
        context.client("sns").publish(
            TopicArn=configuration["NotificationArn"],
            Subject=f"APPROVAL NEEDED: {context.pipeline} {context.stage}"[:100],
            Message=json.dumps(message),
        )
    return Outcome(True, waiting_token=token)
