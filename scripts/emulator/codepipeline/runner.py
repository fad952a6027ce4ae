"""Run deployed pipelines: executions, stage locks, variables, conditions and rollback.

Semantics implemented (CodePipeline guide: "How pipeline executions work", "Variables",
"Configure conditions for a stage", "Stage rollback"):
- QUEUED: executions advance in start order and each stage holds one execution at a
  time; a later execution waits at a stage until the earlier one has left it.
- An execution's variables start from the pipeline's defaults overridden by the start
  request (an undeclared name is refused, as StartPipelineExecution does).
- Actions in a stage run by RunOrder; a failed action fails the stage and the execution.
- BeforeEntry FAIL, OnSuccess ROLLBACK, OnFailure ROLLBACK. A rollback re-runs the stage
  with the artifacts and resolved variables of the last execution that succeeded in it,
  as an execution of type ROLLBACK.
- Pipeline Execution State Change events are emitted on success and failure.
Not implemented: retries, action timeouts (TimeoutInMinutes is not enforced), WaitTime
(alarm rules are read once), superseding, parallel actions within one RunOrder.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from scripts.emulator.codepipeline import conditions, events, state
from scripts.emulator.codepipeline.actions import ActionContext, Outcome, run_action
from scripts.emulator.codepipeline.definitions import (
    DEPLOYED,
    Definition,
    UnsupportedPipeline,
    validate,
)
from scripts.emulator.codepipeline.variables import UnresolvedVariable, resolve


@dataclass
class Snapshot:
    """What a stage needs to run again: artifacts and resolved namespaces."""

    artifacts: dict[str, bytes]
    namespaces: dict[str, dict[str, str]]
    execution_id: str


@dataclass
class Execution:
    execution_id: str
    pipeline: str
    region: str
    variables: dict[str, str]
    kind: str = "STANDARD"
    status: str = "InProgress"  # InProgress | Succeeded | Failed
    stage_index: int = 0
    waiting: dict[str, Any] | None = None  # the approval this execution waits for
    message: str = ""
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    artifacts: dict[str, bytes] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)


class PipelineRunner:
    """Drives every pipeline deployed in the emulator; call `run()` after anything that
    may start or continue an execution (an approval, an event, an approval answer)."""

    def __init__(self, emu: Any, now: Callable[[], dt.datetime] | None = None) -> None:
        self.emu = emu
        self.now = now or (lambda: dt.datetime.now(dt.UTC))
        self.executions: list[Execution] = []
        self.last_success: dict[tuple[str, str, str], Snapshot] = {}
        # Alarm states for alarms the emulator does not create (moto skips them).
        self.alarm_states: dict[str, str] = {}

    # --- public --------------------------------------------------------------------
    def run(self) -> list[str]:
        """Deliver pending events, start requested executions, advance all until each
        is finished or waits (approval, a locked stage). Returns what happened."""
        happened: list[str] = []
        for _ in range(100):
            happened += events.deliver(self.emu)
            self._accept_starts()
            self._apply_approvals()
            if not self._step(happened) and not state.EVENTS and not state.STARTS:
                return happened
        raise RuntimeError("pipelines did not settle after 100 rounds")

    def waiting_approvals(self) -> list[Execution]:
        return [e for e in self.executions if e.waiting and e.status == "InProgress"]

    def answer(self, execution: Execution, approved: bool, summary: str = "") -> None:
        """Answer the approval `execution` waits for, as PutApprovalResult would."""
        assert execution.waiting, f"{execution.execution_id} waits for no approval"
        with state.LOCK:
            state.APPROVALS[execution.waiting["token"]] = (
                "Approved" if approved else "Rejected",
                summary,
            )

    def of(self, pipeline: str) -> list[Execution]:
        return [e for e in self.executions if e.pipeline == pipeline]

    # --- internals -----------------------------------------------------------------
    def _definition(self, region: str, pipeline: str) -> Definition:
        definition = DEPLOYED.get((region, pipeline))
        if definition is None:
            raise UnsupportedPipeline(f"pipeline {pipeline} is not deployed in {region}")
        validate(definition)
        return definition

    def _accept_starts(self) -> None:
        with state.LOCK:
            starts, state.STARTS[:] = list(state.STARTS), []
        for start in starts:
            definition = self._definition(start.region, start.pipeline)
            declared = {
                v["Name"]: v.get("DefaultValue", "")
                for v in definition.properties.get("Variables") or []
            }
            variables = {**declared, **start.variables}
            self.executions.append(
                Execution(
                    start.execution_id,
                    start.pipeline,
                    start.region,
                    variables,
                    namespaces={"variables": variables},
                )
            )

    def _apply_approvals(self) -> None:
        for execution in self.waiting_approvals():
            with state.LOCK:
                answer = state.APPROVALS.pop(execution.waiting["token"], None)
            if answer is None:
                continue
            status, summary = answer
            execution.log.append(f"{execution.waiting['stage']}: {status} {summary}".strip())
            execution.waiting = None
            if status == "Approved":
                execution.stage_index += 1
                self._maybe_finish(execution)
            else:
                self._fail(execution, f"approval rejected: {summary}")

    def _occupied(self, pipeline: str, index: int, other: Execution) -> bool:
        return any(
            e is not other
            and e.pipeline == pipeline
            and e.status == "InProgress"
            and e.stage_index == index
            and e.kind == "STANDARD"
            and self.executions.index(e) < self.executions.index(other)
            for e in self.executions
        )

    def _step(self, happened: list[str]) -> bool:
        progressed = False
        for execution in list(self.executions):
            if execution.status != "InProgress" or execution.waiting:
                continue
            if self._occupied(execution.pipeline, execution.stage_index, execution):
                continue
            self._run_stage(execution, happened)
            progressed = True
        return progressed

    def _stages(self, execution: Execution) -> list[dict[str, Any]]:
        return self._definition(execution.region, execution.pipeline).properties["Stages"]

    def _run_stage(self, execution: Execution, happened: list[str]) -> None:
        definition = self._definition(execution.region, execution.pipeline)
        stage = self._stages(execution)[execution.stage_index]
        name = stage["Name"]
        entry = self._failed_rule(stage.get("BeforeEntry"))
        if entry:
            self._fail(execution, f"{name}: entry condition failed: {entry}")
            happened.append(f"{execution.execution_id[:8]} {name}: not entered ({entry})")
            return
        outcome = self._run_actions(
            definition, stage, execution, execution.namespaces, execution.artifacts
        )
        if outcome is None:  # waiting for an approval
            happened.append(f"{execution.execution_id[:8]} {name}: waiting for approval")
            return
        if not outcome.succeeded:
            happened.append(f"{execution.execution_id[:8]} {name}: FAILED {outcome.message}")
            self._fail(execution, f"{name}: {outcome.message}")
            if (stage.get("OnFailure") or {}).get("Result") == "ROLLBACK":
                self._rollback(definition, stage, execution, happened)
            return
        rolled = self._failed_rule(stage.get("OnSuccess"))
        if rolled:
            happened.append(
                f"{execution.execution_id[:8]} {name}: succeeded, then {rolled}: ROLLBACK"
            )
            self._fail(execution, f"{name}: {rolled}")
            self._rollback(definition, stage, execution, happened)
            return
        happened.append(f"{execution.execution_id[:8]} {name}: succeeded")
        key = (execution.region, execution.pipeline, name)
        self.last_success[key] = Snapshot(
            dict(execution.artifacts), copy.deepcopy(execution.namespaces), execution.execution_id
        )
        execution.stage_index += 1
        self._maybe_finish(execution)

    def _run_actions(
        self,
        definition: Definition,
        stage: dict[str, Any],
        execution: Execution,
        namespaces: dict[str, dict[str, str]],
        artifacts: dict[str, bytes],
    ) -> Outcome | None:
        ordered = sorted(stage["Actions"], key=lambda a: int(a.get("RunOrder") or 1))
        for action in ordered:
            try:
                configuration = resolve(action.get("Configuration") or {}, namespaces)
            except UnresolvedVariable as error:
                return Outcome(False, f"{action['Name']}: {error}")
            context = ActionContext(
                self.emu,
                execution.region,
                execution.pipeline,
                stage["Name"],
                action,
                {k: str(v) for k, v in configuration.items()},
                artifacts,
                definition.properties["ArtifactStore"],
            )
            outcome = run_action(context)
            result = "ok" if outcome.succeeded else outcome.message
            execution.log.append(f"{stage['Name']}.{action['Name']}: {result}")
            if not outcome.succeeded:
                return Outcome(False, f"{action['Name']}: {outcome.message}")
            artifacts.update(outcome.artifacts)
            if action.get("Namespace"):
                namespaces[action["Namespace"]] = outcome.variables
            if outcome.waiting_token:
                self._emit_action(execution, stage["Name"], action, "STARTED")
                execution.waiting = {
                    "token": outcome.waiting_token,
                    "stage": stage["Name"],
                    "action": action["Name"],
                    "message": configuration.get("CustomData", ""),
                }
                return None
        return Outcome(True)

    def _failed_rule(self, block: dict[str, Any] | None) -> str:
        for condition in (block or {}).get("Conditions") or []:
            for rule in condition.get("Rules") or []:
                reason = conditions.evaluate_rule(rule, self.now, self._alarm_state)
                if reason:
                    return reason
        return ""

    def _alarm_state(self, name: str) -> str:
        try:
            alarms = self.emu.client("cloudwatch").describe_alarms(AlarmNames=[name])[
                "MetricAlarms"
            ]
        except ClientError:
            alarms = []
        if alarms:
            return str(alarms[0]["StateValue"])
        return self.alarm_states.get(name, "OK")

    def _rollback(
        self, definition: Definition, stage: dict[str, Any], failed: Execution, happened: list[str]
    ) -> None:
        snapshot = self.last_success.get((failed.region, failed.pipeline, stage["Name"]))
        if snapshot is None:
            happened.append(f"{stage['Name']}: no earlier successful execution to roll back to")
            return
        rollback = Execution(
            str(uuid.uuid4()),
            failed.pipeline,
            failed.region,
            dict(snapshot.namespaces.get("variables", {})),
            kind="ROLLBACK",
        )
        self.executions.append(rollback)
        outcome = self._run_actions(
            definition,
            stage,
            rollback,
            copy.deepcopy(snapshot.namespaces),
            dict(snapshot.artifacts),
        )
        rollback.status = "Succeeded" if outcome and outcome.succeeded else "Failed"
        rollback.message = f"rolled {stage['Name']} back to execution {snapshot.execution_id}"
        target = snapshot.execution_id[:8]
        happened.append(
            f"{rollback.execution_id[:8]} ROLLBACK {stage['Name']} to {target}: {rollback.status}"
        )

    def _maybe_finish(self, execution: Execution) -> None:
        if execution.stage_index >= len(self._stages(execution)):
            execution.status = "Succeeded"
            self._emit(execution, "SUCCEEDED")

    def _fail(self, execution: Execution, message: str) -> None:
        execution.status, execution.message = "Failed", message
        self._emit(execution, "FAILED")

    def _emit_action(
        self, execution: Execution, stage: str, action: dict[str, Any], status: str
    ) -> None:
        definition = self._definition(execution.region, execution.pipeline)
        kind = action["ActionTypeId"]
        detail = {
            "pipeline": execution.pipeline,
            "execution-id": execution.execution_id,
            "stage": stage,
            "action": action["Name"],
            "state": status,
            "type": {
                "owner": kind["Owner"],
                "category": kind["Category"],
                "provider": kind["Provider"],
                "version": str(kind["Version"]),
            },
        }
        arn = f"arn:aws:codepipeline:{execution.region}:{definition.account}:{execution.pipeline}"
        events.emit(
            execution.region,
            events.envelope(
                "aws.codepipeline",
                "CodePipeline Action Execution State Change",
                detail,
                definition.account,
                execution.region,
                [arn],
            ),
        )

    def _emit(self, execution: Execution, status: str) -> None:
        definition = self._definition(execution.region, execution.pipeline)
        detail = {
            "pipeline": execution.pipeline,
            "execution-id": execution.execution_id,
            "state": status,
            "version": definition.version,
        }
        arn = f"arn:aws:codepipeline:{execution.region}:{definition.account}:{execution.pipeline}"
        events.emit(
            execution.region,
            events.envelope(
                "aws.codepipeline",
                "CodePipeline Pipeline Execution State Change",
                detail,
                definition.account,
                execution.region,
                [arn],
            ),
        )
