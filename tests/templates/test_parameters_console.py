"""The Launch Stack page: every root parameter labelled, grouped, explained, validated."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HOSTING = ["TemplatesBucketName", "TemplatesKeyPrefix", "TemplatesBucketRegion"]


def interface(template):
    return template["Metadata"]["AWS::CloudFormation::Interface"]


def test_every_root_parameter_is_in_exactly_one_group(root_template):
    grouped = [p for g in interface(root_template)["ParameterGroups"] for p in g["Parameters"]]
    assert sorted(grouped) == sorted(root_template["Parameters"]), "each parameter once"


def test_every_root_parameter_is_labelled(root_template):
    labels = interface(root_template)["ParameterLabels"]
    assert set(labels) == set(root_template["Parameters"])
    assert all(label["default"].strip() for label in labels.values())


def test_groups_are_named_and_hosting_comes_last(root_template):
    groups = interface(root_template)["ParameterGroups"]
    assert all(g["Label"]["default"].endswith("configuration") for g in groups)
    assert groups[-1]["Parameters"] == HOSTING


@pytest.mark.parametrize("template_name", ["pipeline.yml", "stage.yml", "endpoint.yml"])
def test_every_parameter_is_described_and_validated(templates, template_name):
    for name, spec in templates[template_name]["Parameters"].items():
        assert spec.get("Description", "").strip(), f"{template_name}/{name}: no Description"
        validated = {"AllowedPattern", "AllowedValues"} & set(spec) or (
            spec["Type"] == "Number" and {"MinValue", "MaxValue"} <= set(spec)
        )
        assert validated, f"{template_name}/{name}: no AllowedPattern/AllowedValues/range"
        assert spec.get("ConstraintDescription"), f"{template_name}/{name}: no explanation"


def test_every_allowed_pattern_has_a_constraint_description(templates):
    for template_name, template in templates.items():
        for name, spec in template.get("Parameters", {}).items():
            if "AllowedPattern" in spec:
                assert spec.get("ConstraintDescription"), f"{template_name}/{name}"


def test_defaults_pass_their_own_validation(templates, violation):
    for template_name, template in templates.items():
        for name, spec in template.get("Parameters", {}).items():
            if "Default" in spec:
                assert violation(spec, str(spec["Default"])) is None, f"{template_name}/{name}"


def test_validation_refuses_typical_mistakes(root_template, violation):
    params = root_template["Parameters"]
    mistakes = {
        "ProjectName": "Driftgate",
        "ArtifactsBucketName": "s3://my-bucket",
        "ArtifactsKmsKeyArn": "alias/my-key",
        "ModelVersion": "0",
        "TemplatesKeyPrefix": "driftgate",
        "DriftThreshold": "1.5",
        "InstanceCount": "0",
        "NotificationEmail": "team at example.com",
        "MonitoringSchedule": "weekly",
    }
    for name, value in mistakes.items():
        assert violation(params[name], value), f"{name} accepts {value!r}"


def defaults(template):
    return {name: str(spec.get("Default", "x")) for name, spec in template["Parameters"].items()}


def test_defaults_satisfy_the_rules(root_template, rule_failures):
    assert rule_failures(root_template, defaults(root_template)) == []


def test_pipeline_mode_is_the_default_and_accepted(root_template, rule_failures):
    assert root_template["Parameters"]["DeliveryMode"]["Default"] == "pipeline"
    values = {**defaults(root_template), "AWS::Region": "eu-west-1"}
    assert rule_failures(root_template, values) == []
    values["TemplatesBucketRegion"] = "eu-west-1"
    assert rule_failures(root_template, values) == []


def test_pipeline_mode_refuses_a_source_bucket_in_another_region(root_template, rule_failures):
    values = {**defaults(root_template), "AWS::Region": "eu-west-1"}
    values["TemplatesBucketRegion"] = "us-east-1"
    (failure,) = rule_failures(root_template, values)
    assert "S3 source" in failure and "TemplatesBucketRegion" in failure
    assert rule_failures(root_template, {**values, "DeliveryMode": "direct"}) == []


def test_model_monitor_cannot_run_every_15_minutes(root_template, rule_failures):
    values = {
        **defaults(root_template),
        "MonitoringBackend": "model-monitor",
        "MonitoringSchedule": "every-15-minutes",
    }
    (failure,) = rule_failures(root_template, values)
    assert "hourly" in failure
    values["MonitoringBackend"] = "builtin"
    assert rule_failures(root_template, values) == []


def taskcat_regions(config: dict) -> set[str]:
    regions = set(config.get("project", {}).get("regions", []))
    for test in config.get("tests", {}).values():
        regions.update(test.get("regions", []))
    return regions


def test_cfn_lint_regions_match_taskcat():
    lint_regions = set(yaml.safe_load((ROOT / ".cfnlintrc").read_text())["regions"])
    assert lint_regions
    taskcat = yaml.safe_load((ROOT / ".taskcat.yml").read_text())
    assert taskcat_regions(taskcat) == lint_regions


def taskcat_resolved(value: object, project: str, region: str) -> str:
    """A .taskcat.yml value as taskcat passes it in ``region`` (the pseudo-parameters
    this project uses inside a value; a value that is only ``$[taskcat_autobucket]``
    stays as it is)."""
    text = str(value).replace("$[taskcat_current_region]", region)
    return text.replace("$[taskcat_project_name]", project)


def test_taskcat_parameters_are_root_parameters_the_console_would_accept(root_template, violation):
    taskcat = yaml.safe_load((ROOT / ".taskcat.yml").read_text())
    overrides = yaml.safe_load((ROOT / ".taskcat_overrides.example.yml").read_text())
    spec = root_template["Parameters"]
    common = taskcat.get("project", {}).get("parameters", {})
    project = taskcat["project"]["name"]
    for name, test in taskcat["tests"].items():
        assert test["template"] == "templates/pipeline.yml", name
        for values in ({**common, **test.get("parameters", {})}, {**common, **overrides}):
            for region in taskcat_regions(taskcat):
                for key, value in values.items():
                    assert key in spec, f"{name}: {key} is not a parameter of pipeline.yml"
                    resolved = taskcat_resolved(value, project, region)
                    if not resolved.startswith("$["):  # taskcat fills these in per run
                        problem = violation(spec[key], resolved)
                        assert problem is None, f"{name}: {key}={resolved} in {region}"
        values = {**common, **test.get("parameters", {})}
        required = {key for key, body in spec.items() if "Default" not in body}
        assert required <= set(values), f"{name} misses {sorted(required - set(values))}"


def test_taskcat_artifacts_bucket_is_one_per_region():
    """SageMaker reads model data only from a bucket in the endpoint's region (CreateModel,
    ModelDataUrl), so every region tested needs its own artifacts bucket."""
    taskcat = yaml.safe_load((ROOT / ".taskcat.yml").read_text())
    overrides = yaml.safe_load((ROOT / ".taskcat_overrides.example.yml").read_text())
    regions = taskcat_regions(taskcat)
    assert len(regions) > 1
    for source in (taskcat["project"]["parameters"], overrides):
        names = {taskcat_resolved(source["ArtifactsBucketName"], "p", r) for r in regions}
        assert len(names) == len(regions), source["ArtifactsBucketName"]
