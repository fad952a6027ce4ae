"""Inference handlers for the SageMaker scikit-learn serving container.

The container imports this file (``SAGEMAKER_PROGRAM=inference.py``) and calls
``model_fn`` once, then ``input_fn`` -> ``predict_fn`` -> ``output_fn`` per request.
Requests are ``text/csv`` rows of the 20 features without a header (what the drift
monitor reads from data capture); the response is ``text/csv``, one probability of
label 1 per row.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

CONTENT_TYPE = "text/csv"


class Model:
    """The fitted pipeline and the feature order it was trained on."""

    def __init__(self, pipeline: Any, features: list[str], categorical: list[str]) -> None:
        self.pipeline = pipeline
        self.features = features
        self.categorical = set(categorical)


def model_fn(model_dir: str) -> Model:
    folder = Path(model_dir)
    spec = json.loads((folder / "features.json").read_text(encoding="utf-8"))
    return Model(joblib.load(folder / "model.joblib"), spec["features"], spec["categorical"])


def parse_csv(body: str, model: Model) -> pd.DataFrame:
    """Headerless CSV rows -> a frame with the training columns and types."""
    rows = [row for row in csv.reader(io.StringIO(body)) if row]
    if not rows:
        raise ValueError("the request has no rows")
    width = len(model.features)
    bad = next((n for n, row in enumerate(rows, start=1) if len(row) != width), None)
    if bad is not None:
        raise ValueError(f"row {bad} has {len(rows[bad - 1])} fields; each row needs {width} "
                         "comma-separated fields")  # fmt: skip
    frame = pd.DataFrame(rows, columns=model.features)
    for name in model.features:
        if name in model.categorical:
            continue
        try:
            frame[name] = [float(v) if v.strip() else np.nan for v in frame[name]]
        except ValueError as error:
            raise ValueError(f"feature {name} must be numeric: {error}") from error
    return frame


def input_fn(body: str | bytes, content_type: str, model: Model | None = None) -> Any:
    if content_type.split(";")[0].strip() != CONTENT_TYPE:
        raise ValueError(f"unsupported content type {content_type!r}; send {CONTENT_TYPE}")
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    return text if model is None else parse_csv(text, model)


def predict_fn(data: Any, model: Model) -> np.ndarray:
    frame = data if isinstance(data, pd.DataFrame) else parse_csv(str(data), model)
    return np.asarray(model.pipeline.predict_proba(frame[model.features])[:, 1])


def output_fn(prediction: np.ndarray, accept: str) -> tuple[str, str]:
    if accept not in (CONTENT_TYPE, "*/*", ""):
        raise ValueError(f"unsupported accept type {accept!r}; accept {CONTENT_TYPE}")
    return "\n".join(f"{p:.6f}" for p in prediction) + "\n", CONTENT_TYPE
