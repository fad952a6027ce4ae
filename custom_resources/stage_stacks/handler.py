"""Lambda entry for Custom::StageStacks (crhelper wiring only; logic in teardown.py).

Template settings: Runtime python3.13, Handler `handler.handler`, Timeout 900 s (Lambda's
maximum), ServiceTimeout 960 s on the resource. Delete waits for the stage stacks until
60 s before the Lambda deadline, then answers FAILED naming the stack still deleting, so
CloudFormation always gets an answer well before its own timeout; crhelper's timer is
the backstop.

PhysicalResourceId: `stage-stacks-<first stack name>`; Create and Update only validate.
"""

from typing import Any

import teardown
from crhelper import CfnResource

helper = CfnResource(log_level="INFO", boto_level="ERROR", sleep_on_delete=0)


@helper.create
@helper.update
def validate(event: dict[str, Any], context: Any) -> str:
    request = teardown.parse_properties(event.get("ResourceProperties", {}))
    return teardown.physical_id(request)


@helper.delete
def delete(event: dict[str, Any], context: Any) -> None:
    """Delete the stage stacks (unless OnDelete is retain) and wait for them.

    After a failed Create the properties may be invalid: nothing was deployed by this
    resource then, and a Delete that refuses would block the rollback, so it succeeds.
    """
    try:
        request = teardown.parse_properties(event.get("ResourceProperties", {}))
    except teardown.CustomResourceError:
        return
    teardown.delete_stage_stacks(
        teardown.cloudformation_client(), request, context.get_remaining_time_in_millis
    )


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
