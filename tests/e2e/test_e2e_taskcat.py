"""taskcat as a real client of the templates: its Python API creates and deletes the root
stack (tests direct-builtin and pipeline-builtin of .taskcat.yml) in two regions of the
emulator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from scripts.emulator import Emulator, scenario

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
TASKCAT_PYTHON = ROOT / ".venv-taskcat" / "bin" / "python"
REGIONS = ["us-east-1", "eu-west-1"]


def project_root(dist: Path, tmp: Path) -> Path:
    """build/dist's layout plus .taskcat.yml: what scripts/taskcat.sh runs taskcat on."""
    shutil.copytree(dist, tmp)
    shutil.copy(ROOT / ".taskcat.yml", tmp / ".taskcat.yml")
    return tmp


def failure_reasons(cfn, stack_id: str) -> list[str]:
    """What CloudFormation said about each failed resource of a stack (the assertion's help)."""
    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    return [
        f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}"
        for e in events
        if e["ResourceStatus"].endswith("FAILED")
    ]


@pytest.mark.parametrize("test_name", ["direct-builtin", "pipeline-builtin"])
def test_taskcat_creates_and_deletes_the_root_stack_in_two_regions(dist, tmp_path, test_name):
    assert TASKCAT_PYTHON.exists(), "create .venv-taskcat first: make .venv-taskcat/.installed"
    root = project_root(dist, tmp_path / "project")
    with Emulator(regions=REGIONS) as emu:
        # What .taskcat.yml asks a real account for, in every region: an artifacts bucket
        # of that region (SageMaker reads model data from its own region only) and a
        # model group with an approved package whose model and baselines live there.
        for region in REGIONS:
            setup = scenario.Setup(
                region=region, group="driftgate-taskcat",
                artifacts_bucket=f"driftgate-taskcat-artifacts-{region}",
            )  # fmt: skip
            scenario.create_artifacts_bucket(emu, setup)
            scenario.create_registry(emu, setup, ["Approved"])
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith("PYTHON")
        }
        completed = subprocess.run(
            [str(TASKCAT_PYTHON), str(Path(__file__).parent / "taskcat_driver.py"),
             str(root), test_name, ",".join(REGIONS)],
            capture_output=True, text=True, env=environment, timeout=300,
        )  # fmt: skip
        assert completed.returncode == 0, completed.stderr[-3000:]
        result = json.loads(completed.stdout.strip().splitlines()[-1])

        assert sorted(s["region"] for s in result["created"]) == sorted(REGIONS)
        assert {s["status"] for s in result["created"]} == {"CREATE_COMPLETE"}
        assert set(result["after_cleanup"].values()) == {"DELETE_COMPLETE"}
        for region in REGIONS:
            cfn = emu.client("cloudformation", region)
            live = {
                s["StackId"]: s["StackStatus"]
                for s in cfn.list_stacks()["StackSummaries"]
                if s["StackStatus"] != "DELETE_COMPLETE"
            }
            reasons = {stack_id: failure_reasons(cfn, stack_id) for stack_id in live}
            assert live == {}, reasons
