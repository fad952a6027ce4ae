"""``driftgate-monitor``: build a baseline, run a window, or merge shard states.

Errors a user can fix (missing file, bad JSON, bad arguments) print one line to stderr
and exit with status 2; progress of long runs goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from drift_monitor.baseline import DatasetError
from drift_monitor.baseline_model import BaselineError
from drift_monitor.distances import DISTANCES
from drift_monitor.monitor import (
    Publisher,
    build_baseline,
    capture_files,
    finish_run,
    load_baseline_files,
    profile_window,
)
from drift_monitor.profile import WindowProfile
from drift_monitor.report import ReportContext
from drift_monitor.storage import RETRY_CONFIG, Storage, StorageError
from drift_monitor.window import Window, parse_time

EXIT_USAGE = 2
EXIT_VIOLATIONS = 1


class UsageError(Exception):
    """A problem the user can fix; reported without a traceback."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="driftgate-monitor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("baseline", help="profile a dataset into statistics/constraints")
    b.add_argument("--input", required=True, help="CSV or JSON lines file (path or s3://)")
    b.add_argument("--header", action="store_true", help="the CSV's first line names columns")
    b.add_argument("--format", choices=("csv", "jsonl"), help="default: from the extension")
    b.add_argument("--output-dir", required=True, help="where to write the two files")

    r = sub.add_parser("run", help="compare a window of data capture with a baseline")
    r.add_argument("--capture", required=True, help="<endpoint>/<variant> capture folder")
    _baseline_args(r)
    r.add_argument("--output", required=True, help="output folder (or state file)")
    r.add_argument("--start", help="window start, ISO 8601 (UTC); with --end")
    r.add_argument("--end", help="window end (exclusive), ISO 8601 (UTC); with --start")
    r.add_argument(
        "--state-only",
        action="store_true",
        help="write this shard's mergeable state to --output instead of evaluating",
    )
    _evaluation_args(r)

    m = sub.add_parser("merge", help="merge shard states and evaluate the whole window")
    m.add_argument("--state", action="append", required=True, help="state file or folder")
    _baseline_args(m)
    m.add_argument("--output", required=True, help="output folder")
    m.add_argument("--start", help="window start (recorded in the outputs)")
    m.add_argument("--end", help="window end (recorded in the outputs)")
    _evaluation_args(m)
    return parser


def _baseline_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--baseline-statistics", required=True)
    p.add_argument("--baseline-constraints", required=True)


def _evaluation_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--distance", choices=DISTANCES, default="model-monitor")
    p.add_argument("--threshold", type=float, help="override the constraints' thresholds")
    p.add_argument("--min-records", type=int, default=1, help="fewer rows: skipped window")
    p.add_argument("--endpoint", default="", help="Endpoint metric dimension")
    p.add_argument("--schedule", default="", help="MonitoringSchedule metric dimension")
    p.add_argument("--publish", action="store_true", help="put CloudWatch metrics and event")
    p.add_argument("--namespace", default="driftgate/Endpoints/data-metrics")
    p.add_argument("--event-bus", default="default")
    p.add_argument("--kms-key", help="SSE-KMS key for s3:// outputs")
    p.add_argument("--fail-on-violations", action="store_true", help="exit 1 on violations")
    p.add_argument("--model-package-arn", default="", help="named in the report only")
    p.add_argument("--model-package-version", default="", help="named in the report only")


def _window(args: argparse.Namespace) -> Window | None:
    if bool(args.start) != bool(args.end):
        raise UsageError("give both --start and --end, or neither")
    if not args.start:
        return None
    try:
        window = Window(parse_time(args.start), parse_time(args.end))
    except ValueError as exc:
        raise UsageError(f"bad time: {exc}") from exc
    if window.end <= window.start:
        raise UsageError("--end must be after --start")
    return window


class _Progress:
    """Prints at most every 2 seconds, and the final count."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, done: int, total: int, rows: int) -> None:
        now = time.monotonic()
        if done == total or now - self.last >= 2:
            self.last = now
            print(f"read {done}/{total} files, {rows} rows", file=sys.stderr, flush=True)


def _publisher(args: argparse.Namespace) -> Publisher | None:
    if not args.publish:
        return None
    return Publisher(
        cloudwatch=boto3.client("cloudwatch", config=RETRY_CONFIG),
        events=boto3.client("events", config=RETRY_CONFIG),
        namespace=args.namespace,
        event_bus=args.event_bus,
    )


def _cmd_baseline(args: argparse.Namespace, storage: Storage) -> int:
    statistics, _ = build_baseline(
        args.input, args.output_dir, header=args.header, fmt=args.format, storage=storage
    )
    print(
        f"baseline of {statistics['dataset']['item_count']} rows, "
        f"{len(statistics['features'])} features written to {args.output_dir}",
        file=sys.stderr,
    )
    return 0


def _finish(args: argparse.Namespace, storage: Storage, baseline: Any, profile: Any) -> int:
    result = finish_run(
        baseline,
        profile,
        args.output,
        window=_window(args),
        distance=args.distance,
        threshold=args.threshold,
        min_records=args.min_records,
        endpoint=args.endpoint,
        schedule=args.schedule,
        publisher=_publisher(args),
        kms_key=args.kms_key,
        storage=storage,
        report_context=ReportContext(
            capture_uri=getattr(args, "capture", ""),
            baseline_statistics_uri=args.baseline_statistics,
            baseline_constraints_uri=args.baseline_constraints,
            model_package_arn=args.model_package_arn,
            model_package_version=args.model_package_version,
        ),
    )
    for warning in result.summary["warnings"]:
        print(f"driftgate-monitor: warning: {warning}", file=sys.stderr)
    print(json.dumps(result.summary, indent=2))
    return EXIT_VIOLATIONS if args.fail_on_violations and result.violations else 0


def _cmd_run(args: argparse.Namespace, storage: Storage) -> int:
    window = _window(args)
    baseline = load_baseline_files(args.baseline_statistics, args.baseline_constraints, storage)
    files = capture_files(args.capture, window, storage)
    if not files:
        print(f"no capture files under {args.capture}", file=sys.stderr)
    profile = profile_window(baseline, files, storage, window, _Progress())
    if args.state_only:
        data = json.dumps(profile.to_dict(), sort_keys=True).encode("utf-8")
        storage.write_bytes(args.output, data, "application/json", args.kms_key)
        print(f"state of {profile.rows} rows written to {args.output}", file=sys.stderr)
        return 0
    return _finish(args, storage, baseline, profile)


def _cmd_merge(args: argparse.Namespace, storage: Storage) -> int:
    baseline = load_baseline_files(args.baseline_statistics, args.baseline_constraints, storage)
    merged = WindowProfile.for_baseline(baseline)
    uris = [uri for state in args.state for uri in storage.list_files(state)]
    if not uris:
        raise UsageError("no state files found")
    for uri in uris:
        try:
            raw = json.loads(storage.read_bytes(uri))
            merged.merge(WindowProfile.from_dict(raw, baseline))
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"bad state file {uri}: {exc}") from exc
    return _finish(args, storage, baseline, merged)


def main(argv: Sequence[str] | None = None, storage: Storage | None = None) -> int:
    args = _parser().parse_args(argv)
    storage = storage or Storage()
    commands = {"baseline": _cmd_baseline, "run": _cmd_run, "merge": _cmd_merge}
    try:
        return commands[args.command](args, storage)
    except (UsageError, StorageError, BaselineError, DatasetError) as exc:
        print(f"driftgate-monitor: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ClientError, BotoCoreError) as exc:
        print(f"driftgate-monitor: AWS error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
