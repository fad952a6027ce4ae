"""Names that end up in SageMaker ARNs are lower case in every template.

IAM compares resource ARNs case-sensitively, and SageMaker may report an endpoint's or a
job's ARN with its name lower-cased; a role granting `endpoint/${EndpointName}` for a name
with capitals could then refuse the function it was written for. The nested stacks build
these names from ProjectName and StageName, which are lower case; each template refuses
capitals when deployed on its own too.
"""

import re

import pytest

NAMED = [
    ("api.yml", "EndpointName"),
    ("endpoint.yml", "EndpointName"),
    ("monitoring.yml", "EndpointName"),
    ("monitoring.yml", "ScheduleName"),
    ("observability.yml", "EndpointName"),
    ("observability.yml", "ScheduleName"),
]


@pytest.mark.parametrize(("template", "parameter"), NAMED)
def test_names_in_sagemaker_arns_refuse_capitals(templates, template, parameter):
    pattern = templates[template]["Parameters"][parameter]["AllowedPattern"]
    assert re.fullmatch(pattern, "driftgate-staging")
    assert re.fullmatch(pattern, "a1--b2")
    for refused in ("Driftgate-staging", "driftgate-Staging", "-driftgate", "driftgate-"):
        assert not re.fullmatch(pattern, refused), (template, parameter, refused)


def test_every_name_parameter_feeding_an_arn_is_checked(templates):
    checked = set(NAMED)
    for name, template in templates.items():
        for parameter in template.get("Parameters", {}):
            if parameter in ("EndpointName", "ScheduleName"):
                assert (name, parameter) in checked, (name, parameter)


@pytest.mark.parametrize("template", ["pipeline.yml", "stage.yml", "endpoint.yml"])
def test_the_names_the_stacks_build_from_are_lower_case(templates, template):
    for parameter in ("ProjectName", "StageName"):
        pattern = templates[template]["Parameters"][parameter]["AllowedPattern"]
        assert not re.fullmatch(pattern, "Demo"), (template, parameter)
        assert re.fullmatch(pattern, "demo"), (template, parameter)
