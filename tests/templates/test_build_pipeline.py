"""The build pipeline's definition in build.yml: valid JSON once substituted, every
property reference points at a step and property that exist, the steps and the
QualityCheck wiring the issue asks for, and every job encrypted with the stack key."""

import json
from pathlib import Path

import pytest
import yaml

from scripts.emulator import sagemaker_pipelines as runner

VALUES = {
    "DataBucketName": "data-bucket",
    "ArtifactsBucketName": "artifacts-bucket",
    "ProjectName": "driftgate",
    "KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/abc",
    "ModelPackageGroupName": "driftgate-models",
    "ProcessingInstanceType": "ml.m5.large",
    "TrainingInstanceType": "ml.m5.large",
    "MetricThreshold": "0.75",
    "AWS::Region": "us-east-1",
    "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3",
    "RoleArn": "arn:aws:iam::123456789012:role/build",
    "CodeUri": "s3://hosting/driftgate/sagemaker/code/",
    "SourceUri": "s3://hosting/driftgate/sagemaker/sourcedir.tar.gz",
}


def substitution(templates):
    pipeline = templates["build.yml"]["Resources"]["BuildPipeline"]["Properties"]
    return pipeline["PipelineDefinition"]["PipelineDefinitionBody"]["Fn::Sub"]


@pytest.fixture(scope="module")
def definition(templates):
    body, _ = substitution(templates)
    return runner.load_definition(runner.render_sub(body, VALUES))


@pytest.fixture(scope="module")
def steps(definition):
    return runner.flatten_steps(definition)


def test_every_sub_variable_is_a_parameter_a_pseudo_parameter_or_given(templates):
    body, variables = substitution(templates)
    known = set(templates["build.yml"]["Parameters"]) | set(variables) | {"AWS::Region"}
    names = set(runner.re.findall(r"\$\{([^}!]+)\}", body))
    assert names <= known
    assert set(variables) == {"Image", "RoleArn", "CodeUri", "SourceUri"}


def test_every_reference_points_at_an_existing_step_and_property(definition):
    assert runner.check_definition(definition) == []


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        ("Outputs['train']", "Preprocess has no output nottrain"),
        ("PropertyFiles.EvaluationReport", "declares no property file Nope"),
        ("Parameters.MetricThreshold", "no parameter Nothing"),
    ],
)
def test_the_reference_check_notices_a_broken_reference(templates, broken, problem):
    body, _ = substitution(templates)
    replacement = {"Outputs['train']": "Outputs['nottrain']",
                   "PropertyFiles.EvaluationReport": "PropertyFiles.Nope",
                   "Parameters.MetricThreshold": "Parameters.Nothing"}[broken]  # fmt: skip
    text = runner.render_sub(body, VALUES)
    first = text.index(broken)
    text = text[:first] + replacement + text[first + len(broken) :]
    problems = runner.check_definition(runner.load_definition(text))
    assert any(problem in p for p in problems), problems


def test_steps_and_their_order(steps):
    assert [(s.name, s.type) for s in steps.values()] == [
        ("Preprocess", "Processing"),
        ("Train", "Training"),
        ("Evaluate", "Processing"),
        ("DataQuality", "Processing"),
        ("CheckMetric", "Condition"),
        ("Register", "RegisterModel"),
        ("MetricTooLow", "Fail"),
    ]
    assert runner.order(steps) == [
        "Preprocess", "Train", "Evaluate", "DataQuality", "CheckMetric", "Register", "MetricTooLow",
    ]  # fmt: skip
    assert steps["Register"].branch == ("CheckMetric", "if")
    assert steps["MetricTooLow"].branch == ("CheckMetric", "else")


def test_parameters_the_issue_names(definition):
    declared = {p["Name"]: p for p in definition["Parameters"]}
    assert set(declared) == {
        "InputDataUri", "ProcessingInstanceType", "TrainingInstanceType", "ModelApprovalStatus",
        "MetricThreshold", "SkipCheck", "RegisterNewBaseline", "PreviousBaselineStatisticsUri",
        "PreviousBaselineConstraintsUri", "TriggerSource",
    }  # fmt: skip
    assert declared["ModelApprovalStatus"]["DefaultValue"] == "PendingManualApproval"
    assert declared["MetricThreshold"] == {"Name": "MetricThreshold", "Type": "Float",
                                           "DefaultValue": 0.75}  # fmt: skip
    # The first run of an empty group must be SkipCheck/RegisterNewBaseline true/true.
    assert declared["SkipCheck"]["DefaultValue"] == declared["RegisterNewBaseline"]["DefaultValue"]
    assert declared["SkipCheck"]["DefaultValue"] == "true"


