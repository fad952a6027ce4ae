"""Fixtures for the template tests: every template parsed as CloudFormation sees it.

`cfnlint.decode.cfn_yaml` turns short-form tags (`!Sub`, `!If`, ...) into their long
form (`{"Fn::Sub": ...}`), so tests compare plain dicts.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = ROOT / "templates"
PARAMETERS_DIR = ROOT / "parameters"

IAM_POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")


def _load(path: Path) -> dict[str, Any]:
    return cfn_yaml.load(str(path))


def _branches(node: Any) -> Iterator[Any]:
    """Both branches of an `Fn::If` (either may be deployed), minus AWS::NoValue."""
    if isinstance(node, dict) and set(node) == {"Fn::If"}:
        for branch in node["Fn::If"][1:]:
            yield from _branches(branch)
    elif node != {"Ref": "AWS::NoValue"}:
        yield node


def _statements(document: Any) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for doc in _branches(document):
        raw = doc.get("Statement", [])
        for entry in raw if isinstance(raw, list) else [raw]:
            statements.extend(s for s in _branches(entry) if isinstance(s, dict))
    return statements


@pytest.fixture(scope="session")
def templates() -> dict[str, dict[str, Any]]:
    """Every `templates/*.yml`, by file name."""
    return {path.name: _load(path) for path in sorted(TEMPLATES_DIR.glob("*.yml"))}


@pytest.fixture(scope="session")
def root_template(templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return templates["pipeline.yml"]


@pytest.fixture(scope="session")
def role_statements(
    templates: dict[str, dict[str, Any]],
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Identity-policy statements granted to each role: `(template, role id) -> statements`.

    Inline `Policies` of the role plus `AWS::IAM::Policy`/`ManagedPolicy` resources that
    attach to it with `Roles: [!Ref Role]`. Both branches of an `Fn::If` count.
    """
    grants: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for name, template in templates.items():
        resources = template.get("Resources", {})
        for logical_id, resource in resources.items():
            if not isinstance(resource, dict) or resource.get("Type") != "AWS::IAM::Role":
                continue
            statements = grants.setdefault((name, logical_id), [])
            for policy in resource.get("Properties", {}).get("Policies", []):
                for branch in _branches(policy):
                    statements.extend(_statements(branch["PolicyDocument"]))
        for resource in resources.values():
            if not isinstance(resource, dict) or resource.get("Type") not in IAM_POLICY_TYPES:
                continue
            properties = resource.get("Properties", {})
            for role in properties.get("Roles", []):
                if isinstance(role, dict) and "Ref" in role:
                    grants.setdefault((name, role["Ref"]), []).extend(
                        _statements(properties["PolicyDocument"])
                    )
    return grants


@pytest.fixture(scope="session")
def policy_statements() -> Any:
    """Flatten a policy document (with `Fn::If` branches) into its statements."""
    return _statements


def _violation(spec: dict[str, Any], value: str) -> str | None:
    """Why CloudFormation would refuse `value` for a parameter `spec`, or None."""
    if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
        return f"{value!r} not in {spec['AllowedValues']}"
    pattern = spec.get("AllowedPattern")
    if pattern is not None and not re.fullmatch(pattern, value):
        return f"{value!r} does not match {pattern}"
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            return f"{value!r} is not a number"
        if "MinValue" in spec and number < float(spec["MinValue"]):
            return f"{value} < MinValue {spec['MinValue']}"
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            return f"{value} > MaxValue {spec['MaxValue']}"
    return None


def _evaluate(node: Any, values: dict[str, str]) -> Any:
    """The rule functions the templates use: Equals, Not, And, Or, Contains, Ref."""
    if isinstance(node, dict) and len(node) == 1:
        ((name, arg),) = node.items()
        if name == "Ref":
            return values[arg]
        if name == "Fn::Equals":
            left, right = (_evaluate(a, values) for a in arg)
            return str(left) == str(right)
        if name == "Fn::Not":
            return not _evaluate(arg[0], values)
        if name == "Fn::And":
            return all(_evaluate(a, values) for a in arg)
        if name == "Fn::Or":
            return any(_evaluate(a, values) for a in arg)
        if name == "Fn::Contains":
            return str(_evaluate(arg[1], values)) in [str(_evaluate(a, values)) for a in arg[0]]
        raise AssertionError(f"rule function {name} is not modelled by the tests: add it here")
    return node


# Pseudo parameters a rule may reference, unless `values` names them.
RULE_PSEUDO = {"AWS::Region": "us-east-1", "AWS::Partition": "aws"}


def _rule_failures(template: dict[str, Any], values: dict[str, str]) -> list[str]:
    """AssertDescriptions of the template's Rules that `values` (all parameters, and
    optionally pseudo parameters such as AWS::Region) break."""
    values = {**RULE_PSEUDO, **values}
    failures = []
    for rule in template.get("Rules", {}).values():
        if "RuleCondition" in rule and not _evaluate(rule["RuleCondition"], values):
            continue
        for assertion in rule["Assertions"]:
            if not _evaluate(assertion["Assert"], values):
                failures.append(assertion["AssertDescription"])
    return failures


@pytest.fixture(scope="session")
def violation() -> Any:
    """`violation(spec, value)`: why a parameter value would be refused, or None."""
    return _violation


@pytest.fixture(scope="session")
def rule_failures() -> Any:
    """`rule_failures(template, values)`: AssertDescriptions the values break."""
    return _rule_failures
