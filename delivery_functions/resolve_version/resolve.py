"""Turn the pipeline's ModelPackage variable into one approved package version.

`latest` means the newest approved version now; a number pins that version; a package
ARN (what the approval trigger passes) pins the version it names, which must belong to
this pipeline's group. Every check of the registry is package_lookup's, the same code
the ApprovedModelPackage custom resource runs: a pending or rejected package, an empty
group, a package without a data-quality baseline or outside the artifacts bucket fail
the action with that module's message.

Once the version is resolved, a stage stack left in ROLLBACK_COMPLETE by a failed first
create is deleted (stage_reset.py), so the deploy actions can create it again.
"""

import re
from collections.abc import Callable
from typing import Any

import package_lookup
import stage_reset
import teardown
from pipeline_job import ActionError, Job, required_parameter

LATEST = "latest"


def requested_version(requested: str, group_name: str) -> int | None:
    """None for latest, else the version `requested` names (a number or an ARN)."""
    if requested.lower() == LATEST:
        return None
    if re.fullmatch(r"[1-9][0-9]{0,8}", requested):
        return int(requested)
    if requested.startswith("arn:"):
        arn_group, version = package_lookup.parse_package_arn(requested)
        if arn_group.lower() != group_name.lower():
            raise ActionError(
                f"package {requested} belongs to group {arn_group}; this pipeline delivers "
                f"{group_name}"
            )
        return version
    raise ActionError(
        f"ModelPackage is {requested!r}; expected latest, a version number or a package ARN"
    )


def resolve_job(
    job: Job,
    location: package_lookup.FunctionLocation,
    client: Any = None,
    *,
    remaining_ms: Callable[[], int],
    cloudformation: Any = None,
) -> dict[str, str]:
    """The package's output variables, once no stage stack is left in ROLLBACK_COMPLETE;
    `remaining_ms`: the invocation's remaining time (Lambda context)."""
    parameters = job.user_parameters
    group_name = required_parameter(parameters, "ModelPackageGroupName")
    bucket = required_parameter(parameters, "ArtifactsBucketName")
    requested = required_parameter(parameters, "ModelPackage")
    stacks, role_arn = stage_reset.stage_stacks(parameters)
    request = package_lookup.PackageRequest(
        group_name=group_name,
        version=requested_version(requested, group_name),
        artifacts_bucket=bucket,
    )
    client = client or package_lookup.sagemaker_client(location.region)
    package = package_lookup.resolve(client, request, location)
    cloudformation = cloudformation or teardown.cloudformation_client()
    stage_reset.delete_rolled_back(cloudformation, stacks, role_arn, remaining_ms)
    return package.as_data()
