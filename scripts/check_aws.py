"""Prove on a real AWS account what the local emulator cannot (issue 8: items 2, 5, 6, 7).

Runs against a stack of its own (``--stack-name``, default ``driftgate-check``), created
from the published templates (``make publish`` first) and deleted at the end unless
``--keep``. It costs real money: endpoint instances for about an hour, two of them during
the count step. Needs a model package group with at least two approved versions (the
second newest is deployed first, so there is a newer one to update to). The stack takes
the parameter file's values, made one direct stage of its own (``CHECK_PARAMETERS``, and
ProjectName = the stack name), so the pipeline-mode example file works as it is.

Checks, in order, each printed as PASS or FAIL with what it proved:
1. code:     every function runs the code of the packaged zips (content-hashed keys)
2. counts:   InstanceCount 1 -> 2 -> 1 are accepted blue/green updates and take effect
3. schedule: the schedule has no customer key, and Scheduler invokes the monitor
             through the stack's execution role (a one-time schedule, same target)
4. rollback: an update whose rollback alarm fires (set with SetAlarmState) fails the
             stack update; outputs and endpoint keep the previous version
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from scripts.aws_credentials import require_credentials
from scripts.deploy import (
    add_published_arguments,
    read_parameter_file,
    require_filled_in,
    require_published,
)
from scripts.publish import regional_bucket

ROOT = Path(__file__).resolve().parent.parent
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
DONE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "ROLLBACK_COMPLETE")
# The checks need one directly deployed stage with the builtin monitor's one schedule,
# whatever the user's file says (parameters/example.json is pipeline mode with the build
# pipeline, whose retrain schedule would be a second one). No inference API: an api-key
# or "create" logging role would change the account's API Gateway setting for a test.
CHECK_PARAMETERS = {
    "DeliveryMode": "direct",
    "BuildPipeline": "false",
    "MonitoringBackend": "builtin",
    "InferenceApi": "none",
    "InferenceApiLoggingRole": "existing",
}
PROJECT_NAME = re.compile(r"^[a-z][a-z0-9-]{1,20}$")  # pipeline.yml's ProjectName pattern


def code_sha256(zip_path: Path) -> str:
    """Lambda's CodeSha256: base64 of the zip's SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(zip_path.read_bytes()).digest()).decode()


def stale_functions(deployed: dict[str, str], dist: Path) -> list[str]:
    """Functions (name -> CodeSha256) whose code is none of the packaged zips."""
    packaged = {code_sha256(p) for p in (dist / "functions").glob("*.zip")}
    return sorted(name for name, sha in deployed.items() if sha not in packaged)


def previous_and_latest(packages: list[dict[str, Any]]) -> tuple[int, int]:
    """(second newest, newest) approved versions, from ListModelPackages newest first."""
    versions = [int(p["ModelPackageArn"].rsplit("/", 1)[1]) for p in packages]
    if len(versions) < 2:
        raise SystemExit(
            "error: check-aws needs two approved versions in the model package group (it "
            "deploys the older and updates to the newer); approve another version"
        )
    return versions[1], versions[0]


def check_project_name(stack_name: str) -> str:
    """The check stack's ProjectName: its own stack name.

    Every physical name derives from ProjectName, so a check run with the project of the
    user's own stack (same build pipeline, alarm and endpoint names) would collide with it.
    """
    if not PROJECT_NAME.match(stack_name):
        raise SystemExit(
            f"error: --stack-name {stack_name!r} is also the check's ProjectName: use 2-21"
            " lower-case letters, digits and hyphens, starting with a letter"
        )
    return stack_name


def check_parameters(
    parameters: dict[str, str], project: str, hosting: dict[str, str], previous: int
) -> dict[str, str]:
    """The check stack's parameters: the user's file, made a direct stage of its own."""
    base = {**parameters, **CHECK_PARAMETERS, **hosting}
    base.update(ProjectName=project, ModelVersion=str(previous), InstanceCount="1")
    base.pop("ModelNonce", None)
    return base


def failure_reasons(events: Iterable[dict[str, Any]], status: str) -> dict[str, str]:
    return {
        e["LogicalResourceId"]: e.get("ResourceStatusReason", "")
        for e in events
        if e["ResourceStatus"] == status
    }


