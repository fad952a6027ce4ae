"""``Fn::Join`` drops ``AWS::NoValue`` items, as CloudFormation does.

moto 5.2.5 joins ``str(item)`` of every item, so ``!If [Cond, !Ref X, !Ref
AWS::NoValue]`` in a Join list adds the text ``None`` (api.yml picks its one deployment
that way: ``DeploymentId: !Join ['', [!If ..., !If ...]]``).
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation import parsing

from scripts.emulator.patches import swap


def apply() -> None:
    original = parsing.clean_json

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        if isinstance(resource_json, dict) and "Fn::Join" in resource_json:
            separator, items = resource_json["Fn::Join"]
            joined = original(items, resources_map)
            if isinstance(joined, list):
                return separator.join(str(item) for item in joined if item is not None)
        return original(resource_json, resources_map)

    swap.replace(parsing, "clean_json", clean_json)
