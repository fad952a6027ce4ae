"""Each custom resource runs from its zip's layout, as scripts/package.py lays it out:
its folder, common/ and its SHARED_MODULES, with nothing else of this repository and no
numpy (Lambda's Python runtime has neither)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cr_support import SOURCES

from scripts import package

PROBE = """
import sys
root, repository = sys.argv[1], sys.argv[2]
# This environment maps the repository's packages in (an editable install); Lambda has
# only the zip. numpy is not in Lambda's runtime either.
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in str(f)]
sys.modules["numpy"] = None
sys.path[:0] = [root]
import handler
helper = getattr(handler, "helper", None)  # the retrain gate is a plain function
if helper is not None:
    assert helper._sleep_on_delete == 0
    assert helper._init_failed is None, helper._init_failed
def from_repository(module):
    path = str(getattr(module, "__file__", None) or "")
    return path.startswith(repository) and not path.startswith((root, sys.prefix))

from_repository = sorted(n for n, m in list(sys.modules.items()) if from_repository(m))
assert not from_repository, from_repository
print(handler.__file__)
"""


@pytest.mark.parametrize("name", package.CUSTOM_RESOURCES)
def test_handler_imports_from_zip_layout(tmp_path: Path, name: str):
    root = tmp_path / name
    for source, archived in package.custom_resource_entries(name, tmp_path / "no-vendored"):
        (root / archived).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, root / archived)

    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(root), str(package.ROOT)],
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
