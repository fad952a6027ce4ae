"""No tracked file carries a merge's conflict markers (a README once did, and CI passed)."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKERS = ("<<<<<<< ", ">>>>>>> ")


def test_no_tracked_file_has_conflict_markers():
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    found = []
    for name in filter(None, files):
        path = ROOT / name.decode()
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_bytes().splitlines(), start=1):
            if line.startswith(tuple(m.encode() for m in MARKERS)):
                found.append(f"{name.decode()}:{number}")
    assert not found, "merge conflict markers left in: " + ", ".join(found)
