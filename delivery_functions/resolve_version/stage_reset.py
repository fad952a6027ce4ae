"""Before a run deploys, delete a stage stack a failed first create left in ROLLBACK_COMPLETE.

The deploy actions use CREATE_UPDATE: CodePipeline creates a missing stack and updates an
existing one, and unlike REPLACE_ON_FAILURE it does not delete and replace a stack in a
failed state (CodePipeline User Guide, "AWS CloudFormation deploy action reference",
ActionMode). A stack whose first create failed ends in ROLLBACK_COMPLETE: the rollback
deleted what the create made, and CloudFormation accepts only DeleteStack for it, so every
later deploy of that stage would fail on it until someone deleted it by hand. Deleting it
loses nothing. A stack in any other state (serving, being changed, or
UPDATE_ROLLBACK_COMPLETE after a failed update, which still serves) is left to the deploy.

AWS calls, all `cloudformation` on the stage stacks only: DescribeStacks per stack;
DeleteStack with the stage stacks' role as RoleARN (the role that created the stack, as
the StageStacks custom resource passes it) for each stack in ROLLBACK_COMPLETE; then
DescribeStacks until it is gone. The status reads and the delete are teardown.py's (the
StageStacks custom resource's), one copy in the repository.
"""

import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import teardown
from pipeline_job import ActionError, required_parameter

LOGGER = logging.getLogger(__name__)
ROLLED_BACK = "ROLLBACK_COMPLETE"
# Stop waiting this long before Lambda's deadline, to report the job result.
DEADLINE_MARGIN_MS = 30_000


def stage_stacks(parameters: Mapping[str, Any]) -> tuple[tuple[str, ...], str]:
    """(stack names, role ARN) from the action's UserParameters."""
    names = required_parameter(parameters, "StageStacks")
    role_arn = required_parameter(parameters, "StageStackRoleArn")
    stacks = tuple(names.split(","))
    if not all(re.fullmatch(teardown.STACK_NAME_PATTERN, name) for name in stacks):
        raise ActionError(f"UserParameters.StageStacks is {names!r}: comma-separated stack names")
    if not re.fullmatch(teardown.ROLE_ARN_PATTERN, role_arn):
        raise ActionError(f"UserParameters.StageStackRoleArn is {role_arn!r}: a role ARN")
    return stacks, role_arn


def delete_rolled_back(
    client: Any,
    names: tuple[str, ...],
    role_arn: str,
    remaining_ms: Callable[[], int],
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Delete each stack of `names` in ROLLBACK_COMPLETE and wait until it is gone; the
    names deleted. Fails the action if one reaches DELETE_FAILED or the deadline nears."""
    deleted = []
    for name in names:
        status, reason = teardown.stack_status(client, name)
        if status != ROLLED_BACK:
            continue
        LOGGER.warning(
            "stack %s is %s after a failed first create (%s): deleting it so this run can "
            "create it",
            name,
            status,
            reason or "see its events",
        )
        teardown.start_delete(client, name, role_arn)
        deleted.append(name)
    pending = list(deleted)
    while pending:
        for name in list(pending):
            status, reason = teardown.stack_status(client, name)
            if status == teardown.GONE:
                pending.remove(name)
            elif status == "DELETE_FAILED":
                raise ActionError(
                    f"stack {name} was {ROLLED_BACK} (a failed first create) and could not "
                    f"be deleted: {reason or 'see its events'}; delete it, then retry"
                )
        if not pending:
            break
        if remaining_ms() < DEADLINE_MARGIN_MS + teardown.POLL_SECONDS * 1000:
            raise ActionError(
                f"stack {', '.join(pending)} is still being deleted (it was {ROLLED_BACK} "
                "after a failed first create); retry the Resolve stage once it is gone"
            )
        sleep(teardown.POLL_SECONDS)
    return deleted
