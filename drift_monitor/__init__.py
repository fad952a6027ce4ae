"""driftgate's drift monitor: Model Monitor compatible baselines, checks, reports and metrics.

Public API (stable; the CLI, the Lambda handler, the Processing entry and the benchmark
use only this):

``build_baseline(input_uri, output=None, *, header=False, fmt=None) -> (statistics, constraints)``
    Profile a dataset (CSV with or without header, or JSON lines; local path or
    ``s3://``) into Model Monitor's ``statistics.json`` / ``constraints.json`` documents,
    written under ``output`` when given.

``run_monitor(capture, baseline_statistics, baseline_constraints, output=None, *,
window=None, distance="model-monitor", threshold=None, min_records=1, endpoint="",
schedule="", publisher=None, kms_key=None, progress=None, phases=None) -> MonitorResult``
    Read the data capture under ``capture`` (the ``<endpoint>/<variant>`` folder; only the
    hour folders of ``window`` when given), compare it with the baseline, write
    ``constraint_violations.json``, ``statistics.json``, ``report.html`` and
    ``driftgate_summary.json`` under ``output``, and publish metrics and the violations
    event through ``publisher`` when given. ``result.violations``, ``result.summary``
    (its ``warnings`` list names every feature whose baseline asks for a drift method that
    did not run, such as ``categorical_drift_method: ChiSquared``). ``phases``: a dict
    that receives the seconds of each phase (``baseline_s``, ``list_s``, ``parse_s``,
    ``evaluate_s``, ``report_s``, ``outputs_s``), as the benchmark reports them.

``profile_window(baseline, files, storage, window=None) -> WindowProfile`` and
``WindowProfile.merge`` / ``to_dict`` / ``from_dict`` with ``finish_run(baseline, profile,
output, ...)``: the sharded form (profile shards anywhere, merge, then evaluate).

``load_baseline_files(statistics_uri, constraints_uri, storage) -> Baseline``,
``Window`` / ``parse_time`` for windows, ``Storage`` for local and S3 I/O.
"""

from drift_monitor.baseline_model import Baseline, BaselineError
from drift_monitor.monitor import (
    MonitorResult,
    Publisher,
    build_baseline,
    finish_run,
    load_baseline_files,
    profile_window,
    run_monitor,
)
from drift_monitor.profile import WindowProfile
from drift_monitor.storage import Storage, StorageError
from drift_monitor.window import Window, parse_time

__all__ = [
    "Baseline",
    "BaselineError",
    "MonitorResult",
    "Publisher",
    "Storage",
    "StorageError",
    "Window",
    "WindowProfile",
    "build_baseline",
    "finish_run",
    "load_baseline_files",
    "parse_time",
    "profile_window",
    "run_monitor",
]
