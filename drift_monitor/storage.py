"""Read, list and write local paths and ``s3://`` URIs.

S3 calls use botocore's ``standard`` retry mode, which retries throttling
(``SlowDown``, ``Throttling``, 503) with exponential backoff and jitter; a body that
breaks off while it streams is resumed where it stopped (``Storage._s3_chunks``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

try:
    from botocore.config import Config
    from botocore.exceptions import (
        IncompleteReadError,
        ReadTimeoutError,
        ResponseStreamingError,
    )
except ImportError:  # a Processing container without the AWS SDK reads local paths only
    RETRY_CONFIG: Any = None
    BROKEN_STREAM: tuple[type[Exception], ...] = ()
else:
    RETRY_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8})
    # A body that breaks off while it is read: botocore's retries cover the request, not
    # the streaming that follows it (boto3 #4111), so the rest is asked for again here.
    BROKEN_STREAM = (ResponseStreamingError, IncompleteReadError, ReadTimeoutError)
# Attempts at one object's body (the first and two resumptions).
STREAM_ATTEMPTS = 3


class StorageError(OSError):
    """A file or object could not be read or written."""


def s3_client(region: str | None = None) -> Any:
    import boto3

    return boto3.client("s3", region_name=region, config=RETRY_CONFIG)


def is_s3(uri: str) -> bool:
    return uri.startswith("s3://")


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise StorageError(f"not an s3:// URI with a bucket: {uri}")
    return bucket, key


def join(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *[p.strip("/") for p in parts if p]])


class Storage:
    """Uniform access to local files and S3 objects; the S3 client is created lazily."""

    def __init__(self, s3: Any = None) -> None:
        self._s3 = s3

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = s3_client()
        return self._s3

    def read_bytes(self, uri: str) -> bytes:
        if is_s3(uri):
            try:
                return b"".join(self._s3_chunks(uri, 1 << 23))
            except self.s3.exceptions.NoSuchKey as exc:
                raise StorageError(f"no such object: {uri}") from exc
        try:
            return Path(uri).read_bytes()
        except OSError as exc:
            raise StorageError(f"cannot read {uri}: {exc.strerror or exc}") from exc

    def iter_chunks(self, uri: str, size: int = 1 << 23) -> Iterator[bytes]:
        """The file in pieces of at most ``size`` bytes (S3 is streamed): a line may
        span two pieces; the reader joins them."""
        if is_s3(uri):
            yield from self._s3_chunks(uri, size)
            return
        try:
            with open(uri, "rb") as handle:
                yield from iter(lambda: handle.read(size), b"")
        except OSError as exc:
            raise StorageError(f"cannot read {uri}: {exc.strerror or exc}") from exc

    def _s3_chunks(self, uri: str, size: int) -> Iterator[bytes]:
        """The object's body; when it breaks off, the rest of the same version (Range from
        what was read, IfMatch its ETag: S3 answers 412 if it changed meanwhile)."""
        bucket, key = split_s3(uri)
        done, etag, total = 0, "", -1
        for attempt in range(1, STREAM_ATTEMPTS + 1):
            resume = {"Range": f"bytes={done}-", "IfMatch": etag} if done else {}
            response = self.s3.get_object(Bucket=bucket, Key=key, **resume)
            if not done:
                etag, total = str(response.get("ETag", "")), int(response["ContentLength"])
            try:
                for chunk in response["Body"].iter_chunks(size):
                    done += len(chunk)
                    yield chunk
                return
            except BROKEN_STREAM:
                if done == total:  # it broke after the last byte: nothing is missing
                    return
                if attempt == STREAM_ATTEMPTS or (done and not etag):
                    raise

    def list_files(self, prefix: str) -> list[str]:
        """Every file under a directory or key prefix, sorted."""
        return [uri for uri, _ in self.list_sizes(prefix)]

    def list_sizes(self, prefix: str) -> list[tuple[str, int]]:
        """(URI, size in bytes) of every file under a directory or key prefix, sorted."""
        if is_s3(prefix):
            bucket, key = split_s3(prefix)
            key = key.rstrip("/") + "/" if key else ""
            found: list[tuple[str, int]] = []
            for page in self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=key
            ):
                found.extend(
                    (f"s3://{bucket}/{o['Key']}", int(o["Size"]))
                    for o in page.get("Contents", [])
                    if not o["Key"].endswith("/")
                )
            return sorted(found)
        root = Path(prefix)
        if root.is_file():
            return [(str(root), root.stat().st_size)]
        if not root.exists():
            return []
        return sorted((str(p), p.stat().st_size) for p in root.rglob("*") if p.is_file())

    def write_bytes(
        self, uri: str, data: bytes, content_type: str, kms_key: str | None = None
    ) -> None:
        if is_s3(uri):
            bucket, key = split_s3(uri)
            extra: dict[str, str] = {}
            if kms_key:
                extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key}
            self.s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type, **extra)
            return
        try:
            os.makedirs(os.path.dirname(uri) or ".", exist_ok=True)
            Path(uri).write_bytes(data)
        except OSError as exc:
            raise StorageError(f"cannot write {uri}: {exc.strerror or exc}") from exc
