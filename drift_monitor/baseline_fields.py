"""Typed reads of the baseline documents' fields. A baseline may come from the user (a
Model Monitor baseline, or one written by hand), so a field of the wrong JSON type is a
:class:`BaselineError` naming the file, the feature and the field, never a Python error
from deep inside the run. Absent and null mean the field's default."""

from __future__ import annotations

import math
from typing import Any


class BaselineError(ValueError):
    """The baseline files are missing fields or inconsistent."""


def obj(value: Any, where: str) -> dict[str, Any]:
    """A JSON object; absent or null is empty."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BaselineError(f"{where} must be an object, got {_shown(value)}")
    return value


def items(value: Any, where: str) -> list[Any]:
    """A JSON array; absent or null is empty."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BaselineError(f"{where} must be a list, got {_shown(value)}")
    return value


def number(value: Any, where: str) -> float | None:
    """A number (or a string of one, as some writers give); absent or null is None."""
    if value is None:
        return None
    if not isinstance(value, bool):
        try:
            return float(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: a huge integer
            pass
    raise BaselineError(f"{where} must be a number, got {_shown(value)}")


def count(value: Any, where: str) -> int:
    """A whole non-negative count; absent or null is 0."""
    parsed = number(value, where)
    if parsed is None:
        return 0
    if not math.isfinite(parsed) or parsed < 0 or not parsed.is_integer():
        raise BaselineError(f"{where} must be a whole number >= 0, got {_shown(value)}")
    return int(parsed)


def strings(value: Any, where: str) -> list[str] | None:
    """A list of strings; absent or null is None (no such constraint)."""
    if value is None:
        return None
    listed = items(value, where)
    if not all(isinstance(v, str) for v in listed):
        raise BaselineError(f"{where} must be a list of strings, got {_shown(value)}")
    return listed


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
