"""The scheduled run: configuration from the environment (CONTRIBUTING.md, "Drift
monitor"), the window (the previous period, or ``window_end`` from the event) and the
output location ``<DRIFTGATE_OUTPUT_S3_URI>/<schedule>/yyyy/mm/dd/hh/``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from drift_monitor.monitor import (
    MonitorResult,
    Publisher,
    capture_sizes,
    publish_run_error,
    run_monitor,
)
from drift_monitor.processing_launch import (
    MAX_ATTEMPTS,
    MERGE_CAPTURE_KEY,
    MERGE_LATEST_KEY,
    MERGE_PACKAGE_ARN_KEY,
    MERGE_PACKAGE_VERSION_KEY,
    MERGE_PERIOD_KEY,
    ProcessingConfig,
    job_name,
    manifest,
    processing_request,
    read_claim,
    write_claim,
)
from drift_monitor.report import ReportContext
from drift_monitor.routing import DEFAULT_BYTES_PER_SECOND, LAMBDA, PROCESSING, Route, plan_route
from drift_monitor.storage import Storage, join
from drift_monitor.window import (
    Window,
    iso,
    output_folder,
    parse_time,
    previous_window,
    window_ending,
)

LOGGER = logging.getLogger(__name__)
# The longest a Lambda invocation can run (Lambda quotas: 900 s timeout) and a margin: a
# Lambda claim older than this whose run neither finished nor failed was stopped.
LAMBDA_LIFETIME_S = 960


class ConfigError(ValueError):
    """A required environment variable is missing or invalid."""


def code_bundle_uri(uri: str) -> str:
    """The Processing code: one .zip object (``python3 <bundle>.zip`` runs it), named
    by its full key, so the container finds it under that file name."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not uri.startswith("s3://") or not bucket or not key.endswith(".zip"):
        raise ConfigError(
            "DRIFTGATE_PROCESSING_CODE_S3_URI must be the s3://bucket/key of the "
            f"drift_monitor_processing bundle (a .zip), got {uri!r}"
        )
    return uri


# Window lengths of the schedules monitoring.yml offers: every 15 minutes, hourly, daily.
SCHEDULE_PERIODS = (15, 60, 1440)
# <output>/<schedule>/latest/ holds the last scheduled run's report and summary.
LATEST_FOLDER = "latest"


