"""Requests to ``<api>.execute-api.<region>.amazonaws.com`` reach the API Gateway seam.

moto 5.2.5's server routes by the request's signing scope or host to a service backend
and has no route for invoking a deployed REST API. A request whose Host header is an
execute-api host (a client sends it to the emulator's port with the API's real Host, so
a SigV4 signature stays valid) is answered by ``scripts/emulator/api_gateway.py``; every
other request goes to moto as before. A feature the seam does not implement answers 501
with its name.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from botocore.credentials import Credentials
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from scripts.emulator import api_gateway
from scripts.emulator.patches import swap

REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 413: "Payload Too Large",
           415: "Unsupported Media Type", 429: "Too Many Requests",
           500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
           503: "Service Unavailable", 504: "Gateway Timeout"}  # fmt: skip


def to_request(environ: dict[str, Any]) -> api_gateway.Request:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = environ["CONTENT_LENGTH"]
    return api_gateway.Request(
        method=environ["REQUEST_METHOD"],
        host=environ.get("HTTP_HOST", ""),
        path=environ.get("PATH_INFO", "/"),
        query=environ.get("QUERY_STRING", ""),
        headers=headers,
        body=body,
        source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
    )


def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    # The emulator's fake credentials (set in the environment while it runs): signatures
    # made with them verify, any other secret does not.
    credentials = Credentials(
        os.environ.get("AWS_ACCESS_KEY_ID", ""),
        os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
        os.environ.get("AWS_SESSION_TOKEN"),
    )
    try:
        response = api_gateway.handle(to_request(environ), DEFAULT_ACCOUNT_ID, credentials)
    except (api_gateway.NotEmulated, api_gateway.endpoint_runtime.NotEmulated) as error:
        response = api_gateway.Response(
            501, f"emulator does not implement: {error}".encode(), {"Content-Type": "text/plain"}
        )
    status = f"{response.status} {REASONS.get(response.status, 'Unknown')}"
    headers = [*response.headers.items(), ("Content-Length", str(len(response.body)))]
    start_response(status, headers)
    return [response.body]


def apply() -> None:
    original = DomainDispatcherApplication.__call__

    def call(self: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        host = environ.get("HTTP_HOST", "").split(":")[0]
        if api_gateway.HOST.match(host):
            return serve(environ, start_response)
        return original(self, environ, start_response)

    swap.replace(DomainDispatcherApplication, "__call__", call)
