"""Upload the packaged tree to one private bucket per region and print Launch Stack links.

Bucket naming follows taskcat's regional buckets: ``<bucket>-<region>``. Lambda reads
its code from a bucket in its own region, so every region gets its own copy. Buckets are
created private (public access blocked, owner-enforced object ownership, TLS-only
policy, default encryption); objects are uploaded without any ACL.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import re
import sys
from pathlib import Path
from urllib.parse import quote, urlencode

import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import BotoCoreError, ClientError

from scripts.aws_credentials import require_credentials

ROOT = Path(__file__).resolve().parent.parent
BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$")
PREFIX_PATTERN = re.compile(r"^([0-9A-Za-z!_.*'()-]+/)*$")
BUTTON_IMAGE = "https://s3.amazonaws.com/cloudformation-examples/cloudformation-launch-stack.png"
# The IAM action behind each S3 call publishing makes (upload_file calls PutObject).
S3_ACTIONS = {
    "HeadBucket": "s3:ListBucket",
    "CreateBucket": "s3:CreateBucket",
    "PutBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "PutBucketPolicy": "s3:PutBucketPolicy",
    "PutBucketVersioning": "s3:PutBucketVersioning",
    "PutObject": "s3:PutObject",
}


def regional_bucket(bucket: str, region: str) -> str:
    """The taskcat-style regional bucket name."""
    return f"{bucket}-{region}"


def validate(bucket: str, prefix: str, regions: list[str]) -> None:
    """Refuse arguments that would fail later, saying how to fix them."""
    if not bucket:
        raise SystemExit("error: BUCKET is required, e.g. make publish BUCKET=my-driftgate")
    if not BUCKET_PATTERN.match(bucket):
        raise SystemExit(
            f"error: BUCKET={bucket!r} is not a valid base name: use 3-42 lower-case letters,"
            " digits and hyphens (the region is appended)"
        )
    if not PREFIX_PATTERN.match(prefix):
        raise SystemExit(f"error: KEY_PREFIX={prefix!r} must be empty or end with '/'")
    if not regions:
        raise SystemExit('error: REGIONS is empty, e.g. REGIONS="us-east-1 eu-west-1"')


def tls_only_policy(bucket: str, partition: str = "aws") -> str:
    """Bucket policy that denies every request not made over TLS."""
    arn = f"arn:{partition}:s3:::{bucket}"
    statement = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def ensure_private_bucket(s3: object, bucket: str, region: str) -> None:
    """Create ``bucket`` in ``region`` if it is missing, and make sure it is private."""
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] not in {"404", "NoSuchBucket", "NotFound"}:
            raise
        create = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
        if region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**create)
    # An existing bucket too: ACLs disabled, so no uploaded object can carry a grant.
    s3.put_bucket_ownership_controls(
        Bucket=bucket,
        OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    )
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=tls_only_policy(bucket))
    # The release archive is the delivery pipeline's S3 source, which needs a versioned
    # bucket (CodePipeline guide, Amazon S3 source action).
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def upload_tree(s3: object, dist: Path, bucket: str, prefix: str) -> int:
    """Upload every file under ``dist`` to ``bucket`` under ``prefix``; no ACL is ever set."""
    count = 0
    for path in sorted(p for p in dist.rglob("*") if p.is_file()):
        key = prefix + path.relative_to(dist).as_posix()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".yml":
            content_type = "text/yaml"
        s3.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": content_type})
        count += 1
    return count


def launch_stack_url(bucket: str, prefix: str, region: str, stack_name: str) -> str:
    """Console link that opens the create-stack page with the hosting parameters filled."""
    template_url = f"https://{bucket}.s3.{region}.amazonaws.com/{prefix}templates/pipeline.yml"
    query = urlencode(
        {
            "templateURL": template_url,
            "stackName": stack_name,
            "param_TemplatesBucketName": bucket,
            "param_TemplatesKeyPrefix": prefix,
            "param_TemplatesBucketRegion": region,
        },
        quote_via=quote,
    )
    return (
        f"https://{region}.console.aws.amazon.com/cloudformation/home?region={region}"
        f"#/stacks/create/review?{query}"
    )


def markdown_button(region: str, url: str) -> str:
    """A Launch Stack button for a README."""
    return f"[![Launch Stack in {region}]({BUTTON_IMAGE})]({url})"


def failure_message(error: Exception, bucket: str) -> str:
    """One line for an AWS error during publishing, with the usual fix when there is one."""
    if not isinstance(error, ClientError):
        return f"{error}"
    code = error.response.get("Error", {}).get("Code", "")
    operation = error.operation_name
    if code in {"ExpiredToken", "InvalidAccessKeyId", "InvalidToken", "SignatureDoesNotMatch"}:
        return (
            f"the credentials were rejected ({code}): refresh them, e.g. `aws sso login`;"
            " in an opt-in region, enable the region for the account first (global STS"
            " tokens are valid there only when set to be valid in all regions)"
        )
    if code == "BucketAlreadyExists":
        return (
            f"bucket {bucket} belongs to another account (names are global): choose another BUCKET"
        )
    if operation == "HeadBucket" and code == "403":
        return (
            f"bucket {bucket} exists but these credentials cannot read it: it is another"
            " account's (names are global; choose another BUCKET) or they lack s3:ListBucket"
        )
    if code in {"403", "AccessDenied", "Forbidden"}:
        needed = S3_ACTIONS.get(operation, operation)
        return (
            f"access denied on {operation} for {bucket}: the credentials need {needed} on it"
            f" (make publish uses {', '.join(sorted(set(S3_ACTIONS.values())))})"
        )
    return f"{operation} on {bucket} failed: {code}: {error.response['Error'].get('Message', '')}"


def publish_region(session: boto3.Session, args: argparse.Namespace, region: str) -> None:
    """Make the regional bucket private, upload the tree, print the links."""
    bucket = regional_bucket(args.bucket, region)
    s3 = session.client("s3", region_name=region)
    ensure_private_bucket(s3, bucket, region)
    count = upload_tree(s3, args.dist, bucket, args.key_prefix)
    url = launch_stack_url(bucket, args.key_prefix, region, args.stack_name)
    print(f"{region}: {count} files -> s3://{bucket}/{args.key_prefix}")
    print(f"  Launch Stack: {url}")
    print(f"  Markdown:     {markdown_button(region, url)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", required=True, help="base bucket name; the region is appended")
    parser.add_argument("--key-prefix", default="driftgate/")
    parser.add_argument("--regions", nargs="+", default=[])
    parser.add_argument("--dist", type=Path, default=ROOT / "build" / "dist")
    parser.add_argument("--stack-name", default="driftgate")
    args = parser.parse_args(argv)

    validate(args.bucket, args.key_prefix, args.regions)
    if not (args.dist / "templates" / "pipeline.yml").exists():
        raise SystemExit(f"error: {args.dist} has no templates/pipeline.yml; run `make package`")
    session = boto3.Session()
    require_credentials(session)
    for region in args.regions:
        try:
            publish_region(session, args, region)
        except (ClientError, BotoCoreError, S3UploadFailedError) as error:
            bucket = regional_bucket(args.bucket, region)
            print(f"error: {region}: {failure_message(error, bucket)}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
