"""Blue/green updates the API accepts for every allowed instance count."""

from typing import Any

import pytest


def _endpoint(templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return templates["endpoint.yml"]["Resources"]["Endpoint"]["Properties"]


def _routing(templates: dict[str, dict[str, Any]], instance_count: int) -> dict[str, Any]:
    """TrafficRoutingConfiguration as deployed for `instance_count` instances."""
    condition = templates["endpoint.yml"]["Conditions"]["SingleInstance"]
    # Parameter values reach conditions as strings.
    assert condition == {"Fn::Equals": [{"Ref": "InstanceCount"}, "1"]}
    policy = _endpoint(templates)["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    name, single, several = policy["TrafficRoutingConfiguration"]["Fn::If"]
    assert name == "SingleInstance"
    return single if instance_count == 1 else several


def _canary_instances(routing: dict[str, Any], instance_count: int) -> float:
    size = routing["CanarySize"]
    if size["Type"] == "INSTANCE_COUNT":
        return size["Value"]
    return instance_count * size["Value"] / 100


@pytest.mark.parametrize("instance_count", [1, 2, 3, 20, 40])
def test_canary_is_at_most_half_of_the_fleet(templates, instance_count):
    routing = _routing(templates, instance_count)
    assert 0 < routing["WaitIntervalInSeconds"] <= 3600
    if routing["Type"] == "CANARY":
        # TrafficRoutingConfig.CanarySize: at most 50% of the variant's instances.
        assert 1 <= _canary_instances(routing, instance_count) <= instance_count / 2
    else:
        assert instance_count == 1
        assert routing == {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 300}


def test_several_instances_get_a_canary(templates):
    assert _routing(templates, 2)["Type"] == "CANARY"


def test_instance_count_parameters_start_at_one(templates):
    for name in ("endpoint.yml", "stage.yml", "pipeline.yml"):
        assert templates[name]["Parameters"]["InstanceCount"]["MinValue"] == 1


def test_execution_timeout_covers_canary_bake_and_termination_wait(templates):
    policy = _endpoint(templates)["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    timeout = policy["MaximumExecutionTimeoutInSeconds"]
    assert 600 <= timeout <= 28800
    assert timeout > 300 + policy["TerminationWaitInSeconds"]


def _green_fleet(endpoint: dict[str, Any], old_count: int, new_count: int) -> int:
    """Instances of the green fleet when InstanceCount moves from old_count to new_count.

    UpdateEndpoint with RetainAllVariantProperties keeps the endpoint's DesiredInstanceCount
    unless ExcludeRetainedVariantProperties lists it (SageMaker API, VariantProperty);
    the autoscaled count is at least the old minimum, old_count in the worst case.
    """
    if not endpoint.get("RetainAllVariantProperties", False):
        return new_count
    excluded = {
        p["VariantPropertyType"] for p in endpoint.get("ExcludeRetainedVariantProperties", [])
    }
    return new_count if "DesiredInstanceCount" in excluded else old_count


@pytest.mark.parametrize(("old_count", "new_count"), [(1, 2), (2, 1), (2, 4), (4, 2), (1, 20)])
def test_instance_count_changes_are_working_blue_green_updates(templates, old_count, new_count):
    endpoint = _endpoint(templates)
    green = _green_fleet(endpoint, old_count, new_count)
    # The new count takes effect with the update, not only when autoscaling catches up.
    assert green == new_count
    routing = _routing(templates, new_count)
    if routing["Type"] == "CANARY":
        assert 1 <= _canary_instances(routing, green) <= green / 2
    else:
        assert green == 1


def test_data_capture_and_weight_come_from_the_new_config(templates):
    # With retention, SageMaker keeps the old variant properties; DataCaptureConfig cannot
    # be excluded from it (VariantProperty: "not currently supported").
    assert _endpoint(templates)["RetainAllVariantProperties"] is False
