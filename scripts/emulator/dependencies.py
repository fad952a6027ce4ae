"""Which resources of a template use which: Ref, GetAtt, Sub and DependsOn."""

from __future__ import annotations

import re
from typing import Any

_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)[.}]")


def references(node: Any) -> set[str]:
    """Logical ids named by Ref, GetAtt, Sub and DependsOn anywhere in ``node``."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value.split(".", 1)[0] if isinstance(value, str) else value[0]
                found.add(str(target))
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found.update(_SUB_NAME.findall(text))
                found.update(references(value[1:] if isinstance(value, list) else []))
            elif key == "DependsOn":
                found.update([value] if isinstance(value, str) else value)
            else:
                found.update(references(value))
    elif isinstance(node, list):
        for item in node:
            found.update(references(item))
    return found


def uses(resources: dict[str, Any]) -> dict[str, set[str]]:
    """For each resource, the other resources of the template it uses."""
    return {name: references(body) & resources.keys() - {name} for name, body in resources.items()}


def ordered(names: set[str], graph: dict[str, set[str]]) -> list[str]:
    """``names`` ordered so that each comes after the ones it uses (cycles broken by name)."""
    result: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in result or name in path:
            return
        for used in sorted(graph.get(name, set()) & names):
            visit(used, (*path, name))
        result.append(name)

    for name in sorted(names):
        visit(name, ())
    return result
