"""The staging test: is the staging endpoint serving the pinned package, correctly?

Checks, in order, each failing the action with a message that says what is wrong:
1. the endpoint is InService on an endpoint config whose model is the pinned package
   (after a blue/green update that SageMaker rolled back, the endpoint is InService again
   but on the old config: that is a failure, not a pass);
2. data capture is enabled on that config;
3. sample requests built from the baseline's feature statistics (statistics.json,
   Model Monitor's schema) are answered;
4. the drift monitor's baseline is the package's DriftCheckBaselines.ModelDataQuality
   (builtin: the monitor function's environment; model-monitor: the schedule's job
   definition).
"""

import json
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from common.aws import client_config, inference_client_config
from common.endpoint_status import SERVING_STATUSES
from common.errors import aws_failure, shorten
from common.s3uri import is_s3_uri, parse_s3_uri
from pipeline_job import ActionError, Job, required_parameter

SAMPLE_COUNT = 3
BUILTIN = "builtin"
MODEL_MONITOR = "model-monitor"


def call(action: str, subject: str, request: Callable[[], Any]) -> dict[str, Any]:
    """`request()` (one AWS call), its failure turned into a message naming `action`."""
    try:
        return dict(request())
    except (ClientError, BotoCoreError) as error:
        raise aws_failure(action, subject, error) from error


def serving_package(sagemaker: Any, endpoint_name: str) -> tuple[str, dict[str, Any]]:
    """(package ARN the endpoint serves, its endpoint config); fails unless InService."""
    endpoint = call(
        "sagemaker:DescribeEndpoint",
        endpoint_name,
        lambda: sagemaker.describe_endpoint(EndpointName=endpoint_name),
    )
    status = endpoint.get("EndpointStatus")
    if status not in SERVING_STATUSES:
        reason = endpoint.get("FailureReason") or "see the endpoint's events in SageMaker"
        raise ActionError(f"endpoint {endpoint_name} is {status}, not InService: {reason}")
    config_name = str(endpoint["EndpointConfigName"])
    config = call(
        "sagemaker:DescribeEndpointConfig",
        config_name,
        lambda: sagemaker.describe_endpoint_config(EndpointConfigName=config_name),
    )
    variants = config.get("ProductionVariants") or []
    if not variants:
        raise ActionError(f"endpoint config {config_name} has no production variant")
    model_name = str(variants[0]["ModelName"])
    model = call(
        "sagemaker:DescribeModel",
        model_name,
        lambda: sagemaker.describe_model(ModelName=model_name),
    )
    container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
    return str(container.get("ModelPackageName", "")), config


def check_serves(sagemaker: Any, endpoint_name: str, package_arn: str) -> dict[str, Any]:
    served, config = serving_package(sagemaker, endpoint_name)
    if served.lower() != package_arn.lower():
        raise ActionError(
            f"endpoint {endpoint_name} is InService on {config['EndpointConfigName']}, which "
            f"serves {served or 'no model package'}, not {package_arn}: the update did not "
            "take effect or SageMaker rolled it back (see the endpoint's events and alarms)"
        )
    return config


def check_capture(config: Mapping[str, Any]) -> None:
    capture = config.get("DataCaptureConfig") or {}
    if not capture.get("EnableCapture"):
        raise ActionError(
            f"endpoint config {config.get('EndpointConfigName')} does not capture data; "
            "drift monitoring would see nothing (DataCaptureConfig.EnableCapture)"
        )


