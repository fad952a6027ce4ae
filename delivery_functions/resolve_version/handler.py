"""Lambda entry of the pipeline's Resolve action (wiring only; logic in resolve.py).

Template settings: Runtime python3.13, Handler `handler.handler`, Timeout 300 s (at most
five SageMaker calls (package_lookup's paged approved listing and a describe) and one job
result, each bounded at 24 s by common.aws, and the delete of a stage stack left in
ROLLBACK_COMPLETE, waited for up to 30 s before the end).
"""

from typing import Any

import pipeline_job
import resolve


def handler(event: dict[str, Any], context: Any) -> None:
    location = resolve.package_lookup.function_location(context.invoked_function_arn)
    pipeline_job.run_job(
        event,
        lambda job: resolve.resolve_job(
            job, location, remaining_ms=context.get_remaining_time_in_millis
        ),
    )
