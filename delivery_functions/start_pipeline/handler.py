"""Lambda entry of the approval trigger (wiring only; logic in starter.py).

Environment: DRIFTGATE_DELIVERY_PIPELINE, DRIFTGATE_MODEL_PACKAGE_GROUP. Timeout 60 s (one
CodePipeline call bounded at 24 s). A failure raises, so EventBridge's asynchronous
invocation is retried; the event id makes the retries start one execution only.
"""

import os
from typing import Any

import starter


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    return starter.start_for_event(
        event,
        pipeline_name=os.environ["DRIFTGATE_DELIVERY_PIPELINE"],
        group_name=os.environ["DRIFTGATE_MODEL_PACKAGE_GROUP"],
    )
