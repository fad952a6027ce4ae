"""SageMaker Pipelines, run locally: execute a deployed pipeline definition's steps in
dependency order on this machine (moto stores pipelines but runs nothing).

What is implemented, from the pipeline definition JSON schema and the SageMaker docs
("Pipelines steps", "Property files and JsonGet", "Pass data between steps"):
- step types Processing, Training, Condition, RegisterModel, Fail;
- functions ``Get`` (``Parameters.<name>``, ``Execution.PipelineExecutionId``,
  ``Steps.<step>.<property>``), ``Std:Join`` and ``Std:JsonGet`` with ``PropertyFiles``;
- step properties ``ProcessingOutputConfig.Outputs['<name>'].S3Output.S3Uri``,
  ``ModelArtifacts.S3ModelArtifacts`` and ``ModelPackageArn``;
- conditions GreaterThan, GreaterThanOrEqualTo, LessThan, LessThanOrEqualTo, Equals,
  NotEquals; a condition's IfSteps/ElseSteps run only on their branch;
- dependencies from property references and ``DependsOn``.
Anything else (other step types, functions, properties, conditions) is refused by name
before a step runs. Jobs run through ``local_jobs``; RegisterModel calls the emulator's
CreateModelPackage, so the package lands in its model registry.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.emulator import local_jobs

STEP_TYPES = ("Processing", "Training", "Condition", "RegisterModel", "Fail")
FUNCTIONS = ("Get", "Std:Join", "Std:JsonGet")
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanOrEqualTo": lambda a, b: a >= b,
    "LessThan": lambda a, b: a < b,
    "LessThanOrEqualTo": lambda a, b: a <= b,
    "Equals": lambda a, b: a == b,
    "NotEquals": lambda a, b: a != b,
}
STEP_REF = re.compile(r"^Steps\.(?P<step>[A-Za-z0-9_-]+)\.(?P<property>.+)$")
OUTPUT_PROPERTY = re.compile(
    r"^ProcessingOutputConfig\.Outputs\['(?P<name>[^']+)'\]\.S3Output\.S3Uri$"
)
PROPERTY_FILE = re.compile(r"^PropertyFiles\.(?P<name>[A-Za-z0-9_-]+)$")
PROPERTIES = {
    "Training": ("ModelArtifacts.S3ModelArtifacts",),
    "RegisterModel": ("ModelPackageArn",),
}
EXECUTION_PROPERTIES = ("PipelineExecutionId",)


def _boolean(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


PARAMETER_TYPES: dict[str, Callable[[Any], Any]] = {
    "String": str,
    "Float": float,
    "Integer": int,
    "Boolean": _boolean,
}


class PipelineDefinitionError(ValueError):
    """The definition uses something undefined or not implemented here (named)."""


@dataclass(frozen=True)
class Step:
    name: str
    type: str
    body: dict[str, Any]
    branch: tuple[str, str] | None = None  # (condition step, "if" or "else")


@dataclass
class Execution:
    execution_id: str
    parameters: dict[str, Any]
    status: str = "Executing"
    failure_reason: str = ""
    steps: dict[str, str] = field(default_factory=dict)  # step -> Succeeded/Failed/...
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcomes: dict[str, bool] = field(default_factory=dict)  # condition -> result


def render_sub(template_string: str, values: Mapping[str, str]) -> str:
    """``Fn::Sub`` of a template string with the given values (``${!x}`` is a literal);
    a name without a value is an error, as CloudFormation would make it."""

    def value(match: re.Match[str]) -> str:
        name = match[1]
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name not in values:
            raise PipelineDefinitionError(f"Fn::Sub variable {name} has no value")
        return str(values[name])

    return re.sub(r"\$\{([^}]+)\}", value, template_string)


def load_definition(body: str) -> dict[str, Any]:
    definition = json.loads(body)
    if definition.get("Version") != "2020-12-01":
        raise PipelineDefinitionError(
            f"definition Version {definition.get('Version')!r}; expected 2020-12-01"
        )
    return definition


def flatten_steps(definition: Mapping[str, Any]) -> dict[str, Step]:
    steps: dict[str, Step] = {}

    def add(raw: Mapping[str, Any], branch: tuple[str, str] | None) -> None:
        name, kind = raw["Name"], raw["Type"]
        if kind not in STEP_TYPES:
            raise PipelineDefinitionError(
                f"step {name}: step type {kind} is not implemented by the local runner"
            )
        if name in steps:
            raise PipelineDefinitionError(f"step name {name} is used twice")
        steps[name] = Step(name, kind, dict(raw), branch)
        if kind == "Condition":
            for side, key in (("if", "IfSteps"), ("else", "ElseSteps")):
                for child in raw["Arguments"].get(key, []):
                    add(child, (name, side))

    for raw in definition["Steps"]:
        add(raw, None)
    return steps


def functions(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (function name, argument) in a JSON value; a dict with one key that starts
    with ``Get`` or contains ``:`` is a function call."""
    if isinstance(node, dict):
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Get" or ":" in key:
                yield key, value
                if key != "Get":
                    yield from functions(value)
                return
        for value in node.values():
            yield from functions(value)
    elif isinstance(node, list):
        for value in node:
            yield from functions(value)


