"""``Emulator``: moto's server in this process on a free loopback port, patched so that
CloudFormation custom resources and Lambda functions run their real code."""

from __future__ import annotations

import logging
import os
import socket
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from moto.core.base_backend import BackendDict
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from scripts.emulator import config
from scripts.emulator.patches import apply_all, restore_all

ACCOUNT_ID = "123456789012"
# Fake credentials: the emulator accepts any; real ones must never reach it.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Emulator:
    """``with Emulator(regions=[...]) as emu:`` — a local AWS for the demo and the tests."""

    def __init__(self, regions: list[str] | tuple[str, ...] = ("us-east-1",)) -> None:
        self.regions = list(regions)
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.account_id = ACCOUNT_ID
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._saved_environment: dict[str, str] = {}

    def __enter__(self) -> Emulator:
        self._saved_environment = dict(os.environ)
        for name in CLEARED:
            os.environ.pop(name, None)
        os.environ.update(CREDENTIALS)
        os.environ["AWS_DEFAULT_REGION"] = self.regions[0]
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint_url
        config.endpoint_url = self.endpoint_url
        apply_all()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        # moto warns for each resource type it skips (alarms, schedules, autoscaling...);
        # the template tests cover those, the demo says so once.
        logging.getLogger("moto").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", message="Tried to parse", category=UserWarning)
        try:
            self._server.start()
        except BaseException:
            restore_all()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.stop()
        BackendDict.reset()
        restore_all()
        os.environ.clear()
        os.environ.update(self._saved_environment)

    def session(self, region: str | None = None) -> boto3.Session:
        return boto3.Session(region_name=region or self.regions[0], **_session_credentials())

    def client(self, service: str, region: str | None = None) -> Any:
        return self.session(region).client(service, endpoint_url=self.endpoint_url)

    @staticmethod
    def template_url(bucket: str, key: str, region: str) -> str:
        """The virtual-hosted S3 URL CloudFormation takes (moto resolves it to its own S3)."""
        return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"

    def upload_dist(
        self, bucket: str, prefix: str, dist_dir: Path, region: str | None = None
    ) -> int:
        """Upload ``dist_dir`` (``templates/``, ``functions/``) under ``prefix`` in ``bucket``,
        creating the bucket in ``region``. Returns the file count."""
        region = region or self.regions[0]
        s3 = self.client("s3", region)
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        if bucket not in existing:
            location = {} if region == "us-east-1" else {"LocationConstraint": region}
            s3.create_bucket(
                Bucket=bucket, **({"CreateBucketConfiguration": location} if location else {})
            )
            # Versioned like make publish's buckets: the pipeline's S3 source requires it.
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        count = 0
        for path in sorted(Path(dist_dir).rglob("*")):
            if not path.is_file():
                continue
            key = prefix + path.relative_to(dist_dir).as_posix()
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
            count += 1
        return count


def _session_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "aws_session_token": CREDENTIALS["AWS_SESSION_TOKEN"],
    }
