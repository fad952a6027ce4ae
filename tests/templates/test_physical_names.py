"""No two resources can ever hold the same physical name.

CloudFormation creates a replacement (or the resource of a condition that became true)
before it deletes the old one, so two resources whose names can coincide fail an
update even when their conditions exclude each other. Every named resource of every
template is rendered, with both branches of each Fn::If, for two stages deployed side
by side in one account and region; names must be unique per resource type.
"""

from collections import defaultdict
from typing import Any

FEATURES = ["num_03", "num03", "a-b"]
# Name properties that do not follow "<type>Name" or "Name".
NAME_PROPERTIES = {"AWS::ApplicationAutoScaling::ScalingPolicy": "PolicyName"}
# Names unique only within a parent resource (an API's validators, models, stages).
PARENT_PROPERTIES = ("RestApiId", "ApiId")


def _name_property(resource_type: str, properties: dict[str, Any]) -> str | None:
    if resource_type in NAME_PROPERTIES:
        return NAME_PROPERTIES[resource_type]
    short = resource_type.rsplit("::", 1)[-1]
    for key in (f"{short}Name", "Name"):
        if key in properties:
            return key
    return None


def _binding(template_name: str, stage: str) -> dict[str, Any]:
    project = "demo"
    prefix = f"{project}-{stage}"
    return {
        "ProjectName": project,
        "StageName": stage,
        "EndpointName": prefix,
        "VariantName": "AllTraffic",
        "ScheduleName": f"{prefix}-data-quality",
        "ErrorAlarmName": f"{prefix}-endpoint-5xx",
        "LatencyAlarmName": f"{prefix}-model-latency",
        "FeatureNames": FEATURES,
        "AWS::StackName": f"{prefix}-{template_name}",
        "AWS::Region": "eu-west-1",
        "AWS::AccountId": "123456789012",
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }


def _render(node: Any, values: dict[str, Any]) -> set[str]:
    """Every string the name expression can take (both branches of each Fn::If)."""
    if isinstance(node, str | int):
        return {str(node)}
    ((function, arg),) = node.items()
    if function == "Ref":
        value = values.get(arg, f"<{arg}>")
        return {value if isinstance(value, str) else ",".join(value)}
    if function == "Fn::If":
        return _render(arg[1], values) | _render(arg[2], values)
    if function == "Fn::Select":
        index, items = arg
        assert items == {"Ref": "FeatureNames"}, items
        return {values["FeatureNames"][int(index)]} if int(index) < len(FEATURES) else set()
    if function == "Fn::Sub":
        text, variables = (arg, {}) if isinstance(arg, str) else arg
        results = {text}
        for name, expression in variables.items():
            results = {
                r.replace(f"${{{name}}}", v) for r in results for v in _render(expression, values)
            }
        for name, value in values.items():
            if isinstance(value, str):
                results = {r.replace(f"${{{name}}}", value) for r in results}
        return results
    if function == "Fn::GetAtt":
        return {f"<{'.'.join(arg) if isinstance(arg, list) else arg}>"}
    raise AssertionError(f"name function {function} is not modelled here: add it")


def _stage_templates(templates: dict[str, dict[str, Any]]) -> set[str]:
    """stage.yml and the templates it nests (deployed once per stage)."""
    nested = {"stage.yml"}
    for resource in templates["stage.yml"]["Resources"].values():
        if resource["Type"] == "AWS::CloudFormation::Stack":
            url = resource["Properties"]["TemplateURL"]["Fn::Sub"]
            text = url[0] if isinstance(url, list) else url  # !Sub [text, variables]
            nested.add(text.rsplit("/", 1)[-1])
    return nested


def _substitute(node: Any, identifier: str, value: str) -> Any:
    if isinstance(node, dict):
        return {
            _substitute(k, identifier, value): _substitute(v, identifier, value)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_substitute(item, identifier, value) for item in node]
    if isinstance(node, str):
        stripped = "".join(c for c in value if c.isalnum())
        return node.replace(f"${{{identifier}}}", value).replace(f"&{{{identifier}}}", stripped)
    return node


def _resources(template: dict[str, Any]) -> dict[str, Any]:
    """Resources with every Fn::ForEach over a literal list expanded."""
    expanded = {}
    for logical_id, body in template.get("Resources", {}).items():
        if not logical_id.startswith("Fn::ForEach::"):
            expanded[logical_id] = body
            continue
        identifier, collection, fragment = body
        assert isinstance(collection, list), f"{logical_id} loops over {collection}: model it"
        for item in collection:
            expanded.update(_substitute(fragment, identifier, str(item)))
    return expanded


def _names(templates: dict[str, dict[str, Any]]) -> dict[tuple[str, str], list[str]]:
    """(resource type, physical name) -> the resources that can take it."""
    staged = _stage_templates(templates)
    deployments = [(name, "prod") for name in templates if name not in staged]
    deployments += [(name, stage) for name in sorted(staged) for stage in ("prod", "staging")]
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    for template_name, stage in deployments:
        values = _binding(template_name, stage)
        for logical_id, resource in _resources(templates[template_name]).items():
            properties = resource.get("Properties", {})
            key = _name_property(resource["Type"], properties)
            if key is None or key not in properties:
                continue
            where = f"{stage}/{template_name}"
            parents = [p for p in PARENT_PROPERTIES if p in properties]
            scope = f"{where}:{properties[parents[0]]}:" if parents else ""
            for name in _render(properties[key], values):
                holders[(resource["Type"], scope + name)].append(f"{where}:{logical_id}")
    return holders


def test_no_two_resources_can_share_a_physical_name(templates):
    shared = {key: who for key, who in _names(templates).items() if len(who) > 1}
    assert shared == {}


def test_the_check_sees_the_named_resources(templates):
    names = _names(templates)
    alarms = {name for kind, name in names if kind == "AWS::CloudWatch::Alarm"}
    assert {
        "demo-prod-builtin-monitor-not-running",
        "demo-prod-model-monitor-not-running",
        "demo-prod-drift-0-num_03",
        "demo-prod-drift-1-num03",
        "demo-staging-endpoint-5xx",
    } <= alarms
    assert ("AWS::SageMaker::Endpoint", "demo-prod") in names
    assert ("AWS::Scheduler::Schedule", "demo-staging-data-quality") in names


def test_a_shared_name_is_reported(templates):
    # The check itself: the two heartbeat alarms of the previous release shared a name.
    broken = {name: dict(template) for name, template in templates.items()}
    resources = dict(broken["observability.yml"]["Resources"])
    for logical_id in ("MonitorHeartbeatAlarm", "ModelMonitorHeartbeatAlarm"):
        alarm = dict(resources[logical_id])
        alarm["Properties"] = dict(alarm["Properties"])
        alarm["Properties"]["AlarmName"] = {
            "Fn::Sub": "${ProjectName}-${StageName}-monitor-not-running"
        }
        resources[logical_id] = alarm
    broken["observability.yml"] = dict(broken["observability.yml"], Resources=resources)
    shared = [key for key, who in _names(broken).items() if len(who) > 1]
    assert ("AWS::CloudWatch::Alarm", "demo-prod-monitor-not-running") in shared
