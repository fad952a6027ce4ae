"""moto runs every Lambda invocation in Docker (``LambdaFunction._invoke_lambda``), also for
custom resources, and ``{"lambda": {"use_docker": false}}`` does not change that path.
There is no Docker here: run the uploaded zip's handler in this process instead."""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import LambdaFunction

from scripts.emulator import config, runtime
from scripts.emulator.patches import swap


def function_environment(function: LambdaFunction, endpoint_url: str) -> dict[str, str]:
    """The variables the Lambda runtime sets, plus the function's own and the emulator's."""
    variables = {
        "AWS_REGION": function.region,
        "AWS_DEFAULT_REGION": function.region,
        "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_ENDPOINT_URL": endpoint_url,
    }
    variables.update({key: str(value) for key, value in function.environment_vars.items()})
    return variables


def invoke(
    function: LambdaFunction, event: dict[str, Any], endpoint_url: str
) -> runtime.Invocation:
    """Invoke ``function`` with ``event`` in process and keep its log like Lambda would."""
    folder = runtime.unpack(function.code_bytes, function.code_sha_256)
    context = runtime.LambdaContext(
        function.function_name,
        function.function_arn,
        int(function.memory_size or 128),
        int(function.timeout or 3),
    )
    context.log_group_name = function.logs_group_name  # LoggingConfig's group, if set
    result = runtime.run_handler(
        folder, function.handler, event, context, function_environment(function, endpoint_url)
    )
    function.logs_backend.ensure_log_group(function.logs_group_name)
    function.save_logs(result.logs + ("\n" + result.payload if result.errored else ""))
    return result


def apply() -> None:
    def _invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        result = invoke(self, event if isinstance(event, dict) else {}, config.endpoint_url)
        return result.payload, result.errored, result.logs

    swap.replace(LambdaFunction, "_invoke_lambda", _invoke_lambda)
