"""templates/api.yml: the inference API in front of a stage's endpoint.

Nothing here runs API Gateway: these tests pin the properties AWS acts on (auth,
integration, validation, error mapping, throttling, logging, TLS) and the deployment
wiring that decides whether a change reaches the live stage.
"""

import hashlib
import itertools
import json
import re
from typing import Any

import pytest

CONTENT_TYPES = ("text/csv", "application/json", "application/jsonlines")
COMBO_NAMES = {"text/csv": "Csv", "application/json": "Json", "application/jsonlines": "JsonLines"}
# Resources whose definitions a deployment snapshots (the stage serves the snapshot).
SNAPSHOT = ("RestApi", "InvocationsResource", "HeadersValidator", "InvocationsPost")


@pytest.fixture(scope="module")
def api(templates: dict[str, Any]) -> dict[str, Any]:
    return templates["api.yml"]


@pytest.fixture(scope="module")
def method(api: dict[str, Any]) -> dict[str, Any]:
    return api["Resources"]["InvocationsPost"]["Properties"]


def evaluate(node: Any, values: dict[str, Any], conditions: dict[str, Any]) -> Any:
    """The intrinsic functions api.yml's Conditions, Rules and properties use."""
    if isinstance(node, list):
        return [evaluate(item, values, conditions) for item in node]
    if not isinstance(node, dict):
        return node
    if len(node) != 1:
        return {key: evaluate(item, values, conditions) for key, item in node.items()}
    ((name, arg),) = node.items()
    if name == "Ref":
        return values.get(arg, node)  # a resource's Ref stays as it is
    if name == "Condition":
        return evaluate(conditions[arg], values, conditions)
    if name == "Fn::Join":
        separator, items = arg
        parts = evaluate(items, values, conditions)
        return separator.join(str(p) for p in parts if p is not NO_VALUE)
    if name == "Fn::Split":
        separator, text = arg
        return str(evaluate(text, values, conditions)).split(separator)
    if name == "Fn::Equals":
        left, right = (evaluate(a, values, conditions) for a in arg)
        return str(left) == str(right)
    if name == "Fn::Not":
        return not evaluate(arg[0], values, conditions)
    if name == "Fn::And":
        return all(evaluate(a, values, conditions) for a in arg)
    if name == "Fn::Or":
        return any(evaluate(a, values, conditions) for a in arg)
    if name == "Fn::Contains":
        return evaluate(arg[1], values, conditions) in evaluate(arg[0], values, conditions)
    if name == "Fn::If":
        condition, when_true, when_false = arg
        chosen = when_true if evaluate(conditions[condition], values, conditions) else when_false
        return evaluate(chosen, values, conditions)
    return {name: evaluate(arg, values, conditions)}


NO_VALUE = {"Ref": "AWS::NoValue"}


def values_for(types: list[str], authentication: str = "iam") -> dict[str, Any]:
    return {
        "SupportedContentTypes": types,
        "Authentication": authentication,
        "AccountLoggingRole": "existing",
        "AWS::NoValue": NO_VALUE,
    }


def condition(api: dict[str, Any], name: str, values: dict[str, Any]) -> bool:
    conditions = api["Conditions"]
    return bool(evaluate(conditions[name], values, conditions))


def subsets() -> list[tuple[str, ...]]:
    return [
        combo
        for size in range(1, len(CONTENT_TYPES) + 1)
        for combo in itertools.combinations(CONTENT_TYPES, size)
    ]


# --- content types: the package's list decides what the API accepts ------------------


@pytest.mark.parametrize("accepted", subsets())
def test_request_templates_are_exactly_the_packages_supported_types(api, method, accepted):
    values = values_for([*accepted, "application/x-recordio-protobuf"])
    templates = evaluate(method["Integration"]["RequestTemplates"], values, api["Conditions"])
    present = {ctype for ctype, template in templates.items() if template is not NO_VALUE}
    assert present == set(accepted)
    assert all(templates[ctype] == "$input.body" for ctype in present)  # body unchanged


def test_json_is_not_mistaken_for_jsonlines(api):
    values = values_for(["application/jsonlines"])
    assert not condition(api, "AcceptsJson", values)
    assert condition(api, "AcceptsJsonLines", values)


def test_unmapped_content_types_are_refused_with_415(method):
    # PassthroughBehavior NEVER: a Content-Type without a template gets 415.
    assert method["Integration"]["PassthroughBehavior"] == "NEVER"


