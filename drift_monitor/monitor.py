"""One monitoring run end to end: read the baseline, profile the window's capture files,
evaluate, write the outputs, publish metrics and the violations event."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from drift_monitor.baseline import build_baseline_from_columns, read_dataset
from drift_monitor.baseline_model import Baseline, BaselineError, load_baseline
from drift_monitor.capture import CaptureParser
from drift_monitor.evaluate import Evaluation, evaluate
from drift_monitor.profile import WindowProfile
from drift_monitor.publish import (
    RunCounts,
    feature_metrics,
    put_metrics,
    put_violation_event,
    run_metrics,
)
from drift_monitor.report import ReportContext, render_report
from drift_monitor.storage import Storage, join
from drift_monitor.window import Window, hour_prefixes

Progress = Callable[[int, int, int], None]  # files done, files total, rows so far
# Seconds per phase of one run (``baseline_s``, ``list_s``, ``parse_s``, ``evaluate_s``,
# ``report_s``, ``outputs_s``), filled when a caller passes one: the benchmark shows
# where a window's time goes.
Phases = dict[str, float]

STATISTICS_FILE = "statistics.json"
VIOLATIONS_FILE = "constraint_violations.json"
REPORT_FILE = "report.html"
SUMMARY_FILE = "driftgate_summary.json"


@dataclass
class Publisher:
    """Where a run publishes: CloudWatch metrics and, on violations, an EventBridge event."""

    cloudwatch: Any
    events: Any
    namespace: str = "driftgate/Endpoints/data-metrics"
    event_bus: str = "default"


@dataclass
class MonitorResult:
    status: str  # "completed" or "insufficient_data"
    window: Window | None
    profile: WindowProfile
    evaluation: Evaluation
    output_uri: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    emit_metrics: bool = True  # the baseline's monitoring_config.emit_metrics
    # What the report names besides the summary (capture, baseline, model package).
    report_context: ReportContext = field(default_factory=ReportContext)

    @property
    def violations(self) -> list[dict[str, str]]:
        return self.evaluation.violations


@contextlib.contextmanager
def _timed(phases: Phases | None, name: str) -> Iterator[None]:
    """Adds the block's wall time to ``phases[name]`` (nothing when ``phases`` is None)."""
    began = time.perf_counter()
    try:
        yield
    finally:
        if phases is not None:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - began


def _decode_json(data: bytes) -> Any:
    """JSON by msgspec where it is installed (a few times faster on a baseline's
    thousands of sketch items), else, or where msgspec refuses the text (``NaN``,
    integers past 64 bits, which Python's reader accepts), by the standard library."""
    try:
        import msgspec
    except ImportError:  # a baseline-only environment
        return json.loads(data)
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError:
        return json.loads(data)