def _step_arguments(step: Step) -> dict[str, Any]:
    arguments = dict(step.body.get("Arguments", {}))
    if step.type == "Condition":
        arguments = {"Conditions": arguments.get("Conditions", [])}
    return arguments


def check_definition(definition: Mapping[str, Any]) -> list[str]:
    """Every problem with the definition: unknown functions, steps, properties, property
    files and parameters (empty when the runner can execute it)."""
    steps = flatten_steps(definition)
    parameters = {p["Name"] for p in definition.get("Parameters", [])}
    problems: list[str] = []
    for step in steps.values():
        for name in step.body.get("DependsOn", []):
            if name not in steps:
                problems.append(f"{step.name}: DependsOn names no step {name}")
        for function, argument in functions(_step_arguments(step)):
            if function not in FUNCTIONS:
                problems.append(f"{step.name}: function {function} is not implemented")
            elif function == "Get":
                problem = check_get(str(argument), steps, parameters)
                if problem:
                    problems.append(f"{step.name}: {problem}")
        if step.type == "Condition":
            for condition in step.body["Arguments"].get("Conditions", []):
                if condition.get("Type") not in COMPARISONS:
                    problems.append(
                        f"{step.name}: condition {condition.get('Type')} is not implemented"
                    )
    return problems


def check_get(path: str, steps: Mapping[str, Step], parameters: set[str]) -> str:
    if path.startswith("Parameters."):
        name = path[len("Parameters.") :]
        return "" if name in parameters else f"Get {path}: no parameter {name}"
    if path.startswith("Execution."):
        name = path[len("Execution.") :]
        return (
            ""
            if name in EXECUTION_PROPERTIES
            else f"Get {path}: execution property not implemented"
        )
    match = STEP_REF.match(path)
    if not match or match["step"] not in steps:
        return f"Get {path}: no such step"
    step, prop = steps[match["step"]], match["property"]
    if step.type == "Processing":
        output = OUTPUT_PROPERTY.match(prop)
        outputs = {
            o["OutputName"]
            for o in step.body["Arguments"].get("ProcessingOutputConfig", {}).get("Outputs", [])
        }
        if output:
            return (
                ""
                if output["name"] in outputs
                else f"Get {path}: {step.name} has no output {output['name']}"
            )
        files = PROPERTY_FILE.match(prop)
        if files:
            declared = {f["PropertyFileName"]: f for f in step.body.get("PropertyFiles", [])}
            if files["name"] not in declared:
                return f"Get {path}: {step.name} declares no property file {files['name']}"
            if declared[files["name"]]["OutputName"] not in outputs:
                return f"Get {path}: property file {files['name']} names a missing output"
            return ""
    elif prop in PROPERTIES.get(step.type, ()):
        return ""
    return f"Get {path}: property {prop} of a {step.type} step is not implemented"