@pytest.mark.parametrize("authentication", ["iam", "api-key"])
@pytest.mark.parametrize("accepted", subsets())
def test_exactly_one_deployment_serves_each_mode_and_accepted_set(api, accepted, authentication):
    values = values_for(list(accepted), authentication)
    deployments = [
        logical_id
        for logical_id, resource in deployments_of(api)
        if condition(api, resource["Condition"], values)
    ]
    mode = "Iam" if authentication == "iam" else "ApiKey"
    expected = mode + "".join(COMBO_NAMES[c] for c in CONTENT_TYPES if c in accepted)
    assert len(deployments) == 1 and deployments[0].endswith(expected), deployments
    stage_id = evaluate(
        api["Resources"]["Stage"]["Properties"]["DeploymentId"], values, api["Conditions"]
    )
    assert stage_id == str({"Ref": deployments[0]})  # the one non-empty part of the Join


def test_package_without_a_passthrough_type_is_refused_before_anything_is_created(api):
    rule = api["Rules"]["PassThroughContentType"]["Assertions"][0]
    for types in (["application/x-npy"], [""]):
        assert not evaluate(rule["Assert"], values_for(types), {}), types
    assert "InferenceApi" in rule["AssertDescription"]
    assert evaluate(rule["Assert"], values_for(["image/png", "text/csv"]), {})


# --- deployment: a changed definition must reach the stage ---------------------------


def deployments_of(api: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (logical_id, resource)
        for logical_id, resource in api["Resources"].items()
        if isinstance(resource, dict) and resource["Type"] == "AWS::ApiGateway::Deployment"
    ]


def definition_digest(api: dict[str, Any]) -> str:
    resources = api["Resources"]
    snapshot = {lid: resources[lid] for lid in SNAPSHOT}
    snapshot.update({lid: resources[lid] for lid in gateway_responses(api)})
    text = json.dumps(snapshot, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def test_deployment_ids_carry_the_digest_of_what_they_snapshot(api):
    """A Deployment is created once and never redeployed when a method changes: a new
    definition needs new Deployment logical ids. Change a method, then update
    DriftgateApiDefinitionDigest and the ids to the digest this test prints."""
    digest = definition_digest(api)
    assert api["Metadata"]["DriftgateApiDefinitionDigest"] == digest, f"new digest {digest}"
    deployments = deployments_of(api)
    assert len(deployments) == 2 * (2 ** len(CONTENT_TYPES) - 1)  # two modes
    for logical_id, resource in deployments:
        assert logical_id.startswith(f"Deployment{digest}"), logical_id
        # Created after everything it snapshots.
        needed = {"InvocationsPost"} | {
            f"GatewayResponse{re.sub('[^A-Za-z0-9]', '', t)}" for t in gateway_response_types(api)
        }
        assert needed <= set(resource["DependsOn"]), logical_id


def test_digest_notices_a_method_change(api):
    changed = json.loads(json.dumps(api))
    changed["Resources"]["InvocationsPost"]["Properties"]["Integration"]["TimeoutInMillis"] = 1
    assert definition_digest(changed) != definition_digest(api)


# --- a model update leaves the API alone ----------------------------------------------


def api_parameters(stage: dict[str, Any], endpoint_outputs: dict[str, str]) -> dict[str, Any]:
    """The Api nested stack's parameters as stage.yml computes them."""
    resolved = {}
    for name, value in stage["Resources"]["Api"]["Properties"]["Parameters"].items():
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            child, attribute = value["Fn::GetAtt"]
            assert child == "Endpoint", f"Api parameter {name} reads {child}"
            resolved[name] = endpoint_outputs[attribute.removeprefix("Outputs.")]
        else:
            assert set(value) == {"Ref"}, f"Api parameter {name}: {value}"
            resolved[name] = f"<{value['Ref']}>"
    return resolved


def test_model_update_changes_no_api_resource(templates):
    """Blue/green: a new package version keeps the endpoint name, so the API stack gets
    the same template and the same parameters, and CloudFormation changes nothing in it."""
    stage, endpoint = templates["stage.yml"], templates["endpoint.yml"]
    # The endpoint's name is a stage parameter, not derived from the package.
    assert endpoint["Outputs"]["EndpointName"]["Value"] == {
        "Fn::GetAtt": ["Endpoint", "EndpointName"]
    }
    assert endpoint["Resources"]["Endpoint"]["Properties"]["EndpointName"] == {
        "Ref": "EndpointName"
    }
    assert stage["Resources"]["Endpoint"]["Properties"]["Parameters"]["EndpointName"] == {
        "Fn::Sub": "${ProjectName}-${StageName}"
    }
    version_1 = {
        "EndpointName": "demo-staging",
        "SupportedContentTypes": "text/csv",
        "ModelPackageArn": "arn:aws:sagemaker:eu-west-1:123456789012:model-package/g/1",
        "ModelPackageVersion": "1",
        "BaselineStatisticsS3Uri": "s3://artifacts/v1/statistics.json",
    }
    version_2 = version_1 | {
        "ModelPackageArn": "arn:aws:sagemaker:eu-west-1:123456789012:model-package/g/2",
        "ModelPackageVersion": "2",
        "BaselineStatisticsS3Uri": "s3://artifacts/v2/statistics.json",
    }
    assert api_parameters(stage, version_1) == api_parameters(stage, version_2)
    # And none of the model's own inputs reach the API stack.
    refs = set(json.dumps(stage["Resources"]["Api"]["Properties"]["Parameters"]).split('"'))
    assert not refs & {"ModelVersion", "ModelNonce", "ModelPackageGroupName", "ModelPackageArn"}


def test_api_exists_only_when_enabled(templates):
    stage = templates["stage.yml"]
    assert stage["Resources"]["Api"]["Condition"] == "HasInferenceApi"
    assert stage["Conditions"]["HasInferenceApi"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "InferenceApi"}, "none"]}]
    }
    assert stage["Parameters"]["InferenceApi"]["Default"] == "none"
    assert templates["pipeline.yml"]["Parameters"]["InferenceApi"]["Default"] == "none"
    root_stage = templates["pipeline.yml"]["Resources"]["Stage"]["Properties"]["Parameters"]
    for name in ("InferenceApi", "InferenceApiRateLimit", "InferenceApiBurstLimit"):
        assert root_stage[name] == {"Ref": name}


