"""The build half of the loop on the emulator: the deployed SageMaker Pipeline (a
placeholder in moto) is registered with moto's Pipelines API from the definition
CloudFormation resolved, so the retrain gate can list and start executions; started
executions then run locally (``sagemaker_pipelines``), their outcome recorded on the
execution; EventBridge deliveries to Lambda targets run when ``deliver_events`` is
called (moto cannot invoke them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from moto.sagemaker.models import sagemaker_backends

from scripts.emulator import sagemaker_pipelines
from scripts.emulator.patches import events_lambda_targets, pipeline_executions, placeholders
from scripts.emulator.server import Emulator

ACCOUNT = "123456789012"  # moto's default account
PIPELINE_TYPE = "AWS::SageMaker::Pipeline"
_ran: set[str] = set()


def deployed_pipeline() -> tuple[str, str, str]:
    """(name, definition body, role ARN) of the pipeline the last stack operation made."""
    found = [(name, props) for (kind, name), props in placeholders.resolved.items()
             if kind == PIPELINE_TYPE]  # fmt: skip
    if not found:
        raise LookupError("no AWS::SageMaker::Pipeline was deployed (BuildPipeline=false?)")
    _, properties = found[-1]
    name = str(properties["PipelineName"])
    body = properties["PipelineDefinition"]["PipelineDefinitionBody"]
    return name, str(body), str(properties["RoleArn"])


def register_pipeline(emu: Emulator, region: str) -> str:
    """Make the deployed pipeline known to moto's API (as CloudFormation would create it)."""
    name, body, role = deployed_pipeline()
    sagemaker = emu.client("sagemaker", region)
    known = {p["PipelineName"] for p in sagemaker.list_pipelines()["PipelineSummaries"]}
    if name in known:
        sagemaker.update_pipeline(PipelineName=name, PipelineDefinition=body, RoleArn=role)
    else:
        sagemaker.create_pipeline(PipelineName=name, PipelineDefinition=body, RoleArn=role)
    return name


def deliver_events(emu: Emulator, region: str) -> list[tuple[str, dict[str, Any]]]:
    """Invoke the Lambda targets of every event a rule matched since the last call."""
    return events_lambda_targets.deliver(emu.client("lambda", region))


def run_started(emu: Emulator, region: str, workdir: Path) -> list[tuple[str, Any]]:
    """Run every execution started since the last call; returns (ARN, Execution)."""
    name, body, _ = deployed_pipeline()
    definition = sagemaker_pipelines.load_definition(body)
    sagemaker = emu.client("sagemaker", region)
    backend = sagemaker_pipelines.LocalBackend(emu.client("s3", region), sagemaker, workdir)
    moto_backend = sagemaker_backends[ACCOUNT][region]
    results = []
    summaries = sagemaker.list_pipeline_executions(PipelineName=name)["PipelineExecutionSummaries"]
    for summary in sorted(summaries, key=lambda s: s["StartTime"]):
        arn = summary["PipelineExecutionArn"]
        if arn in _ran or summary["PipelineExecutionStatus"] != "Executing":
            continue
        _ran.add(arn)
        given = sagemaker.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)
        parameters = {p["Name"]: p["Value"] for p in given.get("PipelineParameters") or []}
        execution = sagemaker_pipelines.run_pipeline(
            definition, parameters, backend, arn.rsplit("/", 1)[-1]
        )
        pipeline_executions.finish(moto_backend, arn, execution.status, execution.failure_reason)
        results.append((arn, execution))
    return results