def read_statistics(s3: Any, uri: str) -> dict[str, Any]:
    if not is_s3_uri(uri):
        raise ActionError(f"baseline statistics {shorten(uri)!r} is not an s3:// URI")
    location = parse_s3_uri(uri)
    response = call(
        "s3:GetObject", uri, lambda: s3.get_object(Bucket=location.bucket, Key=location.key)
    )
    try:
        document = json.loads(response["Body"].read())
    except (ValueError, UnicodeDecodeError) as error:
        raise ActionError(f"baseline statistics {uri} is not JSON: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise ActionError(f"baseline statistics {uri} has no features list")
    return document


def feature_value(feature: Mapping[str, Any], step: int, steps: int) -> str:
    """A value inside the baseline's observed range: min..max for numbers, the most
    frequent category for strings."""
    numbers = feature.get("numerical_statistics")
    if isinstance(numbers, Mapping) and "min" in numbers and "max" in numbers:
        low, high = float(numbers["min"]), float(numbers["max"])
        value = low + (high - low) * (step + 1) / (steps + 1)
        if feature.get("inferred_type") == "Integral":
            return str(round(value))
        return f"{value:.6g}"
    strings = feature.get("string_statistics") or {}
    buckets = (strings.get("distribution") or {}).get("categorical", {}).get("buckets") or []
    if buckets:
        best = max(buckets, key=lambda bucket: bucket.get("count", 0))
        return str(best.get("value", ""))
    return ""


def sample_rows(statistics: Mapping[str, Any], count: int = SAMPLE_COUNT) -> list[str]:
    features = statistics["features"]
    if not features:
        raise ActionError("baseline statistics list no features; cannot build a request")
    return [",".join(feature_value(f, step, count) for f in features) for step in range(count)]


def check_answers(runtime: Any, endpoint_name: str, rows: list[str]) -> None:
    for number, row in enumerate(rows, start=1):
        try:
            response = runtime.invoke_endpoint(
                EndpointName=endpoint_name, ContentType="text/csv", Body=row.encode()
            )
        except (ClientError, BotoCoreError) as error:
            raise aws_failure("sagemaker:InvokeEndpoint", endpoint_name, error) from error
        if not response["Body"].read():
            raise ActionError(
                f"sample request {number} of {len(rows)} to {endpoint_name} got an empty answer"
            )


def monitor_baseline(
    backend: str, parameters: Mapping[str, Any], lambda_client: Any, sagemaker: Any
) -> tuple[str, str]:
    if backend == BUILTIN:
        name = required_parameter(parameters, "MonitorFunctionName")
        configuration = call(
            "lambda:GetFunctionConfiguration",
            name,
            lambda: lambda_client.get_function_configuration(FunctionName=name),
        )
        variables = (configuration.get("Environment") or {}).get("Variables")
        if variables is None:  # the monitor always has its environment: it was withheld
            raise ActionError(hidden_environment(name, configuration))
        return (
            str(variables.get("DRIFTGATE_BASELINE_STATISTICS_S3_URI", "")),
            str(variables.get("DRIFTGATE_BASELINE_CONSTRAINTS_S3_URI", "")),
        )
    if backend == MODEL_MONITOR:
        schedule = required_parameter(parameters, "ScheduleName")
        described = call(
            "sagemaker:DescribeMonitoringSchedule",
            schedule,
            lambda: sagemaker.describe_monitoring_schedule(MonitoringScheduleName=schedule),
        )
        definition = str(described["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"])
        job = call(
            "sagemaker:DescribeDataQualityJobDefinition",
            definition,
            lambda: sagemaker.describe_data_quality_job_definition(JobDefinitionName=definition),
        )
        baseline = job.get("DataQualityBaselineConfig") or {}
        return (
            str((baseline.get("StatisticsResource") or {}).get("S3Uri", "")),
            str((baseline.get("ConstraintsResource") or {}).get("S3Uri", "")),
        )
    raise ActionError(f"MonitoringBackend is {backend!r}; expected builtin or model-monitor")


def hidden_environment(name: str, configuration: Mapping[str, Any]) -> str:
    """Why GetFunctionConfiguration gave no environment variables, and the fix."""
    error = (configuration.get("Environment") or {}).get("Error") or {}
    said = f" ({error.get('ErrorCode')}: {error.get('Message')})" if error else ""
    key = configuration.get("KMSKeyArn")
    # Lambda guide, "Securing Lambda environment variables": with a customer managed key,
    # only callers with access to the key can view the variables.
    fix = (
        f"; they are encrypted with {key}: the staging test's role needs kms:Decrypt on "
        "that key through Lambda (delivery.yml, ReadMonitorEnvironment)"
        if key
        else ""
    )
    return (
        f"lambda:GetFunctionConfiguration on {name} returned no environment variables{said}, "
        f"so the monitor's baseline cannot be checked{fix}"
    )


def check_monitor_baseline(actual: tuple[str, str], expected: tuple[str, str]) -> None:
    for kind, got, want in zip(("statistics", "constraints"), actual, expected, strict=True):
        if got != want:
            raise ActionError(
                f"the staging monitor's baseline {kind} is {got or 'not set'}, but the package's "
                f"DriftCheckBaselines say {want}: the monitor would judge drift against "
                "another model's data"
            )


def test_job(job: Job, clients: Mapping[str, Any] | None = None) -> dict[str, str]:
    parameters = job.user_parameters
    endpoint_name = required_parameter(parameters, "EndpointName")
    package_arn = required_parameter(parameters, "ModelPackageArn")
    expected = (
        required_parameter(parameters, "BaselineStatisticsS3Uri"),
        required_parameter(parameters, "BaselineConstraintsS3Uri"),
    )
    backend = required_parameter(parameters, "MonitoringBackend")
    given = clients or {}
    config_ = client_config()
    sagemaker = given.get("sagemaker") or boto3.client("sagemaker", config=config_)
    runtime = given.get("sagemaker-runtime") or boto3.client(
        "sagemaker-runtime", config=inference_client_config()
    )
    s3 = given.get("s3") or boto3.client("s3", config=config_)
    functions = given.get("lambda") or boto3.client("lambda", config=config_)

    config = check_serves(sagemaker, endpoint_name, package_arn)
    check_capture(config)
    rows = sample_rows(read_statistics(s3, expected[0]))
    check_answers(runtime, endpoint_name, rows)
    actual = monitor_baseline(backend, parameters, functions, sagemaker)
    check_monitor_baseline(actual, expected)
    return {
        "EndpointConfigName": str(config["EndpointConfigName"]),
        "SampleRequests": str(len(rows)),
    }
