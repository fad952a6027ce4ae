"""CodePipeline and the events that start it, as far as driftgate's delivery needs them.

moto 5.2.5 skips ``AWS::CodePipeline::Pipeline`` in CloudFormation, stores a started
execution without running it, has no PutJobSuccessResult / PutJobFailureResult /
PutApprovalResult, and SageMaker emits no "Model Package State Change" event. Here:
- the CloudFormation model records the pipeline's resolved properties for the executor
  (scripts/emulator/codepipeline), Ref is the pipeline name;
- StartPipelineExecution (idempotent per clientRequestToken), the two job results and
  PutApprovalResult are recorded for the executor; a pipeline it does not know is
  PipelineNotFoundException;
- CreateModelPackage and UpdateModelPackage record the documented state-change event.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from moto.cloudformation import parsing
from moto.codepipeline.exceptions import PipelineNotFoundException
from moto.codepipeline.responses import CodePipelineResponse
from moto.core.common_models import CloudFormationModel
from moto.sagemaker.models import SageMakerModelBackend

from scripts.emulator.codepipeline import events, state
from scripts.emulator.codepipeline.definitions import DEPLOYED, Definition
from scripts.emulator.patches import swap


class PipelineResource(CloudFormationModel):
    def __init__(self, definition: Definition) -> None:
        self.definition = definition

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CodePipeline::Pipeline"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @property
    def physical_resource_id(self) -> str:
        return self.definition.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Version"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return str(self.definition.version)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> PipelineResource:
        properties = dict(cloudformation_json.get("Properties") or {})
        name = str(properties.get("Name") or resource_name)
        properties["Name"] = name
        definition = Definition(name, region_name, account_id, properties)
        DEPLOYED[(region_name, name)] = definition
        return cls(definition)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls,
        original_resource: PipelineResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> PipelineResource:
        updated = cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )
        updated.definition.version = original_resource.definition.version + 1
        return updated

    def delete(self, account_id: str, region_name: str) -> None:
        DEPLOYED.pop((region_name, self.definition.name), None)


def start_pipeline_execution(self: CodePipelineResponse) -> str:
    name = self._get_param("name")
    if (self.region, name) not in DEPLOYED:
        raise PipelineNotFoundException(
            f"Account '{self.current_account}' does not have a pipeline with name '{name}'"
        )
    variables = {v["name"]: v["value"] for v in self._get_param("variables") or []}
    declared = {v["Name"] for v in DEPLOYED[(self.region, name)].properties.get("Variables") or []}
    unknown = sorted(set(variables) - declared)
    if unknown:
        from moto.codepipeline.exceptions import InvalidStructureException

        raise InvalidStructureException(f"Pipeline variables {unknown} are not declared")
    token = self._get_param("clientRequestToken")
    with state.LOCK:
        if token and (self.region, name, token) in state.TOKENS:
            return json.dumps({"pipelineExecutionId": state.TOKENS[(self.region, name, token)]})
        execution_id = str(uuid.uuid4())
        if token:
            state.TOKENS[(self.region, name, token)] = execution_id
        state.STARTS.append(state.StartRequest(self.region, name, execution_id, variables))
    return json.dumps({"pipelineExecutionId": execution_id})


def put_job_success_result(self: CodePipelineResponse) -> str:
    with state.LOCK:
        state.JOB_RESULTS[self._get_param("jobId")] = state.JobResult(
            True, variables=dict(self._get_param("outputVariables") or {})
        )
    return "{}"


def put_job_failure_result(self: CodePipelineResponse) -> str:
    details = self._get_param("failureDetails") or {}
    with state.LOCK:
        state.JOB_RESULTS[self._get_param("jobId")] = state.JobResult(
            False, message=str(details.get("message", ""))
        )
    return "{}"


def put_approval_result(self: CodePipelineResponse) -> str:
    result = self._get_param("result") or {}
    with state.LOCK:
        state.APPROVALS[self._get_param("token")] = (
            str(result.get("status")),
            str(result.get("summary", "")),
        )
    return json.dumps({"approvedAt": 0})


def package_event(backend: SageMakerModelBackend, arn: str) -> None:
    package = backend.model_packages[backend.model_package_name_mapping.get(arn, arn)]
    detail = {
        "ModelPackageGroupName": package.model_package_group_name,
        "ModelPackageVersion": package.model_package_version,
        "ModelPackageArn": package.arn,
        "ModelApprovalStatus": package.model_approval_status,
    }
    events.emit(
        backend.region_name,
        events.envelope(
            "aws.sagemaker",
            "SageMaker Model Package State Change",
            detail,
            backend.account_id,
            backend.region_name,
            [package.arn],
        ),
    )


def apply() -> None:
    original = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> Any:
        if resource_type == "AWS::CodePipeline::Pipeline":
            return PipelineResource
        return original(resource_type)

    swap.replace(parsing, "resource_class_from_type", resource_class_from_type)
    for function in (
        start_pipeline_execution,
        put_job_success_result,
        put_job_failure_result,
        put_approval_result,
    ):
        swap.replace(CodePipelineResponse, function.__name__, function)

    for method in ("create_model_package", "update_model_package"):
        wrapped = getattr(SageMakerModelBackend, method)

        def emitting(
            self: SageMakerModelBackend, *args: Any, _wrapped: Any = wrapped, **kwargs: Any
        ) -> str:
            arn = _wrapped(self, *args, **kwargs)
            if self.model_packages.get(self.model_package_name_mapping.get(arn, arn)) is not None:
                package_event(self, arn)
            return arn

        swap.replace(SageMakerModelBackend, method, emitting)
    state.reset()
    DEPLOYED.clear()
