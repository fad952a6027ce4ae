"""Nested stacks: ``!GetAtt Nested.Outputs.X`` and in-place updates.

moto 5.2.5 bugs worked around here:
- ``Stack`` has no ``get_cfn_attribute``, so ``!GetAtt Nested.Outputs.X`` raises
  AttributeError ('Stack' object has no attribute 'get_cfn_attribute') and, in Outputs,
  every output of the parent vanishes: read the nested stack's output instead;
- updating a nested stack deletes it and creates a new one (retained buckets collide,
  custom resources see Delete + Create instead of Update): update it in place, as
  CloudFormation does, with the new template and parameters.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cloudformation.models import Stack
from moto.cloudformation.utils import get_stack_from_s3_url
from moto.utilities.utils import get_partition

from scripts.emulator.failures import ResourceFailed
from scripts.emulator.patches import swap


def nested_output(stack: Stack, attribute: str) -> Any:
    """The value of ``Outputs.<Key>`` of a nested stack, as CloudFormation resolves it."""
    if not attribute.startswith("Outputs."):
        raise UnformattedGetAttTemplateException()
    key = attribute.removeprefix("Outputs.")
    output = stack.output_map.get(key)
    if output is None:
        raise ResourceFailed(
            stack.name, "AWS::CloudFormation::Stack", f"Output '{key}' not found in {stack.name}"
        )
    return output.value


def apply() -> None:
    def update_in_place(
        cls: type[Stack], original_resource: Stack, new_resource_name: str,
        cloudformation_json: dict[str, Any], account_id: str, region_name: str,
    ) -> Stack:  # fmt: skip
        properties = cloudformation_json["Properties"]
        template = get_stack_from_s3_url(
            properties["TemplateURL"], account_id=account_id, partition=get_partition(region_name)
        )
        parameters = {key: str(value) for key, value in properties.get("Parameters", {}).items()}
        original_resource.update(template, parameters=parameters)
        return original_resource

    swap.replace(Stack, "get_cfn_attribute", nested_output)
    swap.replace(Stack, "update_from_cloudformation_json", classmethod(update_in_place))
