"""Lambda entry of the retrain gate (EventBridge rules invoke it asynchronously).

Thin: configuration from the environment, clients, then gate.decide and gate.publish.
An event the gate cannot act on is published and returned (a retry would not help); a
failed SageMaker call is published and raised so Lambda retries the async invocation
(the request token keeps a retry from starting a second execution).

Timeout 180 s (build.yml): a start makes up to seven calls in a row
(ListPipelineExecutions, ListModelPackages up to package_lookup.APPROVED_PAGES times,
DescribeModelPackage, StartPipelineExecution, sns:Publish), each bounded at 24 s by
common.aws, so the publish is reached even when every call is slow.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from typing import Any

import boto3
from common.aws import client_config
from gate import AwsFault, Config, Decision, GateError, Trigger, classify, decide, publish

LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(logging.INFO)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    config = Config.from_env(os.environ)
    sagemaker = boto3.client("sagemaker", config=client_config())
    sns = boto3.client("sns", config=client_config())
    try:
        decision = decide(event, config, sagemaker, datetime.now(UTC))
    except GateError as error:
        try:
            trigger = classify(event)
        except GateError:
            trigger = Trigger("unknown", str(event.get("id", "")), str(event.get("detail-type")))
        failed = Decision("skipped", f"error: {error}", trigger)
        # Logged first: a failing publish (topic key, throttling) must not hide the cause.
        LOGGER.error("retrain gate: %s", error)
        publish(sns, config.topic_arn, failed)
        if isinstance(error, AwsFault):
            raise  # Lambda retries the async invocation; the request token dedupes
        return failed.message()
    LOGGER.info("retrain gate: %s (%s)", decision.action, decision.reason)
    publish(sns, config.topic_arn, decision)
    return decision.message()