def dependencies(steps: Mapping[str, Step]) -> dict[str, set[str]]:
    needs: dict[str, set[str]] = {}
    for step in steps.values():
        found = set(step.body.get("DependsOn", []))
        for function, argument in functions(_step_arguments(step)):
            if function == "Get" and (match := STEP_REF.match(str(argument))):
                found.add(match["step"])
        if step.branch:
            found.add(step.branch[0])
        needs[step.name] = found - {step.name}
    return needs


def order(steps: Mapping[str, Step]) -> list[str]:
    """Steps in dependency order (definition order among independent ones)."""
    needs = dependencies(steps)
    done: list[str] = []
    pending = list(steps)
    while pending:
        ready = [name for name in pending if needs[name] <= set(done)]
        if not ready:
            raise PipelineDefinitionError(f"dependency cycle among {pending}")
        done.append(ready[0])
        pending.remove(ready[0])
    return done


# ------------------------------------------------------------------ resolution


def _json_path(document: Any, path: str) -> Any:
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        document = document[int(part[1:-1])] if part.startswith("[") else document[part]
    return document


@dataclass
class Context:
    steps: Mapping[str, Step]
    execution: Execution
    read_json: Callable[[str], Any]  # s3:// URI -> parsed JSON


def resolve(value: Any, context: Context) -> Any:
    if isinstance(value, list):
        return [resolve(v, context) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Get":
            return get(str(argument), context)
        if key == "Std:Join":
            parts = [resolve(v, context) for v in argument["Values"]]
            return str(argument.get("On", "")).join(_text(p) for p in parts)
        if key == "Std:JsonGet":
            return json_get(argument, context)
        if ":" in key:
            raise PipelineDefinitionError(f"function {key} is not implemented by the local runner")
    return {k: resolve(v, context) for k, v in value.items()}


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def get(path: str, context: Context) -> Any:
    execution = context.execution
    if path.startswith("Parameters."):
        return execution.parameters[path[len("Parameters.") :]]
    if path == "Execution.PipelineExecutionId":
        return execution.execution_id
    match = STEP_REF.match(path)
    if not match:
        raise PipelineDefinitionError(f"Get {path} is not implemented by the local runner")
    properties = execution.properties.get(match["step"])
    if properties is None:
        raise PipelineDefinitionError(f"Get {path}: step {match['step']} has not run")
    if match["property"] not in properties:
        raise PipelineDefinitionError(f"Get {path}: not a property the runner records")
    return properties[match["property"]]


def json_get(argument: Mapping[str, Any], context: Context) -> Any:
    reference = argument["PropertyFile"]
    if not (isinstance(reference, dict) and set(reference) == {"Get"}):
        raise PipelineDefinitionError(
            "Std:JsonGet PropertyFile must be a Get of Steps.<step>.PropertyFiles.<name>"
        )
    match = STEP_REF.match(str(reference["Get"]))
    files = PROPERTY_FILE.match(match["property"]) if match else None
    if not match or not files:
        raise PipelineDefinitionError(f"Std:JsonGet of {reference['Get']}: not a property file")
    step = context.steps[match["step"]]
    declared = {f["PropertyFileName"]: f for f in step.body.get("PropertyFiles", [])}[files["name"]]
    folder = get(
        f"Steps.{step.name}.ProcessingOutputConfig.Outputs['{declared['OutputName']}'].S3Output.S3Uri",
        context,
    )
    document = context.read_json(f"{str(folder).rstrip('/')}/{declared['FilePath']}")
    try:
        return _json_path(document, str(argument["Path"]))
    except (KeyError, IndexError, TypeError) as error:
        raise PipelineDefinitionError(
            f"Std:JsonGet path {argument['Path']} not in {declared['FilePath']}"
        ) from error


def condition_holds(conditions: list[Mapping[str, Any]], context: Context) -> bool:
    for condition in conditions:
        kind = condition["Type"]
        if kind not in COMPARISONS:
            raise PipelineDefinitionError(
                f"condition {kind} is not implemented by the local runner"
            )
        left, right = (
            resolve(condition["LeftValue"], context),
            resolve(condition["RightValue"], context),
        )
        if not COMPARISONS[kind](left, right):
            return False
    return True


# ------------------------------------------------------------------- execution


@dataclass
class LocalBackend:
    """Where the steps' work happens: S3 and the registry of the emulator, jobs here."""

    s3: Any
    sagemaker: Any
    workdir: Path

    def read_json(self, uri: str) -> Any:
        bucket, _, key = uri[len("s3://") :].partition("/")
        return json.loads(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def pipeline_parameters(definition: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, Any]:
    declared = {p["Name"]: p for p in definition.get("Parameters", [])}
    unknown = set(given) - set(declared)
    if unknown:
        raise PipelineDefinitionError(f"unknown pipeline parameters: {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        convert = PARAMETER_TYPES[spec.get("Type", "String")]
        if name in given:
            values[name] = convert(given[name])
        elif "DefaultValue" in spec:
            values[name] = convert(spec["DefaultValue"])
        else:
            raise PipelineDefinitionError(f"pipeline parameter {name} has no default and no value")
    return values


def _job_name(execution: Execution, step: Step) -> str:
    return f"pipelines-{execution.execution_id}-{step.name}"[:63]


def run_step(step: Step, context: Context, backend: LocalBackend) -> None:
    execution = context.execution
    arguments = resolve(step.body.get("Arguments", {}), context) if step.type != "Condition" else {}
    recorded: dict[str, Any] = {}
    if step.type == "Processing":
        request = {**arguments, "ProcessingJobName": _job_name(execution, step)}
        outcome = local_jobs.run_processing_job(request, backend.s3, backend.workdir)
        for name, uri in outcome["Outputs"].items():
            recorded[f"ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri"] = uri
    elif step.type == "Training":
        request = {**arguments, "TrainingJobName": _job_name(execution, step)}
        outcome = local_jobs.run_training_job(request, backend.s3, backend.workdir)
        recorded["ModelArtifacts.S3ModelArtifacts"] = outcome["ModelArtifacts"]["S3ModelArtifacts"]
    elif step.type == "RegisterModel":
        response = backend.sagemaker.create_model_package(**arguments)
        recorded["ModelPackageArn"] = response["ModelPackageArn"]
    elif step.type == "Condition":
        execution.outcomes[step.name] = condition_holds(
            step.body["Arguments"]["Conditions"], context
        )
    elif step.type == "Fail":
        raise local_jobs.JobFailed(str(arguments.get("ErrorMessage", "")))
    execution.properties[step.name] = recorded


def run_pipeline(
    definition: Mapping[str, Any],
    parameters: Mapping[str, str],
    backend: LocalBackend,
    execution_id: str | None = None,
) -> Execution:
    """Run every step that its branch selects; stop at the first failure."""
    problems = check_definition(definition)
    if problems:
        raise PipelineDefinitionError("; ".join(problems))
    steps = flatten_steps(definition)
    execution = Execution(
        execution_id or uuid.uuid4().hex[:12], pipeline_parameters(definition, parameters)
    )
    context = Context(steps, execution, backend.read_json)
    for name in order(steps):
        step = steps[name]
        if step.branch:
            condition, side = step.branch
            if condition not in execution.outcomes or execution.outcomes[condition] != (
                side == "if"
            ):
                execution.steps[name] = "NotExecuted"
                continue
        try:
            run_step(step, context, backend)
        except (local_jobs.JobFailed, local_jobs.UnsupportedJobFeature) as error:
            execution.steps[name] = "Failed"
            execution.status = "Failed"
            execution.failure_reason = f"Step {name} failed: {error}"
            for rest in order(steps)[order(steps).index(name) + 1 :]:
                execution.steps.setdefault(rest, "NotExecuted")
            return execution
        execution.steps[name] = "Succeeded"
    execution.status = "Succeeded"
    return execution
