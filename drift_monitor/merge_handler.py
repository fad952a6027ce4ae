"""Lambda entry for the end of a window's Processing job (EventBridge "SageMaker
Processing Job State Change", source ``aws.sagemaker``).

Completed: merge the shards' states, evaluate the window, write its files and publish
its metrics and violations event, exactly as the scheduled Lambda does for a window it
analyses itself (the same ``finish_run``). Failed or Stopped: publish
``driftgate_run_errors`` for the window, which the run-errors alarm sends to the topic.

The job is read back with DescribeProcessingJob (its Environment says the window and
where everything is), not from the event: SageMaker may send several events for one
change, and the merge runs once per job (``driftgate_merged.json`` in the window's
output folder records it; a repeated event is a no-op).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import boto3

from drift_monitor.merge import merge_job
from drift_monitor.monitor import Publisher
from drift_monitor.storage import RETRY_CONFIG, Storage

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    detail = event.get("detail") or {}
    name = detail.get("ProcessingJobName")
    if not name:
        raise ValueError(f"not a Processing Job State Change event: {json.dumps(event)[:300]}")
    env = os.environ
    publisher = Publisher(
        cloudwatch=boto3.client("cloudwatch", config=RETRY_CONFIG),
        events=boto3.client("events", config=RETRY_CONFIG),
        namespace=env.get("DRIFTGATE_METRICS_NAMESPACE", "driftgate/Endpoints/data-metrics"),
        event_bus=env.get("DRIFTGATE_EVENT_BUS_NAME", "default"),
    )
    sagemaker = boto3.client("sagemaker", config=RETRY_CONFIG)
    job = sagemaker.describe_processing_job(ProcessingJobName=name)
    summary = merge_job(
        job,
        Storage(boto3.client("s3", config=RETRY_CONFIG)),
        publisher,
        kms_key=env.get("DRIFTGATE_KMS_KEY_ARN", "").strip() or None,
    )  # a merge that raises has published driftgate_run_errors; Lambda retries it
    logger.info("driftgate merge %s", summary)
    return summary
