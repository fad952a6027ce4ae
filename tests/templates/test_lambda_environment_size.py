"""Lambda refuses a function whose environment variables (keys and values together)
exceed 4 KB ("Lambda quotas": environment variables, 4 KB, aggregate). The longest
values each variable can take are derived from the template's own parameter bounds,
so a new unbounded variable fails here instead of at CreateFunction."""

import re
from typing import Any

LIMIT = 4096
# build.yml and delivery.yml (reviewed separately) hold short environments of names and
# one topic ARN; their parameter patterns are not all bounded, so they are left out.
SKIP = ("build.yml", "delivery.yml")
PSEUDO = {
    "AWS::Partition": len("aws-iso-b"),
    "AWS::Region": len("ap-southeast-5") + 2,
    "AWS::URLSuffix": len("amazonaws.com.cn"),
    "AWS::AccountId": 12,
}
# Attributes of resources in the same template, at their documented maximum.
ATTRIBUTES = {
    ("ProcessingRole", "Arn"): len("arn:aws-iso-b:iam::123456789012:role/") + 64,
    ("DriftBaseline", "StatisticsS3Uri"): 1024,  # echoes the bounded parameter
    ("DriftBaseline", "ConstraintsS3Uri"): 1024,
}


def pattern_width(pattern: str) -> int:
    if "(-*[" in pattern:  # SageMaker's name pattern: its APIs cap such names at 63
        return min(63, pattern_width(pattern.replace("-*", "-?")))
    width = re._parser.parse(pattern).getwidth()[1]  # type: ignore[attr-defined]
    assert width < 10_000, f"unbounded pattern {pattern}"
    return int(width)


def param_width(param: dict[str, Any]) -> int:
    widths = []
    if "MaxLength" in param:
        widths.append(int(param["MaxLength"]))
    if "AllowedValues" in param:
        widths.append(max(len(str(v)) for v in param["AllowedValues"]))
    if param.get("Type") == "Number":
        widths.append(len(str(param.get("MaxValue", 10**15))))
    if "AllowedPattern" in param and not widths:
        widths.append(pattern_width(param["AllowedPattern"]))
    assert widths, f"unbounded parameter {param}"
    return min(widths)


def width(node: Any, template: dict[str, Any], local: dict[str, int] | None = None) -> int:
    local = local or {}
    if isinstance(node, (str, int, float)):
        return len(str(node))
    ((name, arg),) = node.items()
    if name == "Ref":
        if arg in PSEUDO:
            return PSEUDO[arg]
        return param_width(template["Parameters"][arg])
    if name == "Fn::GetAtt":
        return ATTRIBUTES[tuple(arg)]
    if name == "Fn::If":
        return max(width(branch, template, local) for branch in arg[1:])
    if name == "Fn::FindInMap":
        mapping = template["Mappings"][arg[0]]
        return max(len(str(row[arg[2]])) for row in mapping.values())
    if name == "Fn::Sub":
        text, variables = (arg, {}) if isinstance(arg, str) else arg
        subs = {k: width(v, template, local) for k, v in variables.items()}
        total = 0
        for piece in re.split(r"(\$\{[^}]+\})", text):
            if piece.startswith("${"):
                key = piece[2:-1]
                if key in subs:
                    total += subs[key]
                elif key in PSEUDO:
                    total += PSEUDO[key]
                elif "." in key:
                    total += ATTRIBUTES[tuple(key.split(".", 1))]
                else:
                    total += param_width(template["Parameters"][key])
            else:
                total += len(piece)
        return total
    raise AssertionError(f"no width rule for {name}")


def test_every_functions_environment_fits_4_kb(templates: dict[str, Any]) -> None:
    checked = 0
    for name, template in templates.items():
        if name in SKIP:
            continue
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            variables = resource["Properties"].get("Environment", {}).get("Variables", {})
            size = sum(len(k) + width(v, template) for k, v in variables.items())
            assert size <= LIMIT, f"{name}:{logical_id} environment up to {size} bytes"
            checked += bool(variables)
    assert checked >= 2


def test_the_width_rules_notice_an_unbounded_parameter(templates: dict[str, Any]) -> None:
    monitoring = templates["monitoring.yml"]
    unbounded = {"Type": "String", "AllowedPattern": "^s3://.+$"}
    try:
        param_width(unbounded)
    except AssertionError as error:
        assert "unbounded" in str(error)
    else:
        raise AssertionError("an unbounded pattern was given a width")
    assert width({"Ref": "ScheduleName"}, monitoring) == 47
