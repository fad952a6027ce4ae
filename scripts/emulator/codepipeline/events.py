"""Deliver the events AWS services would emit to the matching EventBridge rules' targets.

moto stores rules and matches patterns but neither SageMaker nor CodePipeline emits
events, and moto's event bus does not invoke Lambda or SNS targets. Here the recorded
events (state.EVENTS) go to every enabled rule on the default bus whose pattern matches
(moto's own pattern matcher), and on to Lambda targets (invoked in process, like
EventBridge's asynchronous invocation) and SNS targets (InputTransformer applied).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from moto.events.models import EventPattern

from scripts.emulator.codepipeline import state

SUPPORTED_TARGET_KEYS = frozenset({"Id", "Arn", "RetryPolicy", "InputTransformer"})


def envelope(
    source: str,
    detail_type: str,
    detail: dict[str, Any],
    account: str,
    region: str,
    resources: list[str],
) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": resources,
        "detail": detail,
    }


def emit(region: str, event: dict[str, Any]) -> None:
    with state.LOCK:
        state.EVENTS.append((region, event))


def transform(transformer: dict[str, Any], event: dict[str, Any]) -> str:
    values = {}
    for name, path in (transformer.get("InputPathsMap") or {}).items():
        node: Any = event
        for part in path.removeprefix("$.").split("."):
            node = node.get(part) if isinstance(node, dict) else None
        values[name] = "" if node is None else str(node)
    text = transformer["InputTemplate"]
    text = re.sub(r"<([A-Za-z0-9_.-]+)>", lambda m: values.get(m[1], m[0]), text)
    # A template that is one JSON string is delivered as that string.
    return json.loads(text) if text.startswith('"') and text.endswith('"') else text


def deliver(emu: Any) -> list[str]:
    """Deliver every recorded event; returns one line per delivery (for the demo)."""
    delivered: list[str] = []
    while True:
        with state.LOCK:
            if not state.EVENTS:
                return delivered
            region, event = state.EVENTS.pop(0)
        events = emu.client("events", region)
        for rule in events.list_rules().get("Rules", []):
            if rule.get("State") != "ENABLED" or not rule.get("EventPattern"):
                continue
            if not EventPattern.load(rule["EventPattern"]).matches_event(event):
                continue
            for target in events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", []):
                delivered.append(send(emu, region, rule["Name"], target, event))


def send(emu: Any, region: str, rule: str, target: dict[str, Any], event: dict[str, Any]) -> str:
    unknown = sorted(set(target) - SUPPORTED_TARGET_KEYS)
    if unknown:
        raise NotImplementedError(f"rule {rule} target {target['Id']}: {unknown} not emulated")
    arn = target["Arn"]
    service = arn.split(":")[2]
    if service == "lambda":
        payload = event
        if target.get("InputTransformer"):
            payload = transform(target["InputTransformer"], event)
        emu.client("lambda", region).invoke(
            FunctionName=arn, InvocationType="Event", Payload=json.dumps(payload).encode()
        )
        return f"{event['detail-type']} -> {rule} -> {arn.rsplit(':', 1)[-1]}"
    if service == "sns":
        message = (
            transform(target["InputTransformer"], event)
            if target.get("InputTransformer")
            else event
        )
        emu.client("sns", region).publish(
            TopicArn=arn, Message=message if isinstance(message, str) else json.dumps(message)
        )
        return f"{event['detail-type']} -> {rule} -> topic"
    raise NotImplementedError(f"rule {rule}: {service} targets are not emulated")
