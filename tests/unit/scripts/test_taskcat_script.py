"""scripts/taskcat.sh refuses early and clearly, and otherwise hands over to taskcat."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import aws_credentials

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "taskcat.sh"


@pytest.fixture
def fake_taskcat(tmp_path, monkeypatch):
    """A stand-in taskcat that records its arguments and working directory."""
    record = tmp_path / "taskcat-called"
    tool = tmp_path / "taskcat"
    tool.write_text(f'#!/usr/bin/env bash\necho "$PWD $*" > {record}\n')
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("TASKCAT", str(tool))
    monkeypatch.setenv("DRIFTGATE_PYTHON", sys.executable)
    return record


def run_script(*args):
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=60, env=os.environ.copy()
    )


def test_refuses_without_credentials_before_taskcat_runs(no_credentials, fake_taskcat):
    result = run_script("-t", "direct-builtin")
    assert result.returncode == 2
    assert aws_credentials.NO_CREDENTIALS in result.stderr
    assert not fake_taskcat.exists()


def test_refuses_without_a_package(fake_credentials, fake_taskcat, tmp_path, monkeypatch):
    monkeypatch.setenv("DRIFTGATE_DIST", str(tmp_path / "missing"))
    result = run_script()
    assert result.returncode == 2
    assert "run 'make package'" in result.stderr
    assert not fake_taskcat.exists()


def test_runs_taskcat_from_the_package_with_extra_arguments(
    fake_credentials, fake_taskcat, dist, monkeypatch
):
    monkeypatch.setenv("DRIFTGATE_DIST", str(dist))
    result = run_script("-t", "direct-builtin", "-r", "eu-west-1")
    assert result.returncode == 0, result.stderr
    cwd, *args = fake_taskcat.read_text().split()
    assert Path(cwd) == dist
    assert args[:2] == ["test", "run"]
    assert args[-4:] == ["-t", "direct-builtin", "-r", "eu-west-1"]
    assert (dist / ".taskcat.yml").read_text() == (ROOT / ".taskcat.yml").read_text()


def test_module_check_passes_with_credentials(fake_credentials):
    assert aws_credentials.main() == 0


def test_module_check_exits_2_without_credentials(no_credentials, capsys):
    with pytest.raises(SystemExit) as stop:
        aws_credentials.main()
    assert stop.value.code == 2
    assert "make demo" in capsys.readouterr().err
