"""Execute a deployed REST API call on the emulator: ``POST /<stage>/invocations``.

moto 5.2.5 stores REST APIs but its server does not answer ``*.execute-api`` hosts, and
its AWS-integration executor knows DynamoDB only. This seam runs the request path
driftgate's ``api.yml`` defines, reading the definition from moto's API Gateway backend
(what ``get-method`` returns), with the semantics the API Gateway developer guide
documents for exactly these features:

- stage, resource and method lookup; unknown ones answer 403 ``MISSING_AUTHENTICATION_TOKEN``
  (API Gateway's answer for a path it does not route) and a missing stage 403 as well;
- ``AWS_IAM``: the SigV4 signature is checked against the emulator's credentials
  (``MISSING_AUTHENTICATION_TOKEN`` without one, ``INVALID_SIGNATURE`` when it does not
  verify); IAM policies of the caller are not evaluated;
- ``apiKeyRequired``: ``x-api-key`` must be an enabled key in a usage plan of this
  API and stage (``INVALID_API_KEY``, 403);
- a request validator with ``validateRequestParameters`` refuses a missing required
  header (``BAD_REQUEST_PARAMETERS``, 400);
- bodies over 10 MB get ``REQUEST_TOO_LARGE`` (413);
- ``PassthroughBehavior: NEVER``: a Content-Type with no request template gets
  ``UNSUPPORTED_MEDIA_TYPE`` (415); the template must be ``$input.body``;
- the ``AWS`` integration ``runtime.sagemaker:path/endpoints/<name>/invocations`` runs
  ``endpoint_runtime.invoke_endpoint`` after checking that the integration role's inline
  policy allows ``sagemaker:InvokeEndpoint`` on that endpoint (403 from the backend
  otherwise), with the mapped ``integration.request.header.*`` parameters;
- integration responses are selected by matching ``SelectionPattern`` against the
  backend's status code; their templates must be static text;
- gateway responses: the API's own for the type, else ``DEFAULT_4XX``/``DEFAULT_5XX``,
  with ``$context.error.responseType`` and ``$context.error.messageString`` filled in;
- one access log line per request to the stage's ``AccessLogSetting`` log group, with
  the ``$context`` variables of its format.

Everything else raises ``NotEmulated`` naming the feature (other integration types or
services, VTL beyond ``$input.body``, other passthrough behaviours, authorizers). Not
emulated at all: throttling, quotas, usage-plan metering, TLS, the deployment snapshot
(the stage serves the API's current definition), CloudWatch metrics.
"""

from __future__ import annotations

import fnmatch
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.apigateway.models import apigateway_backends
from moto.iam.models import iam_backends
from moto.logs.models import logs_backends

from scripts.emulator import endpoint_runtime

HOST = re.compile(r"^(?P<api>[a-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com$")
SAGEMAKER_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:(?P<region>[a-z0-9-]+):runtime\.sagemaker:"
    r"path/endpoints/(?P<endpoint>[^/]+)/invocations$"
)
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway quota: 10 MB payload
DEFAULT_STATUS = {
    "MISSING_AUTHENTICATION_TOKEN": 403, "INVALID_SIGNATURE": 403, "INVALID_API_KEY": 403,
    "BAD_REQUEST_PARAMETERS": 400, "REQUEST_TOO_LARGE": 413, "UNSUPPORTED_MEDIA_TYPE": 415,
    "API_CONFIGURATION_ERROR": 500,
}  # fmt: skip
MESSAGES = {
    "MISSING_AUTHENTICATION_TOKEN": "Missing Authentication Token",
    "INVALID_SIGNATURE": "The request signature we calculated does not match the signature you provided.",  # noqa: E501
    "INVALID_API_KEY": "Forbidden",
    "REQUEST_TOO_LARGE": "Request Too Long",
    "UNSUPPORTED_MEDIA_TYPE": "Unsupported Media Type",
    "API_CONFIGURATION_ERROR": "Internal server error",
}


class NotEmulated(RuntimeError):
    """An API Gateway feature the seam does not implement, named."""


