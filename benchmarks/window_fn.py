"""The shape every measured tool has: set up once (imports, reference), then one
function per window that returns (rows analysed, phase timings, outcome)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.plan import WindowPlan

WindowFn = Callable[[WindowPlan], tuple[int, dict[str, float], dict[str, Any]]]
