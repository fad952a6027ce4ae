"""API Gateway REST resources through CloudFormation reach moto's API Gateway backend.

moto 5.2.5 creates ``AWS::ApiGateway::RestApi``, ``Resource``, ``Method`` and
``Deployment`` from a template, but a Method keeps only the integration's type, method
and URI (its ``Credentials``, ``RequestParameters``, ``RequestTemplates``,
``PassthroughBehavior``, ``IntegrationResponses``, ``MethodResponses`` and
``RequestValidatorId`` are dropped), and ``Stage``, ``UsagePlan``, ``ApiKey``,
``UsagePlanKey``, ``RequestValidator`` and ``GatewayResponse`` are skipped (placeholders).
Here each of them is created in moto's backend as CloudFormation would create it, so
``get-method``, ``get-stages``, ``get-usage-plans``, ``get-api-key --include-value`` show
what the template asked for, and the invocation seam (``scripts/emulator/api_gateway.py``)
executes the deployed definition. Ref answers as CloudFormation documents: the stage
name, the key id, the plan id, the validator id, the deployment id (moto's Deployment
answers Ref with the Python object), and deleting the stack deletes the RestApi (moto
keeps it).
"""

from __future__ import annotations

from typing import Any

from moto.apigateway.models import Deployment, Method, RestAPI, apigateway_backends
from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel

from scripts.emulator.patches import swap


def _backend(account_id: str, region: str) -> Any:
    return apigateway_backends[account_id][region]


def _flag(value: Any) -> bool:
    return str(value).lower() == "true"


class _ApiGatewayThing(CloudFormationModel):
    """Shared plumbing: a physical id, attributes, and Delete that forgets the object."""

    def __init__(self, physical_id: str, account_id: str, region: str, **keys: str) -> None:
        self.physical_id = physical_id
        self.account_id = account_id
        self.region = region
        self.keys = keys

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls, original_resource: _ApiGatewayThing, new_resource_name: str,
        cloudformation_json: dict[str, Any], account_id: str, region_name: str,
    ) -> _ApiGatewayThing:  # fmt: skip
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )


class Stage(_ApiGatewayThing):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Stage"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
        region_name: str, **kwargs: Any,
    ) -> Stage:  # fmt: skip
        props = cloudformation_json["Properties"]
        backend = _backend(account_id, region_name)
        stage = backend.create_stage(
            props["RestApiId"],
            props["StageName"],
            deploymentId=props["DeploymentId"],
            variables=props.get("Variables") or {},
            description=props.get("Description", ""),
            tracing_enabled=_flag(props.get("TracingEnabled")),
        )
        # Kept for the invocation seam, which reports what it does not enforce.
        stage.driftgate_method_settings = props.get("MethodSettings") or []
        stage.driftgate_access_log = props.get("AccessLogSetting") or {}
        return cls(props["StageName"], account_id, region_name, api=props["RestApiId"])

    def delete(self, account_id: str, region_name: str) -> None:
        _backend(account_id, region_name).delete_stage(self.keys["api"], self.physical_id)


class UsagePlan(_ApiGatewayThing):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::UsagePlan"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
        region_name: str, **kwargs: Any,
    ) -> UsagePlan:  # fmt: skip
        props = cloudformation_json["Properties"]
        payload: dict[str, Any] = {
            "name": props.get("UsagePlanName", resource_name),
            "description": props.get("Description"),
            "apiStages": [
                {"apiId": s["ApiId"], "stage": s["Stage"]} for s in props.get("ApiStages", [])
            ],
        }
        if "Throttle" in props:
            payload["throttle"] = {
                "rateLimit": float(props["Throttle"]["RateLimit"]),
                "burstLimit": int(props["Throttle"]["BurstLimit"]),
            }
        if "Quota" in props:
            payload["quota"] = {
                "limit": int(props["Quota"]["Limit"]),
                "period": props["Quota"]["Period"],
            }
        plan = _backend(account_id, region_name).create_usage_plan(payload)
        return cls(plan.id, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        _backend(account_id, region_name).usage_plans.pop(self.physical_id, None)


class ApiKey(_ApiGatewayThing):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::ApiKey"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
        region_name: str, **kwargs: Any,
    ) -> ApiKey:  # fmt: skip
        props = cloudformation_json["Properties"]
        payload = {
            "name": props.get("Name", resource_name),
            "description": props.get("Description"),
            "enabled": _flag(props.get("Enabled", False)),
        }
        if props.get("Value"):
            payload["value"] = props["Value"]
        key = _backend(account_id, region_name).create_api_key(payload)
        return cls(key.id, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        _backend(account_id, region_name).keys.pop(self.physical_id, None)


class UsagePlanKey(_ApiGatewayThing):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::UsagePlanKey"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
        region_name: str, **kwargs: Any,
    ) -> UsagePlanKey:  # fmt: skip
        props = cloudformation_json["Properties"]
        backend = _backend(account_id, region_name)
        backend.create_usage_plan_key(
            props["UsagePlanId"], {"keyId": props["KeyId"], "keyType": props["KeyType"]}
        )
        return cls(props["KeyId"], account_id, region_name, plan=props["UsagePlanId"])

    def delete(self, account_id: str, region_name: str) -> None:
        keys = _backend(account_id, region_name).usage_plan_keys.get(self.keys["plan"], {})
        keys.pop(self.physical_id, None)


