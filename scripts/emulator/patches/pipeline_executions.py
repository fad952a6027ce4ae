"""moto's StartPipelineExecution marks an execution Succeeded at once and ignores
ClientRequestToken. AWS starts it Executing (it ends when its steps have run) and
returns the same execution for a repeated token (docs: StartPipelineExecution). Here a
new execution is Executing until ``finish`` records the local runner's outcome, and a
token seen before returns its execution."""

from __future__ import annotations

from typing import Any

from moto.sagemaker.models import SageMakerModelBackend

from scripts.emulator.patches import swap

_by_token: dict[tuple[str, str], str] = {}  # (pipeline, token) -> execution ARN


def finish(backend: SageMakerModelBackend, arn: str, status: str, reason: str = "") -> None:
    """Record the outcome of an execution the local runner ran."""
    pipeline = arn.split(":pipeline/", 1)[1].split("/execution/", 1)[0]
    execution = backend.pipelines[pipeline].pipeline_executions[arn]
    execution.pipeline_execution_status = status
    execution.pipeline_execution_failure_reason = reason or None


def apply() -> None:
    original = SageMakerModelBackend.start_pipeline_execution

    def start_pipeline_execution(self: SageMakerModelBackend, *args: Any, **kwargs: Any) -> Any:
        pipeline = kwargs.get("pipeline_name") or args[0]
        token = kwargs.get("client_request_token") or (args[5] if len(args) > 5 else None)
        if token and (pipeline, token) in _by_token:
            return {"PipelineExecutionArn": _by_token[(pipeline, token)]}
        response = original(self, *args, **kwargs)
        arn = response["PipelineExecutionArn"]
        self.pipelines[pipeline].pipeline_executions[arn].pipeline_execution_status = "Executing"
        if token:
            _by_token[(pipeline, token)] = arn
        return response

    _by_token.clear()
    swap.replace(SageMakerModelBackend, "start_pipeline_execution", start_pipeline_execution)
