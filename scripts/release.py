"""The release archive: the delivery pipeline's S3 source.

``release/driftgate-release.zip`` in the hosting tree holds what the pipeline's
CloudFormation actions read from their input artifact:

    templates/<file>.yml          every packaged template (the actions deploy templates/stage.yml)
    parameters/staging.json       per-stage parameters in CloudFormation's template
    parameters/prod.json          configuration format ({"Parameters": ..., "Tags": ...})

The stage files come from ``parameters/stages/``; the pipeline's ParameterOverrides add the
deployment's own values (project, pinned version, foundation resources) and win over them.
Built reproducibly like the Lambda zips, so an unchanged release uploads the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE_KEY = "release/driftgate-release.zip"
STAGE_FILES = ("staging.json", "prod.json")
# Parameters a stage file may set: the per-stage sizing and monitoring knobs of stage.yml.
# Everything else comes from the pipeline (ParameterOverrides), so a file cannot point a
# stage at another project's key, bucket or model.
STAGE_PARAMETERS = frozenset(
    {
        "InstanceType",
        "InstanceCount",
        "MaxInstanceCount",
        "DataCaptureSamplingPercentage",
        "MonitoringSchedule",
        "DriftThreshold",
        # The optional inference API is chosen per stage in pipeline mode.
        "InferenceApi",
        "InferenceApiRateLimit",
        "InferenceApiBurstLimit",
        "InferenceApiDailyQuota",
        "InferenceApiLoggingRole",
    }
)


def check_stage_file(path: Path) -> None:
    """Refuse a stage file CloudFormation's template configuration would not take."""
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise SystemExit(f"{path}: not JSON ({error})") from error
    if not isinstance(document, dict) or set(document) - {"Parameters", "Tags"}:
        raise SystemExit(f"{path}: expected an object with Parameters and optional Tags")
    parameters = document.get("Parameters")
    if not isinstance(parameters, dict):
        raise SystemExit(f"{path}: Parameters must be an object of name: string value")
    unknown = sorted(set(parameters) - STAGE_PARAMETERS)
    if unknown:
        raise SystemExit(
            f"{path}: {', '.join(unknown)} cannot be set per stage; allowed: "
            f"{', '.join(sorted(STAGE_PARAMETERS))}"
        )
    for name, value in {**parameters, **(document.get("Tags") or {})}.items():
        if not isinstance(value, str):
            raise SystemExit(f"{path}: {name} must be a string (CloudFormation takes strings)")


def release_entries(templates: Path, root: Path = ROOT) -> list[tuple[Path, str]]:
    """The packaged templates under ``templates`` and the stage files of ``root``."""
    entries = [(p, f"templates/{p.name}") for p in sorted(templates.glob("*.yml"))]
    if not entries:
        raise SystemExit(f"no templates under {templates}: package them first")
    for name in STAGE_FILES:
        path = root / "parameters" / "stages" / name
        if not path.is_file():
            raise SystemExit(f"parameters/stages/{name} is missing: the pipeline deploys it")
        check_stage_file(path)
        entries.append((path, f"parameters/{name}"))
    return entries


def build(
    out: Path, write_zip: Callable[[Path, Iterable[tuple[Path, str]]], str], root: Path = ROOT
) -> str:
    """Write the archive under ``out`` from the packaged ``out/templates`` (their function
    keys already content-hashed) and ``root``'s stage files, with packaging's
    reproducible zip writer."""
    return write_zip(out / ARCHIVE_KEY, release_entries(out / "templates", root))