class RequestValidator(_ApiGatewayThing):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::RequestValidator"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
        region_name: str, **kwargs: Any,
    ) -> RequestValidator:  # fmt: skip
        props = cloudformation_json["Properties"]
        validator = _backend(account_id, region_name).create_request_validator(
            props["RestApiId"],
            props.get("Name", resource_name),
            _flag(props.get("ValidateRequestBody", False)),
            _flag(props.get("ValidateRequestParameters", False)),
        )
        return cls(validator.id, account_id, region_name, api=props["RestApiId"])

    def delete(self, account_id: str, region_name: str) -> None:
        _backend(account_id, region_name).delete_request_validator(
            self.keys["api"], self.physical_id
        )


class GatewayResponse(_ApiGatewayThing):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::GatewayResponse"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
        region_name: str, **kwargs: Any,
    ) -> GatewayResponse:  # fmt: skip
        props = cloudformation_json["Properties"]
        _backend(account_id, region_name).put_gateway_response(
            props["RestApiId"],
            props["ResponseType"],
            props.get("StatusCode"),
            props.get("ResponseParameters"),
            props.get("ResponseTemplates"),
        )
        return cls(
            f"{props['RestApiId']}-{props['ResponseType']}", account_id, region_name,
            api=props["RestApiId"], type=props["ResponseType"],
        )  # fmt: skip

    def delete(self, account_id: str, region_name: str) -> None:
        _backend(account_id, region_name).delete_gateway_response(
            self.keys["api"], self.keys["type"]
        )


TYPES = {model.cloudformation_type(): model for model in
         (Stage, UsagePlan, ApiKey, UsagePlanKey, RequestValidator, GatewayResponse)}  # fmt: skip


def complete_method(props: dict[str, Any], account_id: str, region: str) -> None:
    """Put the parts of an ``AWS::ApiGateway::Method`` moto dropped into its backend."""
    backend = _backend(account_id, region)
    api, resource, verb = props["RestApiId"], props["ResourceId"], props["HttpMethod"]
    method = backend.get_method(api, resource, verb)
    method.request_parameters = props.get("RequestParameters")
    method.request_validator_id = props.get("RequestValidatorId")
    for response in props.get("MethodResponses", []):
        backend.put_method_response(
            api, resource, verb, str(response["StatusCode"]),
            response.get("ResponseModels"), response.get("ResponseParameters"),
        )  # fmt: skip
    integration = props.get("Integration") or {}
    backend.put_integration(
        api, resource, verb,
        integration_type=integration["Type"],
        uri=integration.get("Uri", ""),
        integration_method=integration.get("IntegrationHttpMethod", verb),
        credentials=integration.get("Credentials"),
        request_templates=integration.get("RequestTemplates"),
        passthrough_behavior=integration.get("PassthroughBehavior"),
        timeout_in_millis=integration.get("TimeoutInMillis"),
        request_parameters=integration.get("RequestParameters"),
    )  # fmt: skip
    for response in integration.get("IntegrationResponses", []):
        backend.put_integration_response(
            api, resource, verb, str(response["StatusCode"]),
            response.get("SelectionPattern"), response.get("ResponseTemplates") or {},
            response.get("ResponseParameters") or {},
        )  # fmt: skip


def apply() -> None:
    original_class = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> Any:
        return TYPES.get(resource_type) or original_class(resource_type)

    swap.replace(parsing, "resource_class_from_type", resource_class_from_type)

    original_create = Method.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_method(
        cls: type[Method], resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str, **kwargs: Any,
    ) -> Method:  # fmt: skip
        method = original_create(
            cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        complete_method(cloudformation_json["Properties"], account_id, region_name)
        return method

    swap.replace(Method, "create_from_cloudformation_json", classmethod(create_method))
    # moto's RestApi has no delete: the API outlived its stack.
    swap.replace(RestAPI, "delete", lambda self, account_id, region_name: _backend(
        account_id, region_name).delete_rest_api(self.id))  # fmt: skip
    # moto's Deployment has no physical id, so its Ref is the Python object.
    swap.replace(Deployment, "physical_resource_id", property(lambda self: self.id))
