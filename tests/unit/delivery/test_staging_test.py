"""The staging test passes only when staging serves the pinned package correctly."""

import io
import json
from typing import Any

import checks
import pytest
from delivery_support import ACCOUNT, REGION, ROOT
from pipeline_job import ActionError, Job

from tests.unit.call_counter import CallCounter

PACKAGE = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn/2"
STATS = "s3://artifacts/v2/statistics.json"
CONS = "s3://artifacts/v2/constraints.json"
STATISTICS = {
    "version": 0,
    "features": [
        {
            "name": "age",
            "inferred_type": "Integral",
            "numerical_statistics": {"min": 18, "max": 90},
        },
        {
            "name": "score",
            "inferred_type": "Fractional",
            "numerical_statistics": {"min": 0.0, "max": 1.0},
        },
        {
            "name": "plan",
            "inferred_type": "String",
            "string_statistics": {
                "distribution": {
                    "categorical": {
                        "buckets": [{"value": "basic", "count": 3}, {"value": "pro", "count": 9}]
                    }
                }
            },
        },
    ],
}


class FakeSageMaker:
    def __init__(self, status="InService", served=PACKAGE, capture=True, baseline=(STATS, CONS)):
        self.status, self.served, self.capture, self.baseline = status, served, capture, baseline

    def describe_endpoint(self, EndpointName):
        return {
            "EndpointStatus": self.status,
            "EndpointConfigName": "cfg-new",
            "FailureReason": "capacity",
        }

    def describe_endpoint_config(self, EndpointConfigName):
        return {
            "EndpointConfigName": EndpointConfigName,
            "ProductionVariants": [{"ModelName": "model-new"}],
            "DataCaptureConfig": {"EnableCapture": self.capture},
        }

    def describe_model(self, ModelName):
        return {"PrimaryContainer": {"ModelPackageName": self.served}}

    def describe_monitoring_schedule(self, MonitoringScheduleName):
        return {"MonitoringScheduleConfig": {"MonitoringJobDefinitionName": "jd"}}

    def describe_data_quality_job_definition(self, JobDefinitionName):
        return {
            "DataQualityBaselineConfig": {
                "StatisticsResource": {"S3Uri": self.baseline[0]},
                "ConstraintsResource": {"S3Uri": self.baseline[1]},
            }
        }


class FakeRuntime:
    def __init__(self, answer=b"0.42"):
        self.answer, self.bodies = answer, []

    def invoke_endpoint(self, EndpointName, ContentType, Body):
        self.bodies.append(Body.decode())
        return {"Body": io.BytesIO(self.answer)}


class FakeS3:
    def __init__(self, document: Any = STATISTICS):
        self.document = document

    def get_object(self, Bucket, Key):
        return {"Body": io.BytesIO(json.dumps(self.document).encode())}


class FakeLambda:
    def __init__(self, baseline=(STATS, CONS)):
        self.baseline = baseline

    def get_function_configuration(self, FunctionName):
        return {
            "Environment": {
                "Variables": {
                    "DRIFTGATE_BASELINE_STATISTICS_S3_URI": self.baseline[0],
                    "DRIFTGATE_BASELINE_CONSTRAINTS_S3_URI": self.baseline[1],
                }
            }
        }


def job(backend="builtin"):
    return Job(
        "j",
        {
            "EndpointName": "driftgate-staging",
            "ModelPackageArn": PACKAGE,
            "BaselineStatisticsS3Uri": STATS,
            "BaselineConstraintsS3Uri": CONS,
            "MonitoringBackend": backend,
            "MonitorFunctionName": "driftgate-staging-Monitor-X",
            "ScheduleName": "driftgate-staging-data-quality",
        },
    )


def clients(**overrides):
    made = {
        "sagemaker": FakeSageMaker(),
        "sagemaker-runtime": FakeRuntime(),
        "s3": FakeS3(),
        "lambda": FakeLambda(),
    }
    made.update(overrides)
    return made


@pytest.mark.parametrize("backend", ["builtin", "model-monitor"])
def test_a_good_staging_passes_and_sends_rows_from_the_baseline(backend):
    made = clients()
    assert checks.test_job(job(backend), made) == {
        "EndpointConfigName": "cfg-new",
        "SampleRequests": "3",
    }
    rows = [row.split(",") for row in made["sagemaker-runtime"].bodies]
    assert len(rows) == 3
    assert all(18 <= int(r[0]) <= 90 and 0 <= float(r[1]) <= 1 and r[2] == "pro" for r in rows)


