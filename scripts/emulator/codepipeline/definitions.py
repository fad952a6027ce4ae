"""Deployed pipeline definitions and what the executor supports of them.

CloudFormation resolves a pipeline's properties (Refs, Subs, Ifs) before the emulator's
AWS::CodePipeline::Pipeline model (patches/codepipeline_service.py) stores them here;
the executor reads them from here, as CodePipeline would read its own definition.
Anything outside SUPPORTED is refused with its name when a run starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class UnsupportedPipeline(Exception):
    """The pipeline uses something the executor does not implement (named in the message)."""


# (Category, Owner, Provider, Version) -> configuration keys implemented.
ACTION_TYPES: dict[tuple[str, str, str, str], frozenset[str]] = {
    ("Source", "AWS", "S3", "1"): frozenset({"S3Bucket", "S3ObjectKey", "PollForSourceChanges"}),
    ("Invoke", "AWS", "Lambda", "1"): frozenset({"FunctionName", "UserParameters"}),
    ("Deploy", "AWS", "CloudFormation", "1"): frozenset(
        {
            "ActionMode",
            "StackName",
            "TemplatePath",
            "TemplateConfiguration",
            "Capabilities",
            "RoleArn",
            "ParameterOverrides",
        }
    ),
    ("Approval", "AWS", "Manual", "1"): frozenset(
        {"NotificationArn", "CustomData", "ExternalEntityLink"}
    ),
}
# Rule provider -> configuration keys implemented.
RULE_TYPES: dict[str, frozenset[str]] = {
    "DeploymentWindow": frozenset({"Cron", "TimeZone"}),
    "CloudWatchAlarm": frozenset({"AlarmName", "AlarmStates", "WaitTime"}),
}
ACTION_KEYS = frozenset(
    {
        "Name",
        "ActionTypeId",
        "Configuration",
        "InputArtifacts",
        "OutputArtifacts",
        "Namespace",
        "RunOrder",
        "TimeoutInMinutes",
    }
)
STAGE_KEYS = frozenset({"Name", "Actions", "BeforeEntry", "OnSuccess", "OnFailure"})
PIPELINE_KEYS = frozenset(
    {
        "Name",
        "PipelineType",
        "ExecutionMode",
        "RoleArn",
        "ArtifactStore",
        "Variables",
        "Stages",
        "RestartExecutionOnUpdate",
        "Tags",
    }
)
ENTRY_RESULTS = frozenset({"FAIL"})
SUCCESS_RESULTS = frozenset({"ROLLBACK"})
FAILURE_RESULTS = frozenset({"ROLLBACK"})


@dataclass
class Definition:
    name: str
    region: str
    account: str
    properties: dict[str, Any]
    stack_id: str = ""
    version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


# (region, pipeline name) -> definition, filled by the CloudFormation model.
DEPLOYED: dict[tuple[str, str], Definition] = {}


def _unknown(where: str, keys: Any, known: frozenset[str]) -> None:
    unknown = sorted(set(keys) - known)
    if unknown:
        raise UnsupportedPipeline(
            f"{where}: {', '.join(unknown)} not implemented by the emulator's executor "
            f"(implemented: {', '.join(sorted(known))})"
        )


def _conditions(where: str, block: Any, results: frozenset[str]) -> None:
    if not block:
        return
    _unknown(where, block, frozenset({"Conditions", "Result"}))
    if "Result" in block and block["Result"] not in results:
        raise UnsupportedPipeline(f"{where}: Result {block['Result']} not implemented")
    for condition in block.get("Conditions") or []:
        if condition.get("Result") not in results:
            raise UnsupportedPipeline(
                f"{where}: condition Result {condition.get('Result')} not implemented"
            )
        for rule in condition.get("Rules") or []:
            provider = rule["RuleTypeId"]["Provider"]
            if provider not in RULE_TYPES or rule["RuleTypeId"].get("Owner") != "AWS":
                raise UnsupportedPipeline(f"{where}: rule type {provider} not implemented")
            _unknown(
                f"{where} rule {rule['Name']}",
                rule.get("Configuration") or {},
                RULE_TYPES[provider],
            )


def validate(definition: Definition) -> None:
    """Refuse, by name, any part of the definition the executor does not implement."""
    properties = definition.properties
    _unknown(f"pipeline {definition.name}", properties, PIPELINE_KEYS)
    if properties.get("PipelineType") != "V2":
        raise UnsupportedPipeline(
            f"pipeline {definition.name}: only PipelineType V2 is implemented"
        )
    if properties.get("ExecutionMode") != "QUEUED":
        raise UnsupportedPipeline(
            f"pipeline {definition.name}: ExecutionMode {properties.get('ExecutionMode')} "
            "not implemented (QUEUED only)"
        )
    for stage in properties["Stages"]:
        where = f"stage {stage['Name']}"
        _unknown(where, stage, STAGE_KEYS)
        _conditions(f"{where} BeforeEntry", stage.get("BeforeEntry"), ENTRY_RESULTS)
        _conditions(f"{where} OnSuccess", stage.get("OnSuccess"), SUCCESS_RESULTS)
        _conditions(f"{where} OnFailure", stage.get("OnFailure"), FAILURE_RESULTS)
        for action in stage["Actions"]:
            name = f"{where} action {action['Name']}"
            _unknown(name, action, ACTION_KEYS)
            kind = action["ActionTypeId"]
            key = (kind["Category"], kind["Owner"], kind["Provider"], str(kind["Version"]))
            if key not in ACTION_TYPES:
                raise UnsupportedPipeline(f"{name}: action type {'/'.join(key)} not implemented")
            _unknown(name, action.get("Configuration") or {}, ACTION_TYPES[key])
