"""Delete a stack's resources in reverse dependency order.

moto 5.2.5 (``ResourceMap.delete``) deletes in set order and retries on errors; a custom
resource's function can go before the custom resource, whose Delete then cannot run
(Function not found). CloudFormation deletes users before what they use. A failure leaves
the stack DELETE_FAILED with the reason instead of a 500, and a nested stack that failed
to delete fails its parent's delete too (moto went on and reported the parent deleted).
"""

from __future__ import annotations

from moto.cloudformation.models import Stack
from moto.cloudformation.parsing import ResourceMap

from scripts.emulator import dependencies
from scripts.emulator.failures import ResourceFailed
from scripts.emulator.patches import swap


def delete_resources(resource_map: ResourceMap) -> None:
    resources = resource_map._resource_json_map
    graph = dependencies.uses(resources)
    for name in reversed(dependencies.ordered(set(resources), graph)):
        if resources[name].get("DeletionPolicy") == "Retain":
            continue
        parsed = resource_map._parsed_resources.get(name)
        if parsed is None or isinstance(parsed, str):
            continue  # never created (false condition, unsupported type) or a parameter
        resource_map._delete_resource(parsed, resources[name])
        if isinstance(parsed, Stack) and parsed.status == "DELETE_FAILED":
            reason = parsed.events[-1].resource_status_reason if parsed.events else ""
            raise ResourceFailed(name, "AWS::CloudFormation::Stack", f"{parsed.name}: {reason}")
        resource_map._parsed_resources.pop(name)


def apply() -> None:
    def delete(self: Stack) -> None:
        self._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
        try:
            delete_resources(self.resource_map)
        except Exception as error:
            self.status = "DELETE_FAILED"
            self._add_stack_event("DELETE_FAILED", resource_status_reason=str(error))
            return
        self._add_stack_event("DELETE_COMPLETE")
        self.status = "DELETE_COMPLETE"

    swap.replace(ResourceMap, "delete", delete_resources)
    swap.replace(Stack, "delete", delete)
