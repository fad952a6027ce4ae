"""Synthetic SageMaker data-capture traffic with drifts of known kinds.

Writes what an endpoint with data capture writes: JSON Lines under
``<root>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm>-<ss>-<ms>-<uuid>.jsonl``, one line per
request, CSV payloads without a header (optionally several rows per request), plus a
reference dataset (CSV with a header) to build the baseline from. Everything is
deterministic given a seed and vectorised with numpy, so a million rows take seconds.

Used by the drift benchmark (``benchmarks/``) and the local demo.

    python -m scripts.capture_generator reference --out ref.csv --rows 100000 --seed 1
    python -m scripts.capture_generator window --root capture --endpoint demo-staging \\
        --start 2026-11-23T10:00:00Z --rows 10000 --seed 2 --drift mean_shift
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

# Drift kinds; "none" is a control window drawn from the reference distribution.
DRIFT_KINDS = (
    "none",
    "mean_shift",
    "variance_change",
    "new_category",
    "missing_values",
    "schema_drop",
    "schema_add",
)
# Default strength per kind: shift in standard deviations, scale factor, or the
# fraction of rows affected. Chosen to be clearly drifted yet touch one feature only.
DEFAULT_MAGNITUDE = {
    "none": 0.0,
    "mean_shift": 0.5,
    "variance_change": 2.0,
    "new_category": 0.2,
    "missing_values": 0.2,
    "schema_drop": 1.0,
    "schema_add": 1.0,
}
NEW_CATEGORY = "unseen"
ADDED_COLUMN = "extra"


@dataclass(frozen=True)
class Feature:
    """One input column: ``kind`` is normal, lognormal, count or categorical."""

    name: str
    kind: str
    loc: float = 0.0
    scale: float = 1.0
    categories: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()

    @property
    def is_numeric(self) -> bool:
        return self.kind != "categorical"


def _default_features() -> tuple[Feature, ...]:
    """20 features: 16 numeric of three shapes and 4 categorical, interleaved."""
    features: list[Feature] = []
    numeric = categorical = 0
    for position in range(20):
        if position % 5 == 4:
            size = 3 + categorical
            raw = np.arange(size, 0, -1, dtype=float)
            features.append(
                Feature(
                    name=f"cat_{categorical:02d}",
                    kind="categorical",
                    categories=tuple(chr(ord("a") + i) for i in range(size)),
                    weights=tuple(float(w) for w in raw / raw.sum()),
                )
            )
            categorical += 1
            continue
        kind = ("normal", "lognormal", "count")[numeric % 3]
        features.append(
            Feature(
                name=f"num_{numeric:02d}",
                kind=kind,
                loc=float(numeric) * 1.5,
                scale=1.0 + numeric / 8.0,
            )
        )
        numeric += 1
    return tuple(features)


FEATURES: tuple[Feature, ...] = _default_features()
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)

# A frame is an ordered mapping of column name to a 1-D array: float64 (NaN = missing)
# for numeric columns, str for categorical ones ("" = missing).
Frame = dict[str, np.ndarray]


@dataclass(frozen=True)
class DriftSpec:
    """What to inject into a window. ``feature`` and ``magnitude`` default per seed/kind."""

    kind: str = "none"
    feature: str | None = None
    magnitude: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in DRIFT_KINDS:
            raise ValueError(f"unknown drift kind {self.kind!r}; expected one of {DRIFT_KINDS}")
        if self.feature is not None and self.feature not in FEATURE_NAMES:
            raise ValueError(f"unknown feature {self.feature!r}")

    @classmethod
    def parse(cls, text: str) -> DriftSpec:
        """``kind[:feature[:magnitude]]``, e.g. ``mean_shift:num_03:1.0``."""
        kind, _, rest = text.partition(":")
        feature, _, magnitude = rest.partition(":")
        return cls(kind, feature or None, float(magnitude) if magnitude else None)


@dataclass(frozen=True)
class AppliedDrift:
    """The drift as injected: which feature (or column position) and how strongly."""

    kind: str
    feature: str | None
    magnitude: float

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "feature": self.feature, "magnitude": self.magnitude}


def _draw(feature: Feature, rows: int, rng: np.random.Generator) -> np.ndarray:
    if feature.kind == "normal":
        return np.round(rng.normal(feature.loc, feature.scale, rows), 4)
    if feature.kind == "lognormal":
        return np.round(np.exp(rng.normal(0.0, 0.25 + feature.scale / 8.0, rows)) * 10, 4)
    if feature.kind == "count":
        return rng.poisson(2.0 + feature.loc, rows).astype(np.float64)
    index = rng.choice(len(feature.categories), size=rows, p=np.asarray(feature.weights))
    return np.asarray(feature.categories)[index]


def reference_frame(rows: int, seed: int) -> Frame:
    """Rows drawn from the undrifted distribution (the training data the baseline uses)."""
    if rows < 1:
        raise ValueError("rows must be positive")
    rng = np.random.default_rng(seed)
    return {f.name: _draw(f, rows, rng) for f in FEATURES}


def _pick_feature(drift: DriftSpec, rng: np.random.Generator) -> Feature:
    if drift.feature is not None:
        chosen = FEATURES[FEATURE_NAMES.index(drift.feature)]
    else:
        eligible = [
            f
            for f in FEATURES
            if drift.kind not in ("mean_shift", "variance_change", "new_category")
            or (f.is_numeric if drift.kind != "new_category" else not f.is_numeric)
        ]
        chosen = eligible[int(rng.integers(len(eligible)))]
    if drift.kind in ("mean_shift", "variance_change") and not chosen.is_numeric:
        raise ValueError(f"{drift.kind} needs a numeric feature, {chosen.name} is categorical")
    if drift.kind == "new_category" and chosen.is_numeric:
        raise ValueError(f"new_category needs a categorical feature, {chosen.name} is numeric")
    return chosen


def apply_drift(
    frame: Frame, drift: DriftSpec, rng: np.random.Generator
) -> tuple[Frame, AppliedDrift]:
    """A copy of ``frame`` with ``drift`` injected into one feature (or the schema)."""
    magnitude = DEFAULT_MAGNITUDE[drift.kind] if drift.magnitude is None else drift.magnitude
    if drift.kind == "none":
        return dict(frame), AppliedDrift("none", None, 0.0)
    feature = _pick_feature(drift, rng)
    out = dict(frame)
    column = frame[feature.name]
    rows = column.shape[0]
    # Counts stay whole numbers, so a shift does not also change the data type.
    decimals = 0 if feature.kind == "count" else 4
    if drift.kind == "mean_shift":
        out[feature.name] = np.round(column + magnitude * float(np.nanstd(column)), decimals)
    elif drift.kind == "variance_change":
        centre = float(np.nanmean(column))
        out[feature.name] = np.round(centre + (column - centre) * magnitude, decimals)
    elif drift.kind == "new_category":
        hit = rng.random(rows) < magnitude
        out[feature.name] = np.where(hit, NEW_CATEGORY, column)
    elif drift.kind == "missing_values":
        hit = rng.random(rows) < magnitude
        missing = "" if not feature.is_numeric else np.nan
        out[feature.name] = np.where(hit, missing, column)
    elif drift.kind == "schema_drop":
        del out[feature.name]
    else:  # schema_add: a new column inserted before the chosen feature
        names = list(frame)
        position = names.index(feature.name)
        extra = np.round(rng.normal(0.0, 1.0, rows), 4)
        names.insert(position, ADDED_COLUMN)
        out = {name: (extra if name == ADDED_COLUMN else frame[name]) for name in names}
    return out, AppliedDrift(drift.kind, feature.name, magnitude)


def window_frame(
    rows: int, seed: int, drift: DriftSpec | None = None
) -> tuple[Frame, AppliedDrift]:
    """A window of ``rows`` rows from the reference distribution with ``drift`` injected."""
    rng = np.random.default_rng(seed)
    frame = reference_frame(rows, int(rng.integers(2**62)))
    return apply_drift(frame, drift or DriftSpec(), rng)


def _column_text(column: np.ndarray) -> list[str]:
    """CSV field text of a column; missing values become empty fields."""
    if column.dtype.kind != "f":
        return column.astype(str).tolist()
    missing = np.isnan(column)
    present = column[~missing]
    if np.array_equal(present, np.round(present)):
        text = list(map(str, np.where(missing, 0, column).astype(np.int64).tolist()))
    else:
        # Values are rounded to 4 decimals; str.format is the fastest exact rendering.
        text = list(map("{:.4f}".format, column.tolist()))
    for index in np.flatnonzero(missing).tolist():
        text[index] = ""
    return text


def csv_rows(frame: Frame) -> list[str]:
    """One CSV line (no header, no newline) per row, in the frame's column order."""
    columns = [_column_text(column) for column in frame.values()]
    return [",".join(fields) for fields in zip(*columns, strict=True)]


