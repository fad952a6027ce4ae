"""Custom resources that behave like CloudFormation's, running the real handlers in process.

moto bugs worked around here (moto 5.2.5, ``moto/cloudformation/custom_model.py``):
- the handler is invoked in a background thread through Docker and moto creates the
  dependent resources without waiting, so ``!GetAtt Custom.X`` is empty downstream:
  invoke synchronously (in process, patches/lambda_invoke.py) and wait for the answer;
- ResponseURL points at ``host.docker.internal``: point it at the emulator on loopback;
- a FAILED answer is ignored and the stack waits forever: raise ``ResourceFailed`` with
  the handler's Reason (patches/stack_failures.py turns it into a rollback);
- the returned PhysicalResourceId is ignored: keep it, send it back on Update/Delete;
- only Create is ever sent: send Update (with OldResourceProperties) when properties
  change, and Delete when the resource or its stack is deleted.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from typing import Any

from moto.awslambda.utils import get_backend as get_lambda_backend
from moto.cloudformation import cloudformation_backends
from moto.cloudformation.custom_model import CustomModel
from moto.cloudformation.responses import CloudFormationResponse

from scripts.emulator import config
from scripts.emulator.failures import ResourceFailed
from scripts.emulator.patches import lambda_invoke, swap

_responses: dict[str, dict[str, Any]] = {}
_responses_lock = threading.Lock()


def record_response(body: bytes | str) -> None:
    """Keep a custom resource's answer (the PUT to its ResponseURL) by RequestId."""
    response = json.loads(body)
    with _responses_lock:
        _responses[response["RequestId"]] = response


def take_response(request_id: str) -> dict[str, Any] | None:
    with _responses_lock:
        return _responses.pop(request_id, None)


class Request:
    """Where a custom resource lives: enough to send it Create, Update and Delete."""

    def __init__(
        self, endpoint_url: str, account_id: str, region: str, stack_id: str, logical_id: str,
        resource_type: str,
    ) -> None:  # fmt: skip
        self.endpoint_url = endpoint_url
        self.account_id = account_id
        self.region = region
        self.stack_id = stack_id
        self.logical_id = logical_id
        self.resource_type = resource_type

    def send(
        self,
        request_type: str,
        properties: dict[str, Any],
        physical_id: str | None = None,
        old_properties: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Invoke the ServiceToken function; return its SUCCESS answer or raise ResourceFailed."""
        request_id = str(uuid.uuid4())
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": properties["ServiceToken"],
            "ResponseURL": (
                f"{self.endpoint_url}/cloudformation_{self.region}/cfnresponse"
                f"?stack={self.stack_id}"
            ),
            "StackId": self.stack_id,
            "RequestId": request_id,
            "LogicalResourceId": self.logical_id,
            "ResourceType": self.resource_type,
            "ResourceProperties": properties,
        }
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        if old_properties is not None:
            event["OldResourceProperties"] = old_properties
        backend = get_lambda_backend(self.account_id, self.region)
        function = backend.get_function(properties["ServiceToken"])
        result = lambda_invoke.invoke(function, event, self.endpoint_url)
        response = take_response(request_id)
        if response is None:
            # CloudFormation would wait an hour for an answer; say so at once instead.
            detail = json.loads(result.payload).get("errorMessage", "") if result.errored else ""
            raise ResourceFailed(
                self.logical_id, self.resource_type,
                f"Custom resource did not answer the {request_type} request. {detail}".strip(),
            )  # fmt: skip
        if response.get("Status") != "SUCCESS":
            raise ResourceFailed(
                self.logical_id, self.resource_type, str(response.get("Reason") or "FAILED"),
                response.get("PhysicalResourceId"),
            )  # fmt: skip
        return response


def _string_properties(properties: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation passes scalar properties to custom resources as strings."""

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: convert(item) for key, item in value.items()}
        if isinstance(value, list):
            return [convert(item) for item in value]
        if isinstance(value, bool):
            return str(value).lower()
        return value if isinstance(value, str) else str(value)

    return convert(properties)


def apply() -> None:
    def create(
        cls: type[CustomModel], resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str, **kwargs: Any,
    ) -> CustomModel:  # fmt: skip
        properties = _string_properties(cloudformation_json["Properties"])
        request = Request(
            config.endpoint_url, account_id, region_name, kwargs["StackId"], kwargs["LogicalId"],
            kwargs["ResourceType"],
        )  # fmt: skip
        try:
            response = request.send("Create", properties)
        except ResourceFailed as failure:
            # On rollback CloudFormation sends Delete to a custom resource whose Create failed.
            if failure.physical_id:
                # The Create failure, not the Delete's, is the reason the user needs to see.
                with contextlib.suppress(ResourceFailed):
                    request.send("Delete", properties, failure.physical_id)
            raise
        resource = CustomModel(region_name, str(uuid.uuid4()), request.logical_id, resource_name)
        resource.resource_name = response.get("PhysicalResourceId") or resource_name
        resource.request = request  # type: ignore[attr-defined]
        resource.properties = properties  # type: ignore[attr-defined]
        resource.set_data(response.get("Data") or {})
        stack = cloudformation_backends[account_id][region_name].get_stack(request.stack_id)
        stack.add_custom_resource(resource)
        return resource

    def update(
        cls: type[CustomModel], original_resource: CustomModel, new_resource_name: str,
        cloudformation_json: dict[str, Any], account_id: str, region_name: str,
    ) -> CustomModel:  # fmt: skip
        request: Request = original_resource.request  # type: ignore[attr-defined]
        old_properties = original_resource.properties  # type: ignore[attr-defined]
        properties = _string_properties(cloudformation_json["Properties"])
        old_id = original_resource.resource_name
        if properties == old_properties:
            return original_resource  # CloudFormation sends no Update when nothing changed
        response = request.send("Update", properties, old_id, old_properties)
        new_id = response.get("PhysicalResourceId") or old_id
        if new_id != old_id:
            # A new physical id means replacement: CloudFormation deletes the old one.
            request.send("Delete", old_properties, old_id)
        original_resource.resource_name = new_id
        original_resource.properties = properties  # type: ignore[attr-defined]
        original_resource.set_data(response.get("Data") or {})
        return original_resource

    def delete(self: CustomModel, account_id: str, region_name: str) -> None:
        request: Request = self.request  # type: ignore[attr-defined]
        request.send("Delete", self.properties, self.resource_name)  # type: ignore[attr-defined]

    def process_cfn_response(self: CloudFormationResponse) -> tuple[int, dict[str, int], str]:
        record_response(self.body)
        return 200, {"status": 200}, "{}"

    swap.replace(CustomModel, "create_from_cloudformation_json", classmethod(create))
    swap.replace(CustomModel, "update_from_cloudformation_json", classmethod(update))
    swap.replace(CustomModel, "delete", delete)
    swap.replace(CloudFormationResponse, "process_cfn_response", process_cfn_response)
