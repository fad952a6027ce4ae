"""The size of the answer sent to CloudFormation, checked before it is sent.

CloudFormation refuses a custom resource response body over 4,096 bytes (CloudFormation
user guide, custom resource response objects) with a message that names neither the
resource nor the cause, and crhelper sends whatever Data holds. The body measured here is
the one crhelper builds for SUCCESS (its `_send`), so a too-long answer becomes a FAILED
reason that says which values are too long.
"""

import json
from collections.abc import Mapping
from typing import Any

from common.errors import CustomResourceError

RESPONSE_LIMIT_BYTES = 4096


def success_body_size(event: Mapping[str, Any], physical_id: str, data: Mapping[str, str]) -> int:
    body = {
        "Status": "SUCCESS",
        "PhysicalResourceId": physical_id,
        "StackId": event.get("StackId", ""),
        "RequestId": event.get("RequestId", ""),
        "LogicalResourceId": event.get("LogicalResourceId", ""),
        "Reason": "",
        "Data": dict(data),
        "NoEcho": False,
    }
    return len(json.dumps(body).encode())


def check_response_size(
    event: Mapping[str, Any], physical_id: str, data: Mapping[str, str], advice: str
) -> None:
    """CustomResourceError naming the longest Data values when the answer would not fit."""
    size = success_body_size(event, physical_id, data)
    if size <= RESPONSE_LIMIT_BYTES:
        return
    longest = sorted(data, key=lambda key: len(str(data[key])), reverse=True)[:2]
    raise CustomResourceError(
        f"the answer would be {size} bytes, over CloudFormation's {RESPONSE_LIMIT_BYTES}-byte "
        f"custom resource response (longest: {', '.join(longest)}): {advice}"
    )
