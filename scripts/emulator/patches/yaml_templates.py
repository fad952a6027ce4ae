"""Read YAML templates with cfn-lint's decoder.

moto 5.2.5 (``cloudformation.utils.yaml_tag_constructor``) turns every short-form tag
into ``Fn::<tag>``: ``!Condition IsX`` becomes ``{"Fn::Condition": "IsX"}`` instead of
``{"Condition": "IsX"}``, so conditions built from other conditions are misread.
cfn-lint's decoder reads every short form as CloudFormation does; JSON stays JSON.
"""

from __future__ import annotations

import json
from typing import Any

from cfnlint.decode import decode_str
from moto.cloudformation.models import Stack

from scripts.emulator.patches import swap


def parse_template(template: str) -> dict[str, Any]:
    try:
        return dict(json.loads(template))
    except ValueError:
        pass
    decoded, errors = decode_str(template)
    if decoded is None:
        raise ValueError(f"template does not parse: {errors}")
    # Plain dicts and strings: cfn-lint's node types carry marks moto does not expect.
    return dict(json.loads(json.dumps(decoded)))


def apply() -> None:
    swap.replace(Stack, "parse_template", staticmethod(parse_template))
