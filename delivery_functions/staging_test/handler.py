"""Lambda entry of the pipeline's staging test action (wiring only; logic in checks.py).

Template settings: Runtime python3.13, Handler `handler.handler`, Timeout 300 s: about ten
sequential AWS calls bounded at 24 s each (common.aws) plus the sample requests.
"""

from typing import Any

import checks
import pipeline_job


def handler(event: dict[str, Any], context: Any) -> None:
    pipeline_job.run_job(event, checks.test_job)
