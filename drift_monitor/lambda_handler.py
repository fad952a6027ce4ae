"""Lambda entry for the scheduled invocation (EventBridge Scheduler)."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from typing import Any

import boto3

from drift_monitor.monitor import MonitorResult, Publisher
from drift_monitor.scheduled import ScheduledConfig, run_scheduled, scheduled_window
from drift_monitor.storage import RETRY_CONFIG, Storage

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    config = ScheduledConfig.from_env(os.environ)
    window = scheduled_window(event, datetime.now(UTC), config.period_minutes)
    publisher = Publisher(
        cloudwatch=boto3.client("cloudwatch", config=RETRY_CONFIG),
        events=boto3.client("events", config=RETRY_CONFIG),
        namespace=config.namespace,
        event_bus=config.event_bus,
    )
    sagemaker = boto3.client("sagemaker", config=RETRY_CONFIG) if config.processing else None
    # The time this invocation has: the routing decision's budget.
    timeout_s = context.get_remaining_time_in_millis() / 1000 if context else 900.0
    # A re-run of a past window (window_end) leaves the dashboard's latest report alone.
    rerun = bool((event or {}).get("window_end"))
    result = run_scheduled(
        config,
        window,
        Storage(boto3.client("s3", config=RETRY_CONFIG)),
        publisher,
        update_latest=not rerun,
        sagemaker=sagemaker,
        timeout_s=timeout_s,
    )
    if isinstance(result, MonitorResult):
        for warning in result.summary["warnings"]:
            logger.warning("driftgate warning: %s", warning)
    logger.info("driftgate run %s", result.summary)
    return result.summary
