"""Resource types moto does not implement become placeholders with a name and an ARN.

moto 5.2.5 skips unsupported types (CloudWatch Alarm, Scheduler Schedule, Application
Auto Scaling, bucket and topic policies, Model Monitor job definitions...): ``!Ref`` to
one is empty and an output that uses it vanishes, so a parent's ``!GetAtt
Nested.Outputs.ErrorAlarmName`` fails. CloudFormation would return the resource's name.
A placeholder answers Ref with the name the template gives (``AlarmName``, ``Name``...)
or a generated one, and ``Arn`` with an ARN built from it. Nothing stands behind it: no
API of the emulator knows it; the template tests cover these resources.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel

from scripts.emulator.patches import swap

# Properties that name a resource, in the order CloudFormation's Ref would use them.
NAME_PROPERTIES = ("AlarmName", "Name", "PolicyName", "ScheduleName", "JobDefinitionName",
                   "MonitoringScheduleName")  # fmt: skip

created: list[tuple[str, str]] = []  # (type, name) of every placeholder, for the demo
# (type, name) -> the properties CloudFormation resolved for it: a local executor reads
# a deployed definition (e.g. a SageMaker Pipeline's) from here.
resolved: dict[tuple[str, str], dict[str, Any]] = {}


class Placeholder(CloudFormationModel):
    def __init__(self, resource_type: str, name: str, account_id: str, region: str) -> None:
        self.resource_type = resource_type
        self.name = name
        service = resource_type.split("::")[1].lower()
        kind = resource_type.split("::")[2].lower()
        self.arn = f"arn:aws:{service}:{region}:{account_id}:{kind}/{name}"

    @staticmethod
    def cloudformation_type() -> str:
        return "driftgate::emulator::Placeholder"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.arn if attribute_name == "Arn" else self.name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
        region_name: str, **kwargs: Any,
    ) -> Placeholder:  # fmt: skip
        properties = cloudformation_json.get("Properties") or {}
        name = next(
            (str(properties[p]) for p in NAME_PROPERTIES if isinstance(properties.get(p), str)),
            resource_name,
        )
        resource_type = kwargs.get("ResourceType") or cloudformation_json.get(
            "Type", "AWS::Unknown::Resource"
        )
        created.append((resource_type, name))
        resolved[(resource_type, name)] = dict(properties)
        return cls(resource_type, name, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls, original_resource: Placeholder, new_resource_name: str,
        cloudformation_json: dict[str, Any], account_id: str, region_name: str,
    ) -> Placeholder:  # fmt: skip
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name,
            ResourceType=original_resource.resource_type,
        )  # fmt: skip

    def delete(self, account_id: str, region_name: str) -> None:
        """Nothing exists behind a placeholder."""


def apply() -> None:
    original = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> Any:
        found = original(resource_type)
        if found is None and resource_type.startswith("AWS::"):
            return Placeholder
        return found

    swap.replace(parsing, "resource_class_from_type", resource_class_from_type)