class Check:
    def __init__(self, session: boto3.Session, args: argparse.Namespace) -> None:
        self.session, self.args = session, args
        self.cfn = session.client("cloudformation")
        self.results: list[tuple[str, bool, str]] = []

    def record(self, name: str, passed: bool, what: str) -> None:
        self.results.append((name, passed, what))
        print(f"{'PASS' if passed else 'FAIL'} {name}: {what}", flush=True)

    # ------------------------------------------------------------------ stack helpers
    def apply(self, parameters: dict[str, str], create: bool = False) -> dict[str, Any]:
        call = self.cfn.create_stack if create else self.cfn.update_stack
        call(
            StackName=self.args.stack_name,
            TemplateURL=self.args.template_url,
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=CAPABILITIES,
        )
        return self.wait()

    def wait(self, while_waiting: Callable[[], None] | None = None) -> dict[str, Any]:
        while True:
            stack = self.cfn.describe_stacks(StackName=self.args.stack_name)["Stacks"][0]
            if stack["StackStatus"] in DONE or stack["StackStatus"].endswith("FAILED"):
                return stack
            if while_waiting:
                while_waiting()
            time.sleep(20)

    def stacks(self) -> list[str]:
        """The root stack and every nested stack."""
        found, todo = [], [self.args.stack_name]
        while todo:
            name = todo.pop()
            found.append(name)
            for page in self.cfn.get_paginator("list_stack_resources").paginate(StackName=name):
                todo += [
                    r["PhysicalResourceId"]
                    for r in page["StackResourceSummaries"]
                    if r["ResourceType"] == "AWS::CloudFormation::Stack"
                ]
        return found

    def resources(self, resource_type: str) -> list[str]:
        return [
            r["PhysicalResourceId"]
            for stack in self.stacks()
            for page in self.cfn.get_paginator("list_stack_resources").paginate(StackName=stack)
            for r in page["StackResourceSummaries"]
            if r["ResourceType"] == resource_type
        ]

    def outputs(self) -> dict[str, str]:
        stack = self.cfn.describe_stacks(StackName=self.args.stack_name)["Stacks"][0]
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

    # ------------------------------------------------------------------------ checks
    def check_code(self) -> None:
        lam = self.session.client("lambda")
        deployed = {
            name: lam.get_function(FunctionName=name)["Configuration"]["CodeSha256"]
            for name in self.resources("AWS::Lambda::Function")
        }
        stale = stale_functions(deployed, self.args.dist)
        self.record(
            "code",
            bool(deployed) and not stale,
            f"{len(deployed)} functions run the packaged zips" if not stale else f"stale: {stale}",
        )

    def instance_count(self) -> int:
        sagemaker = self.session.client("sagemaker")
        endpoint = sagemaker.describe_endpoint(EndpointName=self.outputs()["EndpointName"])
        return int(endpoint["ProductionVariants"][0]["CurrentInstanceCount"])

    def check_counts(self, parameters: dict[str, str]) -> None:
        for count in ("2", "1"):
            stack = self.apply({**parameters, "InstanceCount": count, "MaxInstanceCount": "2"})
            current = self.instance_count()
            self.record(
                f"counts -> {count}",
                stack["StackStatus"] == "UPDATE_COMPLETE" and current == int(count),
                f"stack {stack['StackStatus']}, endpoint runs {current} instance(s)",
            )

    def check_schedule(self) -> None:
        scheduler = self.session.client("scheduler")
        (name,) = [n.rsplit("/", 1)[-1] for n in self.resources("AWS::Scheduler::Schedule")]
        schedule = scheduler.get_schedule(Name=name)
        function = schedule["Target"]["Arn"].rsplit(":", 1)[-1]
        start = datetime.now(UTC)
        scheduler.create_schedule(
            Name=f"{name}-check"[:64],
            ScheduleExpression=f"at({(start + timedelta(minutes=2)):%Y-%m-%dT%H:%M:%S})",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={k: schedule["Target"][k] for k in ("Arn", "RoleArn", "Input")},
            ActionAfterCompletion="DELETE",
        )
        cloudwatch = self.session.client("cloudwatch")
        invoked = 0.0
        for _ in range(30):  # up to 10 minutes
            time.sleep(20)
            points = cloudwatch.get_metric_statistics(
                Namespace="AWS/Lambda", MetricName="Invocations",
                Dimensions=[{"Name": "FunctionName", "Value": function}],
                StartTime=start, EndTime=datetime.now(UTC) + timedelta(minutes=1),
                Period=60, Statistics=["Sum"],
            )["Datapoints"]  # fmt: skip
            invoked = sum(p["Sum"] for p in points)
            if invoked:
                break
        self.record(
            "schedule",
            "KmsKeyArn" not in schedule and invoked > 0,
            f"no customer key on {name}; Scheduler invoked {function} {invoked:.0f} time(s)",
        )

    def check_rollback(self, parameters: dict[str, str], previous: int, latest: int) -> None:
        before = self.outputs()
        cloudwatch = self.session.client("cloudwatch")
        sagemaker = self.session.client("sagemaker")
        project = parameters.get("ProjectName", "driftgate")
        alarm = f"{project}-{parameters.get('StageName', 'staging')}-endpoint-5xx"

        def trip_alarm() -> None:
            status = sagemaker.describe_endpoint(EndpointName=before["EndpointName"])
            if status["EndpointStatus"] == "Updating":
                cloudwatch.set_alarm_state(
                    AlarmName=alarm, StateValue="ALARM",
                    StateReason="driftgate check-aws: simulated 5xx during the update",
                )  # fmt: skip

        self.cfn.update_stack(
            StackName=self.args.stack_name,
            TemplateURL=self.args.template_url,
            Parameters=[
                {"ParameterKey": k, "ParameterValue": v}
                for k, v in {**parameters, "ModelVersion": str(latest)}.items()
            ],
            Capabilities=CAPABILITIES,
        )
        stack = self.wait(trip_alarm)
        events = [
            e
            for name in self.stacks()
            for e in self.cfn.describe_stack_events(StackName=name)["StackEvents"]
        ]
        reason = failure_reasons(events, "UPDATE_FAILED").get("DeploymentCheck", "")
        after = self.outputs()
        self.record(
            "rollback",
            stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
            and "rolled the blue/green update" in reason
            and after.get("ModelPackageVersion") == str(previous),
            f"stack {stack['StackStatus']}; DeploymentCheck: {reason[:120]!r}; outputs "
            f"report version {after.get('ModelPackageVersion')} (expected {previous})",
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_published_arguments(parser)
    parser.add_argument("--stack-name", default="driftgate-check")
    parser.add_argument("--parameters", type=Path, required=True)
    parser.add_argument("--dist", type=Path, default=ROOT / "build" / "dist")
    parser.add_argument("--keep", action="store_true", help="do not delete the stack")
    args = parser.parse_args(argv)

    project = check_project_name(args.stack_name)
    parameters = read_parameter_file(args.parameters)
    require_filled_in(args.parameters, parameters)
    session = boto3.Session(region_name=args.region)
    require_credentials(session)
    bucket = regional_bucket(args.bucket, args.region)
    require_published(session.client("s3"), bucket, args.key_prefix, args.region)
    args.template_url = (
        f"https://{bucket}.s3.{args.region}.amazonaws.com/{args.key_prefix}templates/pipeline.yml"
    )
    listed = session.client("sagemaker").list_model_packages(
        ModelPackageGroupName=parameters["ModelPackageGroupName"],
        ModelApprovalStatus="Approved", SortBy="CreationTime", SortOrder="Descending",
        MaxResults=2,
    )["ModelPackageSummaryList"]  # fmt: skip
    previous, latest = previous_and_latest(listed)
    hosting = {
        "TemplatesBucketName": bucket,
        "TemplatesKeyPrefix": args.key_prefix,
        "TemplatesBucketRegion": args.region,
    }
    base = check_parameters(parameters, project, hosting, previous)

    check = Check(session, args)
    created = check.apply(base, create=True)
    check.record("create", created["StackStatus"] == "CREATE_COMPLETE", created["StackStatus"])
    try:
        if created["StackStatus"] == "CREATE_COMPLETE":
            check.check_code()
            check.check_counts(base)
            check.check_schedule()
            check.check_rollback({**base, "InstanceCount": "1"}, previous, latest)
    finally:
        if not args.keep:
            check.cfn.delete_stack(StackName=args.stack_name)
            print(f"deleting {args.stack_name} (the data bucket and key are retained)")
    failed = [name for name, passed, _ in check.results if not passed]
    print(f"check-aws: {len(check.results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
