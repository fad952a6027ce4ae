"""Workarounds for moto bugs on the paths driftgate uses; each module names its bug."""

from __future__ import annotations

from scripts.emulator.patches import (
    apigateway_resources,
    blue_green_rollback,
    codepipeline_service,
    crhelper_http,
    custom_resources,
    delete_order,
    events_lambda_targets,
    execute_api,
    global_backends,
    join_novalue,
    kms_key_policy,
    lambda_invoke,
    lambda_logging,
    nested_stacks,
    pipeline_executions,
    placeholders,
    sagemaker_names,
    stack_exports,
    stack_failures,
    swap,
    update_failures,
    update_propagation,
    yaml_templates,
)

_applied = False


def apply_all() -> None:
    """Apply every patch (they read the endpoint from emulator.config at call time)."""
    global _applied
    if _applied:
        raise RuntimeError("an Emulator is already running in this process")
    for patch in (
        global_backends,
        lambda_invoke,
        lambda_logging,
        crhelper_http,
        custom_resources,
        stack_failures,
        nested_stacks,
        update_propagation,
        update_failures,
        blue_green_rollback,
        delete_order,
        stack_exports,
        sagemaker_names,
        kms_key_policy,
        yaml_templates,
        codepipeline_service,
        placeholders,
        apigateway_resources,
        join_novalue,
        execute_api,
        events_lambda_targets,
        pipeline_executions,
    ):
        patch.apply()
    _applied = True


def restore_all() -> None:
    """Put moto and crhelper back as they were."""
    global _applied
    swap.restore_all()
    blue_green_rollback.clear()
    _applied = False
