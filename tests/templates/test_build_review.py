"""Findings of the build.yml review against the AWS docs, each pinned by a test:
schedule expressions EventBridge accepts, the job role's ECR pull of the prebuilt image,
and the delivery role's CloudFormation-action permissions."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# EventBridge, "Schedule expressions for rules": cron has six fields; rate's unit is
# singular when the value is 1 and plural when it is greater.
ACCEPTED = [
    "off",
    "cron(0 3 1 * ? *)",
    "cron(0/15 * * * ? *)",
    "cron(0 12 ? * MON-FRI *)",
    "rate(1 minute)",
    "rate(1 hour)",
    "rate(1 day)",
    "rate(2 days)",
    "rate(15 minutes)",
    "rate(10 hours)",
]
REFUSED = [
    "rate(1 minutes)",
    "rate(1 days)",
    "rate(5 minute)",
    "rate(0 minutes)",
    "rate(12 day)",
    "cron(0 3 1 * ?)",
    "cron(0 3 1 * ? * *)",
    "cron()",
    "cron(0  3 1 * ? *)",
    "daily",
]


@pytest.mark.parametrize("template", ["build.yml", "pipeline.yml"])
def test_retrain_schedule_accepts_only_what_eventbridge_accepts(templates, template):
    pattern = templates[template]["Parameters"]["RetrainSchedule"]["AllowedPattern"]
    for value in ACCEPTED:
        assert re.fullmatch(pattern, value), f"{template} refuses {value}"
    for value in REFUSED:
        assert not re.fullmatch(pattern, value), f"{template} accepts {value}"
    default = templates[template]["Parameters"]["RetrainSchedule"]["Default"]
    assert re.fullmatch(pattern, default)


def _statements(templates, template, role):
    policies = templates[template]["Resources"][role]["Properties"]["Policies"]
    return [s for p in policies for s in p["PolicyDocument"]["Statement"] if isinstance(s, dict)]


def test_the_job_role_pulls_the_prebuilt_image_it_names(templates):
    statements = {
        s.get("Sid"): s for s in _statements(templates, "build.yml", "PipelineExecutionRole")
    }
    assert statements["EcrLogin"]["Action"] == "ecr:GetAuthorizationToken"
    assert statements["EcrLogin"]["Resource"] == "*"
    pull = statements["PullSklearnImage"]
    assert sorted(pull["Action"]) == [
        "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
    ]  # fmt: skip
    template_string, parts = pull["Resource"]["Fn::Sub"]
    assert template_string == (
        "arn:${AWS::Partition}:ecr:${AWS::Region}:${Account}:repository/${Repository}"
    )
    # The same map row as the image the steps run (and the package registers).
    body = templates["build.yml"]["Resources"]["BuildPipeline"]["Properties"]
    image = body["PipelineDefinition"]["PipelineDefinitionBody"]["Fn::Sub"][1]["Image"]
    assert image["Fn::Sub"][1] == parts


def test_the_pipeline_role_may_validate_templates_and_no_stage_file_sets_a_stack_policy(
    templates,
):
    role = templates["delivery.yml"]["Resources"]["PipelineRole"]["Properties"]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    (validate,) = [s for s in statements if s.get("Sid") == "ValidateStageTemplate"]
    assert validate["Action"] == "cloudformation:ValidateTemplate"
    assert validate["Resource"] == "*"
    for path in sorted((ROOT / "parameters" / "stages").glob("*.json")):
        assert "StackPolicy" not in json.loads(path.read_text()), path.name


# Families of SageMaker instance types whose volumes are EBS (no local instance store;
# EC2 "Instance store volumes" lists the ones that have one, such as m5d, c5d, r5d, g4dn,
# g5, p3dn, p4d).
EBS_ONLY_FAMILIES = {"t3", "m5", "c5", "r5"}


# Every instance-type parameter of a job whose volume the stack key encrypts, and the
# SageMaker API shape that names the type (botocore's model holds the API's enum).
JOB_INSTANCE_TYPES = [
    ("build.yml", "ProcessingInstanceType", "ProcessingInstanceType"),
    ("build.yml", "TrainingInstanceType", "TrainingInstanceType"),
    ("monitoring.yml", "ProcessingInstanceType", "ProcessingInstanceType"),
    ("monitoring.yml", "MonitoringInstanceType", "ProcessingInstanceType"),
]


@pytest.mark.parametrize(("template", "parameter", "shape"), JOB_INSTANCE_TYPES)
def test_job_instance_types_accept_no_local_storage_type(templates, template, parameter, shape):
    import botocore.session

    spec = templates[template]["Parameters"][parameter]
    assert "AllowedPattern" not in spec, "a pattern lets ml.m5d.large through"
    allowed = spec["AllowedValues"]
    assert spec["Default"] in allowed
    enum = botocore.session.get_session().get_service_model("sagemaker").shape_for(shape).enum
    for value in allowed:
        family = re.fullmatch(r"ml\.([a-z0-9]+)\.[a-z0-9]+", value)
        assert family and family[1] in EBS_ONLY_FAMILIES, value
        assert value in enum, f"{value} is not a {shape} the SageMaker API accepts"


def test_every_job_instance_type_parameter_is_checked(templates):
    # A new job (or a new parameter feeding one) must join JOB_INSTANCE_TYPES.
    checked = {(t, p) for t, p, _ in JOB_INSTANCE_TYPES}
    for name in ("build.yml", "monitoring.yml"):
        for parameter in templates[name]["Parameters"]:
            if parameter.endswith("InstanceType"):
                assert (name, parameter) in checked, (name, parameter)


def test_every_job_encrypts_its_volume_with_the_stack_key(templates):
    # Why the lists above exclude local storage.
    body = templates["build.yml"]["Resources"]["BuildPipeline"]["Properties"]
    text = body["PipelineDefinition"]["PipelineDefinitionBody"]["Fn::Sub"][0]
    assert text.count('"VolumeKmsKeyId": "${KmsKeyArn}"') == 4
    monitoring = templates["monitoring.yml"]["Resources"]
    cluster = monitoring["DataQualityJobDefinition"]["Properties"]["JobResources"]
    assert cluster["ClusterConfig"]["VolumeKmsKeyId"] == {"Ref": "KmsKeyArn"}


def test_the_images_python_runs_the_step_code():
    # The steps import drift_monitor, which needs Python 3.11 (datetime.UTC). The image
    # tag names no Python ("py3"), but it serves scikit-learn SKLEARN_VERSION, whose own
    # Requires-Python (the locally pinned wheel of that version) bounds it from below.
    from importlib import metadata

    from scripts import generate_image_map

    sklearn = metadata.distribution("scikit-learn")
    version = ".".join(sklearn.version.split(".")[:2])
    assert generate_image_map.SKLEARN_VERSION.startswith(f"{version}-")
    floor = re.fullmatch(r">=\s*3\.(\d+)", sklearn.metadata["Requires-Python"].strip())
    assert floor and int(floor[1]) >= 11
    uses_utc = [p.name for p in (ROOT / "drift_monitor").glob("*.py")
                if re.search(r"from datetime import .*\bUTC\b", p.read_text())]  # fmt: skip
    assert uses_utc, "no 3.11-only import left: this test's premise changed"
