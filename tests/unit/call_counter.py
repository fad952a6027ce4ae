"""Count the AWS calls a function makes, to size its Lambda Timeout from them."""

from typing import Any


class CallCounter:
    """Stands in for a boto3 client: every method call is recorded in `calls` (as
    `<prefix><method>`) and passed on to `client`."""

    def __init__(self, client: Any, calls: list[str], prefix: str = ""):
        self._client, self._calls, self._prefix = client, calls, prefix

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            self._calls.append(f"{self._prefix}{name}")
            return method(**kwargs)

        return call
