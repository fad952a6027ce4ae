"""The retrain gate: triggers, flags per trigger, duplicate / running / cool-down skips,
idempotent starts, and faults; every start and skip is published."""

import importlib.util
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cr_support import ROOT, SOURCES

from tests.unit.call_counter import CallCounter

sys.path.insert(0, str(SOURCES / "retrain_gate"))
import gate

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PIPELINE = "driftgate-build"
GROUP = "driftgate-models"
TOPIC = "arn:aws:sns:us-east-1:123456789012:driftgate"
PREVIOUS = ("s3://artifacts/v1/statistics.json", "s3://artifacts/v1/constraints.json")
ENV = {
    "DRIFTGATE_PIPELINE_NAME": PIPELINE,
    "DRIFTGATE_MODEL_PACKAGE_GROUP": GROUP,
    "DRIFTGATE_TOPIC_ARN": TOPIC,
    "DRIFTGATE_COOLDOWN_MINUTES": "60",
    "DRIFTGATE_DRIFT_REGISTERS_NEW_BASELINE": "true",
    "DRIFTGATE_REGULAR_REGISTERS_NEW_BASELINE": "false",
}


def event(kind: str, event_id: str = "0b9e7d4c-1111-2222-3333-444455556666") -> dict[str, Any]:
    events = {
        "schedule": {"source": "aws.events", "detail-type": "Scheduled Event",
                     "resources": ["arn:aws:events:us-east-1:1:rule/r"], "detail": {}},
        "new-data": {"source": "aws.s3", "detail-type": "Object Created",
                     "detail": {"bucket": {"name": "data"}, "object": {"key": "build/data/x.csv"}}},
        "monitor": {"source": "driftgate.monitor", "detail-type": "Data Drift Violations",
                    "detail": {"endpoint": "driftgate-prod", "violations": 2,
                               "report_uri": "s3://d/report.html"}},
        "alarm": {"source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change",
                  "detail": {"alarmName": "driftgate-prod-drift-num_00",
                             "state": {"value": "ALARM"}}},
    }  # fmt: skip
    return {"id": event_id, **events[kind]}


class FakeSageMaker:
    """ListPipelineExecutions / StartPipelineExecution with SageMaker's documented
    idempotency (same ClientRequestToken, same execution), and the registry lookup."""

    def __init__(self, previous=PREVIOUS, executions=None, fail=None):
        self.executions: list[dict[str, Any]] = list(executions or [])
        self.tokens: dict[str, str] = {}
        self.previous = previous
        self.fail = fail or {}
        self.starts: list[dict[str, Any]] = []

    def _maybe_fail(self, operation):
        if operation in self.fail:
            code = self.fail[operation]
            raise ClientError({"Error": {"Code": code, "Message": code}}, operation)

    def list_pipeline_executions(self, **kwargs):
        self._maybe_fail("ListPipelineExecutions")
        assert kwargs["SortOrder"] == "Descending" and kwargs["SortBy"] == "CreationTime"
        newest = sorted(self.executions, key=lambda e: e["StartTime"], reverse=True)
        return {"PipelineExecutionSummaries": newest[: kwargs["MaxResults"]]}

    def start_pipeline_execution(self, **kwargs):
        self._maybe_fail("StartPipelineExecution")
        token = kwargs["ClientRequestToken"]
        assert 32 <= len(token) <= 128
        if token not in self.tokens:
            arn = f"arn:aws:sagemaker:us-east-1:1:pipeline/{PIPELINE}/execution/{len(self.tokens)}"
            self.tokens[token] = arn
            self.starts.append(kwargs)
            self.executions.append({
                "PipelineExecutionArn": arn, "StartTime": NOW,
                "PipelineExecutionStatus": "Executing",
                "PipelineExecutionDisplayName": kwargs["PipelineExecutionDisplayName"],
            })  # fmt: skip
        return {"PipelineExecutionArn": self.tokens[token]}

    def list_model_packages(self, **kwargs):
        assert kwargs["SortOrder"] == "Descending" and kwargs["MaxResults"] == 100
        if self.previous is None:
            return {"ModelPackageSummaryList": []}
        return {"ModelPackageSummaryList": [{"ModelPackageArn": "arn:pkg/1"}]}

    def describe_model_package(self, ModelPackageName):
        statistics, constraints = self.previous
        return {
            "ModelPackageVersion": 1,
            "DriftCheckBaselines": {"ModelDataQuality": {
                "Statistics": {"S3Uri": statistics}, "Constraints": {"S3Uri": constraints}}},
        }  # fmt: skip


