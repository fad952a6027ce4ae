"""A failed resource rolls its stack back, and a failed nested stack fails its parent.

moto 5.2.5 has no failure path: a resource that raises turns CreateStack into a 500 (or,
for custom resources, the stack stays CREATE_IN_PROGRESS forever) and no resource event
is written. Here, as in CloudFormation, the resource gets a CREATE_FAILED event with the
reason, the stack goes ROLLBACK_IN_PROGRESS -> ROLLBACK_COMPLETE (what was created is
deleted), and a nested stack's parent fails with "Embedded stack ... was not successfully
created", so the user finds the reason in describe_stack_events.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation import models, parsing
from moto.cloudformation.models import Event, Stack

from scripts.emulator.failures import ResourceFailed
from scripts.emulator.patches import swap

CREATED = ("CREATE_COMPLETE",)


def add_resource_event(
    stack: Stack, logical_id: str, resource_type: str, status: str, reason: str
) -> None:
    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id="",
            resource_type=resource_type,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


def roll_back(stack: Stack, failure: ResourceFailed) -> None:
    """Record the failure and delete what the stack created, like CloudFormation's rollback."""
    add_resource_event(
        stack, failure.logical_id, failure.resource_type, "CREATE_FAILED", failure.reason
    )
    stack.status = "ROLLBACK_IN_PROGRESS"
    stack._add_stack_event(
        "ROLLBACK_IN_PROGRESS",
        resource_status_reason=(
            f"The following resource(s) failed to create: [{failure.logical_id}]. "
            "Rollback requested by user."
        ),
    )
    # Resources created before the failure; the failed one never entered the map.
    try:
        stack.resource_map.delete()
    except Exception as error:  # keep the first failure visible, as CloudFormation does
        stack.status = "ROLLBACK_FAILED"
        stack._add_stack_event("ROLLBACK_FAILED", resource_status_reason=str(error))
        return
    stack.status = "ROLLBACK_COMPLETE"
    stack._add_stack_event("ROLLBACK_COMPLETE")


def failure_summary(stack: Stack) -> str:
    failed = [e.logical_resource_id for e in stack.events if e.resource_status == "CREATE_FAILED"]
    return f"The following resource(s) failed to create: [{', '.join(failed)}]."


def apply() -> None:
    original_parse_and_create = parsing.parse_and_create_resource
    original_create_resources = Stack.create_resources
    original_nested_create = Stack.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def parse_and_create_resource(
        logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str,
        region_name: str,
    ) -> Any:  # fmt: skip
        try:
            return original_parse_and_create(
                logical_id, resource_json, resources_map, account_id, region_name
            )
        except ResourceFailed:
            raise
        except Exception as error:
            raise ResourceFailed(logical_id, resource_json.get("Type", ""), str(error)) from error

    def create_resources(self: Stack) -> None:
        try:
            original_create_resources(self)
        except ResourceFailed as failure:
            roll_back(self, failure)

    def nested_create(
        cls: type[Stack], resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str, **kwargs: Any,
    ) -> Stack:  # fmt: skip
        nested = original_nested_create(
            cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        if nested.status in CREATED:
            return nested
        reason = (
            f"Embedded stack {nested.stack_id} was not successfully created: "
            f"{failure_summary(nested)}"
        )
        # The parent's rollback would delete it; it never enters the parent's map.
        models.cloudformation_backends[account_id][region_name].delete_stack(nested.stack_id)
        raise ResourceFailed(kwargs["LogicalId"], "AWS::CloudFormation::Stack", reason)

    original_outputs = Stack.outputs.fget  # type: ignore[attr-defined]

    def outputs(self: Stack) -> list[dict[str, Any]] | None:
        # moto's lazy resource map re-creates a resource when an output reads it; after a
        # rollback or delete there is nothing to read (CloudFormation shows no outputs).
        if self.status.startswith("ROLLBACK") or self.status.startswith("DELETE"):
            return None
        return original_outputs(self)

    original_resources = Stack.stack_resources.fget  # type: ignore[attr-defined]

    def stack_resources(self: Stack) -> Any:
        # Same lazy-map trap: listing a rolled-back stack's resources would re-create them.
        if self.status.startswith("ROLLBACK") or self.status.startswith("DELETE"):
            return []
        return original_resources(self)

    swap.replace(parsing, "parse_and_create_resource", parse_and_create_resource)
    swap.replace(Stack, "outputs", property(outputs))
    swap.replace(Stack, "stack_resources", property(stack_resources))
    swap.replace(Stack, "create_resources", create_resources)
    swap.replace(Stack, "create_from_cloudformation_json", classmethod(nested_create))