@dataclass(frozen=True)
class ScheduledConfig:
    endpoint: str
    variant: str
    schedule: str
    capture_uri: str
    statistics_uri: str
    constraints_uri: str
    output_uri: str
    period_minutes: int = 60
    namespace: str = "driftgate/Endpoints/data-metrics"
    event_bus: str = "default"
    min_records: int = 1
    kms_key: str | None = None
    # Named in the report only: the stage knows them, the monitor does not.
    model_package_arn: str = ""
    model_package_version: str = ""
    processing: ProcessingConfig | None = None  # None: every window runs in the Lambda
    bytes_per_second: float = DEFAULT_BYTES_PER_SECOND

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ScheduledConfig:
        def need(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise ConfigError(f"environment variable {name} is required")
            return value

        def integer(name: str, default: int) -> int:
            raw = env.get(name, "").strip()
            try:
                return int(raw) if raw else default
            except ValueError as exc:
                raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc

        period = integer("DRIFTGATE_PERIOD_MINUTES", 60)
        if period not in SCHEDULE_PERIODS:
            raise ConfigError(
                f"DRIFTGATE_PERIOD_MINUTES must be 15, 60 or 1440 (the every-15-minutes,"
                f" hourly and daily schedules), got {period}"
            )
        max_instances = integer("DRIFTGATE_PROCESSING_MAX_INSTANCES", 0)
        processing = None
        if max_instances > 0:
            processing = ProcessingConfig(
                role_arn=need("DRIFTGATE_PROCESSING_ROLE_ARN"),
                image_uri=need("DRIFTGATE_PROCESSING_IMAGE_URI"),
                instance_type=need("DRIFTGATE_PROCESSING_INSTANCE_TYPE"),
                max_instances=max_instances,
                code_uri=code_bundle_uri(need("DRIFTGATE_PROCESSING_CODE_S3_URI")),
                kms_key=env.get("DRIFTGATE_KMS_KEY_ARN", "").strip() or None,
            )
        rate = integer("DRIFTGATE_BYTES_PER_SECOND", DEFAULT_BYTES_PER_SECOND)
        if rate <= 0:
            raise ConfigError(f"DRIFTGATE_BYTES_PER_SECOND must be positive, got {rate}")
        return cls(
            processing=processing,
            bytes_per_second=rate,
            endpoint=need("DRIFTGATE_ENDPOINT_NAME"),
            variant=env.get("DRIFTGATE_VARIANT_NAME", "").strip() or "AllTraffic",
            schedule=need("DRIFTGATE_SCHEDULE_NAME"),
            capture_uri=need("DRIFTGATE_CAPTURE_S3_URI"),
            statistics_uri=need("DRIFTGATE_BASELINE_STATISTICS_S3_URI"),
            constraints_uri=need("DRIFTGATE_BASELINE_CONSTRAINTS_S3_URI"),
            output_uri=need("DRIFTGATE_OUTPUT_S3_URI"),
            period_minutes=period,
            namespace=env.get("DRIFTGATE_METRICS_NAMESPACE", "").strip()
            or "driftgate/Endpoints/data-metrics",
            event_bus=env.get("DRIFTGATE_EVENT_BUS_NAME", "").strip() or "default",
            min_records=integer("DRIFTGATE_MIN_RECORDS", 1),
            kms_key=env.get("DRIFTGATE_KMS_KEY_ARN", "").strip() or None,
            model_package_arn=env.get("DRIFTGATE_MODEL_PACKAGE_ARN", "").strip(),
            model_package_version=env.get("DRIFTGATE_MODEL_PACKAGE_VERSION", "").strip(),
        )


def scheduled_window(event: Mapping[str, Any] | None, now: datetime, period: int) -> Window:
    """``window_end`` from the event re-runs a past window; otherwise the last period
    before ``scheduled_time`` (EventBridge Scheduler's ``<aws.scheduler.scheduled-time>``)
    or, without it, before ``now``.

    The scheduled time makes a retried or late invocation (Scheduler's RetryPolicy,
    Lambda's asynchronous retries) analyse the window it was scheduled for, not the
    period it happens to run in.
    """
    event = event or {}
    for key in ("window_end", "scheduled_time"):
        value = event.get(key)
        if not value:
            continue
        try:
            moment = parse_time(str(value))
        except ValueError as exc:
            raise ConfigError(f"event {key} is not ISO 8601: {value!r}") from exc
        if key == "window_end":
            return window_ending(moment, period)
        return previous_window(moment, period)
    return previous_window(now, period)


@dataclass
class ProcessingStarted:
    """The window went to a SageMaker Processing job (or one already had it)."""

    job: str
    route: Route | None
    started: bool  # False: a job from an earlier run owns the window
    summary: dict[str, Any] = field(default_factory=dict)


def lambda_attempt_died(claim: dict[str, Any] | None, now: datetime) -> bool:
    """A Lambda claim whose run neither finished nor failed, older than any Lambda can
    run: that invocation was stopped (its timeout, or out of memory) before it could say
    so, and a retry in the Lambda would be stopped the same way."""
    if not claim or claim.get("route") != LAMBDA or "claimed_at" not in claim:
        return False
    if claim.get("finished") or claim.get("failed"):
        return False
    return (now - parse_time(str(claim["claimed_at"]))).total_seconds() > LAMBDA_LIFETIME_S


def run_scheduled(
    config: ScheduledConfig,
    window: Window,
    storage: Storage,
    publisher: Publisher,
    update_latest: bool = True,
    sagemaker: Any = None,
    timeout_s: float = 900.0,
    now: datetime | None = None,
) -> MonitorResult | ProcessingStarted:
    """Analyse the window here, or start (at most once) the Processing job that will.

    ``update_latest``: copy the report and summary to ``<schedule>/latest/`` (not for
    a re-run of a past window, which would replace the newest one with an older).
    A window whose Lambda run was stopped before it finished or failed (its claim says
    neither, long after it was taken) goes to Processing when that is configured."""
    now = now or datetime.now(UTC)
    output = join(config.output_uri, config.schedule, output_folder(window))
    capture = join(config.capture_uri, config.endpoint, config.variant)
    claim: dict[str, Any] | None = None
    try:
        claim = read_claim(storage, output)
        latest = join(config.output_uri, config.schedule, LATEST_FOLDER) if update_latest else None
        if claim and claim.get("route") == PROCESSING and config.processing:
            return _resume(config, window, storage, sagemaker, output, claim, latest)
        died = config.processing is not None and lambda_attempt_died(claim, now)
        if died or not claim or claim.get("route") != LAMBDA:
            sized = capture_sizes(capture, window, storage)
            route = plan_route(
                sum(size for _, size in sized),
                len(sized),
                0.0 if died else timeout_s,  # no time left in a Lambda: Processing
                config.processing.max_instances if config.processing else 0,
                config.bytes_per_second,
            )
            if route.target == PROCESSING:
                files = [uri for uri, _ in sized]
                return _start(config, window, storage, sagemaker, output, route, files, 1, latest)
            taken = {"route": LAMBDA, **route.as_dict()}
        else:  # a retry or re-run in the Lambda: this attempt's own time and outcome
            taken = {k: v for k, v in claim.items() if k not in ("finished", "failed")}
        claim = {**taken, "claimed_at": iso(now)}
        write_claim(storage, output, claim, config.kms_key)
        try:
            result = _run_in_lambda(config, window, storage, publisher, capture, output, latest)
        except Exception as error:
            # A Lambda run that failed says so: its retry runs in the Lambda again.
            _mark_claim(storage, output, claim, config.kms_key, failed=type(error).__name__)
            raise
        _mark_claim(storage, output, claim, config.kms_key, finished=True)
        return result
    except Exception:
        # The failed run is still visible on the dashboard and can be alarmed on.
        publish_run_error(publisher, config.endpoint, config.schedule, window)
        raise


def _run_in_lambda(
    config: ScheduledConfig,
    window: Window,
    storage: Storage,
    publisher: Publisher,
    capture: str,
    output: str,
    latest: str | None,
) -> MonitorResult:
    return run_monitor(
        capture,
        config.statistics_uri,
        config.constraints_uri,
        output,
        window=window,
        min_records=config.min_records,
        endpoint=config.endpoint,
        schedule=config.schedule,
        publisher=publisher,
        kms_key=config.kms_key,
        storage=storage,
        report_context=ReportContext(
            model_package_arn=config.model_package_arn,
            model_package_version=config.model_package_version,
            period_minutes=config.period_minutes,
        ),
        latest=latest,
    )


def _mark_claim(
    storage: Storage, output: str, claim: dict[str, Any] | None, kms: str | None, **marks: Any
) -> None:
    """Record how the Lambda run of a claimed window ended (best effort: an unmarked
    claim only means a later retry may take the window to Processing)."""
    if not claim or claim.get("route") != LAMBDA:
        return
    try:
        write_claim(storage, output, {**claim, **marks}, kms)
    except Exception:  # the run's own outcome matters more than its note
        LOGGER.exception("could not record the run's end in its claim")


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _start(
    config: ScheduledConfig,
    window: Window,
    storage: Storage,
    sagemaker: Any,
    output: str,
    route: Route,
    files: list[str],
    attempt: int,
    latest: str | None,
) -> ProcessingStarted:
    assert config.processing is not None  # routed to Processing only when configured
    name = job_name(config.schedule, window, attempt)
    request = processing_request(
        config.processing,
        name=name,
        window=window,
        route=route,
        output=output,
        statistics_uri=config.statistics_uri,
        constraints_uri=config.constraints_uri,
        endpoint=config.endpoint,
        schedule=config.schedule,
        min_records=config.min_records,
        # What finish_run needs besides the states, for the same files as the Lambda path.
        merge_env={
            MERGE_CAPTURE_KEY: join(config.capture_uri, config.endpoint, config.variant),
            MERGE_LATEST_KEY: latest or "",
            MERGE_PERIOD_KEY: str(config.period_minutes),
            MERGE_PACKAGE_ARN_KEY: config.model_package_arn,
            MERGE_PACKAGE_VERSION_KEY: config.model_package_version,
        },
    )
    work = join(output, "processing", name)
    kms = config.kms_key
    storage.write_bytes(join(work, "manifest.json"), manifest(files), "application/json", kms)
    # The claim comes first: a run that sees it never starts a second analysis.
    claim = {"route": PROCESSING, "job": name, "attempt": attempt, **route.as_dict()}
    write_claim(storage, output, claim, config.kms_key)
    started = True
    try:
        sagemaker.create_processing_job(**request)
    except ClientError as exc:
        code = _error_code(exc)
        if code == "ResourceLimitExceeded":
            # New accounts may have a quota of 0 for an instance type: every retry would
            # fail the same way, so say what to change.
            raise RuntimeError(
                f"SageMaker refused Processing job {name} ({route.instances} x "
                f"{config.processing.instance_type}): {exc.response['Error'].get('Message')}; "
                f"raise the quota '{config.processing.instance_type} for processing job "
                f"usage' to at least {route.instances} in Service Quotas; the window stays "
                "claimed and the next run retries it"
            ) from exc
        if code != "ResourceInUse":  # the same name: a concurrent run won
            raise
        started = False
    return ProcessingStarted(name, route, started, {"status": "processing", **claim})


def _resume(
    config: ScheduledConfig,
    window: Window,
    storage: Storage,
    sagemaker: Any,
    output: str,
    claim: dict[str, Any],
    latest: str | None,
) -> ProcessingStarted:
    """A run for a window a job already claimed: nothing to do while that job runs or
    after it completed; after it failed or stopped, the next attempt (a re-run)."""
    name, attempt = str(claim["job"]), int(claim.get("attempt", 1))
    try:
        status = sagemaker.describe_processing_job(ProcessingJobName=name)["ProcessingJobStatus"]
    except ClientError as exc:
        if _error_code(exc) not in ("ResourceNotFound", "ValidationException"):
            raise
        status = "NotStarted"  # the claim was written, the job never created
    if status in ("InProgress", "Completed", "Stopping"):
        summary = {"status": "processing", "job_status": status, **claim}
        return ProcessingStarted(name, None, False, summary)
    next_attempt = attempt if status == "NotStarted" else attempt + 1
    if next_attempt > MAX_ATTEMPTS:
        raise RuntimeError(
            f"window {window.start_iso}..{window.end_iso}: Processing job {name} {status}, "
            f"and {MAX_ATTEMPTS} attempts are spent; re-run it with a new window_end event "
            f"after deleting {join(output, 'driftgate_route.json')}"
        )
    sized = capture_sizes(
        join(config.capture_uri, config.endpoint, config.variant), window, storage
    )
    route = Route(
        PROCESSING,
        float(claim.get("estimated_s", 0.0)),
        max(1, min(int(claim.get("instances", 1)), len(sized) or 1)),
        sum(size for _, size in sized),
        len(sized),
    )
    files = [uri for uri, _ in sized]
    return _start(config, window, storage, sagemaker, output, route, files, next_attempt, latest)
