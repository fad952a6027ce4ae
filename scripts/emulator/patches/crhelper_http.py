"""crhelper answers CloudFormation over ``HTTPSConnection`` only; the emulator's ResponseURL
is plain HTTP on loopback. Swap the connection class for loopback hosts only, and skip
crhelper's wait on Delete for CloudWatch Logs to flush (up to 120 s; there is nothing to
flush in process)."""

from __future__ import annotations

from http.client import HTTPConnection, HTTPSConnection
from typing import Any

import crhelper.resource_helper
import crhelper.utils

from scripts.emulator.patches import swap

LOOPBACK = ("127.0.0.1", "localhost")


def connection(host: str, **kwargs: Any) -> HTTPConnection:
    """HTTP for the emulator on loopback, HTTPS (crhelper's behaviour) for anything else."""
    if host.split(":", 1)[0] in LOOPBACK:
        return HTTPConnection(host, timeout=30)
    return HTTPSConnection(host, **kwargs)


def apply() -> None:
    swap.replace(crhelper.utils, "HTTPSConnection", connection)
    swap.replace(
        crhelper.resource_helper.CfnResource, "_wait_for_cwlogs", lambda self, sleep=None: None
    )
