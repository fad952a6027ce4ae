"""The plan one measuring child receives: which windows to analyse and with what."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class WindowPlan:
    id: str
    size: int
    kind: str
    seed: int
    feature: str | None
    capture_root: str  # the folder holding <endpoint>/<variant>/yyyy/mm/dd/hh
    endpoint: str
    start: str  # ISO 8601, UTC
    end: str

    @property
    def drifted(self) -> bool:
        return self.kind != "none"


@dataclass
class Plan:
    reference_csv: str
    baseline_dir: str
    output_dir: str
    names: list[str]
    numeric: list[bool]
    windows: list[WindowPlan] = field(default_factory=list)

    def dump(self, path: Path) -> Path:
        path.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> Plan:
        raw = json.loads(path.read_text(encoding="utf-8"))
        windows = [WindowPlan(**w) for w in raw.pop("windows")]
        return cls(**raw, windows=windows)
