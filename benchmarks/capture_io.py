"""Reading capture files the straightforward way, shared by the parse-only floor and the
Evidently side (stdlib and numpy only: both benchmark environments import it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def capture_files(root: Path) -> list[Path]:
    """Every capture file under ``root``, in a stable order."""
    return sorted(root.rglob("*.jsonl"))


def input_rows(path: Path) -> list[str]:
    """The CSV rows of every request in one capture file (several rows per request ok)."""
    rows: list[str] = []
    with path.open("rb") as lines:
        for line in lines:
            if line.strip():
                rows.extend(json.loads(line)["captureData"]["endpointInput"]["data"].split("\n"))
    return rows


def decode_columns(rows: list[str], numeric: list[bool]) -> list[Any]:
    """Rows of one file as columns: float64 arrays (NaN when empty) or lists of str.

    The row width is taken from the first row; ``numeric`` says which positions are
    numeric in the expected schema. A column that does not parse as numbers stays text.
    """
    if not rows:
        return []
    width = rows[0].count(",") + 1
    tokens = ",".join(rows).split(",")
    if len(tokens) != width * len(rows):
        raise ValueError("rows of one file have different widths")
    columns: list[Any] = []
    for j in range(width):
        text = tokens[j::width]
        if j < len(numeric) and numeric[j]:
            try:
                columns.append(np.array(text, dtype=np.float64))
                continue
            except ValueError:
                pass
            try:  # empty fields are missing values
                columns.append(np.array([v or "nan" for v in text], dtype=np.float64))
                continue
            except ValueError:
                pass
        columns.append(text)
    return columns
