"""Lambda entry of the pipeline's staging test action (wiring only; logic in checks.py).

Template settings: Runtime python3.13, Handler `handler.handler`, Timeout 420 s: up to six
sequential AWS calls and the job result, bounded at 24 s each (common.aws), and three
sample requests of at most 72 s each (common.aws.inference_client_config: the model may
take 60 s to answer, and a request is sent once).
"""

from typing import Any

import checks
import pipeline_job


def handler(event: dict[str, Any], context: Any) -> None:
    pipeline_job.run_job(event, checks.test_job)