# --- the request path ----------------------------------------------------------------


def test_post_invocations_goes_straight_to_invoke_endpoint(api, method):
    resources = api["Resources"]
    assert resources["InvocationsResource"]["Properties"]["PathPart"] == "invocations"
    assert method["HttpMethod"] == "POST"
    integration = method["Integration"]
    assert integration["Type"] == "AWS" and integration["IntegrationHttpMethod"] == "POST"
    assert integration["Uri"] == {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:runtime.sagemaker:"
        "path/endpoints/${EndpointName}/invocations"
    }
    assert integration["Credentials"] == {"Fn::GetAtt": ["IntegrationRole", "Arn"]}
    assert integration["TimeoutInMillis"] <= 29000  # API Gateway's integration maximum


def test_integration_role_invokes_this_endpoint_only(role_statements):
    statements = role_statements[("api.yml", "IntegrationRole")]
    assert statements == [
        {
            "Sid": "InvokeStageEndpoint",
            "Effect": "Allow",
            "Action": "sagemaker:InvokeEndpoint",
            "Resource": {
                "Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:"
                "endpoint/${EndpointName}"
            },
        }
    ]


def test_integration_role_trusts_api_gateway_without_source_conditions(api):
    """API Gateway is not documented to send aws:SourceAccount or aws:SourceArn when it
    assumes an integration's Credentials role; a condition on a missing key is false, so
    every call would fail (the comment on IntegrationRole says where that was seen). The
    role's only grant is InvokeEndpoint on this stage's endpoint."""
    trust = api["Resources"]["IntegrationRole"]["Properties"]["AssumeRolePolicyDocument"]
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert "Condition" not in statement


def test_content_type_and_accept_pass_through(method):
    assert method["RequestParameters"] == {
        "method.request.header.Content-Type": True,
        "method.request.header.Accept": False,
    }
    assert method["Integration"]["RequestParameters"] == {
        "integration.request.header.Content-Type": "method.request.header.Content-Type",
        "integration.request.header.Accept": "method.request.header.Accept",
    }
    ok = [r for r in method["Integration"]["IntegrationResponses"] if r["StatusCode"] == "200"]
    assert ok[0]["ResponseParameters"] == {
        "method.response.header.Content-Type": "integration.response.header.Content-Type"
    }


def test_missing_content_type_is_a_validation_error(api, method):
    validator = api["Resources"]["HeadersValidator"]["Properties"]
    assert method["RequestValidatorId"] == {"Ref": "HeadersValidator"}
    assert validator["ValidateRequestParameters"] is True


@pytest.mark.parametrize(
    ("authentication", "authorization", "key_required"),
    [("iam", "AWS_IAM", False), ("api-key", "NONE", True)],
)
def test_authentication_modes(api, method, authentication, authorization, key_required):
    values = values_for(["text/csv"], authentication)
    conditions = api["Conditions"]
    assert evaluate(method["AuthorizationType"], values, conditions) == authorization
    assert evaluate(method["ApiKeyRequired"], values, conditions) is key_required
    for logical_id in ("UsagePlan", "ApiKey", "UsagePlanKey"):
        resource = api["Resources"][logical_id]
        assert condition(api, resource["Condition"], values) is key_required