def test_an_endpoint_not_in_service_fails():
    with pytest.raises(ActionError, match="driftgate-staging is Updating, not InService: capacity"):
        checks.test_job(job(), clients(sagemaker=FakeSageMaker(status="Updating")))


def test_an_endpoint_under_sagemakers_own_maintenance_is_tested_as_serving():
    made = clients(sagemaker=FakeSageMaker(status="SystemUpdating"))
    assert checks.test_job(job(), made)["SampleRequests"] == "3"


@pytest.mark.parametrize("backend", ["builtin", "model-monitor"])
def test_the_functions_timeout_outlasts_every_call_at_its_worst(backend):
    """Sample requests may each take the model's 60 s (inference_client_config, one
    attempt); every other call is bounded by common.aws; the job result comes last."""
    from cfnlint.decode import decode
    from common.aws import INFERENCE_WORST_CASE_SECONDS, WORST_CASE_CALL_SECONDS

    calls: list[str] = []
    made = {name: CallCounter(client, calls, f"{name}:") for name, client in clients().items()}
    checks.test_job(job(backend), made)
    invokes = calls.count("sagemaker-runtime:invoke_endpoint")
    assert invokes == checks.SAMPLE_COUNT
    others = len(calls) - invokes + 1  # + PutJobSuccessResult
    delivery, _ = decode(str(ROOT / "templates" / "delivery.yml"))
    timeout = delivery["Resources"]["StagingTestFunction"]["Properties"]["Timeout"]
    budget = invokes * INFERENCE_WORST_CASE_SECONDS + others * WORST_CASE_CALL_SECONDS
    assert timeout >= budget + 10, (calls, budget)


def test_sample_requests_wait_for_the_models_60_seconds_and_are_sent_once():
    """InvokeEndpoint: containers answer within 60 s, and the SDK socket timeout should be
    70 s; a slow first answer sent again would only triple the wait."""
    from common.aws import inference_client_config

    config = inference_client_config()
    assert config.read_timeout == 70
    assert config.retries == {"mode": "standard", "max_attempts": 0}


def test_a_rolled_back_update_fails_although_the_endpoint_is_in_service():
    old = PACKAGE.replace("/2", "/1")
    with pytest.raises(ActionError, match=f"serves {old}, not {PACKAGE}.*rolled it back"):
        checks.test_job(job(), clients(sagemaker=FakeSageMaker(served=old)))


def test_capture_off_fails():
    with pytest.raises(ActionError, match="does not capture data"):
        checks.test_job(job(), clients(sagemaker=FakeSageMaker(capture=False)))


def test_an_empty_answer_fails():
    with pytest.raises(ActionError, match=r"sample request 1 of 3 .* empty answer"):
        checks.test_job(job(), clients(**{"sagemaker-runtime": FakeRuntime(answer=b"")}))


@pytest.mark.parametrize("backend", ["builtin", "model-monitor"])
def test_a_monitor_on_another_baseline_fails(backend):
    wrong = ("s3://artifacts/v1/statistics.json", CONS)
    made = clients(lambda_=None)
    made.pop("lambda_")
    made["lambda"] = FakeLambda(baseline=wrong)
    made["sagemaker"] = FakeSageMaker(baseline=wrong)
    with pytest.raises(
        ActionError, match=r"baseline statistics is s3://artifacts/v1/statistics.json"
    ):
        checks.test_job(job(backend), made)


def test_statistics_without_features_fail():
    with pytest.raises(ActionError, match="has no features list"):
        checks.test_job(job(), clients(s3=FakeS3({"version": 0})))


def test_an_unknown_backend_is_named():
    with pytest.raises(ActionError, match="MonitoringBackend is 'other'"):
        checks.test_job(job("other"), clients())


def test_a_monitor_environment_withheld_by_its_key_says_which_grant_is_missing():
    class WithheldLambda:
        def get_function_configuration(self, FunctionName):
            return {"KMSKeyArn": "arn:aws:kms:us-east-1:111122223333:key/k", "Environment": {}}

    with pytest.raises(
        ActionError,
        match=r"driftgate-staging-Monitor-X returned no environment variables.*"
        r"encrypted with arn:aws:kms:us-east-1:111122223333:key/k.*kms:Decrypt",
    ):
        checks.test_job(job(), clients(**{"lambda": WithheldLambda()}))
