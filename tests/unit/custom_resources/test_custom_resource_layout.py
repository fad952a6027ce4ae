"""Each custom resource runs from its zip's layout: its folder plus common/ at the root."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cr_support import SOURCES

PROBE = """
import sys
sys.path[:0] = [sys.argv[1]]
import handler
assert handler.helper._sleep_on_delete == 0
assert handler.helper._init_failed is None, handler.helper._init_failed
print(handler.__file__)
"""


@pytest.mark.parametrize(
    "name", ["approved_model_package", "drift_baseline", "deployment_check", "stage_stacks"]
)
def test_handler_imports_from_zip_layout(tmp_path: Path, name: str):
    root = tmp_path / name
    shutil.copytree(SOURCES / name, root, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(
        SOURCES / "common", root / "common", ignore=shutil.ignore_patterns("__pycache__")
    )

    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(root)],
        cwd=tmp_path,
        env={"AWS_REGION": "us-east-1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(root / "handler.py")


def test_requirements_pin_crhelper():
    lines = (SOURCES / "requirements.txt").read_text().splitlines()
    assert [line for line in lines if line and not line.startswith("#")] == ["crhelper==2.0.12"]
