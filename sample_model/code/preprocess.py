"""Preprocess step (SageMaker Processing): split the labelled CSV into train, validation
and test sets, and write the training features as the baseline dataset.

Container paths (the pipeline definition maps S3 to them):
  in   /opt/ml/processing/input/data/*.csv      header row, label column first
  out  /opt/ml/processing/output/train/train.csv            label first, header
       /opt/ml/processing/output/validation/validation.csv
       /opt/ml/processing/output/test/test.csv
       /opt/ml/processing/output/baseline/baseline.csv       features only, header
The baseline dataset has the columns the endpoint receives (no label), in the same order,
so the data-quality baseline describes exactly what the monitor reads from capture.

    python preprocess.py [--input DIR] [--output DIR] [--label label] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

INPUT = "/opt/ml/processing/input/data"
OUTPUT = "/opt/ml/processing/output"


class DataError(ValueError):
    """The input data cannot be used; the message says what to fix."""


def read_input(folder: Path, label: str) -> pd.DataFrame:
    files = sorted(p for p in folder.rglob("*.csv") if p.is_file())
    if not files:
        raise DataError(f"no .csv files under {folder}: point InputDataUri at the data prefix")
    frames = [pd.read_csv(path, keep_default_na=False, na_values=[""]) for path in files]
    columns = list(frames[0].columns)
    for path, frame in zip(files, frames, strict=True):
        if list(frame.columns) != columns:
            raise DataError(f"{path.name} has columns {list(frame.columns)}, expected {columns}")
    if not columns or columns[0] != label:
        raise DataError(f"the first column must be the label {label!r}, got {columns[:1]}")
    data = pd.concat(frames, ignore_index=True)
    if data[label].isna().any():
        raise DataError(f"{int(data[label].isna().sum())} rows have no {label!r} value")
    if not set(np.unique(data[label])) <= {0, 1}:
        raise DataError(f"{label!r} must be 0 or 1 (binary classification)")
    if len(data) < 100:
        raise DataError(f"{len(data)} rows is too few to train and evaluate (at least 100)")
    return data


def split(
    data: pd.DataFrame, seed: int, validation: float = 0.15, test: float = 0.15
) -> dict[str, pd.DataFrame]:
    order = np.random.default_rng(seed).permutation(len(data))
    n_test, n_validation = int(len(data) * test), int(len(data) * validation)
    test_rows, validation_rows = order[:n_test], order[n_test : n_test + n_validation]
    train_rows = order[n_test + n_validation :]
    return {
        "train": data.iloc[np.sort(train_rows)],
        "validation": data.iloc[np.sort(validation_rows)],
        "test": data.iloc[np.sort(test_rows)],
    }


def write_outputs(parts: dict[str, pd.DataFrame], output: Path, label: str) -> None:
    for name, frame in parts.items():
        (output / name).mkdir(parents=True, exist_ok=True)
        frame.to_csv(output / name / f"{name}.csv", index=False)
    (output / "baseline").mkdir(parents=True, exist_ok=True)
    parts["train"].drop(columns=[label]).to_csv(output / "baseline" / "baseline.csv", index=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=Path(INPUT))
    parser.add_argument("--output", type=Path, default=Path(OUTPUT))
    parser.add_argument("--label", default="label")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        data = read_input(args.input, args.label)
    except DataError as error:
        print(f"preprocess: {error}", file=sys.stderr)
        return 2
    parts = split(data, args.seed)
    write_outputs(parts, args.output, args.label)
    print("preprocess: " + ", ".join(f"{k} {len(v)} rows" for k, v in parts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
