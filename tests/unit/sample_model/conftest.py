"""The step scripts run as files in their container (siblings import each other), so
the tests put their folder on sys.path and import them by file name."""

import sys
from pathlib import Path

import pytest

from scripts import training_data

CODE = Path(__file__).resolve().parents[3] / "sample_model" / "code"
if str(CODE) not in sys.path:
    sys.path.insert(0, str(CODE))


@pytest.fixture(scope="session")
def dataset(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    training_data.write_dataset(folder / "data.csv", rows=3000, seed=1)
    return folder


@pytest.fixture(scope="session")
def prepared(dataset, tmp_path_factory) -> Path:
    import preprocess

    out = tmp_path_factory.mktemp("prepared")
    assert preprocess.main(["--input", str(dataset), "--output", str(out)]) == 0
    return out
