"""The retrain gate: one decision for every trigger (schedule, new data, drift).

Order of checks, each a skip with a reason on the topic:
1. the same event already started an execution (EventBridge delivers at least once,
   Lambda retries async invocations): duplicate;
2. an execution is Executing or Stopping: running;
3. the last execution started less than the cool-down ago: cool-down.
Otherwise StartPipelineExecution with a ClientRequestToken derived from the event id
(so a retry after a lost response starts nothing new) and the check flags of the
trigger (sample_model/README.md, "Which trigger sets which flags"); the start is
announced on the topic too.

AWS calls: sagemaker ListPipelineExecutions, StartPipelineExecution, the registry lookup
of package_lookup.latest_approved_baseline; sns Publish.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from common.errors import CustomResourceError
from package_lookup import is_not_found, latest_approved_baseline

SCHEDULE, NEW_DATA, DRIFT = "schedule", "new-data", "drift"
ACTIVE = ("Executing", "Stopping")
# Executions listed to find a duplicate or a running one; the gate starts at most one at
# a time, so the newest few are enough.
RECENT = 20
# CreateProcessingJob Environment: values of at most 256 characters. The previous
# baseline's URIs reach the DataQuality step's environment (build.yml).
ENVIRONMENT_VALUE_LIMIT = 256
# build.yml RetrainCooldownMinutes' MaxValue (31 days).
MAX_COOLDOWN_MINUTES = 44640


class GateError(Exception):
    """An event or configuration the gate cannot act on; the message says why."""


class AwsFault(GateError):
    """A SageMaker call failed (throttling, access denied, timeout): worth a retry."""


@dataclass(frozen=True)
class Config:
    pipeline_name: str
    group_name: str
    topic_arn: str
    cooldown: timedelta
    drift_registers_new_baseline: bool
    regular_registers_new_baseline: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        def flag(name: str) -> bool:
            value = env.get(name, "")
            if value not in ("true", "false"):
                raise GateError(f"{name} must be true or false, got {value!r}")
            return value == "true"

        # build.yml's RetrainCooldownMinutes is a CloudFormation Number, which takes
        # decimals too (30.5): a fraction of a minute is a valid cool-down, not a reason
        # to refuse every trigger.
        raw = env.get("DRIFTGATE_COOLDOWN_MINUTES", "")
        try:
            minutes = float(raw)
        except ValueError as error:
            raise GateError(
                f"DRIFTGATE_COOLDOWN_MINUTES must be a number of minutes, got {raw!r}"
            ) from error
        if not math.isfinite(minutes) or minutes > MAX_COOLDOWN_MINUTES:
            raise GateError(
                f"DRIFTGATE_COOLDOWN_MINUTES must be at most {MAX_COOLDOWN_MINUTES}, got {raw!r}"
            )
        if minutes < 0:
            raise GateError("DRIFTGATE_COOLDOWN_MINUTES must not be negative")
        missing = [n for n in ("DRIFTGATE_PIPELINE_NAME", "DRIFTGATE_MODEL_PACKAGE_GROUP",
                               "DRIFTGATE_TOPIC_ARN") if not env.get(n)]  # fmt: skip
        if missing:
            raise GateError(f"missing environment: {', '.join(missing)}")
        return cls(
            pipeline_name=env["DRIFTGATE_PIPELINE_NAME"],
            group_name=env["DRIFTGATE_MODEL_PACKAGE_GROUP"],
            topic_arn=env["DRIFTGATE_TOPIC_ARN"],
            cooldown=timedelta(minutes=minutes),
            drift_registers_new_baseline=flag("DRIFTGATE_DRIFT_REGISTERS_NEW_BASELINE"),
            regular_registers_new_baseline=flag("DRIFTGATE_REGULAR_REGISTERS_NEW_BASELINE"),
        )


@dataclass(frozen=True)
class Trigger:
    kind: str  # SCHEDULE, NEW_DATA or DRIFT
    event_id: str
    summary: str  # one line for people: what happened


@dataclass(frozen=True)
class Decision:
    action: str  # "started" or "skipped"
    reason: str
    trigger: Trigger
    execution_arn: str = ""
    parameters: tuple[tuple[str, str], ...] = ()

    def message(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "reason": self.reason,
            "trigger": self.trigger.kind,
            "event_id": self.trigger.event_id,
            "what": self.trigger.summary,
            "execution_arn": self.execution_arn,
            "parameters": dict(self.parameters),
        }


# The input build.yml's EventBridge Scheduler schedule sends (a constant template whose
# <aws.scheduler.…> keywords Scheduler replaces; Scheduler guide, "Adding context
# attributes"): not an EventBridge event, so it carries no id.
SCHEDULER_SOURCE, SCHEDULER_DETAIL_TYPE = "driftgate.schedule", "Scheduled Retrain"


def classify(event: Mapping[str, Any]) -> Trigger:
    """The trigger of an EventBridge event (docs: EventBridge event structure) or of the
    retrain schedule's input."""
    source, detail_type = event.get("source"), event.get("detail-type")
    if source == SCHEDULER_SOURCE and detail_type == SCHEDULER_DETAIL_TYPE:
        schedule, scheduled = event.get("schedule_arn"), event.get("scheduled_time")
        if not schedule or not scheduled or "<aws.scheduler." in f"{schedule}{scheduled}":
            raise GateError("the schedule's input has no schedule_arn and scheduled_time")
        # One id per scheduled time: every attempt at the same occurrence (Lambda's async
        # retries, a Scheduler retry) is the same trigger, so the duplicate check holds.
        return Trigger(SCHEDULE, f"{schedule}@{scheduled}", f"schedule {schedule} at {scheduled}")
    event_id = str(event.get("id") or "")
    if not event_id:
        raise GateError("the event has no id; the gate is invoked by EventBridge rules only")
    detail = event.get("detail") or {}
    if source == "aws.events" and detail_type == "Scheduled Event":
        return Trigger(SCHEDULE, event_id, f"schedule {', '.join(event.get('resources', []))}")
    if source == "aws.s3" and detail_type == "Object Created":
        bucket = (detail.get("bucket") or {}).get("name", "?")
        key = (detail.get("object") or {}).get("key", "?")
        return Trigger(NEW_DATA, event_id, f"new object s3://{bucket}/{key}")
    if source == "driftgate.monitor" and detail_type == "Data Drift Violations":
        what = (
            f"{detail.get('violations', '?')} drift violation(s) on {detail.get('endpoint', '?')}"
        )
        return Trigger(DRIFT, event_id, f"{what} ({detail.get('report_uri', '')})")
    if source == "aws.cloudwatch" and detail_type == "CloudWatch Alarm State Change":
        state = (detail.get("state") or {}).get("value")
        if state != "ALARM":
            raise GateError(f"alarm state {state!r} is not ALARM; the rule should not send it")
        return Trigger(DRIFT, event_id, f"alarm {detail.get('alarmName', '?')} in ALARM")
    raise GateError(f"unsupported event: source {source!r}, detail-type {detail_type!r}")


