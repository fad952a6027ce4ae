"""``Transform: AWS::LanguageExtensions`` -> expand ``Fn::ForEach`` with the stack's values.

moto 5.2.5 does not implement the transform: a ``Fn::ForEach::<Name>`` key under
Resources is read as a resource and creation fails ('list' object has no attribute
'get'). CloudFormation expands it when the stack is created or updated, with the actual
parameter values (observability.yml loops over the CommaDelimitedList FeatureNames).
"""

from __future__ import annotations

import re
from typing import Any

from moto.cloudformation.models import Stack

from scripts.emulator.patches import swap

TRANSFORM = "AWS::LanguageExtensions"
PREFIX = "Fn::ForEach::"


def uses_transform(template: dict[str, Any]) -> bool:
    declared = template.get("Transform")
    return declared == TRANSFORM or (isinstance(declared, list) and TRANSFORM in declared)


def parameter_value(template: dict[str, Any], parameters: dict[str, Any], name: str) -> list[str]:
    value = parameters.get(name, template.get("Parameters", {}).get(name, {}).get("Default", ""))
    if isinstance(value, list):
        return [str(item) for item in value]
    return [item.strip() for item in str(value).split(",") if item.strip()]


def substitute(node: Any, identifier: str, value: str) -> Any:
    """Replace the loop variable: ``${X}`` and ``&{X}`` in strings, ``{"Ref": X}`` nodes.
    ``&{X}`` drops non-alphanumeric characters, as CloudFormation does for logical ids."""
    if isinstance(node, dict):
        if node == {"Ref": identifier}:
            return value
        return {
            substitute(key, identifier, value): substitute(item, identifier, value)
            for key, item in node.items()
        }
    if isinstance(node, list):
        return [substitute(item, identifier, value) for item in node]
    if isinstance(node, str):
        node = node.replace("${" + identifier + "}", value)
        return node.replace("&{" + identifier + "}", re.sub(r"[^A-Za-z0-9]", "", value))
    return node


def expand_section(
    section: dict[str, Any], template: dict[str, Any], parameters: dict[str, Any]
) -> dict[str, Any]:
    expanded: dict[str, Any] = {}
    for key, body in section.items():
        if not key.startswith(PREFIX):
            expanded[key] = body
            continue
        identifier, collection, fragment = body
        if isinstance(collection, dict) and "Ref" in collection:
            items = parameter_value(template, parameters, collection["Ref"])
        else:
            items = [str(item) for item in collection]
        for item in items:
            expanded.update(substitute(fragment, identifier, item))
    return expanded


def expand(template: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """The template with every top-level ``Fn::ForEach`` of Resources/Outputs/Conditions
    expanded and the transform removed."""
    if not uses_transform(template):
        return template
    result = {key: value for key, value in template.items() if key != "Transform"}
    for section in ("Conditions", "Resources", "Outputs"):
        if section in result:
            result[section] = expand_section(result[section], template, parameters)
    return result


def apply() -> None:
    original_parse = Stack._parse_template
    original_update = Stack.update

    def parse_template(self: Stack) -> None:
        original_parse(self)
        parameters = getattr(self, "_incoming_parameters", None) or getattr(self, "parameters", {})
        self.template_dict = expand(self.template_dict, parameters or {})

    def create_resource_map(self: Stack) -> Any:
        # In Stack.__init__ the template is parsed before the parameters are stored.
        self.template_dict = expand(self.template_dict, self.parameters)
        return original_create_map(self)

    def update(self: Stack, template: str, *args: Any, **kwargs: Any) -> None:
        self._incoming_parameters = kwargs.get("parameters") or (args[1] if len(args) > 1 else None)  # type: ignore[attr-defined]
        try:
            original_update(self, template, *args, **kwargs)
        finally:
            self._incoming_parameters = None  # type: ignore[attr-defined]

    original_create_map = Stack._create_resource_map
    swap.replace(Stack, "_parse_template", parse_template)
    swap.replace(Stack, "_create_resource_map", create_resource_map)
    swap.replace(Stack, "update", update)
