"""A failed resource update rolls its stack back, and a failed nested stack fails its parent.

moto 5.2.5 has no update failure path: a custom resource that answers FAILED to an Update
is retried by ``ResourceMap.update`` (every exception counts as a dependency to try again,
five passes, nested stacks included) and then escapes UpdateStack as a 500, leaving the
stack half-applied. Here, as in CloudFormation, the resource gets an UPDATE_FAILED event
with its reason, the stack goes UPDATE_ROLLBACK_IN_PROGRESS -> UPDATE_ROLLBACK_COMPLETE
with the template, parameters, resource map and outputs it had before the update, and a
nested stack's failure fails its parent with "Embedded stack ... was not successfully
updated". Not modelled: resources of other services that the failed update changed are
not changed back (moto keeps no previous state for them); what the stack records and
reports is restored, which is what a user reads after a rollback.
"""

from __future__ import annotations

import contextvars
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.models import Stack

from scripts.emulator.failures import ResourceFailed
from scripts.emulator.patches import swap
from scripts.emulator.patches.stack_failures import add_resource_event

_depth = contextvars.ContextVar("update_depth", default=0)


class UpdateAborted(BaseException):
    """Carries a ResourceFailed past moto's ``except Exception`` retry loop."""

    def __init__(self, failure: ResourceFailed) -> None:
        super().__init__(failure.reason)
        self.failure = failure


def _snapshot(stack: Stack) -> dict[str, Any]:
    """What a rollback returns to; outputs are read now so their old values are kept."""
    output_map = stack.output_map
    for key in list(output_map):
        output_map[key]
    resources = stack.resource_map
    return {
        "stack": {k: stack.__dict__[k] for k in ("template", "template_dict", "parameters")},
        "output_map": output_map,
        "resources": {
            key: dict(value) if isinstance(value, dict) else value
            for key, value in resources.__dict__.items()
        },
    }


def _restore(stack: Stack, snapshot: dict[str, Any]) -> None:
    stack.__dict__.update(snapshot["stack"])
    stack.output_map = snapshot["output_map"]
    stack.resource_map.__dict__.update(snapshot["resources"])


def roll_back_update(stack: Stack, failure: ResourceFailed, snapshot: dict[str, Any]) -> None:
    add_resource_event(
        stack, failure.logical_id, failure.resource_type, "UPDATE_FAILED", failure.reason
    )
    _restore(stack, snapshot)
    stack._add_stack_event(
        "UPDATE_ROLLBACK_IN_PROGRESS",
        resource_status_reason=(
            f"The following resource(s) failed to update: [{failure.logical_id}]."
        ),
    )
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
    stack.status = "UPDATE_ROLLBACK_COMPLETE"


def apply() -> None:
    original_update = Stack.update
    original_parse_and_update = parsing.parse_and_update_resource

    def update(self: Stack, *args: Any, **kwargs: Any) -> None:
        snapshot = _snapshot(self)
        token = _depth.set(_depth.get() + 1)
        try:
            original_update(self, *args, **kwargs)
        except UpdateAborted as aborted:
            roll_back_update(self, aborted.failure, snapshot)
            if _depth.get() > 1:
                raise  # the parent's resource (this nested stack) fails in turn
        except ResourceFailed as failure:
            roll_back_update(self, failure, snapshot)
            if _depth.get() > 1:
                raise UpdateAborted(failure) from failure
        finally:
            _depth.reset(token)

    def parse_and_update_resource(
        logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str,
        region_name: str,
    ) -> Any:  # fmt: skip
        try:
            return original_parse_and_update(
                logical_id, resource_json, resources_map, account_id, region_name
            )
        except ResourceFailed as failure:
            raise UpdateAborted(failure) from failure
        except UpdateAborted as aborted:
            if resource_json.get("Type") != "AWS::CloudFormation::Stack":
                raise
            nested = resources_map._parsed_resources.get(logical_id)
            reason = (
                f"Embedded stack {getattr(nested, 'stack_id', logical_id)} was not "
                "successfully updated: The following resource(s) failed to update: "
                f"[{aborted.failure.logical_id}]."
            )
            failure = ResourceFailed(logical_id, "AWS::CloudFormation::Stack", reason)
            raise UpdateAborted(failure) from aborted

    swap.replace(Stack, "update", update)
    swap.replace(parsing, "parse_and_update_resource", parse_and_update_resource)
