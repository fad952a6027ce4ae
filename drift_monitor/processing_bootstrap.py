"""``__main__.py`` of ``drift_monitor_processing.zip``: ``python3 <bundle>.zip`` runs it.

The bundle holds this package under ``code/`` and its libraries (numpy, msgspec,
pyarrow), built for one CPython version, under ``libraries/``; ``bundle.json`` says
which. The bundle is unpacked once, and its libraries are put first on the path when
they match the running interpreter (the image's Python); otherwise the interpreter's
own are used, and a line on stderr says so. Then ``drift_monitor.processing`` runs.
Standard library only: nothing else is importable before the unpacking.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import zipfile


def main() -> int:
    bundle = os.path.abspath(sys.argv[0])
    target = tempfile.mkdtemp(prefix="driftgate-")
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(target)
    with open(os.path.join(target, "bundle.json"), encoding="utf-8") as meta:
        built_for = json.load(meta)["python"]
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    sys.path.insert(0, os.path.join(target, "code"))
    if built_for == running:
        sys.path.insert(0, os.path.join(target, "libraries"))
    else:
        print(
            f"driftgate: libraries built for Python {built_for}, running {running}: using"
            " the interpreter's own",
            file=sys.stderr,
        )
    from drift_monitor.processing import main as run

    return run()


if __name__ == "__main__":
    sys.exit(main())
