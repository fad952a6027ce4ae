"""What the emulator's CodePipeline and SageMaker APIs hand to the executor.

The API calls arrive on moto's server threads, often from inside a Lambda handler (the
approval trigger, the pipeline's actions); they only record here. The executor, driven
from the caller's thread (`PipelineRunner.run`), acts on the records, so no Lambda is
ever invoked from inside another one's API call.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

LOCK = threading.Lock()


@dataclass
class StartRequest:
    region: str
    pipeline: str
    execution_id: str
    variables: dict[str, str]


@dataclass
class JobResult:
    succeeded: bool
    message: str = ""
    variables: dict[str, str] = field(default_factory=dict)


STARTS: list[StartRequest] = []
# clientRequestToken -> execution id (StartPipelineExecution is idempotent per token).
TOKENS: dict[tuple[str, str, str], str] = {}
JOB_RESULTS: dict[str, JobResult] = {}
# approval token -> (status, summary)
APPROVALS: dict[str, tuple[str, str]] = {}
# Events AWS services would put on the default bus: (region, event).
EVENTS: list[tuple[str, dict[str, Any]]] = []


def reset() -> None:
    with LOCK:
        STARTS.clear()
        TOKENS.clear()
        JOB_RESULTS.clear()
        APPROVALS.clear()
        EVENTS.clear()
