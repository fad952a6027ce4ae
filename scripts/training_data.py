"""A labelled tabular dataset for the sample model, with the capture generator's features.

The features are exactly ``scripts.capture_generator``'s (same names, order and
distributions), so the endpoint's captured traffic, the drift monitor and the model all
read the same 20 columns. The label is a noisy logistic function of five of them, so a
model can learn it but not perfectly:

    score = 1.2 z(num_00) - 0.9 z(num_03) + 0.7 z(num_06) + 0.5 z(num_09)
            + 0.8 [cat_00 == "a"] - 0.8 [cat_00 == "c"] - 0.2
    label = 1 with probability sigmoid(score)

where ``z`` standardises a column with its mean and standard deviation in the frame.
Written as CSV with a header, the label first (``label,num_00,...,cat_03``).

    python -m scripts.training_data --out data/train.csv --rows 5000 --seed 1
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from scripts import capture_generator

LABEL = "label"
# feature -> weight on its standardised value
WEIGHTS = {"num_00": 1.2, "num_03": -0.9, "num_06": 0.7, "num_09": 0.5}
CATEGORY_EFFECTS = {"a": 0.8, "c": -0.8}
INTERCEPT = -0.2


def _standardised(column: np.ndarray) -> np.ndarray:
    return (column - np.nanmean(column)) / (np.nanstd(column) or 1.0)


def label_probability(frame: capture_generator.Frame) -> np.ndarray:
    """P(label = 1) per row of a generator frame."""
    score = np.full(len(frame["num_00"]), INTERCEPT)
    for name, weight in WEIGHTS.items():
        score += weight * _standardised(frame[name])
    for category, effect in CATEGORY_EFFECTS.items():
        score += effect * (frame["cat_00"] == category)
    return 1.0 / (1.0 + np.exp(-score))


def labelled_frame(rows: int, seed: int) -> capture_generator.Frame:
    """The label column followed by the generator's reference features."""
    features = capture_generator.reference_frame(rows, seed)
    rng = np.random.default_rng(seed + 7919)
    labels = (rng.random(rows) < label_probability(features)).astype(np.float64)
    return {LABEL: labels, **features}


def write_dataset(path: Path, rows: int, seed: int) -> Path:
    return capture_generator.write_reference_csv(path, labelled_frame(rows, seed))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write the sample model's labelled dataset")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    write_dataset(args.out, args.rows, args.seed)
    print(f"{args.rows} rows -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
