"""Lambda entry for Custom::EndpointDeployment (crhelper wiring only).

Template settings: Runtime python3.13, Handler `handler.handler`, Timeout 60 s, and a role
allowing sagemaker:DescribeEndpoint on the stage's endpoint. Why 60 s: one call, bounded
at 24 s by common.aws; crhelper's timer answers FAILED before the limit otherwise. Set
ServiceTimeout to 120 s.

The resource comes after the Endpoint, and its properties hold the endpoint config the
stack deployed, so every deployment (a new config) sends an Update that checks it.
PhysicalResourceId is `<endpoint>/<config>`; Delete makes no call.
"""

from typing import Any

import endpoint_check
from common.response import check_response_size
from crhelper import CfnResource

helper = CfnResource(log_level="INFO", boto_level="ERROR", sleep_on_delete=0)


@helper.create
@helper.update
def confirm(event: dict[str, Any], context: Any) -> str:
    request = endpoint_check.parse_properties(event.get("ResourceProperties", {}))
    endpoint_check.check(endpoint_check.sagemaker_client(), request)
    check_response_size(event, request.physical_id(), request.as_data(), "shorten the names")
    helper.Data.update(request.as_data())
    return request.physical_id()


@helper.delete
def delete(event: dict[str, Any], context: Any) -> None:
    """Nothing to delete: idempotent, and safe after a failed Create or with any id."""


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
