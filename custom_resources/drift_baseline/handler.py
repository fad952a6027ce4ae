"""Lambda entry for Custom::DriftBaseline (crhelper wiring only).

Template settings: Runtime python3.13, Handler `handler.handler`, Timeout 60 s, and a role
allowing s3:GetObject on the baseline objects (plus kms:Decrypt for a customer-managed
key). Why 60 s: a request makes two sequential GetObject calls, each bounded at 24 s by
common.aws, so a clear FAILED reason always arrives first; should anything still overrun,
crhelper's timer answers FAILED ("Execution timed out") half a second before the limit.
Granting s3:ListBucket on the bucket (scoped to the baseline prefix) makes S3 report a
missing file as NoSuchKey ("... not found") instead of AccessDenied.

Set the custom resource's ServiceTimeout to 120 s as well: if the function cannot
start at all (bad package, invocation throttled) the stack then fails in minutes, not
after CloudFormation's default hour.

PhysicalResourceId is derived from the two URIs: the same files keep the id, new files get
a new one and CloudFormation then deletes the old one, which is a no-op.
"""

from typing import Any

import baseline_check
from common.response import check_response_size
from crhelper import CfnResource

# No polling (every request finishes in one invocation) and no sleep on Delete: Delete
# makes no AWS calls and writes one log line, so crhelper's 120 s log-flush wait is waste.
helper = CfnResource(log_level="INFO", boto_level="ERROR", sleep_on_delete=0)


@helper.create
@helper.update
def validate(event: dict[str, Any], context: Any) -> str:
    request = baseline_check.parse_properties(event.get("ResourceProperties", {}))
    baseline = baseline_check.validate(baseline_check.s3_client(), request)
    check_response_size(
        event,
        baseline.physical_id(),
        baseline.as_data(),
        "use fewer or shorter feature names, or shorter baseline S3 keys",
    )
    helper.Data.update(baseline.as_data())
    return baseline.physical_id()


@helper.delete
def delete(event: dict[str, Any], context: Any) -> None:
    """Nothing to delete: idempotent, and safe after a failed Create or with any id.

    Returning None makes crhelper echo the event's PhysicalResourceId.
    """


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
