"""Nested stacks pass exactly what their child templates declare.

No emulator checks this wiring before a deploy: an unknown parameter name or a missing
required one fails the nested stack only when CloudFormation creates it.
"""

import re
from typing import Any

import pytest

from tests.templates.iam_model import conditions_of, render

NESTING = {
    "pipeline.yml": {
        "Foundation": "foundation.yml",
        "Stage": "stage.yml",
        "Delivery": "delivery.yml",
        "Build": "build.yml",
    },
    "stage.yml": {
        "Endpoint": "endpoint.yml",
        "Monitoring": "monitoring.yml",
        "Observability": "observability.yml",
        "Api": "api.yml",
    },
}
# The root may name the region ${HostingRegion}: its empty default means "this stack's".
URL = re.compile(
    r"^https://\$\{TemplatesBucketName\}\.s3\.\$\{(TemplatesBucketRegion|HostingRegion)\}"
    r"\.\$\{AWS::URLSuffix\}"
    r"/\$\{TemplatesKeyPrefix\}templates/(?P<file>[a-z]+\.yml)$"
)


STACK_REGION_OR_GIVEN = {
    "Fn::If": ["HostedInStackRegion", {"Ref": "AWS::Region"}, {"Ref": "TemplatesBucketRegion"}]
}


def nested_stacks(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource["Type"] == "AWS::CloudFormation::Stack"
    }


def child_file(resource: dict[str, Any]) -> str:
    url = resource["Properties"]["TemplateURL"]
    assert isinstance(url, dict), f"TemplateURL must be built with !Sub, got {url!r}"
    sub = url.get("Fn::Sub", "")
    if isinstance(sub, list):
        sub, variables = sub
        if "HostingRegion" in variables:
            assert variables["HostingRegion"] == STACK_REGION_OR_GIVEN, variables
    match = URL.match(sub)
    assert match, f"TemplateURL does not follow the hosting convention: {url!r}"
    return match["file"]


def all_nested() -> list[tuple[str, str, str]]:
    return [
        (parent, logical_id, child)
        for parent, children in NESTING.items()
        for logical_id, child in children.items()
    ]


