"""Validation of custom-resource properties, which CloudFormation sends as strings."""

import re
from collections.abc import Iterable, Mapping
from typing import Any

from common.errors import CustomResourceError, shorten

# Properties CloudFormation itself adds to every custom resource.
SERVICE_PROPERTIES = frozenset({"ServiceToken", "ServiceTimeout"})


def reject_unknown(properties: Mapping[str, Any], known: Iterable[str]) -> None:
    """Fail on a misspelt property instead of silently ignoring it."""
    allowed = set(known)
    unknown = sorted(set(properties) - allowed - SERVICE_PROPERTIES)
    if unknown:
        raise CustomResourceError(
            f"unknown property {', '.join(unknown)}; expected {', '.join(sorted(allowed))}"
        )


def string_property(
    properties: Mapping[str, Any],
    name: str,
    *,
    pattern: str,
    expected: str,
    required: bool = True,
) -> str | None:
    """The property as a stripped string, checked against `pattern`.

    Integers are accepted too (emulators pass YAML numbers through unconverted).
    """
    value = properties.get(name)
    if value is None or value == "":
        if required:
            raise CustomResourceError(f"property {name} is required: {expected}")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise CustomResourceError(f"property {name} must be a string: {expected}")
    text = str(value).strip()
    if not re.fullmatch(pattern, text):
        raise CustomResourceError(f"property {name} is {shorten(text, 60)!r}; expected {expected}")
    return text


def required_string(
    properties: Mapping[str, Any], name: str, *, pattern: str, expected: str
) -> str:
    value = string_property(properties, name, pattern=pattern, expected=expected)
    if value is None:  # unreachable: string_property raises for a missing required value
        raise CustomResourceError(f"property {name} is required: {expected}")
    return value
