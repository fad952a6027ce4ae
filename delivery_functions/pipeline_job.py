"""CodePipeline job plumbing shared by the pipeline's Lambda actions.

CodePipeline invokes the function with `{"CodePipeline.job": {"id", "data": {...}}}` and
waits until the function calls PutJobSuccessResult or PutJobFailureResult (CodePipeline
guide, "Invoke an AWS Lambda function in a pipeline"). `run_job` always reports one of the
two, so a crash fails the action at once with a message instead of at its timeout.
"""

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from common.aws import client_config
from common.errors import CustomResourceError, error_code

LOGGER = logging.getLogger(__name__)
# PutJobFailureResult's failureDetails.message allows up to 5000 characters.
FAILURE_MESSAGE_LIMIT = 5000
# PutJobSuccessResult / PutJobFailureResult errors meaning the job takes no result now.
JOB_GONE_CODES = frozenset({"InvalidJobStateException", "JobNotFoundException"})


class ActionError(Exception):
    """A failure whose message is the action's failure message shown in the console."""


@dataclass(frozen=True)
class Job:
    job_id: str
    user_parameters: dict[str, Any]


def parse_job(event: Mapping[str, Any]) -> Job:
    job = event.get("CodePipeline.job")
    if not isinstance(job, Mapping) or not job.get("id"):
        raise ValueError("not a CodePipeline job event: no CodePipeline.job.id")
    configuration = (
        job.get("data", {}).get("actionConfiguration", {}).get("configuration", {}) or {}
    )
    text = configuration.get("UserParameters") or "{}"
    try:
        parameters = json.loads(text)
    except json.JSONDecodeError as error:
        raise ActionError(
            f"UserParameters is not JSON ({error.msg} at character {error.pos}); fix the "
            "action configuration in the pipeline"
        ) from error
    if not isinstance(parameters, dict):
        raise ActionError("UserParameters must be a JSON object")
    return Job(job_id=str(job["id"]), user_parameters=parameters)


def required_parameter(parameters: Mapping[str, Any], name: str) -> str:
    value = parameters.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ActionError(f"UserParameters.{name} is missing or empty; set it in the action")
    if value.startswith("#{"):
        raise ActionError(
            f"UserParameters.{name} is the unresolved variable {value}; the action that "
            "produces it did not run or has another namespace"
        )
    return value.strip()


def codepipeline_client() -> Any:
    return boto3.client("codepipeline", config=client_config())


def run_job(
    event: Mapping[str, Any], work: Callable[[Job], dict[str, str]], client: Any = None
) -> None:
    """Run `work(job)` and report its output variables, or its failure, to CodePipeline."""
    job_id = str((event.get("CodePipeline.job") or {}).get("id") or "")
    if not job_id:
        raise ValueError("not a CodePipeline job event: no CodePipeline.job.id")
    client = client or codepipeline_client()
    try:
        variables = work(parse_job(event))
    except (ActionError, CustomResourceError) as error:
        report_failure(client, job_id, str(error))
        return
    except Exception as error:  # report it, or CodePipeline waits for the timeout
        LOGGER.exception("unexpected failure")
        report_failure(client, job_id, f"unexpected {type(error).__name__}: {error}")
        return
    try:
        client.put_job_success_result(jobId=job_id, outputVariables=variables)
    except (ClientError, BotoCoreError) as error:
        # Refused (output variables too large, invalid, throttled past the retries): the
        # action must still end, with the reason, not wait for its timeout.
        if job_gone(job_id, error):
            return
        report_failure(
            client,
            job_id,
            f"the action's work finished but codepipeline:PutJobSuccessResult refused its "
            f"result ({error}); retry the action",
        )


def job_gone(job_id: str, error: Exception) -> bool:
    """The job no longer takes a result (it timed out, or another attempt reported):
    nothing to report, and raising would only make Lambda run the work again."""
    if isinstance(error, ClientError) and error_code(error) in JOB_GONE_CODES:
        LOGGER.error("job %s takes no result any more: %s", job_id, error)
        return True
    return False


def report_failure(client: Any, job_id: str, message: str) -> None:
    LOGGER.error("job %s failed: %s", job_id, message)
    try:
        client.put_job_failure_result(
            jobId=job_id,
            failureDetails={"type": "JobFailed", "message": message[:FAILURE_MESSAGE_LIMIT]},
        )
    except (ClientError, BotoCoreError) as error:
        if job_gone(job_id, error):
            return
        LOGGER.exception("could not report the failure; the action fails at its timeout")
        raise