@dataclass(frozen=True)
class Request:
    method: str
    host: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    source_ip: str = "127.0.0.1"


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    error_type: str = ""
    integration_status: str = ""
    integration_latency_ms: int | None = None


@dataclass(frozen=True)
class Target:
    account_id: str
    region: str
    api: Any
    stage: Any
    method: Any


def handle(request: Request, account_id: str, credentials: Credentials) -> Response:
    started = time.monotonic()
    request_id = str(uuid.uuid4())
    match = HOST.match(request.host.split(":")[0])
    if not match:
        raise NotEmulated(f"a host other than <api>.execute-api.<region>: {request.host}")
    region = match["region"]
    backend = apigateway_backends[account_id][region]
    api = backend.apis.get(match["api"])
    stage_name, _, rest = request.path.lstrip("/").partition("/")
    if api is None or stage_name not in api.stages:
        response = Response(403, b'{"message":"Forbidden"}', {"Content-Type": "application/json"})
        response.error_type = "ACCESS_DENIED"
        return finish(response, request, None, request_id, started)
    target = Target(account_id, region, api, api.stages[stage_name], None)
    resource = next(
        (r for r in api.resources.values() if r.get_path() == "/" + rest.rstrip("/")), None
    )
    method = resource.resource_methods.get(request.method) if resource else None
    if method is None:
        return finish(gateway_error(api, "MISSING_AUTHENTICATION_TOKEN"), request, target,
                      request_id, started)  # fmt: skip
    target = Target(account_id, region, api, target.stage, method)
    response = run_method(request, target, credentials)
    return finish(response, request, target, request_id, started)


def run_method(request: Request, target: Target, credentials: Credentials) -> Response:
    method, api = target.method, target.api
    if method.authorizer_id:
        raise NotEmulated("authorizers")
    auth = method.authorization_type or "NONE"
    if auth == "AWS_IAM":
        problem = check_signature(request, target.region, credentials)
        if problem:
            return gateway_error(api, problem)
    elif auth != "NONE":
        raise NotEmulated(f"authorization type {auth}")
    if method.api_key_required and not api_key_allowed(request, target):
        return gateway_error(api, "INVALID_API_KEY")
    missing = missing_parameters(request, method, api)
    if missing:
        return gateway_error(
            api, "BAD_REQUEST_PARAMETERS",
            f"Missing required request parameters: [{', '.join(missing)}]",
        )  # fmt: skip
    if len(request.body) > MAX_PAYLOAD_BYTES:
        return gateway_error(api, "REQUEST_TOO_LARGE")
    integration = method.method_integration
    content_type = request.headers.get("content-type", "application/json")
    templates = integration.request_templates or {}
    base_type = content_type.split(";")[0].strip().lower()
    template = next((t for ct, t in templates.items() if ct.lower() == base_type), None)
    if template is None:
        if integration.passthrough_behaviour != "NEVER":
            raise NotEmulated(f"PassthroughBehavior {integration.passthrough_behaviour}")
        return gateway_error(api, "UNSUPPORTED_MEDIA_TYPE")
    if template.strip() != "$input.body":
        raise NotEmulated(f"mapping template {template!r} (only $input.body)")
    started = time.monotonic()
    status, body, headers = call_integration(request, target, integration)
    response = integration_response(integration, status, body, headers)
    response.integration_status = str(status)
    response.integration_latency_ms = int((time.monotonic() - started) * 1000)
    return response