def display_name(trigger: Trigger) -> str:
    """The execution's display name: marks which event started it (duplicate check)."""
    digest = hashlib.sha256(trigger.event_id.encode()).hexdigest()[:40]
    return f"{trigger.kind}-{digest}"


def request_token(trigger: Trigger) -> str:
    """ClientRequestToken (32-128 characters): the same for every delivery of an event."""
    return hashlib.sha256(f"driftgate-retrain/{trigger.event_id}".encode()).hexdigest()


def check_flags(trigger: Trigger, config: Config, has_previous: bool) -> tuple[str, str]:
    """(SkipCheck, RegisterNewBaseline) per the documented table."""
    if not has_previous:
        return "true", "true"  # initial run: nothing to check against
    if trigger.kind == DRIFT:
        return "true", str(config.drift_registers_new_baseline).lower()
    return "false", str(config.regular_registers_new_baseline).lower()


def recent_executions(sagemaker: Any, pipeline_name: str) -> list[dict[str, Any]]:
    response = sagemaker.list_pipeline_executions(
        PipelineName=pipeline_name,
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=RECENT,
    )
    summaries = list(response.get("PipelineExecutionSummaries", []))
    # Newest first whatever order the service returned (the checks read [0] as newest).
    return sorted(summaries, key=lambda e: _as_utc(e["StartTime"]), reverse=True)


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def skip_reason(
    trigger: Trigger, executions: list[dict[str, Any]], config: Config, now: datetime
) -> tuple[str, str] | None:
    """(reason, execution ARN) to skip, or None to start."""
    name = display_name(trigger)
    for execution in executions:
        if execution.get("PipelineExecutionDisplayName") == name:
            return f"duplicate: event {trigger.event_id} already started this execution", str(
                execution.get("PipelineExecutionArn", "")
            )
    for execution in executions:
        if execution.get("PipelineExecutionStatus") in ACTIVE:
            return "running: an execution of the pipeline is still in progress", str(
                execution.get("PipelineExecutionArn", "")
            )
    if executions and config.cooldown:
        started = _as_utc(executions[0]["StartTime"])
        allowed = started + config.cooldown
        if now < allowed:
            return (
                f"cool-down: the last execution started {started.isoformat()}; the next start "
                f"is allowed from {allowed.isoformat()}",
                str(executions[0].get("PipelineExecutionArn", "")),
            )
    return None


