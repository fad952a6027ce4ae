"""Walk a template's resources the way the tests read them."""

from collections.abc import Iterator
from typing import Any

FOR_EACH = "Fn::ForEach::"


def resources(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical id, resource) pairs; a `Fn::ForEach` yields its per-item fragment(s)."""
    for logical_id, body in template.get("Resources", {}).items():
        if logical_id.startswith(FOR_EACH):
            yield from body[2].items()
        else:
            yield logical_id, body