def check_signature(request: Request, region: str, credentials: Credentials) -> str | None:
    authorization = request.headers.get("authorization", "")
    if not authorization.startswith("AWS4-HMAC-SHA256 "):
        return "MISSING_AUTHENTICATION_TOKEN"
    fields = dict(
        part.strip().split("=", 1) for part in authorization[17:].split(",") if "=" in part
    )
    scope = fields.get("Credential", "").split("/")
    if len(scope) != 5 or scope[0] != credentials.access_key:
        return "INVALID_SIGNATURE"
    if scope[3] != "execute-api" or scope[2] != region:
        return "INVALID_SIGNATURE"
    signed = fields.get("SignedHeaders", "").split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        return "INVALID_SIGNATURE"
    headers = {name: request.headers[name] for name in signed if name in request.headers}
    url = f"https://{request.host}{request.path}" + (f"?{request.query}" if request.query else "")
    copy = AWSRequest(method=request.method, url=url, data=request.body, headers=headers)
    copy.context["timestamp"] = request.headers["x-amz-date"]
    signer = SigV4Auth(credentials, "execute-api", region)
    string_to_sign = signer.string_to_sign(copy, signer.canonical_request(copy))
    expected = signer.signature(string_to_sign, copy)
    return None if expected == fields.get("Signature") else "INVALID_SIGNATURE"


def api_key_allowed(request: Request, target: Target) -> bool:
    backend = apigateway_backends[target.account_id][target.region]
    value = request.headers.get("x-api-key")
    key = next((k for k in backend.keys.values() if value and k.value == value), None)
    if key is None or not key.enabled:
        return False
    for plan_id, plan_keys in backend.usage_plan_keys.items():
        plan = backend.usage_plans.get(plan_id)
        if plan is None or key.id not in plan_keys:
            continue
        for stage in plan.api_stages:
            if stage["apiId"] == target.api.id and stage["stage"] == target.stage.name:
                return True
    return False


def missing_parameters(request: Request, method: Any, api: Any) -> list[str]:
    validator = api.request_validators.get(method.request_validator_id or "")
    if validator is None or not validator.validate_request_parameters:
        return []
    missing = []
    for name, required in (method.request_parameters or {}).items():
        location, _, parameter = name.removeprefix("method.request.").partition(".")
        if location != "header":
            raise NotEmulated(f"validation of {name}")
        if str(required).lower() == "true" and parameter.lower() not in request.headers:
            missing.append(parameter)
    return missing


def call_integration(
    request: Request, target: Target, integration: Any
) -> tuple[int, bytes, dict[str, str]]:
    match = SAGEMAKER_URI.match(integration.uri or "")
    if integration.integration_type != "AWS" or not match:
        raise NotEmulated(f"{integration.integration_type} integration {integration.uri}")
    if (integration.http_method or "").upper() != "POST":
        raise NotEmulated(f"InvokeEndpoint with {integration.http_method}")
    headers = {}
    for name, source in (integration.request_parameters or {}).items():
        header = name.removeprefix("integration.request.header.")
        if header == name or not source.startswith("method.request.header."):
            raise NotEmulated(f"integration request parameter {name} = {source}")
        value = request.headers.get(source.removeprefix("method.request.header.").lower())
        if value is not None:
            headers[header.lower()] = value
    endpoint = match["endpoint"]
    if not role_may_invoke(integration.credentials, target, endpoint):
        body = json.dumps({"__type": "AccessDeniedException", "message": "not authorized"})
        return 403, body.encode(), {"Content-Type": "application/json"}
    answer = endpoint_runtime.invoke_endpoint(
        target.account_id, match["region"], endpoint, request.body,
        headers.get("content-type", "application/octet-stream"), headers.get("accept"),
    )  # fmt: skip
    return answer.status, answer.body, answer.headers


def role_may_invoke(role_arn: str | None, target: Target, endpoint: str) -> bool:
    """The integration role's inline policies allow sagemaker:InvokeEndpoint on it."""
    if not role_arn:
        raise NotEmulated("an AWS integration without Credentials")
    iam = iam_backends[target.account_id]["aws"]
    role = next((r for r in iam.roles.values() if r.arn == role_arn), None)
    if role is None:
        return False
    arn = f"arn:aws:sagemaker:{target.region}:{target.account_id}:endpoint/{endpoint.lower()}"
    for document in role.policies.values():
        policy = json.loads(document) if isinstance(document, str) else document
        statements = policy.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            actions = _as_list(statement.get("Action"))
            resources = _as_list(statement.get("Resource"))
            allows = statement.get("Effect") == "Allow" and "sagemaker:InvokeEndpoint" in actions
            if allows and any(fnmatch.fnmatchcase(arn, p.lower()) for p in resources):
                return True
    return False


