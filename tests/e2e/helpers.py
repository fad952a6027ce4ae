"""Shared helpers for the end-to-end tests on the local emulator."""

from __future__ import annotations

import zipfile
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def build_fixture_dist(out: Path) -> Path:
    """The fixture templates and the echo function in the hosting-bucket layout."""
    (out / "templates").mkdir(parents=True, exist_ok=True)
    (out / "functions").mkdir(parents=True, exist_ok=True)
    for template in (FIXTURES / "templates").glob("*.yml"):
        (out / "templates" / template.name).write_text(template.read_text())
    with zipfile.ZipFile(out / "functions" / "echo.zip", "w") as archive:
        archive.write(FIXTURES / "functions" / "echo" / "handler.py", "handler.py")
    return out