def test_usage_plan_has_quota_and_throttle(api):
    plan = api["Resources"]["UsagePlan"]["Properties"]
    assert plan["Quota"] == {"Limit": {"Ref": "DailyQuota"}, "Period": "DAY"}
    assert plan["Throttle"] == {
        "RateLimit": {"Ref": "ThrottlingRateLimit"},
        "BurstLimit": {"Ref": "ThrottlingBurstLimit"},
    }
    assert plan["ApiStages"] == [{"ApiId": {"Ref": "RestApi"}, "Stage": {"Ref": "Stage"}}]
    assert "Value" not in api["Resources"]["ApiKey"]["Properties"]  # generated, not passed


# --- errors: meaningful statuses, fixed JSON, nothing of the backend's -----------------

BACKEND_TO_CLIENT = {"400": "400", "424": "502", "429": "429", "503": "503", "500": "500",
                     "403": "500", "404": "500", "530": "500"}  # fmt: skip


def selected_response(method: dict[str, Any], backend_status: str) -> dict[str, Any]:
    responses = method["Integration"]["IntegrationResponses"]
    matches = [
        r for r in responses if "SelectionPattern" in r
        and re.fullmatch(r["SelectionPattern"], backend_status)
    ]  # fmt: skip
    assert len(matches) <= 1, f"{backend_status} matches {len(matches)} patterns"
    return matches[0] if matches else next(r for r in responses if "SelectionPattern" not in r)


@pytest.mark.parametrize(("backend", "client"), sorted(BACKEND_TO_CLIENT.items()))
def test_endpoint_errors_map_to_meaningful_statuses(method, backend, client):
    response = selected_response(method, backend)
    assert response["StatusCode"] == client
    body = json.loads(response["ResponseTemplates"]["application/json"])
    assert set(body) == {"error", "message"}


def test_success_is_the_default_response(method):
    assert selected_response(method, "200")["StatusCode"] == "200"


def test_error_bodies_never_copy_the_backend_answer(method):
    for response in method["Integration"]["IntegrationResponses"]:
        for template in response.get("ResponseTemplates", {}).values():
            assert "$input" not in template and "$context.requestId" not in template
    declared = {r["StatusCode"] for r in method["MethodResponses"]}
    assert declared == {r["StatusCode"] for r in method["Integration"]["IntegrationResponses"]}


def gateway_responses(api: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        lid: resource
        for lid, resource in api["Resources"].items()
        if resource["Type"] == "AWS::ApiGateway::GatewayResponse"
    }


def gateway_response_types(api: dict[str, Any]) -> list[str]:
    return [r["Properties"]["ResponseType"] for r in gateway_responses(api).values()]


def test_gateway_errors_are_json_without_request_ids(api):
    types = set(gateway_response_types(api))
    assert {
        "DEFAULT_4XX", "DEFAULT_5XX", "UNSUPPORTED_MEDIA_TYPE", "REQUEST_TOO_LARGE",
        "THROTTLED", "QUOTA_EXCEEDED", "INTEGRATION_TIMEOUT",
    } <= types  # fmt: skip
    (template,) = {
        r["Properties"]["ResponseTemplates"]["application/json"]
        for r in gateway_responses(api).values()
    }
    sample = template.replace("$context.error.responseType", "THROTTLED").replace(
        "$context.error.messageString", '"Too Many Requests"'
    )
    assert json.loads(sample) == {"error": "THROTTLED", "message": "Too Many Requests"}
    assert "requestId" not in template


# --- stage: throttling, logging, TLS -------------------------------------------------


def test_stage_throttles_every_method(api):
    (setting,) = api["Resources"]["Stage"]["Properties"]["MethodSettings"]
    assert setting["ResourcePath"] == "/*" and setting["HttpMethod"] == "*"
    assert setting["ThrottlingRateLimit"] == {"Ref": "ThrottlingRateLimit"}
    assert setting["ThrottlingBurstLimit"] == {"Ref": "ThrottlingBurstLimit"}
    assert api["Parameters"]["ThrottlingRateLimit"]["MaxValue"] == 10000
    assert api["Parameters"]["ThrottlingBurstLimit"]["MaxValue"] == 5000


