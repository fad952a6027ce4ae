"""S3 URIs as used by Model Monitor baselines (`s3://bucket/key`)."""

import re
from typing import NamedTuple

# Bucket naming rules (lower case, digits, dots, hyphens, 3-63 characters) and a non-empty key.
S3_URI_PATTERN = r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/\S.*"


class S3Location(NamedTuple):
    bucket: str
    key: str

    @property
    def file_name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def is_s3_uri(value: str) -> bool:
    return re.fullmatch(S3_URI_PATTERN, value) is not None


def parse_s3_uri(uri: str) -> S3Location:
    """Split a URI already matched against S3_URI_PATTERN."""
    if not is_s3_uri(uri):
        raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
    bucket, key = uri[len("s3://") :].split("/", 1)
    return S3Location(bucket, key)
