"""Training step (SageMaker script mode, scikit-learn container): fit a logistic
regression on the train channel, report validation AUC, save the model.

SageMaker's training toolkit runs ``python train.py --C 1.0 ...`` with the
hyperparameters as arguments and these variables (defaults are the documented paths):
  SM_CHANNEL_TRAIN       /opt/ml/input/data/train        train.csv, label first, header
  SM_CHANNEL_VALIDATION  /opt/ml/input/data/validation   validation.csv
  SM_MODEL_DIR           /opt/ml/model                   model.joblib + features.json
Everything in SM_MODEL_DIR becomes model.tar.gz; inference.py is copied to its code/
folder, so the registered package serves with SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code
and the endpoint needs nothing outside the artifacts bucket. Prints
``validation:auc=<value>`` for the
training job's metric definition.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import joblib
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

MODEL_FILE = "model.joblib"
FEATURES_FILE = "features.json"


def read_channel(folder: Path, label: str) -> tuple[pd.DataFrame, pd.Series]:
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise FileNotFoundError(f"no .csv file in channel folder {folder}")
    data = pd.concat([pd.read_csv(f, keep_default_na=False, na_values=[""]) for f in files])
    if data.columns[0] != label:
        raise ValueError(f"first column of {folder} must be {label!r}, got {data.columns[0]!r}")
    return data.drop(columns=[label]), data[label].astype(int)


def build_model(features: pd.DataFrame, c: float, max_iter: int) -> Pipeline:
    categorical = [c for c in features.columns if features[c].dtype == object]
    numeric = [c for c in features.columns if c not in categorical]
    encode = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value=""),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
        ]
    )
    return Pipeline([("encode", encode), ("classify", LogisticRegression(C=c, max_iter=max_iter))])


def train(train_dir: Path, validation_dir: Path, model_dir: Path, c: float, max_iter: int,
          label: str = "label") -> float:  # fmt: skip
    """Fit, save to ``model_dir``; return the validation AUC."""
    x_train, y_train = read_channel(train_dir, label)
    x_valid, y_valid = read_channel(validation_dir, label)
    model = build_model(x_train, c, max_iter).fit(x_train, y_train)
    auc = float(roc_auc_score(y_valid, model.predict_proba(x_valid)[:, 1]))
    model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, model_dir / MODEL_FILE)
    categorical = [c for c in x_train.columns if x_train[c].dtype == object]
    spec = {"features": list(x_train.columns), "categorical": categorical, "label": label}
    (model_dir / FEATURES_FILE).write_text(json.dumps(spec, indent=2), encoding="utf-8")
    (model_dir / "code").mkdir(exist_ok=True)
    shutil.copyfile(Path(__file__).with_name("inference.py"), model_dir / "code" / "inference.py")
    return auc


def main(argv: Sequence[str] | None = None) -> int:
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--max-iter", type=int, default=500)
    parser.add_argument(
        "--train", type=Path, default=Path(env.get("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train"))
    )
    parser.add_argument(
        "--validation",
        type=Path,
        default=Path(env.get("SM_CHANNEL_VALIDATION", "/opt/ml/input/data/validation")),
    )
    parser.add_argument(
        "--model-dir", type=Path, default=Path(env.get("SM_MODEL_DIR", "/opt/ml/model"))
    )
    args = parser.parse_args(argv)  # fmt: skip
    auc = train(args.train, args.validation, args.model_dir, args.C, args.max_iter)
    print(f"validation:auc={auc:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