def decide(event: Mapping[str, Any], config: Config, sagemaker: Any, now: datetime) -> Decision:
    trigger = classify(event)
    try:
        executions = recent_executions(sagemaker, config.pipeline_name)
    except (ClientError, BotoCoreError) as error:
        raise AwsFault(
            f"sagemaker:ListPipelineExecutions on {config.pipeline_name}: {error}"
        ) from error
    skip = skip_reason(trigger, executions, config, now)
    if skip:
        return Decision("skipped", skip[0], trigger, skip[1])
    try:
        previous = latest_approved_baseline(sagemaker, config.group_name)
    except CustomResourceError as error:
        # package_lookup names the call and the group. A throttled or failed call is worth
        # a retry; a missing group or a package without a baseline is not.
        cause = error.__cause__
        retry = isinstance(cause, BotoCoreError) or (
            isinstance(cause, ClientError) and not is_not_found(cause)
        )
        raise (AwsFault if retry else GateError)(str(error)) from error
    for uri in previous or ():
        if len(uri) > ENVIRONMENT_VALUE_LIMIT:
            raise GateError(
                f"the previous baseline {uri[:80]}... is {len(uri)} characters; the DataQuality "
                f"step receives it in its environment, whose values SageMaker caps at "
                f"{ENVIRONMENT_VALUE_LIMIT} (CreateProcessingJob Environment), so the build "
                "would fail: register that package's DriftCheckBaselines under a shorter key"
            )
    skip_check, register_new = check_flags(trigger, config, previous is not None)
    parameters = (
        ("SkipCheck", skip_check),
        ("RegisterNewBaseline", register_new),
        ("PreviousBaselineStatisticsUri", previous[0] if previous else ""),
        ("PreviousBaselineConstraintsUri", previous[1] if previous else ""),
        ("TriggerSource", trigger.kind),
    )
    try:
        response = sagemaker.start_pipeline_execution(
            PipelineName=config.pipeline_name,
            PipelineExecutionDisplayName=display_name(trigger),
            PipelineExecutionDescription=trigger.summary[:3072],
            PipelineParameters=[{"Name": k, "Value": v} for k, v in parameters],
            ClientRequestToken=request_token(trigger),
        )
    except (ClientError, BotoCoreError) as error:
        raise AwsFault(
            f"sagemaker:StartPipelineExecution on {config.pipeline_name}: {error}"
        ) from error
    reason = (
        "initial run: no approved package yet" if previous is None else f"{trigger.kind} retrain"
    )
    return Decision("started", reason, trigger, str(response["PipelineExecutionArn"]), parameters)


def publish(sns: Any, topic_arn: str, decision: Decision) -> None:
    subject = f"driftgate retrain {decision.action}: {decision.reason}"
    sns.publish(
        TopicArn=topic_arn,
        Subject=re.sub(r"[^\x20-\x7e]", " ", subject)[:100],
        Message=json.dumps(decision.message(), indent=2),
    )