class FakeSns:
    def __init__(self):
        self.messages: list[dict[str, Any]] = []

    def publish(self, **kwargs):
        assert kwargs["TopicArn"] == TOPIC and len(kwargs["Subject"]) <= 100
        self.messages.append(json.loads(kwargs["Message"]))


def finished(status: str, minutes_ago: int, name: str = "other") -> dict[str, Any]:
    return {
        "PipelineExecutionArn": f"arn:exec/{name}",
        "StartTime": NOW - timedelta(minutes=minutes_ago),
        "PipelineExecutionStatus": status,
        "PipelineExecutionDisplayName": name,
    }


@pytest.fixture
def config():
    return gate.Config.from_env(ENV)


def params(fake: FakeSageMaker, index: int = -1) -> dict[str, str]:
    return {p["Name"]: p["Value"] for p in fake.starts[index]["PipelineParameters"]}


@pytest.mark.parametrize(
    ("kind", "trigger", "skip", "register"),
    [
        ("schedule", "schedule", "false", "false"),
        ("new-data", "new-data", "false", "false"),
        ("monitor", "drift", "true", "true"),
        ("alarm", "drift", "true", "true"),
    ],
)
def test_each_trigger_starts_with_the_flags_of_the_table(config, kind, trigger, skip, register):
    fake = FakeSageMaker()
    decision = gate.decide(event(kind), config, fake, NOW)
    assert decision.action == "started"
    assert params(fake) == {
        "SkipCheck": skip,
        "RegisterNewBaseline": register,
        "PreviousBaselineStatisticsUri": PREVIOUS[0],
        "PreviousBaselineConstraintsUri": PREVIOUS[1],
        "TriggerSource": trigger,
    }


def test_the_first_run_of_an_empty_group_is_true_true_without_previous(config):
    fake = FakeSageMaker(previous=None)
    decision = gate.decide(event("schedule"), config, fake, NOW)
    assert decision.reason.startswith("initial run")
    assert params(fake)["SkipCheck"] == "true" and params(fake)["RegisterNewBaseline"] == "true"
    assert params(fake)["PreviousBaselineStatisticsUri"] == ""


def test_the_alternative_flags_follow_the_configuration():
    config = gate.Config.from_env({**ENV, "DRIFTGATE_DRIFT_REGISTERS_NEW_BASELINE": "false",
                                   "DRIFTGATE_REGULAR_REGISTERS_NEW_BASELINE": "true"})  # fmt: skip
    fake = FakeSageMaker()
    gate.decide(event("alarm"), config, fake, NOW)
    assert (params(fake)["SkipCheck"], params(fake)["RegisterNewBaseline"]) == ("true", "false")
    fake = FakeSageMaker()
    gate.decide(event("schedule"), config, fake, NOW)
    assert (params(fake)["SkipCheck"], params(fake)["RegisterNewBaseline"]) == ("false", "true")


def test_the_same_event_twice_starts_once_and_says_duplicate(config):
    fake = FakeSageMaker()
    first = gate.decide(event("monitor"), config, fake, NOW)
    fake.executions[-1]["PipelineExecutionStatus"] = "Succeeded"
    second = gate.decide(event("monitor"), config, fake, NOW + timedelta(hours=5))
    assert first.action == "started" and second.action == "skipped"
    assert second.reason.startswith("duplicate") and second.execution_arn == first.execution_arn
    assert len(fake.starts) == 1


def test_a_retry_after_a_lost_response_reuses_the_request_token(config):
    # The start went through but the gate never saw the answer and listed nothing yet:
    # SageMaker answers the same token with the same execution.
    fake = FakeSageMaker()
    first = gate.decide(event("schedule"), config, fake, NOW)
    fake.executions.clear()
    again = gate.decide(event("schedule"), config, fake, NOW)
    assert again.execution_arn == first.execution_arn and len(fake.starts) == 1


def test_a_running_execution_blocks_a_start(config):
    fake = FakeSageMaker(executions=[finished("Executing", 300)])
    decision = gate.decide(event("new-data"), config, fake, NOW)
    assert decision.action == "skipped" and decision.reason.startswith("running")
    assert decision.execution_arn == "arn:exec/other" and not fake.starts


def test_a_stopping_execution_counts_as_running(config):
    fake = FakeSageMaker(executions=[finished("Stopping", 300)])
    assert gate.decide(event("alarm"), config, fake, NOW).reason.startswith("running")


