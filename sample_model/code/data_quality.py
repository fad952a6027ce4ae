"""Data-quality step (SageMaker Processing): driftgate's own baseline and drift check,
with the QualityCheck semantics of SageMaker Pipelines (docs: "Baseline calculation,
drift detection and lifecycle with ClarifyCheck and QualityCheck steps").

Model Monitor's analyzer, which ``QualityCheckStep`` runs, is closed to new customers,
so this step runs the ``drift_monitor`` package on a prebuilt scikit-learn image.

| skip_check | register_new_baseline | drift check of the new data   | DriftCheckBaselines |
| ---------- | --------------------- | ----------------------------- | ------------------- |
| false      | false                 | against the previous baseline | previous baseline   |
| false      | true                  | against the previous baseline | new baseline        |
| true       | false                 | none                          | previous baseline   |
| true       | true                  | none                          | new baseline        |

The new baseline is always computed (it is the package's ModelMetrics.ModelDataQuality).
A check that finds violations fails the step (exit 1) with a readable report in the log,
in ``/opt/ml/output/message`` (the job's ExitMessage) and in the ``check`` output.

Container paths (defaults; ``--input`` and ``--output`` override) and environment:
  in   /opt/ml/processing/input/baseline/*.csv       features, header row
  env  DRIFTGATE_SKIP_CHECK, DRIFTGATE_REGISTER_NEW_BASELINE   ("true"/"false")
       DRIFTGATE_PREVIOUS_STATISTICS_URI, DRIFTGATE_PREVIOUS_CONSTRAINTS_URI
           (s3:// or a local path; empty when there is no previous baseline)
       DRIFTGATE_EXIT_MESSAGE_PATH (default /opt/ml/output/message)
  out  /opt/ml/processing/output/baseline/{statistics,constraints}.json      new
       /opt/ml/processing/output/drift_check/{statistics,constraints}.json   to register
       /opt/ml/processing/output/check/{check.json,constraint_violations.json}
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drift_monitor.baseline import build_baseline_from_columns, read_dataset
from drift_monitor.baseline_model import load_baseline
from drift_monitor.evaluate import evaluate
from drift_monitor.profile import WindowProfile
from drift_monitor.storage import Storage

INPUT = "/opt/ml/processing/input/baseline"
OUTPUT = "/opt/ml/processing/output"
MESSAGE = "/opt/ml/output/message"
FILES = ("statistics.json", "constraints.json")


class CheckConfigError(ValueError):
    """The flags and the previous baseline do not fit together."""


class DriftDetected(RuntimeError):
    """The new data drifted from the previous baseline and the check was not skipped."""


@dataclass(frozen=True)
class Flags:
    skip_check: bool
    register_new_baseline: bool
    previous_statistics: str
    previous_constraints: str

    @property
    def has_previous(self) -> bool:
        return bool(self.previous_statistics and self.previous_constraints)


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value not in ("true", "false"):
        raise CheckConfigError(f"{name} must be 'true' or 'false', got {value!r}")
    return value == "true"


def read_flags(env: Mapping[str, str]) -> Flags:
    flags = Flags(
        skip_check=_flag(env, "DRIFTGATE_SKIP_CHECK"),
        register_new_baseline=_flag(env, "DRIFTGATE_REGISTER_NEW_BASELINE"),
        previous_statistics=env.get("DRIFTGATE_PREVIOUS_STATISTICS_URI", "").strip(),
        previous_constraints=env.get("DRIFTGATE_PREVIOUS_CONSTRAINTS_URI", "").strip(),
    )
    if bool(flags.previous_statistics) != bool(flags.previous_constraints):
        raise CheckConfigError(
            "give both previous baseline URIs (statistics and constraints) or neither"
        )
    needs = [] if flags.skip_check else ["SkipCheck=false checks against it"]
    if not flags.register_new_baseline:
        needs.append("RegisterNewBaseline=false registers it")
    if needs and not flags.has_previous:
        raise CheckConfigError(
            f"no previous baseline, but {' and '.join(needs)}: the first run of an empty model "
            "package group must use SkipCheck=true and RegisterNewBaseline=true"
        )
    return flags


def read_input(folder: Path) -> tuple[list[str], list[list[Any]]]:
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise FileNotFoundError(f"no .csv file in {folder}")
    names: list[str] = []
    columns: list[list[Any]] = []
    for path in files:
        file_names, file_columns = read_dataset(path.read_text(encoding="utf-8-sig"), "csv", True)
        if names and file_names != names:
            raise ValueError(f"{path.name} has columns {file_names}, expected {names}")
        names = file_names
        columns = (
            file_columns
            if not columns
            else [a + b for a, b in zip(columns, file_columns, strict=True)]
        )
    return names, columns


def drift_check(
    names: list[str], columns: list[list[Any]], previous: tuple[dict, dict]
) -> list[dict[str, str]]:
    """Model Monitor-style violations of the dataset against the previous baseline."""
    baseline = load_baseline(*previous)
    if names != baseline.names:
        description = f"columns {names} differ from the previous baseline's {baseline.names}"
        return [
            {
                "feature_name": ",".join(names),
                "constraint_check_type": "schema_check",
                "description": description,
            }
        ]
    profile = WindowProfile.for_baseline(baseline)
    profile.update_columns(columns)
    return evaluate(baseline, profile).violations


def report_text(violations: list[dict[str, str]]) -> str:
    lines = [f"drift check failed: {len(violations)} violation(s) against the previous baseline"]
    for v in violations:
        lines.append(f"- {v['feature_name']}: {v['constraint_check_type']}: {v['description']}")
    lines.append("retrain with SkipCheck=true to accept the new data as the baseline")
    return "\n".join(lines)


def _write(folder: Path, name: str, document: Any) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(document, indent=2), encoding="utf-8")


def run(env: Mapping[str, str], input_dir: Path, output: Path, storage: Storage) -> dict[str, Any]:
    """Compute, check and choose; returns the check summary (raises DriftDetected)."""
    flags = read_flags(env)
    names, columns = read_input(input_dir)
    new = build_baseline_from_columns(names, columns)
    for name, document in zip(FILES, new, strict=True):
        _write(output / "baseline", name, document)
    previous = None
    if flags.has_previous:
        previous = tuple(json.loads(storage.read_bytes(uri)) for uri in
                         (flags.previous_statistics, flags.previous_constraints))  # fmt: skip
    violations: list[dict[str, str]] = []
    if not flags.skip_check and previous is not None:
        violations = drift_check(names, columns, previous)  # type: ignore[arg-type]
    chosen = new if flags.register_new_baseline or previous is None else previous
    for name, document in zip(FILES, chosen, strict=True):
        _write(output / "drift_check", name, document)
    summary = {
        "skip_check": flags.skip_check,
        "register_new_baseline": flags.register_new_baseline,
        "checked": not flags.skip_check,
        "violations": len(violations),
        "drift_check_baseline": "new" if chosen is new else "previous",
        "previous_statistics": flags.previous_statistics,
        "rows": len(columns[0]) if columns else 0,
    }
    _write(output / "check", "check.json", summary)
    _write(output / "check", "constraint_violations.json", {"violations": violations})
    if violations:
        raise DriftDetected(report_text(violations))
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=Path(INPUT))
    parser.add_argument("--output", type=Path, default=Path(OUTPUT))
    args = parser.parse_args(argv)
    env = os.environ
    try:
        summary = run(env, args.input, args.output, Storage())
    except (CheckConfigError, DriftDetected) as error:
        print(f"data quality: {error}", file=sys.stderr)
        message = Path(env.get("DRIFTGATE_EXIT_MESSAGE_PATH", MESSAGE))
        if message.parent.is_dir():  # the container has /opt/ml/output; a laptop may not
            message.write_text(str(error)[:1024], encoding="utf-8")
        return 1
    print(f"data quality: {json.dumps(summary)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
