"""The error a resource raises when CloudFormation would mark it CREATE_FAILED."""

from __future__ import annotations


class ResourceFailed(Exception):
    """A resource failed; ``reason`` is what CloudFormation shows as ResourceStatusReason."""

    def __init__(
        self, logical_id: str, resource_type: str, reason: str, physical_id: str | None = None
    ) -> None:
        super().__init__(f"{logical_id} ({resource_type}): {reason}")
        self.logical_id = logical_id
        self.resource_type = resource_type
        self.reason = reason
        self.physical_id = physical_id