def _as_list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value] if value else []


def integration_response(
    integration: Any, status: int, body: bytes, headers: dict[str, str]
) -> Response:
    responses = list((integration.integration_responses or {}).values())
    chosen = next(
        (r for r in responses
         if r.selection_pattern and re.fullmatch(r.selection_pattern, str(status))),
        next((r for r in responses if not r.selection_pattern), None),
    )  # fmt: skip
    if chosen is None:
        raise NotEmulated(f"no integration response for status {status}")
    out_headers: dict[str, str] = {}
    for name, source in (chosen.response_parameters or {}).items():
        header = name.removeprefix("method.response.header.")
        if source.startswith("integration.response.header."):
            wanted = source.removeprefix("integration.response.header.").lower()
            value = next((v for k, v in headers.items() if k.lower() == wanted), None)
            if value is not None:
                out_headers[header] = value
        else:
            raise NotEmulated(f"method response parameter {name} = {source}")
    templates = chosen.response_templates or {}
    if not templates:
        out_headers.setdefault("Content-Type", "application/json")
        return Response(int(chosen.status_code), body, out_headers)
    (content_type, template), *_ = templates.items()
    if "$" in template:
        raise NotEmulated(f"VTL in response template {template!r}")
    out_headers["Content-Type"] = content_type
    return Response(int(chosen.status_code), template.encode(), out_headers)


def gateway_error(api: Any, response_type: str, message: str | None = None) -> Response:
    default_status = DEFAULT_STATUS.get(response_type, 400)
    family = "DEFAULT_5XX" if default_status >= 500 else "DEFAULT_4XX"
    configured = api.gateway_responses.get(response_type) or api.gateway_responses.get(family)
    text = message or MESSAGES.get(response_type, "Bad Request")
    status = int(getattr(configured, "status_code", None) or default_status)
    templates = (configured.response_templates if configured else None) or {
        "application/json": '{"message":$context.error.messageString}'
    }
    (content_type, template), *_ = templates.items()
    body = template.replace("$context.error.responseType", response_type).replace(
        "$context.error.messageString", json.dumps(text)
    )
    if "$" in body:
        raise NotEmulated(f"gateway response template {template!r}")
    response = Response(status, body.encode(), {"Content-Type": content_type})
    response.error_type = response_type
    return response


def finish(
    response: Response, request: Request, target: Target | None, request_id: str,
    started: float,
) -> Response:  # fmt: skip
    response.headers["x-amzn-RequestId"] = request_id
    if target is not None:
        write_access_log(response, request, target, request_id, started)
    return response


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


CONTEXT = re.compile(r"\$context\.([A-Za-z.]+)")


def write_access_log(
    response: Response, request: Request, target: Target, request_id: str, started: float
) -> None:
    setting = getattr(target.stage, "driftgate_access_log", None) or {}
    destination = setting.get("DestinationArn")
    if not destination:
        return
    values = {
        "requestId": request_id,
        "extendedRequestId": request_id,
        "requestTime": datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "identity.sourceIp": request.source_ip,
        "identity.apiKeyId": "",
        "httpMethod": request.method,
        "resourcePath": "/" + request.path.lstrip("/").partition("/")[2],
        "status": str(response.status),
        "responseLength": str(len(response.body)),
        "responseLatency": str(int((time.monotonic() - started) * 1000)),
        "integration.status": response.integration_status,
        "integration.latency": _text(response.integration_latency_ms),
        "error.responseType": response.error_type,
        "tlsVersion": "TLSv1.2",
    }
    line = CONTEXT.sub(lambda m: values.get(m[1], "-"), setting.get("Format", ""))
    group = destination.split(":log-group:")[1].removesuffix(":*")
    logs = logs_backends[target.account_id][target.region]
    stream = f"{target.stage.name}-access"
    if stream not in logs.groups[group].streams:
        logs.create_log_stream(group, stream)
    logs.put_log_events(group, stream, [{"timestamp": int(time.time() * 1000), "message": line}])