def test_condition_reads_the_evaluation_property_file_against_the_threshold(steps):
    condition = steps["CheckMetric"].body["Arguments"]["Conditions"][0]
    assert condition["Type"] == "GreaterThanOrEqualTo"
    assert condition["LeftValue"] == {"Std:JsonGet": {
        "PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"},
        "Path": "binary_classification_metrics.auc.value"}}  # fmt: skip
    assert condition["RightValue"] == {"Get": "Parameters.MetricThreshold"}
    assert steps["Evaluate"].body["PropertyFiles"] == [
        {
            "PropertyFileName": "EvaluationReport",
            "OutputName": "evaluation",
            "FilePath": "evaluation.json",
        }
    ]
    assert "DataQuality" in steps["CheckMetric"].body["DependsOn"]


def _joined_output(node):
    values = node["S3Uri"]["Std:Join"]["Values"]
    return values[0]["Get"], values[1]


def test_register_uses_the_new_baseline_for_metrics_and_the_chosen_one_for_drift_checks(steps):
    arguments = steps["Register"].body["Arguments"]
    quality = arguments["ModelMetrics"]["ModelDataQuality"]
    drift = arguments["DriftCheckBaselines"]["ModelDataQuality"]
    output = "Steps.DataQuality.ProcessingOutputConfig.Outputs['{}'].S3Output.S3Uri"
    assert _joined_output(quality["Statistics"]) == (output.format("baseline"), "statistics.json")
    assert _joined_output(quality["Constraints"]) == (output.format("baseline"), "constraints.json")
    assert _joined_output(drift["Statistics"]) == (output.format("drift_check"), "statistics.json")
    assert _joined_output(drift["Constraints"]) == (
        output.format("drift_check"),
        "constraints.json",
    )
    assert arguments["ModelApprovalStatus"] == {"Get": "Parameters.ModelApprovalStatus"}
    spec = arguments["InferenceSpecification"]
    assert spec["SupportedContentTypes"] == ["text/csv"] == spec["SupportedResponseMIMETypes"]
    assert spec["Containers"][0]["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"


def test_the_else_branch_fails_with_a_reason(steps):
    message = steps["MetricTooLow"].body["Arguments"]["ErrorMessage"]
    assert "below MetricThreshold" in json.dumps(message)


def test_data_quality_step_gets_both_flags_and_the_previous_baseline(steps):
    environment = steps["DataQuality"].body["Arguments"]["Environment"]
    assert environment["DRIFTGATE_SKIP_CHECK"] == {"Get": "Parameters.SkipCheck"}
    assert environment["DRIFTGATE_REGISTER_NEW_BASELINE"] == {
        "Get": "Parameters.RegisterNewBaseline"
    }
    assert environment["DRIFTGATE_PREVIOUS_STATISTICS_URI"] == {
        "Get": "Parameters.PreviousBaselineStatisticsUri"
    }
    # driftgate's own baseline on the prebuilt image, not QualityCheckStep's analyzer.
    spec = steps["DataQuality"].body["Arguments"]["AppSpecification"]
    assert spec["ContainerEntrypoint"][-1].endswith("/code/data_quality.py")
    assert "sagemaker-scikit-learn" in spec["ImageUri"]


def test_every_job_output_and_volume_uses_the_stack_key(steps):
    key = VALUES["KmsKeyArn"]
    for step in steps.values():
        arguments = step.body["Arguments"]
        if step.type == "Processing":
            assert arguments["ProcessingOutputConfig"]["KmsKeyId"] == key, step.name
            assert arguments["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == key
        elif step.type == "Training":
            assert arguments["OutputDataConfig"]["KmsKeyId"] == key
            assert arguments["ResourceConfig"]["VolumeKmsKeyId"] == key


def test_registered_uris_are_in_the_artifacts_bucket(steps):
    # The ApprovedModelPackage custom resource refuses packages outside it.
    prefix = "s3://artifacts-bucket/driftgate/build/"
    train = steps["Train"].body["Arguments"]["OutputDataConfig"]["S3OutputPath"]
    assert train.startswith(prefix)
    for name in ("Evaluate", "DataQuality"):
        for output in steps[name].body["Arguments"]["ProcessingOutputConfig"]["Outputs"]:
            assert output["S3Output"]["S3Uri"]["Std:Join"]["Values"][0].startswith(prefix)


def test_taskcat_runs_a_build_enabled_stack_without_scheduled_training():
    taskcat = yaml.safe_load((Path(__file__).resolve().parents[2] / ".taskcat.yml").read_text())
    build_tests = [
        t for t in taskcat["tests"].values() if t["parameters"].get("BuildPipeline") == "true"
    ]
    assert build_tests, "no taskcat test deploys build.yml"
    assert all(t["parameters"].get("RetrainSchedule") == "off" for t in build_tests)


def test_the_package_supports_every_hosting_type_a_stage_accepts(templates, steps):
    # A built package is deployed by endpoint.yml with the stage's InstanceType; a type
    # the stage accepts but the package does not list is one the registry entry says it
    # cannot serve (CreateModelPackage, InferenceSpecification), so both lists are equal.
    spec = steps["Register"].body["Arguments"]["InferenceSpecification"]
    hosting = templates["endpoint.yml"]["Parameters"]["InstanceType"]["AllowedValues"]
    assert sorted(spec["SupportedRealtimeInferenceInstanceTypes"]) == sorted(hosting)
