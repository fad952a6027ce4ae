"""A CloudFormation-made KMS key stores its policy as JSON text.

moto 5.2.5 (``kms.models.Key.create_from_cloudformation_json``) stores ``KeyPolicy`` as
the template's dict; ``DescribeKey``/``GetKeyPolicy`` then call ``json.loads`` on it and
answer 500. CloudFormation accepts the policy as an object and the API returns text.
"""

from __future__ import annotations

import json
from typing import Any

from moto.kms.models import Key

from scripts.emulator.patches import swap


def apply() -> None:
    original = Key.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create(
        cls: type[Key], resource_name: str, cloudformation_json: Any, account_id: str,
        region_name: str, **kwargs: Any,
    ) -> Key:  # fmt: skip
        properties = cloudformation_json["Properties"]
        if isinstance(properties.get("KeyPolicy"), dict):
            properties = {**properties, "KeyPolicy": json.dumps(properties["KeyPolicy"])}
        cloudformation_json = {**cloudformation_json, "Properties": properties}
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    swap.replace(Key, "create_from_cloudformation_json", classmethod(create))
