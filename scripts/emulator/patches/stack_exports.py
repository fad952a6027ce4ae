"""Exports are read after the stack's resources exist, and never from a dead stack.

moto 5.2.5 (``CloudFormationBackend.create_stack``) evaluates the outputs' exports before
creating resources; its lazy resource map then creates resources out of order and outside
the failure handling (a failing one is a 500), and reading exports of a rolled-back or
deleted stack re-creates resources. Export after creation, like CloudFormation.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.models import CloudFormationBackend, Stack

from scripts.emulator.patches import swap

LIVE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_IN_PROGRESS")


def apply() -> None:
    original_exports = Stack.exports.fget  # type: ignore[attr-defined]
    original_create_stack = CloudFormationBackend.create_stack

    def exports(self: Stack) -> list[Any]:
        return original_exports(self) if self.status in LIVE else []

    def create_stack(self: CloudFormationBackend, *args: Any, **kwargs: Any) -> Stack:
        stack = original_create_stack(self, *args, **kwargs)
        if stack.status in LIVE:
            self._validate_export_uniqueness(stack)
            for export in stack.exports:
                self.exports[export.name] = export
        return stack

    swap.replace(Stack, "exports", property(exports))
    swap.replace(CloudFormationBackend, "create_stack", create_stack)
