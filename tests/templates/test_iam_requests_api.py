"""api.yml: the roles API Gateway assumes allow exactly what it does with them.

IntegrationRole: an AWS service integration with Credentials makes API Gateway assume
the role and call the service action named by the integration URI (API Gateway
Developer Guide, "AWS integrations" / integration Credentials): here SageMaker Runtime
InvokeEndpoint on the endpoint in the URI path. ApiGatewayLoggingRole: API Gateway
writes execution and access logs of every REST API of the account and region with the
account's CloudWatch role (API Gateway Developer Guide, "Set up CloudWatch logging for
REST APIs": the role carries AmazonAPIGatewayPushToCloudWatchLogs' actions).
"""

import re
from typing import Any

from tests.templates import iam_model
from tests.templates.iam_model import (
    ACCOUNT,
    REGION,
    allowed,
    granted_actions,
    refusals,
    render,
    role_statements,
)

TEMPLATE = "api.yml"
# AmazonAPIGatewayPushToCloudWatchLogs (AWS managed policy reference).
PUSH_TO_LOGS = {
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
}


def params(**overrides: Any) -> dict[str, Any]:
    return iam_model.sample_params(
        **{"AWS::StackName": "demo-staging-Api-7J8K9L", **overrides},
        conditions={"UseApiKey": False, "CreateLoggingRole": True},
    )


def statements(templates, role: str, p: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return role_statements(templates[TEMPLATE], role, p or params())


def test_the_integration_role_invokes_exactly_the_integrated_endpoint(templates):
    p = params()
    template = templates[TEMPLATE]
    raw = template["Resources"]["InvocationsPost"]["Properties"]["Integration"]
    integration = {k: render(raw[k], p, template) for k in ("Uri", "Credentials")}
    assert integration["Credentials"] == render(
        {"Fn::GetAtt": ["IntegrationRole", "Arn"]}, p, template
    )
    match = re.fullmatch(
        rf"arn:aws:apigateway:{REGION}:runtime\.sagemaker:path/endpoints/([^/]+)/invocations",
        integration["Uri"],
    )
    assert match, integration["Uri"]
    requests = iam_model.authorizations(
        "sagemakerruntime", "InvokeEndpoint", {"EndpointName": match[1]}
    )
    role = statements(templates, "IntegrationRole", p)
    assert refusals(role, requests) == []
    assert {a for a, _, _ in requests} == granted_actions(role)
    assert iam_model.unused_grants(role, requests) == []
    other = iam_model.sagemaker_arn("endpoint", "demo-prod")
    assert not allowed(role, "sagemaker:InvokeEndpoint", other, {})


def test_the_logging_role_writes_the_stage_logs_of_this_region(templates):
    p = params()
    template = templates[TEMPLATE]
    stage = render(template["Resources"]["Stage"]["Properties"]["AccessLogSetting"], p, template)
    access_group = stage["DestinationArn"].removesuffix(":*")
    # Execution logs go to API-Gateway-Execution-Logs_<api id>/<stage>, of any API here.
    execution_group = (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:API-Gateway-Execution-Logs_a1b2c3d4e5/staging"
    )
    requests: list[iam_model.Authorization] = []
    for group in (access_group, execution_group):
        stream = f"{group}:log-stream:0123456789abcdef"
        requests += [
            ("logs:CreateLogGroup", f"{group}:*", {}),
            ("logs:DescribeLogGroups", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*", {}),
            ("logs:DescribeLogStreams", f"{group}:*", {}),
            ("logs:CreateLogStream", stream, {}),
            ("logs:PutLogEvents", stream, {}),
            ("logs:GetLogEvents", stream, {}),
            ("logs:FilterLogEvents", f"{group}:*", {}),
        ]
    role = statements(templates, "ApiGatewayLoggingRole", p)
    assert refusals(role, requests) == []
    assert granted_actions(role) == PUSH_TO_LOGS == {a for a, _, _ in requests}
    assert iam_model.unused_grants(role, requests) == []
    other_region = access_group.replace(REGION, "eu-west-1") + ":*"
    assert not allowed(role, "logs:CreateLogGroup", other_region, {})
