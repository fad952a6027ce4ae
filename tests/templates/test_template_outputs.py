"""Outputs: described, exported under the stack's name, and never reading a resource
that a condition may leave out."""

from collections.abc import Iterator
from typing import Any


def _outputs(templates: dict[str, dict[str, Any]]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, template in templates.items():
        for output_name, output in template.get("Outputs", {}).items():
            yield name, output_name, output


def _references(node: Any, guards: frozenset[str]) -> Iterator[tuple[str, frozenset[str]]]:
    """Logical ids read by `node`, each with the conditions known true where it is read."""
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            condition, when_true, when_false = node["Fn::If"]
            yield from _references(when_true, guards | {condition})
            yield from _references(when_false, guards)
            return
        if set(node) == {"Ref"}:
            yield node["Ref"], guards
            return
        if set(node) == {"Fn::GetAtt"}:
            target = node["Fn::GetAtt"]
            yield (target[0] if isinstance(target, list) else target.split(".")[0]), guards
            return
        if set(node) == {"Fn::Sub"}:
            text, variables = (
                (node["Fn::Sub"], {})
                if isinstance(node["Fn::Sub"], str)
                else (node["Fn::Sub"][0], node["Fn::Sub"][1])
            )
            for variable in _sub_variables(text):
                if variable not in variables:
                    yield variable.split(".")[0], guards
            yield from _references(variables, guards)
            return
        for value in node.values():
            yield from _references(value, guards)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value, guards)


def _sub_variables(text: str) -> list[str]:
    names, rest = [], text
    while "${" in rest:
        start = rest.index("${") + 2
        end = rest.index("}", start)
        if not rest[start:].startswith("!"):
            names.append(rest[start:end])
        rest = rest[end + 1 :]
    return names


def test_every_output_is_described(templates):
    for name, output_name, output in _outputs(templates):
        assert str(output.get("Description", "")).strip(), f"{name}:{output_name}"


def test_exports_are_named_after_the_stack_and_output(templates):
    exported = 0
    for name, output_name, output in _outputs(templates):
        if "Export" in output:
            exported += 1
            expected = {"Fn::Sub": f"${{AWS::StackName}}-{output_name}"}
            assert output["Export"]["Name"] == expected, f"{name}:{output_name}"
    assert exported


def test_outputs_read_conditional_resources_only_under_their_condition(templates):
    for name, output_name, output in _outputs(templates):
        resources = templates[name].get("Resources", {})
        guards = frozenset([output["Condition"]]) if "Condition" in output else frozenset()
        for logical_id, known in _references(output["Value"], guards):
            condition = resources.get(logical_id, {}).get("Condition")
            if condition is not None:
                assert condition in known, f"{name}:{output_name} reads {logical_id}"


def test_the_guard_walk_sees_an_unguarded_read():
    value = {"Fn::Sub": "${Fn.Arn}-x"}
    assert list(_references(value, frozenset())) == [("Fn", frozenset())]
    guarded = {"Fn::If": ["UseIt", {"Ref": "Fn"}, "none"]}
    assert list(_references(guarded, frozenset())) == [("Fn", frozenset({"UseIt"}))]
