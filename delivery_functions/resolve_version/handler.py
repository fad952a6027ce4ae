"""Lambda entry of the pipeline's Resolve action (wiring only; logic in resolve.py).

Template settings: Runtime python3.13, Handler `handler.handler`, Timeout 120 s (at most
three SageMaker calls and one job result, each bounded at 24 s by common.aws).
"""

from typing import Any

import pipeline_job
import resolve


def handler(event: dict[str, Any], context: Any) -> None:
    location = resolve.package_lookup.function_location(context.invoked_function_arn)
    pipeline_job.run_job(event, lambda job: resolve.resolve_job(job, location))