def test_cool_down_skips_until_it_has_passed(config):
    fake = FakeSageMaker(executions=[finished("Succeeded", 59)])
    decision = gate.decide(event("alarm"), config, fake, NOW)
    assert decision.action == "skipped" and decision.reason.startswith("cool-down")
    assert "2026-12-01T12:01:00+00:00" in decision.reason
    fake = FakeSageMaker(executions=[finished("Failed", 60)])
    assert gate.decide(event("alarm"), config, fake, NOW).action == "started"


def test_cool_down_reads_the_newest_execution_whatever_the_listing_order(config):
    fake = FakeSageMaker(executions=[finished("Succeeded", 10, "new"), finished("Failed", 900)])
    fake.list_pipeline_executions = lambda **_: {
        "PipelineExecutionSummaries": fake.executions[::-1]
    }
    assert gate.decide(event("alarm"), config, fake, NOW).reason.startswith("cool-down")


def test_zero_cool_down_allows_back_to_back_starts():
    config = gate.Config.from_env({**ENV, "DRIFTGATE_COOLDOWN_MINUTES": "0"})
    fake = FakeSageMaker(executions=[finished("Succeeded", 0)])
    assert gate.decide(event("schedule"), config, fake, NOW).action == "started"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"source": "aws.ec2", "detail-type": "x", "id": "1"}, "unsupported event"),
        ({"source": "aws.events", "detail-type": "Scheduled Event"}, "no id"),
        ({**event("alarm"), "detail": {"state": {"value": "OK"}}}, "is not ALARM"),
    ],
)
def test_events_the_gate_cannot_act_on_are_refused_by_name(config, bad, message):
    with pytest.raises(gate.GateError, match=message):
        gate.decide(bad, config, FakeSageMaker(), NOW)


def test_a_decimal_cool_down_the_number_parameter_lets_through_is_taken_as_minutes(config):
    """CloudFormation's Number type accepts 30.5 for RetrainCooldownMinutes."""
    half = gate.Config.from_env({**ENV, "DRIFTGATE_COOLDOWN_MINUTES": "30.5"})
    assert half.cooldown == timedelta(minutes=30, seconds=30)
    fake = FakeSageMaker(executions=[finished("Succeeded", 30)])
    assert gate.decide(event("schedule"), half, fake, NOW).action == "skipped"
    fake = FakeSageMaker(executions=[finished("Succeeded", 31)])
    assert gate.decide(event("schedule"), half, fake, NOW).action == "started"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"DRIFTGATE_COOLDOWN_MINUTES": "soon"}, "must be a number of minutes, got 'soon'"),
        ({"DRIFTGATE_COOLDOWN_MINUTES": ""}, "must be a number of minutes, got ''"),
        ({"DRIFTGATE_COOLDOWN_MINUTES": "nan"}, "at most 44640, got 'nan'"),
        ({"DRIFTGATE_COOLDOWN_MINUTES": "inf"}, "at most 44640"),
        ({"DRIFTGATE_COOLDOWN_MINUTES": "44641"}, "at most 44640"),
        ({"DRIFTGATE_COOLDOWN_MINUTES": "-1"}, "negative"),
        ({"DRIFTGATE_DRIFT_REGISTERS_NEW_BASELINE": "yes"}, "must be true or false"),
        ({"DRIFTGATE_PIPELINE_NAME": ""}, "missing environment: DRIFTGATE_PIPELINE_NAME"),
    ],
)
def test_bad_configuration_is_named(override, message):
    with pytest.raises(gate.GateError, match=message):
        gate.Config.from_env({**ENV, **override})


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        ("ListPipelineExecutions", "ThrottlingException"),
        ("StartPipelineExecution", "AccessDeniedException"),
    ],
)
def test_sagemaker_faults_are_aws_faults_naming_the_call(config, operation, code):
    fake = FakeSageMaker(fail={operation: code})
    with pytest.raises(gate.AwsFault, match=f"sagemaker:{operation} on {PIPELINE}.*{code}"):
        gate.decide(event("schedule"), config, fake, NOW)


def test_a_throttled_registry_lookup_is_an_aws_fault(config):
    fake = FakeSageMaker()

    def throttled(**_):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}},
                          "ListModelPackages")  # fmt: skip

    fake.list_model_packages = throttled
    with pytest.raises(gate.AwsFault, match="sagemaker:ListModelPackages"):
        gate.decide(event("schedule"), config, fake, NOW)
    assert not fake.starts