def _json_object(data: bytes, uri: str, what: str) -> dict[str, Any]:
    try:
        document = _decode_json(data)
    except ValueError as exc:
        raise BaselineError(f"{what} {uri} is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise BaselineError(f"{what} {uri} is not a JSON object")
    return document


# The last baseline this process parsed, keyed by the two files' exact bytes. A warm
# Lambda keeps module state between invocations, and a schedule reads the same baseline
# every run: the files are still read every run (a changed baseline is never missed),
# only the parse of identical bytes is skipped. Each run gets its own copy
# (Baseline.copy: nothing mutable shared), so nothing a run or its caller does to its
# baseline can reach the next run. A run itself changes nothing in it (a window's
# accumulators read the baseline's edges, never write them).
_parsed_baseline: tuple[bytes, bytes, Baseline] | None = None


def load_baseline_files(statistics_uri: str, constraints_uri: str, storage: Storage) -> Baseline:
    global _parsed_baseline
    statistics = storage.read_bytes(statistics_uri)
    constraints = storage.read_bytes(constraints_uri)
    cached = _parsed_baseline
    if cached is not None and cached[0] == statistics and cached[1] == constraints:
        return cached[2].copy()
    baseline = load_baseline(
        _json_object(statistics, statistics_uri, "baseline statistics"),
        _json_object(constraints, constraints_uri, "baseline constraints"),
    )
    _parsed_baseline = (statistics, constraints, baseline.copy())
    return baseline


def capture_files(capture_uri: str, window: Window | None, storage: Storage) -> list[str]:
    """Files of the window's hour folders, or every file under ``capture_uri``."""
    return [uri for uri, _ in capture_sizes(capture_uri, window, storage)]


def capture_sizes(
    capture_uri: str, window: Window | None, storage: Storage
) -> list[tuple[str, int]]:
    """(URI, bytes) of the files :func:`capture_files` lists."""
    if window is None:
        return storage.list_sizes(capture_uri)
    files: list[tuple[str, int]] = []
    for prefix in hour_prefixes(window):
        files.extend(storage.list_sizes(join(capture_uri, prefix)))
    return files


def profile_window(
    baseline: Baseline,
    files: list[str],
    storage: Storage,
    window: Window | None = None,
    progress: Progress | None = None,
) -> WindowProfile:
    profile = WindowProfile.for_baseline(baseline)
    start = window.start_iso[:19] if window else None
    end = window.end_iso[:19] if window else None
    parser = CaptureParser(profile, start, end)
    for done, uri in enumerate(files, start=1):
        parser.feed_chunks(storage.iter_chunks(uri))
        if progress:
            progress(done, len(files), profile.rows)
    return profile


def run_monitor(
    capture: str,
    baseline_statistics: str,
    baseline_constraints: str,
    output: str | None = None,
    *,
    window: Window | None = None,
    distance: str = "model-monitor",
    threshold: float | None = None,
    min_records: int = 1,
    endpoint: str = "",
    schedule: str = "",
    publisher: Publisher | None = None,
    kms_key: str | None = None,
    storage: Storage | None = None,
    progress: Progress | None = None,
    report_context: ReportContext | None = None,
    latest: str | None = None,
    phases: Phases | None = None,
) -> MonitorResult:
    """Analyse the capture under ``capture`` (a window of it when ``window`` is given)."""
    storage = storage or Storage()
    with _timed(phases, "baseline_s"):
        baseline = load_baseline_files(baseline_statistics, baseline_constraints, storage)
    with _timed(phases, "list_s"):
        files = capture_files(capture, window, storage)
    with _timed(phases, "parse_s"):
        profile = profile_window(baseline, files, storage, window, progress)
    return finish_run(
        baseline,
        profile,
        output,
        window=window,
        distance=distance,
        threshold=threshold,
        min_records=min_records,
        endpoint=endpoint,
        schedule=schedule,
        publisher=publisher,
        kms_key=kms_key,
        storage=storage,
        extra={"files": len(files)},
        report_context=replace(
            report_context or ReportContext(),
            capture_uri=capture,
            baseline_statistics_uri=baseline_statistics,
            baseline_constraints_uri=baseline_constraints,
        ),
        latest=latest,
        phases=phases,
    )


def finish_run(
    baseline: Baseline,
    profile: WindowProfile,
    output: str | None,
    *,
    window: Window | None = None,
    distance: str = "model-monitor",
    threshold: float | None = None,
    min_records: int = 1,
    endpoint: str = "",
    schedule: str = "",
    publisher: Publisher | None = None,
    kms_key: str | None = None,
    storage: Storage | None = None,
    extra: dict[str, Any] | None = None,
    report_context: ReportContext | None = None,
    latest: str | None = None,
    phases: Phases | None = None,
) -> MonitorResult:
    """Evaluate a (possibly merged) window profile, write outputs and publish.

    ``latest``: a folder that also receives the report and summary (a fixed place the
    dashboard links to; the scheduled run passes ``<output>/<schedule>/latest``).
    """
    storage = storage or Storage()
    # Rows rejected for their column count are evidence too: a window whose every row
    # has an extra column is a schema violation, not a window with too little data.
    shape_errors = sum(profile.malformed.get(k, 0) for k in ("too_few_columns", "too_many_columns"))
    insufficient = profile.rows + shape_errors < max(min_records, 1)
    with _timed(phases, "evaluate_s"):
        evaluation = evaluate(baseline, profile, distance, threshold)
    if insufficient:
        evaluation.violations = []
    status = "insufficient_data" if insufficient else "completed"
    summary: dict[str, Any] = {
        "status": status,
        "endpoint": endpoint,
        "schedule": schedule,
        "window_start": window.start_iso if window else None,
        "window_end": window.end_iso if window else None,
        "records": profile.records,
        "rows_analysed": profile.rows,
        "min_records": min_records,
        "malformed": dict(sorted(profile.malformed.items())),
        "malformed_total": profile.malformed_total,
        "violations": len(evaluation.violations),
        "distance": distance,
        "warnings": evaluation.warnings,
        **(extra or {}),
    }
    result = MonitorResult(
        status,
        window,
        profile,
        evaluation,
        output,
        summary,
        baseline.config.emit_metrics,
        report_context or ReportContext(),
    )
    report_uri = join(output, REPORT_FILE) if output else None
    summary["report_uri"] = report_uri
    if output:
        write_outputs(storage, output, result, kms_key, latest, phases)
    if publisher:
        publish_run(publisher, result, endpoint, schedule, report_uri)
    return result


def _dump(document: Any, indent: int | None = 2) -> bytes:
    text = json.dumps(document, indent=indent, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def _dump_compact(document: Any) -> bytes:
    """Compact JSON, by msgspec (a window's statistics hold 16,000 sketch items: the
    standard library takes ~6 ms on them, msgspec under 1; msgspec is wherever capture
    is parsed, the standard library is the fallback elsewhere). msgspec would write a
    non-finite float as null where the standard library refuses it; statistics.json
    holds none (its floats go through statistics._round)."""
    try:
        import msgspec
    except ImportError:
        return _dump(document, None)
    # One line of JSON lines: the text and its newline in one buffer, not a second copy
    # of ~250 kB to append the newline.
    return msgspec.json.Encoder().encode_lines((document,))


def write_outputs(
    storage: Storage,
    output: str,
    result: MonitorResult,
    kms_key: str | None,
    latest: str | None = None,
    phases: Phases | None = None,
) -> None:
    """Deterministic bytes: re-running a window rewrites identical files. The report
    and summary are also copied under ``latest`` when given."""
    ev = result.evaluation
    with _timed(phases, "report_s"):
        report = render_report(
            result.summary,
            ev.violations,
            ev.features,
            result.report_context,
            result.profile.examples,
        ).encode("utf-8")
    with _timed(phases, "outputs_s"):
        _write_files(storage, output, result, report, kms_key, latest)


def _write_files(
    storage: Storage,
    output: str,
    result: MonitorResult,
    report: bytes,
    kms_key: str | None,
    latest: str | None,
) -> None:
    ev = result.evaluation
    files = {
        # Compact: thousands of sketch items per feature.
        STATISTICS_FILE: (_dump_compact(ev.statistics), "application/json"),
        VIOLATIONS_FILE: (_dump({"violations": ev.violations}), "application/json"),
        SUMMARY_FILE: (_dump(result.summary), "application/json"),
        REPORT_FILE: (report, "text/html; charset=utf-8"),
    }
    for name, (data, content_type) in files.items():
        storage.write_bytes(join(output, name), data, content_type, kms_key)
    if latest:
        for name in (REPORT_FILE, SUMMARY_FILE):
            data, content_type = files[name]
            storage.write_bytes(join(latest, name), data, content_type, kms_key)


def publish_run(
    publisher: Publisher,
    result: MonitorResult,
    endpoint: str,
    schedule: str,
    report_uri: str | None,
) -> None:
    profile = result.profile
    insufficient = result.status == "insufficient_data"
    metrics = run_metrics(
        RunCounts(
            records=profile.rows,
            malformed=profile.malformed_total,
            violations=len(result.violations),
            insufficient=insufficient,
        )
    )
    if not insufficient:
        # Each feature carries emit_metrics with its overrides applied (a feature may
        # turn it on or off against the global setting).
        metrics = feature_metrics(result.evaluation.features) + metrics
    timestamp = result.window.end if result.window else datetime.now().astimezone()
    put_metrics(publisher.cloudwatch, publisher.namespace, endpoint, schedule, timestamp, metrics)
    if result.violations:
        put_violation_event(
            publisher.events,
            publisher.event_bus,
            {
                "endpoint": endpoint,
                "schedule": schedule,
                "window_start": result.window.start_iso if result.window else None,
                "window_end": result.window.end_iso if result.window else None,
                "violations": result.violations,
                "report_uri": report_uri,
            },
        )


def publish_run_error(publisher: Publisher, endpoint: str, schedule: str, window: Window) -> None:
    """``driftgate_run_errors`` = 1 for the window (a failed Lambda run or Processing job)."""
    counts = RunCounts(records=0, malformed=0, violations=0, insufficient=False, errors=1)
    error = [m for m in run_metrics(counts) if m["MetricName"] == "driftgate_run_errors"]
    args = (publisher.cloudwatch, publisher.namespace, endpoint, schedule)
    if not put_metrics(*args, window.end, error):
        # A failed re-run of a window older than CloudWatch takes is still counted, now.
        put_metrics(*args, datetime.now(UTC), error)


def build_baseline(
    input_uri: str,
    output: str | None = None,
    *,
    header: bool = False,
    fmt: str | None = None,
    storage: Storage | None = None,
    kms_key: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """statistics.json and constraints.json of a dataset; written under ``output`` if given."""
    storage = storage or Storage()
    if fmt is None:
        fmt = "jsonl" if input_uri.endswith((".jsonl", ".json", ".jsonlines")) else "csv"
    text = storage.read_bytes(input_uri).decode("utf-8-sig")
    names, columns = read_dataset(text, fmt, header)
    statistics, constraints = build_baseline_from_columns(names, columns)
    if output:
        storage.write_bytes(
            join(output, STATISTICS_FILE), _dump(statistics), "application/json", kms_key
        )
        storage.write_bytes(
            join(output, "constraints.json"), _dump(constraints), "application/json", kms_key
        )
    return statistics, constraints