def find_getatt_outputs(node: Any) -> list[tuple[str, str]]:
    """Every `!GetAtt Nested.Outputs.Name` (`Fn::GetAtt` list or dotted string form)."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::GetAtt":
                parts = value if isinstance(value, list) else value.split(".", 1)
                logical_id, attribute = parts[0], ".".join(parts[1:])
                if attribute.startswith("Outputs."):
                    found.append((logical_id, attribute.removeprefix("Outputs.")))
            else:
                found.extend(find_getatt_outputs(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(find_getatt_outputs(item))
    return found


@pytest.mark.parametrize("parent", sorted(NESTING))
def test_parent_nests_exactly_the_designed_children(templates, parent):
    stacks = nested_stacks(templates[parent])
    assert {logical_id: child_file(r) for logical_id, r in stacks.items()} == NESTING[parent]


@pytest.mark.parametrize(("parent", "logical_id", "child"), all_nested())
def test_child_template_exists(templates, parent, logical_id, child):
    assert child in templates, f"{parent} nests {logical_id} from templates/{child}, missing"


@pytest.mark.parametrize(("parent", "logical_id", "child"), all_nested())
def test_no_unknown_parameter_is_passed(templates, parent, logical_id, child):
    passed = set(templates[parent]["Resources"][logical_id]["Properties"].get("Parameters", {}))
    declared = set(templates[child].get("Parameters", {}))
    assert passed - declared == set(), f"{parent}/{logical_id} passes names {child} lacks"


@pytest.mark.parametrize(("parent", "logical_id", "child"), all_nested())
def test_every_required_parameter_is_passed(templates, parent, logical_id, child):
    passed = set(templates[parent]["Resources"][logical_id]["Properties"].get("Parameters", {}))
    required = {
        name
        for name, spec in templates[child].get("Parameters", {}).items()
        if "Default" not in spec
    }
    assert required - passed == set(), f"{parent}/{logical_id} omits required {child} params"


@pytest.mark.parametrize("parent", sorted(NESTING))
def test_nested_outputs_read_by_the_parent_exist(templates, parent):
    stacks = {lid: child_file(r) for lid, r in nested_stacks(templates[parent]).items()}
    for logical_id, output in find_getatt_outputs(templates[parent]):
        child = stacks[logical_id]
        assert output in templates[child].get("Outputs", {}), (
            f"{parent} reads {logical_id}.Outputs.{output}, which {child} does not output"
        )


def test_stage_is_nested_only_in_direct_mode(root_template):
    stage = root_template["Resources"]["Stage"]
    assert stage.get("Condition") == "IsDirectMode"
    assert root_template["Conditions"]["IsDirectMode"] == {
        "Fn::Equals": [{"Ref": "DeliveryMode"}, "direct"]
    }
    for name, output in root_template["Outputs"].items():
        if any(lid == "Stage" for lid, _ in find_getatt_outputs(output["Value"])):
            assert output.get("Condition") == "IsDirectMode", f"output {name} needs the condition"


def test_hosting_parameters_reach_every_child_that_declares_them(templates):
    hosting = ("TemplatesBucketName", "TemplatesKeyPrefix", "TemplatesBucketRegion")
    for parent, parent_id, child in all_nested():
        passed = templates[parent]["Resources"][parent_id]["Properties"].get("Parameters", {})
        for name in hosting:
            if name in templates[child].get("Parameters", {}):
                accepted = [{"Ref": name}]
                if name == "TemplatesBucketRegion" and parent == "pipeline.yml":
                    accepted.append(STACK_REGION_OR_GIVEN)
                assert passed.get(name) in accepted, f"{parent}/{parent_id} {name}"


def test_stage_computes_the_contract_names(templates):
    resources = templates["stage.yml"]["Resources"]
    endpoint = resources["Endpoint"]["Properties"]["Parameters"]
    monitoring = resources["Monitoring"]["Properties"]["Parameters"]
    assert endpoint["EndpointName"] == {"Fn::Sub": "${ProjectName}-${StageName}"}
    assert monitoring["ScheduleName"] == {"Fn::Sub": "${ProjectName}-${StageName}-data-quality"}
    assert endpoint["ErrorAlarmName"] == {"Fn::Sub": "${ProjectName}-${StageName}-endpoint-5xx"}
    assert endpoint["LatencyAlarmName"] == {"Fn::Sub": "${ProjectName}-${StageName}-model-latency"}


@pytest.mark.parametrize("parent", sorted(NESTING))
def test_templates_launched_on_their_own_fetch_children_from_their_own_region(templates, parent):
    """pipeline.yml and stage.yml (stage.yml is launchable on its own): an empty
    TemplatesBucketRegion, the default, means the stack's region, the only one that works
    (Lambda reads Code.S3Bucket, the same bucket, from the function's region: Lambda API
    reference, FunctionCode). A fixed default such as us-east-1 sent a stand-alone stage
    in any other region to the wrong S3 endpoint."""
    template = templates[parent]
    spec = template["Parameters"]["TemplatesBucketRegion"]
    assert spec["Default"] == ""
    assert re.fullmatch(spec["AllowedPattern"], "") and re.fullmatch(
        spec["AllowedPattern"], "eu-west-1"
    )
    values = {
        **{n: s.get("Default", "") for n, s in template["Parameters"].items()},
        "TemplatesBucketName": "acme-hosting",
        "AWS::Region": "eu-west-1",
        "AWS::URLSuffix": "amazonaws.com",
    }
    for given, region in (("", "eu-west-1"), ("eu-west-1", "eu-west-1")):
        params = {**values, "TemplatesBucketRegion": given}
        params["conditions"] = conditions_of(template, params)
        for logical_id, resource in nested_stacks(template).items():
            url = render(resource["Properties"]["TemplateURL"], params, template)
            assert url.startswith(f"https://acme-hosting.s3.{region}.amazonaws.com/"), (
                logical_id,
                url,
            )
