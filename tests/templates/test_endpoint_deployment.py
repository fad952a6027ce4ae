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