def test_no_body_is_ever_logged(api):
    stage = api["Resources"]["Stage"]["Properties"]
    (setting,) = stage["MethodSettings"]
    assert setting["DataTraceEnabled"] is False
    assert setting["LoggingLevel"] == "OFF"
    log_format = stage["AccessLogSetting"]["Format"]
    record = json.loads(re.sub(r"\$context\.[A-Za-z.]+", "x", log_format))
    assert "requestId" in record and "status" in record
    assert not re.search(r"\$input|requestOverride|\.body|header", log_format)
    assert stage["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["AccessLogGroup", "Arn"]}


def test_regional_api_with_tls_1_2_minimum(api):
    rest = api["Resources"]["RestApi"]["Properties"]
    assert rest["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert rest["SecurityPolicy"] == "TLS_1_2"


def test_account_logging_role_is_opt_in_and_outlives_the_stack(api):
    assert api["Parameters"]["AccountLoggingRole"]["Default"] == "existing"
    for logical_id in ("ApiGatewayLoggingRole", "LoggingAccount"):
        resource = api["Resources"][logical_id]
        assert resource["Condition"] == "CreateLoggingRole"
        assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
    variables = api["Resources"]["Stage"]["Properties"]["Variables"]
    assert variables["accountLoggingRole"]["Fn::If"][1] == {"Ref": "LoggingAccount"}


def test_url_output(api):
    assert api["Outputs"]["InferenceApiUrl"]["Value"] == {
        "Fn::Sub": "https://${RestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}/invocations"
    }


# --- observability: the stage dashboard and the 5XX alarm ------------------------------


def test_dashboard_shows_the_apis_requests_errors_and_latency(templates):
    from test_monitoring_backends import observability_params, render, resolve_metrics

    template = templates["observability.yml"]
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]
    params = observability_params("builtin", "hourly", ["a", "b"], "demo-staging-inference")
    widgets = json.loads(render(body, params, template))["widgets"]
    api_widgets = [w for w in widgets if w["properties"].get("title", "").startswith("Inference")]
    metrics = {
        tuple(values)
        for widget in api_widgets
        for values, _ in resolve_metrics(widget["properties"]["metrics"])
    }
    dims = ("ApiName", "demo-staging-inference", "Stage", "staging")
    for name in ("Count", "4XXError", "5XXError", "Latency", "IntegrationLatency"):
        assert ("AWS/ApiGateway", name, *dims) in metrics, name
    without = json.loads(render(body, observability_params("builtin", "hourly", ["a"]), template))
    assert not any(
        w["properties"].get("title", "").startswith("Inference") for w in without["widgets"]
    )


def test_api_5xx_alarm_notifies_the_topic(templates):
    observability = templates["observability.yml"]
    alarm = observability["Resources"]["InferenceApi5xxAlarm"]
    assert alarm["Condition"] == "HasInferenceApi"
    props = alarm["Properties"]
    assert (props["Namespace"], props["MetricName"]) == ("AWS/ApiGateway", "5XXError")
    assert props["Dimensions"] == [
        {"Name": "ApiName", "Value": {"Ref": "InferenceApiName"}},
        {"Name": "Stage", "Value": {"Ref": "StageName"}},
    ]
    assert props["AlarmActions"] == [{"Ref": "NotificationTopicArn"}]
    assert props["TreatMissingData"] == "notBreaching"
    # stage.yml names the API exactly as api.yml does.
    stage = templates["stage.yml"]["Resources"]["Observability"]["Properties"]["Parameters"]
    assert stage["InferenceApiName"]["Fn::If"][1] == {
        "Fn::Sub": "${ProjectName}-${StageName}-inference"
    }
    api_name = templates["api.yml"]["Resources"]["RestApi"]["Properties"]["Name"]
    assert api_name == {"Fn::Sub": "${ProjectName}-${StageName}-inference"}


# --- pipeline mode: the stage files choose the API -------------------------------------


@pytest.mark.parametrize("stage", ["staging", "prod"])
def test_stage_files_choose_each_stages_api_and_the_pipeline_does_not_override(templates, stage):
    from pathlib import Path

    stages = Path(__file__).resolve().parents[2] / "parameters" / "stages"
    values = json.loads((stages / f"{stage}.json").read_text())["Parameters"]
    for name in ("InferenceApi", "InferenceApiRateLimit", "InferenceApiBurstLimit"):
        assert name in values, f"{stage}.json should show {name}"
    if stage == "prod":  # only staging (deployed first) may set the account-wide role
        assert values.get("InferenceApiLoggingRole", "existing") == "existing"
    pipeline = templates["delivery.yml"]["Resources"]["Pipeline"]["Properties"]
    overrides = json.dumps(pipeline["Stages"])
    assert '\\"InferenceApi' not in overrides and '"InferenceApi' not in overrides
