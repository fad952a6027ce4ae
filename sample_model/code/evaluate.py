"""Evaluate step (SageMaker Processing): score the trained model on the test set.

Container paths:
  in   /opt/ml/processing/input/model/model.tar.gz   the training job's artefact
       /opt/ml/processing/input/test/test.csv         label first, header
  out  /opt/ml/processing/output/evaluation/evaluation.json
evaluation.json follows SageMaker's model-quality metrics layout
(``binary_classification_metrics.<metric>.value``); the pipeline reads
``binary_classification_metrics.auc.value`` through a property file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from inference import model_fn, predict_fn
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

MODEL = "/opt/ml/processing/input/model/model.tar.gz"
TEST = "/opt/ml/processing/input/test"
OUTPUT = "/opt/ml/processing/output/evaluation"


def _metric(value: float) -> dict[str, Any]:
    return {"value": round(float(value), 6), "standard_deviation": "NaN"}


def evaluate(model_archive: Path, test_dir: Path, label: str = "label") -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(model_archive) as archive:
            archive.extractall(folder, filter="data")
        model = model_fn(folder)
    files = sorted(test_dir.glob("*.csv"))
    if not files:
        raise FileNotFoundError(f"no .csv file in {test_dir}")
    test = pd.concat([pd.read_csv(f, keep_default_na=False, na_values=[""]) for f in files])
    truth = test[label].astype(int).to_numpy()
    probability = predict_fn(test.drop(columns=[label]), model)
    predicted = (probability >= 0.5).astype(int)
    return {
        "binary_classification_metrics": {
            "auc": _metric(roc_auc_score(truth, probability)),
            "accuracy": _metric(accuracy_score(truth, predicted)),
            "f1": _metric(f1_score(truth, predicted)),
            "positive_rate": _metric(np.mean(truth)),
        },
        "test_rows": len(test),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path(MODEL))
    parser.add_argument("--test", type=Path, default=Path(TEST))
    parser.add_argument("--output", type=Path, default=Path(OUTPUT))
    args = parser.parse_args(argv)
    report = evaluate(args.model, args.test)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "evaluation.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    metrics = report["binary_classification_metrics"]
    print(f"evaluate: auc={metrics['auc']['value']} accuracy={metrics['accuracy']['value']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
