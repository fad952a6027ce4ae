"""moto's EventBridge raises NotImplementedError for a rule whose target is a Lambda
function, which fails the PutEvents call that matched it (the drift monitor's violations
event matches the retrain gate's rule), and it sends every event to schedule-only
rules. EventBridge invokes Lambda targets
asynchronously; here the matched (function ARN, event) pairs are queued, the rule's other
targets are served as moto serves them, and ``deliver`` runs the queue."""

from __future__ import annotations

import json
from typing import Any

from moto.events.models import Rule

from scripts.emulator.patches import swap

pending: list[tuple[str, str, dict[str, Any]]] = []  # (rule, function ARN, event), in order


def _is_lambda(target: dict[str, Any]) -> bool:
    return ":lambda:" in str(target.get("Arn", "")) and ":function:" in str(target["Arn"])


def deliver(lambda_client: Any) -> list[tuple[str, dict[str, Any]]]:
    """Invoke every queued target with its event; returns (rule, the function's answer)."""
    answers = []
    while pending:
        rule, arn, event = pending.pop(0)
        response = lambda_client.invoke(FunctionName=arn, Payload=json.dumps(event).encode())
        answers.append((rule, json.loads(response["Payload"].read() or b"null")))
    return answers


def apply() -> None:
    original = Rule.send_to_targets

    def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
        # moto matches every event against a schedule-only rule's empty pattern;
        # EventBridge sends such a rule nothing but its schedule.
        if self.scheduled_expression and not self.event_pattern.get_pattern():
            return
        if not self.event_pattern.matches_event(original_event):
            return
        functions = [t for t in self.targets if _is_lambda(t)]
        for target in functions:
            pending.append((self.name, target["Arn"], dict(original_event)))
        others = [t for t in self.targets if not _is_lambda(t)]
        if others:
            kept = self.targets
            self.targets = others
            try:
                original(self, original_event, transform_input)
            finally:
                self.targets = kept

    pending.clear()
    swap.replace(Rule, "send_to_targets", send_to_targets)
