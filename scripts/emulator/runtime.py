"""Run an uploaded Lambda zip in this process: moto's own runner needs Docker.

The zip is unpacked once per code hash and its handler imported with the unpacked folder
first on ``sys.path``. Libraries in ``HOST_LIBRARIES`` always come from this interpreter:
the drift monitor zip carries numpy built for Linux x86_64 / CPython 3.13, which cannot
import on the host's Python 3.11, so numpy is imported here first and the cached module
wins over the zip's copy. crhelper is shared the same way so that the emulator's HTTP
patch (patches/crhelper_http.py) applies to the copy the handler uses.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

HOST_LIBRARIES = (
    "numpy",
    "msgspec",
    "pyarrow",
    "crhelper",
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "dateutil",
)


class _InvocationLock:
    """One invocation at a time: environment variables and sys.modules are process-wide.

    Except nesting: a handler blocked on an emulator API call may be nested into by the
    invocation that call causes (a custom resource deleting a stack whose own custom
    resources run on the server's thread). Nested runs save and restore the process
    state around themselves, so the waiting handler resumes with its own.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._holders: list[tuple[int, str]] = []
        self._region = threading.local()

    @staticmethod
    def _awaits_http_response(thread_id: int) -> bool:
        frame = sys._current_frames().get(thread_id)
        while frame is not None:
            code = frame.f_code
            if code.co_name == "getresponse" and code.co_filename.endswith("client.py"):
                return True
            frame = frame.f_back
        return False

    def region(self, region: str) -> _InvocationLock:
        """The region of the next ``with``: only a same-region run can nest (the one a
        waiting handler's call caused); a run for another region (taskcat creates its
        regions' stacks in parallel) waits until no handler runs."""
        self._region.name = region
        return self

    def _may_enter(self, region: str) -> bool:
        if not self._holders:
            return True
        holder, holder_region = self._holders[-1]
        return holder_region == region and self._awaits_http_response(holder)

    def __enter__(self) -> None:
        me = threading.get_ident()
        region = getattr(self._region, "name", "")
        with self._condition:
            while not self._may_enter(region):
                self._condition.wait(0.05)
            self._holders.append((me, region))

    def __exit__(self, *exc: object) -> None:
        me = threading.get_ident()
        with self._condition:
            mine = max(i for i, (thread, _) in enumerate(self._holders) if thread == me)
            del self._holders[mine]
            self._condition.notify_all()


_LOCK = _InvocationLock()
_UNPACKED = Path(tempfile.gettempdir()) / "driftgate-emulator-lambda"


@dataclass(frozen=True)
class Invocation:
    """What a handler returned (JSON text) or raised."""

    payload: str
    errored: bool
    logs: str


class LambdaContext:
    """The attributes of the Lambda context object that handlers and crhelper read."""

    def __init__(
        self, function_name: str, function_arn: str, memory_mb: int, timeout_s: int
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"emulator/{self.aws_request_id}"
        self._timeout_s = timeout_s
        self.start_clock()

    def start_clock(self) -> None:
        """Lambda's timeout counts from when the handler starts, not from the request:
        run_handler calls this once the invocation lock is held (a run that waited for
        another region's handler would otherwise start with part of its time gone, and
        crhelper's timer would answer FAILED "Execution timed out" early)."""
        self._deadline = time.monotonic() + self._timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def unpack(code: bytes, code_sha: str) -> Path:
    """Unpack a deployment package once per code hash and return its folder. Unpacked
    beside and renamed into place, so that concurrent runs never see half a folder."""
    folder = _UNPACKED / code_sha.replace("/", "_").replace("+", "-")
    if folder.exists():
        return folder
    _UNPACKED.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=_UNPACKED, prefix=".unpacking-"))
    with zipfile.ZipFile(io.BytesIO(code)) as archive:
        archive.extractall(staging)
    try:
        staging.rename(folder)
    except OSError:  # another process unpacked the same code first
        shutil.rmtree(staging, ignore_errors=True)
    return folder


@contextlib.contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(variables)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


# Modules imported per (function, code): a warm Lambda keeps them between invocations.
_WARM: dict[tuple[str, Path], dict[str, ModuleType]] = {}


@contextlib.contextmanager
def _isolated_imports(folder: Path, warm_key: str) -> Iterator[None]:
    """Run with the zip's own modules from ``folder`` (warm ones if this function ran
    before) and the host's libraries; restore sys.modules afterwards."""
    for library in HOST_LIBRARIES:
        if (folder / library).exists():
            importlib.import_module(library)
    own = {path.name.removesuffix(".py") for path in folder.iterdir()} - set(HOST_LIBRARIES)

    def owned() -> list[str]:
        return [name for name in sys.modules if name.split(".", 1)[0] in own]

    saved = {name: sys.modules.pop(name) for name in owned()}
    sys.modules.update(_WARM.get((warm_key, folder), {}))
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        _WARM[(warm_key, folder)] = {name: sys.modules.pop(name) for name in owned()}
        sys.modules.update(saved)


def run_handler(
    folder: Path,
    handler: str,
    event: dict[str, Any],
    context: LambdaContext,
    environment: dict[str, str],
) -> Invocation:
    """Import ``module.function`` from ``folder`` and call it like the Lambda runtime."""
    module_name, _, function_name = handler.rpartition(".")
    log = io.StringIO()
    log_handler = logging.StreamHandler(log)
    root = logging.getLogger()
    region = context.invoked_function_arn.split(":")[3]
    lock = _LOCK.region(region)
    with lock, _environment(environment), _isolated_imports(folder, context.invoked_function_arn):
        context.start_clock()
        root.addHandler(log_handler)
        try:
            function = getattr(importlib.import_module(module_name), function_name)
            result = function(event, context)
            return Invocation(json.dumps(result), errored=False, logs=log.getvalue())
        except Exception as error:
            failure = {
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "stackTrace": traceback.format_exception(error),
            }
            return Invocation(json.dumps(failure), errored=True, logs=log.getvalue())
        finally:
            root.removeHandler(log_handler)
