"""Simulate SageMaker rolling a blue/green endpoint update back.

moto updates an endpoint to its new config at once and has no deployment guardrails.
In SageMaker, an update whose rollback alarm fires ends with the endpoint InService on
its old config (SageMaker guide, auto-rollback configuration and monitoring). Endpoints
named in ``ROLLED_BACK`` behave that way: their next CloudFormation updates leave them
on the config they serve. Tests call ``roll_back_updates_of`` to simulate an alarm.
"""

from __future__ import annotations

from typing import Any

from moto.sagemaker.models import FakeEndpoint

from scripts.emulator.patches import swap

ROLLED_BACK: set[str] = set()


def roll_back_updates_of(endpoint_name: str) -> None:
    """Every later update of this endpoint is rolled back, until ``clear`` is called."""
    ROLLED_BACK.add(endpoint_name)


def clear() -> None:
    ROLLED_BACK.clear()


def apply() -> None:
    original = FakeEndpoint.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def update(
        cls: type[FakeEndpoint], original_resource: FakeEndpoint, new_resource_name: str,
        cloudformation_json: dict[str, Any], account_id: str, region_name: str,
    ) -> FakeEndpoint:  # fmt: skip
        if original_resource.endpoint_name in ROLLED_BACK:
            return original_resource
        return original(
            cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
        )

    swap.replace(FakeEndpoint, "update_from_cloudformation_json", classmethod(update))
