"""Lambda entry for Custom::ApprovedModelPackage (crhelper wiring only).

Template settings: Runtime python3.13, Handler `handler.handler`, Timeout 150 s, and a
role allowing sagemaker:ListModelPackages, sagemaker:DescribeModelPackage and
sagemaker:DescribeModelPackageGroup. Why 150 s: a request makes at most five sequential
calls (the approved listing may page package_lookup.APPROVED_PAGES times, then a describe,
or the listing and group lookup that explain why nothing is approved), each bounded at 24 s
by common.aws, so a clear FAILED reason always arrives before the limit; should anything
still overrun, crhelper's timer answers FAILED ("Execution timed out") half a second
before Lambda stops the function.

Set the custom resource's ServiceTimeout to 210 s as well: if the function cannot
start at all (bad package, invocation throttled) the stack then fails in minutes, not
after CloudFormation's default hour.

PhysicalResourceId is the resolved package ARN: a newer approved version gets a new id and
CloudFormation then deletes the old one, which is a no-op (nothing is created).
"""

from typing import Any

import package_lookup
from common.response import check_response_size
from crhelper import CfnResource

# No polling (every request finishes in one invocation) and no sleep on Delete: Delete
# makes no AWS calls and writes one log line, so crhelper's 120 s log-flush wait is waste.
helper = CfnResource(log_level="INFO", boto_level="ERROR", sleep_on_delete=0)


@helper.create
@helper.update
def resolve(event: dict[str, Any], context: Any) -> str:
    request = package_lookup.parse_properties(event.get("ResourceProperties", {}))
    location = package_lookup.function_location(context.invoked_function_arn)
    client = package_lookup.sagemaker_client(location.region)
    package = package_lookup.resolve(client, request, location)
    check_response_size(
        event,
        package.arn,
        package.as_data(),
        "register the baselines under shorter S3 keys, or list fewer SupportedContentTypes",
    )
    helper.Data.update(package.as_data())
    return package.arn


@helper.delete
def delete(event: dict[str, Any], context: Any) -> None:
    """Nothing to delete: idempotent, and safe after a failed Create or with any id.

    Returning None makes crhelper echo the event's PhysicalResourceId.
    """


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
