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


_decode = json.JSONDecoder().decode  # json.loads without its per-call argument checks


def input_rows(path: Path) -> list[str]:
    """The CSV rows of every request in one capture file (several rows per request ok)."""
    rows: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.extend(_decode(line)["captureData"]["endpointInput"]["data"].split("\n"))
    return rows


def _loadtxt(rows: list[str], numeric: list[bool]) -> list[Any] | None:
    """numpy's C reader: numeric columns as one float matrix, the rest as text; None when
    a numeric field is empty or not a number, or a row has another width."""
    numbers = [j for j, num in enumerate(numeric) if num]
    texts = [j for j, num in enumerate(numeric) if not num]
    read: dict[str, Any] = {"delimiter": ",", "comments": None, "quotechar": None, "ndmin": 2}
    try:
        matrix = np.loadtxt(rows, dtype=np.float64, usecols=numbers, **read)
        text = np.loadtxt(rows, dtype=str, usecols=texts, **read)
    except ValueError:
        return None
    columns: list[Any] = [None] * len(numeric)
    for k, j in enumerate(numbers):
        columns[j] = matrix[:, k]
    for k, j in enumerate(texts):
        columns[j] = text[:, k]
    return columns


def decode_columns(rows: list[str], numeric: list[bool]) -> list[Any]:
    """Rows of one file as columns: float64 arrays (NaN when empty) or text.

    The row width is taken from the first row; ``numeric`` says which positions are
    numeric in the expected schema. A column that does not parse as numbers stays text.
    """
    if not rows:
        return []
    width = rows[0].count(",") + 1
    if width == len(numeric):
        fast = _loadtxt(rows, numeric)
        if fast is not None:
            return fast
    # Per row: a total token count alone lets a short row and a long one cancel out.
    separators = width - 1
    if any(row.count(",") != separators for row in rows):
        raise ValueError("rows of one file have different widths")
    tokens = ",".join(rows).split(",")
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
