"""MaxInstanceCount below InstanceCount is refused by a Rule, before any resource exists.

Application Auto Scaling would refuse the pair only after the endpoint is InService,
and the whole stack would roll back; a Rule fails the create or update at once.
"""

import pytest

from scripts import generate_instance_count_rule as gen

TEMPLATES = ("pipeline.yml", "stage.yml", "endpoint.yml")


def _values(template, minimum: int, maximum: int) -> dict[str, str]:
    values = {name: str(spec.get("Default", "")) for name, spec in template["Parameters"].items()}
    return values | {"InstanceCount": str(minimum), "MaxInstanceCount": str(maximum)}


def _bounds(template, name: str) -> range:
    spec = template["Parameters"][name]
    return range(int(spec["MinValue"]), int(spec["MaxValue"]) + 1)


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_pair_below_the_minimum_is_refused_naming_both(templates, rule_failures, name):
    template = templates[name]
    rule = template["Rules"][gen.RULE_NAME]
    assert "RuleCondition" not in rule
    for minimum in _bounds(template, "InstanceCount"):
        for maximum in _bounds(template, "MaxInstanceCount"):
            failures = [
                f
                for f in rule_failures(template, _values(template, minimum, maximum))
                if "MaxInstanceCount" in f
            ]
            if maximum < minimum:
                assert failures, (minimum, maximum)
                assert all("InstanceCount (the minimum" in f for f in failures)
            else:
                assert failures == [], (minimum, maximum)


@pytest.mark.parametrize("name", TEMPLATES)
def test_generator_covers_the_largest_minimum(templates, name):
    assert int(templates[name]["Parameters"]["InstanceCount"]["MaxValue"]) == gen.LARGEST_MINIMUM


def test_templates_hold_the_generated_rule():
    assert gen.main(["--check"]) == 0
