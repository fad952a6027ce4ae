"""`parameters/*.json` work with `create-stack --parameters file://...` as they are."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PARAMETERS_DIR = ROOT / "parameters"
EXPECTED = ["example.json", "prod.json", "staging.json"]


def load(name: str) -> list[dict[str, str]]:
    return json.loads((PARAMETERS_DIR / name).read_text())


def as_values(entries: list[dict[str, str]]) -> dict[str, str]:
    return {e["ParameterKey"]: e["ParameterValue"] for e in entries}


def test_the_documented_files_exist():
    assert sorted(p.name for p in PARAMETERS_DIR.glob("*.json")) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_file_is_a_create_stack_list(name):
    entries = load(name)
    assert isinstance(entries, list) and entries
    for entry in entries:
        assert set(entry) == {"ParameterKey", "ParameterValue"}, entry
        assert isinstance(entry["ParameterValue"], str), f"{entry}: CloudFormation wants strings"
    keys = [e["ParameterKey"] for e in entries]
    assert len(keys) == len(set(keys)), f"{name} repeats a key"


@pytest.mark.parametrize("name", EXPECTED)
def test_file_names_only_root_parameters_and_every_required_one(root_template, name):
    keys = set(as_values(load(name)))
    params = root_template["Parameters"]
    assert keys - set(params) == set(), f"{name} names parameters pipeline.yml lacks"
    required = {p for p, spec in params.items() if "Default" not in spec}
    assert required - keys == set(), f"{name} omits required parameters"


@pytest.mark.parametrize("name", EXPECTED)
def test_file_lists_every_parameter(root_template, name):
    """A complete file documents every knob; nothing silently falls back to a default."""
    assert set(as_values(load(name))) == set(root_template["Parameters"])


@pytest.mark.parametrize("name", EXPECTED)
def test_values_pass_validation_and_rules(root_template, violation, rule_failures, name):
    values = as_values(load(name))
    params = root_template["Parameters"]
    for key, value in values.items():
        assert violation(params[key], value) is None, f"{name}: {key}"
    full = {k: str(spec.get("Default", "")) for k, spec in params.items()} | values
    assert rule_failures(root_template, full) == [], name


@pytest.mark.parametrize("name", EXPECTED)
def test_bucket_names_are_placeholders_to_replace(name):
    values = as_values(load(name))
    for key in ("ArtifactsBucketName", "TemplatesBucketName"):
        assert values[key].startswith("replace-with-"), f"{name}: {key} looks like a real bucket"


def test_prod_is_the_prod_stage_with_headroom():
    staging, prod = as_values(load("staging.json")), as_values(load("prod.json"))
    assert (staging["StageName"], prod["StageName"]) == ("staging", "prod")
    assert int(prod["InstanceCount"]) >= 2, "prod keeps serving while one instance is replaced"
    assert int(prod["MaxInstanceCount"]) >= int(prod["InstanceCount"])


@pytest.mark.parametrize("name", EXPECTED)
def test_autoscaling_bounds_are_ordered(name):
    """No Rule can compare numbers, so the shipped files are checked here."""
    values = as_values(load(name))
    assert int(values["MaxInstanceCount"]) >= int(values["InstanceCount"]), name
