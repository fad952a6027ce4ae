"""On stack update, a resource whose inputs changed is updated, and so is what uses it.

moto 5.2.5 (``ResourceMap.build_resource_diff``) marks a resource modified only when its
own template text or a parameter it references directly changed. A new value behind
``!GetAtt``/``!Ref`` of a modified resource is not propagated: the custom resource
re-resolves "latest" but the Model, EndpointConfig and Endpoint that use its outputs keep
the old values (the notes' "a replaced EndpointConfig is not propagated to the
Endpoint"). Add every resource that references a modified one, in dependency order.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.parsing import ResourceMap

from scripts.emulator import dependencies
from scripts.emulator.patches import swap


def with_dependents(
    modified: list[str], resources: dict[str, Any], existing: set[str]
) -> list[str]:
    """``modified`` plus every existing resource that (transitively) uses one, ordered so
    that a resource comes after everything it uses."""
    graph = dependencies.uses(resources)
    selected = set(modified)
    while extra := {name for name in existing if graph.get(name, set()) & selected} - selected:
        selected |= extra
    return dependencies.ordered(selected, graph)


def apply() -> None:
    original = ResourceMap.build_resource_diff

    def build_resource_diff(
        self: ResourceMap, other_template: dict[str, Any], parameters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        diff = original(self, other_template, parameters)
        # Only resources that exist can be modified: one its Condition left out (an
        # optional nested stack) has nothing to update, and moto would fail on it.
        created = {name for name, made in self._parsed_resources.items() if made is not None}
        existing = created - set(diff["Add"])
        modified = [name for name in diff["Modify"] if name in existing]
        diff["Modify"] = with_dependents(
            modified, other_template["Resources"], existing & set(other_template["Resources"])
        )
        return diff

    original_update = parsing.parse_and_update_resource

    def parse_and_update_resource(
        logical_id: str, resource_json: dict[str, Any], resources_map: ResourceMap,
        account_id: str, region_name: str,
    ) -> Any:  # fmt: skip
        # moto returns None for types without an update path and then forgets the
        # resource (it is never deleted); keep the existing one instead.
        updated = original_update(logical_id, resource_json, resources_map, account_id, region_name)
        return updated if updated is not None else resources_map._parsed_resources.get(logical_id)

    swap.replace(ResourceMap, "build_resource_diff", build_resource_diff)
    swap.replace(parsing, "parse_and_update_resource", parse_and_update_resource)
