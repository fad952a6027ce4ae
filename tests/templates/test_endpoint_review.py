"""endpoint.yml and the stacks that pass it parameters, against what AWS refuses."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

PARAMETERS_DIR = Path(__file__).resolve().parents[2] / "parameters"

HOSTING_TEMPLATES = ("endpoint.yml", "stage.yml", "pipeline.yml")
# Burstable families: ml.t2, ml.t3, ml.t4g...
BURSTABLE = re.compile(r"^ml\.t\d")


def test_every_variant_is_autoscaled(templates: dict[str, Any]) -> None:
    """The premise of the next test: the scalable target is unconditional."""
    target = templates["endpoint.yml"]["Resources"]["ScalableTarget"]
    assert "Condition" not in target
    assert target["Properties"]["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"


@pytest.mark.parametrize("template", HOSTING_TEMPLATES)
def test_no_burstable_hosting_type_is_accepted(templates: dict[str, Any], template: str) -> None:
    """Application Auto Scaling refuses to register a variant on a burstable instance
    such as T2 (SageMaker guide, "Configure model auto scaling with the console"): the
    stack would fail at ScalableTarget after the endpoint was created. The root and the
    stage refuse such a type before anything is created."""
    allowed = templates[template]["Parameters"]["InstanceType"]["AllowedValues"]
    assert [t for t in allowed if BURSTABLE.match(t)] == []


def test_the_root_and_stage_accept_only_types_the_endpoint_accepts(
    templates: dict[str, Any],
) -> None:
    endpoint = set(templates["endpoint.yml"]["Parameters"]["InstanceType"]["AllowedValues"])
    for template in ("stage.yml", "pipeline.yml"):
        assert set(templates[template]["Parameters"]["InstanceType"]["AllowedValues"]) <= endpoint


def _instance_types(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("ParameterKey") == "InstanceType":
            found.append(node["ParameterValue"])
        for key, value in node.items():
            if key == "InstanceType" and isinstance(value, str):
                found.append(value)
            found += _instance_types(value)
    elif isinstance(node, list):
        for item in node:
            found += _instance_types(item)
    return found


def test_parameter_files_name_accepted_types(templates: dict[str, Any]) -> None:
    allowed = set(templates["pipeline.yml"]["Parameters"]["InstanceType"]["AllowedValues"])
    files = sorted(PARAMETERS_DIR.rglob("*.json"))
    assert files
    for path in files:
        for value in _instance_types(json.loads(path.read_text())):
            assert value in allowed, f"{path.name}: {value}"
