"""Variable references in action configuration: `#{variables.Name}` (pipeline level) and
`#{Namespace.Name}` (an earlier action's output variables), resolved before the action
runs (CodePipeline guide, "Variables reference"). An unknown one fails the action."""

from __future__ import annotations

import re
from typing import Any

REFERENCE = re.compile(r"#\{([A-Za-z0-9@_-]+)\.([A-Za-z0-9@_-]+)\}")


class UnresolvedVariable(Exception):
    pass


def resolve(value: Any, namespaces: dict[str, dict[str, str]]) -> Any:
    if isinstance(value, dict):
        return {key: resolve(item, namespaces) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, namespaces) for item in value]
    if not isinstance(value, str):
        return value

    def lookup(match: re.Match[str]) -> str:
        namespace, name = match[1], match[2]
        try:
            return namespaces[namespace][name]
        except KeyError:
            raise UnresolvedVariable(f"#{{{namespace}.{name}}} is not a known variable") from None

    return REFERENCE.sub(lookup, value)
