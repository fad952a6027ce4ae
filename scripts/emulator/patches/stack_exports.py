"""Exports are read after the stack's resources exist, and never from a dead stack.

moto 5.2.5 (``CloudFormationBackend.create_stack``) evaluates the outputs' exports before
creating resources; its lazy resource map then creates resources out of order and outside
the failure handling (a failing one is a 500), and reading exports of a rolled-back or
deleted stack re-creates resources. Export after creation, like CloudFormation.
It also evaluates the exports of outputs whose Condition is false (a GetAtt of a resource
the condition left out is then a ValidationError): those export nothing.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.cloudformation.parsing import Export, clean_json

from scripts.emulator.patches import swap

LIVE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_IN_PROGRESS")


def apply() -> None:
    original_create_stack = CloudFormationBackend.create_stack

    def exports(self: Stack) -> list[Any]:
        if self.status not in LIVE:
            return []
        output_map = self.output_map
        resources = output_map._resource_map
        found = []
        for output in (output_map._output_json_map or {}).values():
            condition = output.get("Condition")
            if condition and not resources.lazy_condition_map.get(condition):
                continue
            if output.get("Export"):
                name = clean_json(output["Export"].get("Name"), resources)
                value = clean_json(output.get("Value"), resources)
                found.append(Export(self.stack_id, name, value))
        return found

    def create_stack(self: CloudFormationBackend, *args: Any, **kwargs: Any) -> Stack:
        stack = original_create_stack(self, *args, **kwargs)
        if stack.status in LIVE:
            self._validate_export_uniqueness(stack)
            for export in stack.exports:
                self.exports[export.name] = export
        return stack

    swap.replace(Stack, "exports", property(exports))
    swap.replace(CloudFormationBackend, "create_stack", create_stack)
