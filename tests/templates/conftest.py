"""Fixtures for the template tests: every template parsed as CloudFormation sees it.

`cfnlint.decode.cfn_yaml` turns short-form tags (`!Sub`, `!If`, ...) into their long
form (`{"Fn::Sub": ...}`), so tests compare plain dicts.
"""

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
