"""The local SageMaker Pipelines runner, on moto: build.yml's own definition runs the
real step scripts, registers into the registry, honours the threshold and the
QualityCheck table, and refuses what it does not implement by name."""

import json

import pandas as pd
import pytest

from scripts import package, training_data
from scripts.emulator import Emulator, local_jobs
from scripts.emulator import sagemaker_pipelines as runner

REGION = "us-east-1"
GROUP = "driftgate-models"


@pytest.fixture(scope="module")
def emulator():
    # A server, not mock_aws: the step scripts run as subprocesses and reach S3 through
    # AWS_ENDPOINT_URL, as the jobs would reach the real service.
    with Emulator(regions=[REGION]) as emu:
        yield emu


@pytest.fixture(scope="module")
def world(emulator, tmp_path_factory):
    s3 = emulator.client("s3", REGION)
    sagemaker = emulator.client("sagemaker", REGION)
    for bucket in ("hosting", "data-bucket", "artifacts-bucket"):
        s3.create_bucket(Bucket=bucket)
    key = emulator.client("kms", REGION).create_key()["KeyMetadata"]["Arn"]
    out = tmp_path_factory.mktemp("dist")
    keys = package.write_step_code(out)
    for path in (out / "sagemaker").rglob("*"):
        if path.is_file():
            relative = path.relative_to(out).as_posix()
            s3.put_object(Bucket="hosting", Key=f"driftgate/{relative}", Body=path.read_bytes())
    data = tmp_path_factory.mktemp("data") / "train.csv"
    training_data.write_dataset(data, rows=3000, seed=1)
    s3.put_object(Bucket="data-bucket", Key="build/data/train.csv", Body=data.read_bytes())
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    values = {
        "DataBucketName": "data-bucket", "ArtifactsBucketName": "artifacts-bucket",
        "ProjectName": "driftgate", "KmsKeyArn": key, "ModelPackageGroupName": GROUP,
        "ProcessingInstanceType": "ml.m5.large", "TrainingInstanceType": "ml.m5.large",
        "MetricThreshold": "0.75", "AWS::Region": REGION,
        "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.9-0",
        "RoleArn": "arn:aws:iam::123456789012:role/build",
        "CodeUri": f"s3://hosting/driftgate/{keys['sagemaker/code/']}",
        "SourceUri": f"s3://hosting/driftgate/{keys['sagemaker/sourcedir.tar.gz']}",
    }  # fmt: skip
    return s3, sagemaker, values, tmp_path_factory.mktemp("work")


@pytest.fixture(scope="module")
def definition(world, templates):
    body = templates["build.yml"]["Resources"]["BuildPipeline"]["Properties"][
        "PipelineDefinition"]["PipelineDefinitionBody"]["Fn::Sub"][0]  # fmt: skip
    return runner.load_definition(runner.render_sub(body, world[2]))


@pytest.fixture(scope="module")
def templates():
    from cfnlint.decode import cfn_yaml

    return {"build.yml": cfn_yaml.load(str(package.ROOT / "templates" / "build.yml"))}


def backend(world):
    s3, sagemaker, _, work = world
    return runner.LocalBackend(s3, sagemaker, work)


def packages(world):
    listed = world[1].list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    return [world[1].describe_model_package(ModelPackageName=p["ModelPackageArn"]) for p in listed]


def read(world, uri):
    bucket, _, key = uri[len("s3://") :].partition("/")
    return json.loads(world[0].get_object(Bucket=bucket, Key=key)["Body"].read())


def baselines(world, package_description):
    metrics = package_description["ModelMetrics"]["ModelDataQuality"]
    drift = package_description["DriftCheckBaselines"]["ModelDataQuality"]
    return (
        read(world, metrics["Statistics"]["S3Uri"]),
        read(world, drift["Statistics"]["S3Uri"]),
    )


@pytest.fixture(scope="module")
def first(world, definition):
    """The initial run: SkipCheck/RegisterNewBaseline default true/true."""
    execution = runner.run_pipeline(definition, {}, backend(world), "first")
    return execution, packages(world)[-1]


def test_initial_run_trains_evaluates_baselines_and_registers_pending(first, world):
    execution, registered = first
    assert execution.status == "Succeeded", execution.failure_reason
    assert execution.steps == {
        "Preprocess": "Succeeded", "Train": "Succeeded", "Evaluate": "Succeeded",
        "DataQuality": "Succeeded", "CheckMetric": "Succeeded", "Register": "Succeeded",
        "MetricTooLow": "NotExecuted",
    }  # fmt: skip
    assert registered["ModelApprovalStatus"] == "PendingManualApproval"
    container = registered["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl"].startswith("s3://artifacts-bucket/driftgate/build/models/")
    assert container["ModelDataUrl"].endswith("/output/model.tar.gz")
    evaluation = read(world, registered["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"])
    assert evaluation["binary_classification_metrics"]["auc"]["value"] > 0.75
    new, drift_check = baselines(world, registered)
    assert new == drift_check and new["dataset"]["item_count"] == 2100