def write_reference_csv(path: Path, frame: Frame) -> Path:
    """The frame as CSV with a header row, as a baseline job reads it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(frame) + "\n")
        for line in csv_rows(frame):
            out.write(line + "\n")
    return path


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _event_ids(count: int, rng: np.random.Generator) -> list[str]:
    """Random version-4 UUID strings, built as one byte matrix (fast for millions)."""
    nibbles = rng.integers(0, 16, size=(count, 32), dtype=np.uint8)
    nibbles[:, 12] = 4  # version
    nibbles[:, 16] = 8 | (nibbles[:, 16] & 3)  # RFC 4122 variant
    text = np.full((count, 36), ord("-"), dtype=np.uint8)
    text[:, [c for c in range(36) if c not in (8, 13, 18, 23)]] = _HEX[nibbles]
    joined = text.tobytes().decode("ascii")
    return [joined[i : i + 36] for i in range(0, 36 * count, 36)]


def capture_lines(
    rows: Sequence[str],
    times: np.ndarray,
    rng: np.random.Generator,
    rows_per_request: int = 1,
) -> list[str]:
    """Capture records (JSON text, one per request) for CSV ``rows`` sent at ``times``."""
    requests = math.ceil(len(rows) / rows_per_request)
    ids = _event_ids(requests, rng)
    stamps = np.datetime_as_string(times[:requests], unit="s").tolist()
    scores = np.round(rng.random(len(rows)), 4).astype(str).tolist()
    lines = []
    for i in range(requests):
        start = i * rows_per_request
        # CSV text is digits, letters, '.', '-' and ',': JSON-safe except the row
        # separator, written as the JSON escape "\n".
        data = "\\n".join(rows[start : start + rows_per_request])
        output = "\\n".join(scores[start : start + rows_per_request])
        lines.append(
            '{"captureData":{"endpointInput":{"observedContentType":"text/csv",'
            f'"mode":"INPUT","data":"{data}","encoding":"CSV"}},'
            '"endpointOutput":{"observedContentType":"text/csv; charset=utf-8",'
            f'"mode":"OUTPUT","data":"{output}","encoding":"CSV"}}}},'
            f'"eventMetadata":{{"eventId":"{ids[i]}","inferenceTime":"{stamps[i]}Z"}},'
            '"eventVersion":"0"}'
        )
    return lines


def _request_times(
    start: datetime, period: timedelta, requests: int, rng: np.random.Generator
) -> np.ndarray:
    offsets = np.sort(rng.random(requests)) * period.total_seconds() * 1000
    base = np.datetime64(start.astimezone(UTC).replace(tzinfo=None), "ms")
    return base + offsets.astype("timedelta64[ms]")


def write_window(
    root: Path,
    endpoint: str,
    start: datetime,
    rows: int,
    seed: int,
    drift: DriftSpec | None = None,
    *,
    variant: str = "AllTraffic",
    period_minutes: int = 60,
    rows_per_request: int = 1,
    records_per_file: int = 50_000,
) -> tuple[list[Path], AppliedDrift]:
    """Write one window of capture files; returns the files and the drift injected.

    Requests are spread uniformly over ``[start, start + period)``; each file holds at
    most ``records_per_file`` requests of one hour folder, named after its first request.
    """
    if rows < 1 or rows_per_request < 1 or records_per_file < 1:
        raise ValueError("rows, rows_per_request and records_per_file must be positive")
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    frame, applied = window_frame(rows, seed, drift)
    rng = np.random.default_rng([seed, 1])
    requests = math.ceil(rows / rows_per_request)
    times = _request_times(start, timedelta(minutes=period_minutes), requests, rng)
    lines = capture_lines(csv_rows(frame), times, rng, rows_per_request)
    hours = times.astype("datetime64[h]")
    paths: list[Path] = []
    begin = 0
    while begin < requests:
        hour_end = int(np.searchsorted(hours, hours[begin], side="right"))
        end = min(hour_end, begin + records_per_file)
        first = times[begin].astype(datetime)
        folder = root / endpoint / variant / first.strftime("%Y/%m/%d/%H")
        folder.mkdir(parents=True, exist_ok=True)
        suffix = _event_ids(1, rng)[0]
        name = f"{first:%M-%S}-{first.microsecond // 1000:03d}-{suffix}.jsonl"
        path = folder / name
        path.write_text("\n".join(lines[begin:end]) + "\n", encoding="utf-8")
        paths.append(path)
        begin = end
    return paths, applied


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ref = commands.add_parser("reference", help="write the reference dataset (CSV, header)")
    ref.add_argument("--out", type=Path, required=True)
    ref.add_argument("--rows", type=int, default=100_000)
    ref.add_argument("--seed", type=int, default=0)
    win = commands.add_parser("window", help="write one window of capture files")
    win.add_argument("--root", type=Path, required=True, help="local capture root")
    win.add_argument("--endpoint", required=True)
    win.add_argument("--variant", default="AllTraffic")
    win.add_argument("--start", type=_parse_time, required=True, help="ISO 8601, UTC")
    win.add_argument("--period-minutes", type=int, default=60)
    win.add_argument("--rows", type=int, default=10_000)
    win.add_argument("--seed", type=int, default=1)
    win.add_argument(
        "--drift", type=DriftSpec.parse, default=DriftSpec(), help=DriftSpec.parse.__doc__
    )
    win.add_argument("--rows-per-request", type=int, default=1)
    win.add_argument("--records-per-file", type=int, default=50_000)
    args = parser.parse_args(argv)
    if args.command == "reference":
        path = write_reference_csv(args.out, reference_frame(args.rows, args.seed))
        print(json.dumps({"reference": str(path), "rows": args.rows}))
        return 0
    paths, applied = write_window(
        args.root,
        args.endpoint,
        args.start,
        args.rows,
        args.seed,
        args.drift,
        variant=args.variant,
        period_minutes=args.period_minutes,
        rows_per_request=args.rows_per_request,
        records_per_file=args.records_per_file,
    )
    print(json.dumps({"files": [str(p) for p in paths], "drift": applied.as_dict()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
