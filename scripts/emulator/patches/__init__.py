"""Workarounds for moto bugs on the paths driftgate uses; each module names its bug."""

from __future__ import annotations

from scripts.emulator.patches import (
    crhelper_http,
    custom_resources,
    delete_order,
    lambda_invoke,
    nested_stacks,
    stack_failures,
    update_propagation,
)

_applied = False


def apply_all() -> None:
    """Apply every patch once per process (they read the endpoint from emulator.config)."""
    global _applied
    if _applied:
        return
    for patch in (
        lambda_invoke,
        crhelper_http,
        custom_resources,
        stack_failures,
        nested_stacks,
        update_propagation,
        delete_order,
    ):
        patch.apply()
    _applied = True
