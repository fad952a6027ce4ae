"""The scheduled run: configuration from the environment (CONTRIBUTING.md, "Drift
monitor"), the window (the previous period, or ``window_end`` from the event) and the
output location ``<DRIFTGATE_OUTPUT_S3_URI>/<schedule>/yyyy/mm/dd/hh/``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drift_monitor.monitor import MonitorResult, Publisher, run_monitor
from drift_monitor.publish import RunCounts, put_metrics, run_metrics
from drift_monitor.report import ReportContext
from drift_monitor.storage import Storage, join
from drift_monitor.window import Window, output_folder, parse_time, previous_window, window_ending


class ConfigError(ValueError):
    """A required environment variable is missing or invalid."""


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
        return cls(
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


def run_scheduled(
    config: ScheduledConfig,
    window: Window,
    storage: Storage,
    publisher: Publisher,
    update_latest: bool = True,
) -> MonitorResult:
    """``update_latest``: copy the report and summary to ``<schedule>/latest/`` (not for
    a re-run of a past window, which would replace the newest one with an older)."""
    output = join(config.output_uri, config.schedule, output_folder(window))
    try:
        return run_monitor(
            join(config.capture_uri, config.endpoint, config.variant),
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
            latest=join(config.output_uri, config.schedule, LATEST_FOLDER)
            if update_latest
            else None,
        )
    except Exception:
        # The failed run is still visible on the dashboard and can be alarmed on.
        counts = RunCounts(records=0, malformed=0, violations=0, insufficient=False, errors=1)
        put_metrics(
            publisher.cloudwatch,
            config.namespace,
            config.endpoint,
            config.schedule,
            window.end,
            [m for m in run_metrics(counts) if m["MetricName"] == "driftgate_run_errors"],
        )
        raise