@pytest.mark.parametrize(
    ("skip", "register", "expected"),
    [("false", "false", "previous"), ("false", "true", "new"),
     ("true", "false", "previous"), ("true", "true", "new")],
)  # fmt: skip
def test_the_four_combinations_register_the_documented_baseline(
    first, world, definition, skip, register, expected
):
    previous = first[1]["DriftCheckBaselines"]["ModelDataQuality"]
    # New data from the same distribution: the check passes, and the new baseline differs.
    other = training_data.labelled_frame(3000, seed=2)
    csv = pd.DataFrame(other).astype({"label": int}).to_csv(index=False)
    world[0].put_object(Bucket="data-bucket", Key="build/other/train.csv", Body=csv.encode())
    parameters = {
        "InputDataUri": "s3://data-bucket/build/other/",
        "SkipCheck": skip,
        "RegisterNewBaseline": register,
        "PreviousBaselineStatisticsUri": previous["Statistics"]["S3Uri"],
        "PreviousBaselineConstraintsUri": previous["Constraints"]["S3Uri"],
        "TriggerSource": "schedule",
    }
    execution = runner.run_pipeline(
        definition, parameters, backend(world), f"combo-{skip}-{register}"
    )
    assert execution.status == "Succeeded", execution.failure_reason
    registered = packages(world)[-1]
    new, drift_check = baselines(world, registered)
    old = read(world, previous["Statistics"]["S3Uri"])
    assert new != old
    assert drift_check == (new if expected == "new" else old)
    assert registered["CustomerMetadataProperties"]["TriggerSource"] == "schedule"


def test_a_model_below_the_threshold_registers_nothing(first, world, definition):
    before = len(packages(world))
    execution = runner.run_pipeline(definition, {"MetricThreshold": "0.99"}, backend(world), "low")
    assert execution.status == "Failed"
    assert execution.steps["Register"] == "NotExecuted"
    assert execution.steps["MetricTooLow"] == "Failed"
    assert "below MetricThreshold 0.99" in execution.failure_reason
    assert len(packages(world)) == before


def test_drifted_data_fails_the_check_and_registers_nothing(first, world, definition):
    frame = pd.DataFrame(training_data.labelled_frame(3000, seed=3))
    frame["num_00"] = frame["num_00"] + 3 * frame["num_00"].std()
    frame["label"] = frame["label"].astype(int)
    world[0].put_object(Bucket="data-bucket", Key="build/drifted/d.csv",
                        Body=frame.to_csv(index=False).encode())  # fmt: skip
    previous = first[1]["DriftCheckBaselines"]["ModelDataQuality"]
    before = len(packages(world))
    execution = runner.run_pipeline(definition, {
        "InputDataUri": "s3://data-bucket/build/drifted/", "SkipCheck": "false",
        "RegisterNewBaseline": "true",
        "PreviousBaselineStatisticsUri": previous["Statistics"]["S3Uri"],
        "PreviousBaselineConstraintsUri": previous["Constraints"]["S3Uri"],
    }, backend(world), "drifted")  # fmt: skip
    assert execution.status == "Failed"
    assert execution.failure_reason.startswith(
        "Step DataQuality failed: AlgorithmError: drift check failed"
    )
    assert "- num_00:" in execution.failure_reason
    assert len(packages(world)) == before


def _with_step(definition, step):
    return {**definition, "Steps": [*definition["Steps"], step]}


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"Name": "Notify", "Type": "Lambda", "Arguments": {}},
         "step type Lambda is not implemented"),
        ({"Name": "X", "Type": "Fail", "Arguments": {"ErrorMessage": {"Std:Concat": ["a"]}}},
         "function Std:Concat is not implemented"),
        ({"Name": "Y", "Type": "Condition", "Arguments": {"Conditions": [
            {"Type": "In", "QueryValue": "a", "Values": ["a"]}]}},
         "condition In is not implemented"),
        ({"Name": "Z", "Type": "Fail",
          "Arguments": {"ErrorMessage": {"Get": "Steps.Train.TrainingJobName"}}},
         "property TrainingJobName of a Training step is not implemented"),
        ({"Name": "W", "Type": "Fail", "Arguments": {"ErrorMessage": {"Get": "Steps.Nope.X"}}},
         "no such step"),
    ],
)  # fmt: skip
def test_what_the_runner_does_not_implement_is_refused_by_name(world, definition, step, message):
    with pytest.raises(runner.PipelineDefinitionError, match=message):
        runner.run_pipeline(_with_step(definition, step), {}, backend(world))


def test_unknown_pipeline_parameters_are_refused(world, definition):
    with pytest.raises(runner.PipelineDefinitionError, match="unknown pipeline parameters"):
        runner.run_pipeline(definition, {"Skipcheck": "true"}, backend(world))


def test_a_job_feature_outside_the_emulation_is_refused_by_name(world):
    request = {
        "ProcessingJobName": "j",
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 2}},
    }
    with pytest.raises(local_jobs.UnsupportedJobFeature, match="InstanceCount 1"):
        local_jobs.run_processing_job(request, world[0], world[3])


def test_the_registered_model_archive_serves_capture_rows_with_its_own_code(first, world, tmp_path):
    # What the serving container does: unpack model.tar.gz to /opt/ml/model, import
    # SAGEMAKER_SUBMIT_DIRECTORY/SAGEMAKER_PROGRAM (code/inference.py inside the archive).
    import importlib.util
    import io
    import tarfile

    from scripts import capture_generator

    container = first[1]["InferenceSpecification"]["Containers"][0]
    assert container["Environment"]["SAGEMAKER_SUBMIT_DIRECTORY"] == "/opt/ml/model/code"
    bucket, _, key = container["ModelDataUrl"][len("s3://") :].partition("/")
    archive = world[0].get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as opened:
        opened.extractall(tmp_path, filter="data")
    program = tmp_path / "code" / container["Environment"]["SAGEMAKER_PROGRAM"]
    spec = importlib.util.spec_from_file_location("served_inference", program)
    served = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(served)
    model = served.model_fn(str(tmp_path))
    rows = "\n".join(capture_generator.csv_rows(capture_generator.reference_frame(3, seed=4)))
    body, content_type = served.output_fn(
        served.predict_fn(served.input_fn(rows.encode(), "text/csv"), model), "text/csv"
    )
    assert content_type == "text/csv" and len(body.split()) == 3
