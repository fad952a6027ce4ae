"""Send CSV rows to a stage's inference API and print the model's answers.

    python scripts/invoke.py --stack driftgate --region eu-west-1 rows.csv
    python scripts/invoke.py --url "$(InferenceApiUrl)" - < rows.csv
    DRIFTGATE_API_KEY=... python scripts/invoke.py --auth api-key --url ... rows.csv

``--auth iam`` (default) signs each request with SigV4 for ``execute-api`` using the
caller's credentials (botocore's usual chain: environment, profile, role); the caller
needs ``execute-api:Invoke`` on the API's ``POST/invocations`` (README). ``--auth api-key``
sends ``x-api-key`` from ``DRIFTGATE_API_KEY`` or, with ``--api-key-id``, reads the key's
value with ``apigateway:GET`` (keys never go on the command line).

Rows are read from the file or stdin (``-``), blank lines skipped, and sent
``--rows-per-request`` at a time (each request stays far below the endpoint's 6 MB).
Answers are printed one line per row; a refused request prints its status and JSON
error to stderr and the exit status is 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.httpsession import URLLib3Session

API_KEY_VARIABLE = "DRIFTGATE_API_KEY"
SERVICE = "execute-api"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str


def read_rows(lines: Iterable[str]) -> list[str]:
    return [line.rstrip("\r\n") for line in lines if line.strip()]


def batches(rows: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(rows), size):
        yield list(rows[start : start + size])


def region_of(url: str) -> str:
    """``<id>.execute-api.<region>.amazonaws.com`` -> region."""
    host = urlsplit(url).hostname or ""
    parts = host.split(".")
    if len(parts) < 4 or parts[1] != SERVICE:
        raise ValueError(f"{url} is not an execute-api URL; pass --region")
    return parts[2]


def build_request(
    url: str, body: bytes, content_type: str, *, api_key: str | None = None,
    credentials: Any = None, region: str | None = None, accept: str | None = None,
) -> AWSRequest:  # fmt: skip
    """The POST, with the API key header or a SigV4 signature for execute-api."""
    headers = {"Content-Type": content_type, "Host": urlsplit(url).netloc}
    if accept:
        headers["Accept"] = accept
    if api_key:
        headers["x-api-key"] = api_key
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    if credentials is not None:
        SigV4Auth(credentials, SERVICE, region or region_of(url)).add_auth(request)
    return request


def send(request: AWSRequest, connect_to: str | None = None, timeout: int = 35) -> Answer:
    """Send it; ``connect_to`` (the local emulator) replaces scheme and host only, so the
    Host header and the signature stay those of the API's URL."""
    prepared = request.prepare()
    if connect_to:
        target = urlsplit(prepared.url)
        path = target.path + (f"?{target.query}" if target.query else "")
        prepared.url = connect_to.rstrip("/") + path
    # 35 s: API Gateway answers 504 itself after its 29 s integration timeout.
    response = URLLib3Session(timeout=timeout).send(prepared)
    return Answer(
        response.status_code,
        response.content.decode("utf-8", errors="replace"),
        response.headers.get("Content-Type", ""),
    )


def stack_output(session: boto3.Session, stack: str, name: str) -> str:
    described = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs") or []}
    if outputs.get(name, "") not in ("", "none"):
        return str(outputs[name])
    if "ProductionStackName" in outputs:  # a pipeline-mode root: its stages are stacks
        stages = f"{outputs.get('StagingStackName', '')} or {outputs['ProductionStackName']}"
        raise SystemExit(
            f"stack {stack} is a pipeline-mode root stack, which has no {name}: pass the"
            f" stage's stack ({stages}), whose InferenceApi is set in"
            " parameters/stages/<stage>.json of the release"
        )
    raise SystemExit(
        f"stack {stack} has no {name} output; deploy it with InferenceApi iam or api-key"
    )


def api_key_value(session: boto3.Session, key_id: str | None) -> str:
    if key_id:
        key = session.client("apigateway").get_api_key(apiKey=key_id, includeValue=True)
        return str(key["value"])
    value = os.environ.get(API_KEY_VARIABLE)
    if not value:
        raise SystemExit(f"--auth api-key needs {API_KEY_VARIABLE} or --api-key-id")
    return value


def invoke_rows(
    rows: Sequence[str], url: str, *, rows_per_request: int = 100, content_type: str = "text/csv",
    api_key: str | None = None, credentials: Any = None, region: str | None = None,
    connect_to: str | None = None,
) -> Iterator[Answer]:  # fmt: skip
    """One answer per request of ``rows_per_request`` rows, in order."""
    for batch in batches(rows, rows_per_request):
        body = ("\n".join(batch) + "\n").encode()
        request = build_request(
            url, body, content_type, api_key=api_key, credentials=credentials, region=region
        )
        yield send(request, connect_to)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="the stage's InferenceApiUrl")
    where.add_argument("--stack", help="read InferenceApiUrl from this stack's outputs")
    parser.add_argument("--region", help="default: the URL's region, or the profile's")
    parser.add_argument("--auth", choices=("iam", "api-key"), default="iam")
    parser.add_argument("--api-key-id", help="read the key's value from API Gateway")
    parser.add_argument("--rows-per-request", type=int, default=100)
    parser.add_argument("--content-type", default="text/csv")
    parser.add_argument("--endpoint-url", help=argparse.SUPPRESS)  # the local emulator
    parser.add_argument("rows", nargs="?", default="-", help="CSV file, or - for stdin")
    args = parser.parse_args(argv)
    if args.rows_per_request < 1:
        parser.error("--rows-per-request must be at least 1")
    return args


def main(argv: Sequence[str] | None = None, stdin: IO[str] | None = None) -> int:
    args = parse_args(argv)
    session = boto3.Session(region_name=args.region)
    url = args.url or stack_output(session, args.stack, "InferenceApiUrl")
    region = args.region or region_of(url)
    api_key = api_key_value(session, args.api_key_id) if args.auth == "api-key" else None
    credentials = session.get_credentials() if args.auth == "iam" else None
    if args.auth == "iam" and credentials is None:
        raise SystemExit("--auth iam needs AWS credentials (environment, profile or role)")
    if args.rows == "-":
        rows = read_rows(stdin or sys.stdin)
    else:
        with open(args.rows, encoding="utf-8") as handle:
            rows = read_rows(handle)
    failed = False
    for answer in invoke_rows(
        rows, url, rows_per_request=args.rows_per_request, content_type=args.content_type,
        api_key=api_key, credentials=credentials, region=region, connect_to=args.endpoint_url,
    ):  # fmt: skip
        if answer.status == 200:
            sys.stdout.write(answer.body if answer.body.endswith("\n") else answer.body + "\n")
        else:
            failed = True
            print(f"HTTP {answer.status}: {answer.body}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
