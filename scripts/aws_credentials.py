"""Refuse real-AWS commands early, with a message that says how to fix it."""

from __future__ import annotations

import sys

import boto3

NO_CREDENTIALS = (
    "No AWS credentials found. Configure them first, for example with "
    "`aws configure`, or with AWS CLI v2 `aws sso login --profile NAME` then "
    "`export AWS_PROFILE=NAME`, "
    "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY. Without an AWS account, run `make demo`."
)


def require_credentials(session: boto3.Session) -> None:
    """Exit with status 2 and a clear message when ``session`` has no credentials."""
    if session.get_credentials() is None:
        print(f"error: {NO_CREDENTIALS}", file=sys.stderr)
        raise SystemExit(2)


def main() -> int:
    """`python -m scripts.aws_credentials`: the same refusal for shell entry points."""
    require_credentials(boto3.Session())
    return 0


if __name__ == "__main__":
    sys.exit(main())
