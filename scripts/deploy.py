"""Deploy the root stack with `aws cloudformation deploy` and a create-stack parameter file.

The nested templates and Lambda code must already be in the regional hosting bucket
(`make publish`); this script checks that before it starts, fills the three hosting
parameters itself, and leaves every other value to the parameter file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

from scripts.aws_credentials import require_credentials
from scripts.publish import regional_bucket

ROOT = Path(__file__).resolve().parent.parent
CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND")
HOSTING_KEYS = ("TemplatesBucketName", "TemplatesKeyPrefix", "TemplatesBucketRegion")
PLACEHOLDER = "replace-with-"  # how the shipped parameter files mark values to fill in


def read_parameter_file(path: Path) -> dict[str, str]:
    """Parameters from a create-stack file: a JSON list of ParameterKey/ParameterValue."""
    try:
        entries = json.loads(path.read_text())
    except FileNotFoundError:
        raise SystemExit(f"error: parameter file {path} not found (see parameters/)") from None
    except json.JSONDecodeError as error:
        raise SystemExit(f"error: {path} is not valid JSON: {error}") from None
    if not isinstance(entries, list):
        raise SystemExit(f"error: {path} must be a JSON list of ParameterKey/ParameterValue")
    parameters: dict[str, str] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or "ParameterKey" not in entry:
            raise SystemExit(f"error: {path}: entry {index} has no ParameterKey")
        parameters[entry["ParameterKey"]] = str(entry.get("ParameterValue", ""))
    return parameters


def require_filled_in(path: Path, parameters: dict[str, str]) -> None:
    """Stop on placeholders left from the shipped files; hosting values are set here anyway."""
    unfilled = sorted(
        key
        for key, value in parameters.items()
        if value.startswith(PLACEHOLDER) and key not in HOSTING_KEYS
    )
    if unfilled:
        raise SystemExit(
            f"error: {path}: set {', '.join(unfilled)} (still a {PLACEHOLDER}… placeholder);"
            " copy parameters/example.json to your own file and edit it"
        )


def deploy_command(
    stack_name: str, region: str, bucket: str, prefix: str, parameters: dict[str, str]
) -> list[str]:
    """The `aws cloudformation deploy` command line."""
    values = {k: v for k, v in parameters.items() if k not in HOSTING_KEYS}
    values.update(zip(HOSTING_KEYS, (bucket, prefix, region), strict=True))
    return [
        sys.executable, "-m", "awscli", "cloudformation", "deploy",
        "--region", region, "--stack-name", stack_name,
        "--template-file", str(ROOT / "templates" / "pipeline.yml"),
        "--s3-bucket", bucket, "--s3-prefix", f"{prefix}deploy",
        "--capabilities", *CAPABILITIES, "--no-fail-on-empty-changeset",
        "--parameter-overrides", *(f"{k}={v}" for k, v in sorted(values.items())),
    ]  # fmt: skip


def require_published(s3: object, bucket: str, prefix: str, region: str) -> None:
    """Stop unless the nested templates are in the hosting bucket."""
    key = f"{prefix}templates/stage.yml"
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        raise SystemExit(
            f"error: s3://{bucket}/{key} is not readable ({code}); publish first:"
            f" make publish BUCKET=<base name> REGIONS={region}"
        ) from None


def require_deployable(cfn: object, stack_name: str, region: str) -> None:
    """Stop when the stack failed its creation: CloudFormation can only delete it then,
    and `deploy` would end in a bare ValidationError on the change set."""
    try:
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    except ClientError as error:
        if "does not exist" in error.response["Error"].get("Message", ""):
            return  # a first deploy
        raise
    if stack["StackStatus"] == "ROLLBACK_COMPLETE":
        where = f"--stack-name {stack_name} --region {region}"
        raise SystemExit(
            f"error: stack {stack_name} failed its creation and can only be deleted. The"
            " first CREATE_FAILED event says why (for a nested stack, in the stack it"
            f" names): aws cloudformation describe-stack-events {where}; then"
            f" aws cloudformation delete-stack {where} and deploy again"
        )


def add_published_arguments(parser: argparse.ArgumentParser) -> None:
    """Where `make publish` put the templates, and the stack's region (deploy, check-aws)."""
    parser.add_argument("--bucket", required=True, help="base bucket name given to make publish")
    parser.add_argument("--key-prefix", default="driftgate/")
    parser.add_argument("--region", required=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_published_arguments(parser)
    parser.add_argument("--stack-name", default="driftgate")
    parser.add_argument("--parameters", type=Path, default=ROOT / "parameters" / "staging.json")
    args = parser.parse_args(argv)
    if not args.bucket:
        raise SystemExit("error: BUCKET is required, e.g. make deploy BUCKET=my-driftgate")

    parameters = read_parameter_file(args.parameters)
    require_filled_in(args.parameters, parameters)
    session = boto3.Session(region_name=args.region)
    require_credentials(session)
    bucket = regional_bucket(args.bucket, args.region)
    require_published(session.client("s3"), bucket, args.key_prefix, args.region)
    require_deployable(session.client("cloudformation"), args.stack_name, args.region)
    command = deploy_command(args.stack_name, args.region, bucket, args.key_prefix, parameters)
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