def test_a_missing_group_is_reported_not_retried(config):
    fake = FakeSageMaker()

    def missing(**_):
        raise ClientError({"Error": {"Code": "ResourceNotFound", "Message": "no group"}},
                          "ListModelPackages")  # fmt: skip

    fake.list_model_packages = missing
    with pytest.raises(gate.GateError, match=f"group {GROUP} does not exist") as caught:
        gate.decide(event("schedule"), config, fake, NOW)
    assert not isinstance(caught.value, gate.AwsFault)


def test_a_latest_package_without_a_baseline_is_named(config):
    fake = FakeSageMaker()
    fake.describe_model_package = lambda **_: {"ModelPackageVersion": 3}
    with pytest.raises(gate.GateError, match=r"version 3 of .* has no data-quality baseline"):
        gate.decide(event("alarm"), config, fake, NOW)


# ------------------------------------------------------------------- the handler


@pytest.fixture
def handler(monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(
        "retrain_gate_handler", SOURCES / "retrain_gate" / "handler.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    clients = {"sagemaker": FakeSageMaker(), "sns": FakeSns()}
    monkeypatch.setattr(module.boto3, "client", lambda service, **_: clients[service])
    return module, clients


def test_handler_publishes_every_start_and_skip(handler):
    module, clients = handler
    started = module.handler(event("monitor"), None)
    skipped = module.handler(event("alarm", "another-event-id-000000000000000000"), None)
    assert started["action"] == "started" and skipped["action"] == "skipped"
    assert [m["action"] for m in clients["sns"].messages] == ["started", "skipped"]
    assert clients["sns"].messages[1]["reason"].startswith("running")
    assert clients["sns"].messages[0]["parameters"]["TriggerSource"] == "drift"


def test_a_fault_stays_in_the_log_when_the_topic_refuses_its_message(handler, caplog):
    module, clients = handler
    clients["sagemaker"].fail = {"ListPipelineExecutions": "ThrottlingException"}

    def refuse(**kwargs: Any) -> None:
        raise ClientError({"Error": {"Code": "KMSAccessDeniedException"}}, "Publish")

    clients["sns"].publish = refuse
    with caplog.at_level("ERROR"), pytest.raises(ClientError, match="KMSAccessDenied"):
        module.handler(event("schedule"), None)
    assert "sagemaker:ListPipelineExecutions" in caplog.text


def test_handler_publishes_and_returns_an_event_it_cannot_act_on(handler):
    module, clients = handler
    result = module.handler({"source": "aws.ec2", "detail-type": "x", "id": "1"}, None)
    assert result["action"] == "skipped" and "unsupported event" in result["reason"]
    assert clients["sns"].messages[0]["trigger"] == "unknown"


def test_handler_publishes_then_raises_an_aws_fault_so_lambda_retries(handler):
    module, clients = handler
    clients["sagemaker"].fail = {"StartPipelineExecution": "ThrottlingException"}
    with pytest.raises(gate.AwsFault):
        module.handler(event("schedule"), None)
    assert "ThrottlingException" in clients["sns"].messages[0]["reason"]


def test_the_build_schedules_input_is_a_schedule_trigger_named_by_its_occurrence():
    from cfnlint.decode import cfn_yaml

    build = cfn_yaml.load(str(SOURCES.parent / "templates" / "build.yml"))
    template = build["Resources"]["ScheduledRetrain"]["Properties"]["Target"]["Input"]

    def sent(time: str) -> dict[str, Any]:
        # As Scheduler sends it: each <aws.scheduler.…> keyword replaced by its value.
        arn = "arn:aws:scheduler:us-east-1:1:schedule/default/p-retrain"
        text = template.replace("<aws.scheduler.schedule-arn>", arn)
        return json.loads(text.replace("<aws.scheduler.scheduled-time>", time))

    trigger = gate.classify(sent("2026-12-01T03:00:00Z"))
    assert trigger.kind == gate.SCHEDULE
    assert trigger.event_id.endswith("p-retrain@2026-12-01T03:00:00Z")
    # Another occurrence is another trigger; the same one again is the same (duplicate).
    assert gate.classify(sent("2027-01-01T03:00:00Z")).event_id != trigger.event_id
    assert gate.classify(sent("2026-12-01T03:00:00Z")) == trigger
    # Unreplaced keywords (not sent by Scheduler) are refused, not shared by every run.
    with pytest.raises(gate.GateError):
        gate.classify(json.loads(template))


def test_a_scheduler_trigger_starts_a_regular_retrain_once(config):
    fake = FakeSageMaker()
    scheduled = {"source": "driftgate.schedule", "detail-type": "Scheduled Retrain",
                 "schedule_arn": "arn:aws:scheduler:us-east-1:1:schedule/default/p-retrain",
                 "scheduled_time": "2026-12-01T03:00:00Z"}  # fmt: skip
    first = gate.decide(scheduled, config, fake, NOW)
    assert first.action == "started" and first.trigger.kind == gate.SCHEDULE
    again = gate.decide(scheduled, config, fake, NOW)
    assert again.action == "skipped" and again.reason.startswith("duplicate")


def test_a_previous_baseline_too_long_for_the_jobs_environment_is_refused_by_name(config):
    # The DataQuality step gets the URIs as environment values (at most 256 characters,
    # CreateProcessingJob): starting would only fail the build later.
    long_uri = "s3://artifacts/" + "k" * 240 + "/statistics.json"
    fake = FakeSageMaker(previous=(long_uri, PREVIOUS[1]))
    with pytest.raises(gate.GateError, match="256"):
        gate.decide(event("schedule"), config, fake, NOW)
    assert fake.starts == []
    fits = "s3://artifacts/" + "k" * (256 - len("s3://artifacts/") - len("/s.json")) + "/s.json"
    assert len(fits) == 256
    fake = FakeSageMaker(previous=(fits, PREVIOUS[1]))
    assert gate.decide(event("schedule"), config, fake, NOW).action == "started"


def test_the_baselines_the_build_registers_fit_the_jobs_environment():
    from cfnlint.decode import cfn_yaml

    build = cfn_yaml.load(str(SOURCES.parent / "templates" / "build.yml"))
    body = build["Resources"]["BuildPipeline"]["Properties"]["PipelineDefinition"]
    text = body["PipelineDefinitionBody"]["Fn::Sub"][0]
    assert '"s3://${ArtifactsBucketName}/${ProjectName}/build/baselines"' in text
    # Longest bucket (63) and project (21) names; a pipeline execution id is 12 characters
    # (allow 64); the longest file the package names under it.
    longest = f"s3://{'b' * 63}/{'p' * 21}/build/baselines/{'e' * 64}/drift_check/constraints.json"
    assert len(longest) <= gate.ENVIRONMENT_VALUE_LIMIT


def test_the_functions_timeout_outlasts_every_call_of_a_start_at_its_worst(handler, monkeypatch):
    """Each call is bounded by common.aws (WORST_CASE_CALL_SECONDS, retries included); a
    start is the longest path, and the function must still publish after it."""
    from cfnlint.decode import decode
    from common.aws import WORST_CASE_CALL_SECONDS
    from package_lookup import APPROVED_PAGES

    module, clients = handler
    registry = clients["sagemaker"]
    answer = registry.list_model_packages

    def paged(**kwargs: Any) -> dict[str, Any]:
        # The longest lookup: every page but the last empty, with a NextToken.
        page = int(kwargs.get("NextToken", "1"))
        if page < APPROVED_PAGES:
            return {"ModelPackageSummaryList": [], "NextToken": str(page + 1)}
        return answer(**{k: v for k, v in kwargs.items() if k != "NextToken"})

    monkeypatch.setattr(registry, "list_model_packages", paged, raising=False)
    calls: list[str] = []
    counted = {service: CallCounter(client, calls) for service, client in clients.items()}
    monkeypatch.setattr(module.boto3, "client", lambda service, **_: counted[service])
    assert module.handler(event("schedule"), None)["action"] == "started"
    assert calls == [
        "list_pipeline_executions",
        *["list_model_packages"] * APPROVED_PAGES,
        "describe_model_package",
        "start_pipeline_execution",
        "publish",
    ]
    build, _ = decode(str(ROOT / "templates" / "build.yml"))
    function = build["Resources"]["RetrainGateFunction"]["Properties"]
    assert function["Timeout"] >= len(calls) * WORST_CASE_CALL_SECONDS + 10


def test_the_gate_takes_every_cool_down_the_parameter_lets_through():
    from cfnlint.decode import decode

    build, _ = decode(str(ROOT / "templates" / "build.yml"))
    spec = build["Parameters"]["RetrainCooldownMinutes"]
    assert spec["MaxValue"] == gate.MAX_COOLDOWN_MINUTES and spec["MinValue"] == 0
    for raw in (str(spec["MinValue"]), str(spec["MaxValue"]), "0.5"):
        gate.Config.from_env({**ENV, "DRIFTGATE_COOLDOWN_MINUTES": raw})
