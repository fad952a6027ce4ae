"""Zips of the delivery pipeline's Lambda functions (``delivery_functions/``).

Each zip holds the function's folder at its root, ``pipeline_job.py`` (the CodePipeline
job plumbing), the shared ``custom_resources/common`` package and, for resolve_version,
the registry lookup ``package_lookup.py`` of the ApprovedModelPackage custom resource and
the stage-stack deletes ``teardown.py`` of the StageStacks custom resource: one copy of
that code in the repository, two functions using each. boto3 comes from the
Lambda runtime; nothing else is vendored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "delivery_functions"
DELIVERY_FUNCTIONS = ("resolve_version", "staging_test", "start_pipeline")
# Modules each function imports from elsewhere in the repository, as zip-root files.
SHARED_FILES = {
    "resolve_version": (
        FUNCTIONS / "pipeline_job.py",
        ROOT / "custom_resources" / "approved_model_package" / "package_lookup.py",
        # The stage-stack status reads and delete of the StageStacks custom resource,
        # for stage_reset.py.
        ROOT / "custom_resources" / "stage_stacks" / "teardown.py",
    ),
    "staging_test": (FUNCTIONS / "pipeline_job.py",),
    "start_pipeline": (),
}

Entries = Iterable[tuple[Path, str]]


def function_entries(name: str, files_under: Callable[[Path], Entries]) -> list[tuple[Path, str]]:
    folder = FUNCTIONS / name
    if not (folder / "handler.py").exists():
        raise SystemExit(f"delivery_functions/{name}/handler.py is missing")
    entries = [e for e in files_under(folder) if e[0].suffix == ".py"]
    entries += [(path, path.name) for path in SHARED_FILES[name]]
    common = ROOT / "custom_resources" / "common"
    entries += [(p, f"common/{n}") for p, n in files_under(common) if p.suffix == ".py"]
    return entries


def build(
    out: Path,
    write_zip: Callable[[Path, Entries], str],
    files_under: Callable[[Path], Entries],
) -> dict[str, str]:
    """Write every delivery function's zip under ``out/functions``; name -> sha256."""
    digests = {}
    for name in DELIVERY_FUNCTIONS:
        archive = out / "functions" / f"{name}.zip"
        digests[archive.name] = write_zip(archive, function_entries(name, files_under))
    return digests
