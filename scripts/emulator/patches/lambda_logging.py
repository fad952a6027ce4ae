"""moto drops a function's ``LoggingConfig`` when CloudFormation creates it, so every
invocation logs into ``/aws/lambda/<name>``, a group no stack owns that survives stack
delete. Lambda writes into ``LoggingConfig.LogGroup`` when one is set: keep that name."""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import LambdaFunction

from scripts.emulator.patches import swap


def configured_log_group(properties: dict[str, Any]) -> str | None:
    """The log group a function's CloudFormation properties send its logs to, if any."""
    group = (properties.get("LoggingConfig") or {}).get("LogGroup")
    return str(group) if group else None


def apply() -> None:
    original = LambdaFunction.__dict__["create_from_cloudformation_json"].__func__

    def create_from_cloudformation_json(
        cls: type[LambdaFunction],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> LambdaFunction:
        function = original(
            cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        group = configured_log_group(cloudformation_json.get("Properties", {}))
        if group:
            function.logs_group_name = group
        return function

    swap.replace(
        LambdaFunction,
        "create_from_cloudformation_json",
        classmethod(create_from_cloudformation_json),
    )
