"""The mergeable state of one window: per-feature accumulators plus parse counters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drift_monitor.accumulators import (
    CategoricalAccumulator,
    NumericAccumulator,
    add_numeric_columns,
)
from drift_monitor.baseline_model import Baseline
from drift_monitor.columns import NumericColumn

STATE_VERSION = 1
# One example line per malformed kind is kept for the report, cut to this many characters.
EXAMPLE_CHARS = 200


def _known_values(feature: Any) -> frozenset[str]:
    return frozenset(feature.domains or []) | frozenset(feature.category_probs)


@dataclass
class WindowProfile:
    names: list[str]
    features: list[NumericAccumulator | CategoricalAccumulator]
    records: int = 0  # capture records read (a record may carry several rows)
    rows: int = 0  # rows analysed
    malformed: dict[str, int] = field(default_factory=dict)
    # Smallest / largest column count among rows with too few / too many columns.
    min_short_columns: int | None = None
    max_long_columns: int | None = None
    # The first offending capture line of each malformed kind (truncated), for the report.
    examples: dict[str, str] = field(default_factory=dict)
    # The line being parsed (CaptureParser.feed_line sets it), kept as the example of a
    # malformed kind counted while it is parsed.
    current_line: bytes | str | None = field(default=None, repr=False, compare=False)

    @classmethod
    def for_baseline(cls, baseline: Baseline) -> WindowProfile:
        accs: list[NumericAccumulator | CategoricalAccumulator] = []
        for f in baseline.features:
            if f.is_numeric:
                accs.append(NumericAccumulator(edges=f.edges))
            else:
                accs.append(CategoricalAccumulator(known=_known_values(f)))
        return cls(names=baseline.names, features=accs)

    def count_malformed(self, kind: str, n: int = 1) -> None:
        self.malformed[kind] = self.malformed.get(kind, 0) + n
        if kind not in self.examples and self.current_line is not None:
            self.examples[kind] = example_text(self.current_line)

    def note_column_count(self, columns: int) -> None:
        expected = len(self.names)
        if columns < expected:
            self.count_malformed("too_few_columns")
            if self.min_short_columns is None or columns < self.min_short_columns:
                self.min_short_columns = columns
        else:
            self.count_malformed("too_many_columns")
            if self.max_long_columns is None or columns > self.max_long_columns:
                self.max_long_columns = columns

    def update_columns(self, columns: list[list[object]]) -> None:
        """Add a batch of rows given column-wise, in baseline feature order."""
        if not columns or not columns[0]:
            return
        self.rows += len(columns[0])
        for acc, column in zip(self.features, columns, strict=True):
            acc.update(column)

    @property
    def column_kinds(self) -> tuple[list[int], list[int]]:
        """Indexes of the numeric and of the categorical features."""
        numeric = [j for j, acc in enumerate(self.features) if isinstance(acc, NumericAccumulator)]
        strings = [j for j in range(len(self.features)) if j not in numeric]
        return numeric, strings

    def update_parsed(self, values: np.ndarray, text: np.ndarray) -> None:
        """Add rows already parsed: numeric features' floats and categorical features'
        text, each matrix in feature order."""
        self.rows += max(values.shape[0], text.shape[0])
        numeric, strings = self.column_kinds
        for k, j in enumerate(numeric):
            self.features[j].update_array(values[:, k])  # type: ignore[arg-type]
        for k, j in enumerate(strings):
            self.features[j].update_array(text[:, k])  # type: ignore[arg-type]

    def update_block(self, rows: int, values: list[np.ndarray], categories: list[Any]) -> None:
        """Add ``rows`` rows parsed in bulk: numeric features' floats (one array per
        numeric feature, in feature order) and, per categorical feature, its distinct
        values, counts and missing count."""
        numeric, strings = self.column_kinds
        self.rows += rows
        add_numeric_columns([self.features[j] for j in numeric], values)  # type: ignore[misc]
        for k, j in enumerate(strings):
            self.features[j].add_counts(*categories[k])  # type: ignore[union-attr]

    def update_text_block(
        self, rows: int, values: list[NumericColumn], categories: list[Any]
    ) -> None:
        """As :meth:`update_block`, with each numeric feature already parsed into its
        values and missing and non-numeric counts (``columns.parse_csv_text_block``)."""
        numeric, strings = self.column_kinds
        self.rows += rows
        for k, j in enumerate(numeric):
            self.features[j].add(values[k])  # type: ignore[union-attr]
        for k, j in enumerate(strings):
            self.features[j].add_counts(*categories[k])  # type: ignore[union-attr]

    @property
    def malformed_total(self) -> int:
        return sum(self.malformed.values())

    def merge(self, other: WindowProfile) -> None:
        if other.names != self.names:
            raise ValueError("cannot merge window states of different baselines")
        self.records += other.records
        self.rows += other.rows
        for kind, n in other.malformed.items():
            self.malformed[kind] = self.malformed.get(kind, 0) + n
        for kind, line in other.examples.items():
            self.examples.setdefault(kind, line)
        for mine, theirs in zip(self.features, other.features, strict=True):
            mine.merge(theirs)  # type: ignore[arg-type]
        self.min_short_columns = _either(min, self.min_short_columns, other.min_short_columns)
        self.max_long_columns = _either(max, self.max_long_columns, other.max_long_columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "driftgate_window_state": STATE_VERSION,
            "names": self.names,
            "records": self.records,
            "rows": self.rows,
            "malformed": dict(sorted(self.malformed.items())),
            "min_short_columns": self.min_short_columns,
            "max_long_columns": self.max_long_columns,
            "features": [acc.to_dict() for acc in self.features],
            "examples": dict(sorted(self.examples.items())),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any], baseline: Baseline) -> WindowProfile:
        if raw.get("driftgate_window_state") != STATE_VERSION:
            raise ValueError("not a driftgate window state file (or another version)")
        if raw["names"] != baseline.names:
            raise ValueError("window state was computed against another baseline")
        accs: list[NumericAccumulator | CategoricalAccumulator] = []
        for f, acc in zip(baseline.features, raw["features"], strict=True):
            if acc["kind"] == "numeric":
                accs.append(NumericAccumulator.from_dict(acc))
            else:
                accs.append(CategoricalAccumulator.from_dict(acc, _known_values(f)))
        return cls(
            names=list(raw["names"]),
            features=accs,
            records=int(raw["records"]),
            rows=int(raw["rows"]),
            malformed={str(k): int(v) for k, v in raw["malformed"].items()},
            min_short_columns=raw.get("min_short_columns"),
            max_long_columns=raw.get("max_long_columns"),
            examples={str(k): str(v)[:EXAMPLE_CHARS] for k, v in _examples(raw).items()},
        )


def _examples(raw: dict[str, Any]) -> dict[str, Any]:
    found = raw.get("examples")
    return found if isinstance(found, dict) else {}  # states written before examples


def example_text(line: bytes | str) -> str:
    """A capture line as text for the report: decoded leniently, cut to EXAMPLE_CHARS."""
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    text = text.rstrip("\r\n")
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "\u2026"


def _either(pick: Callable[[int, int], int], mine: int | None, theirs: int | None) -> int | None:
    """``pick`` of two optional counts; None only when both are None."""
    if mine is None or theirs is None:
        return theirs if mine is None else mine
    return pick(mine, theirs)
