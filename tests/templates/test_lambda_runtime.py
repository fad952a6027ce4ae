"""Every function runs the Python and architecture its packaged wheels are built for.

scripts/package.py installs third-party code (numpy, crhelper) for one interpreter and
one platform; a function declared with another runtime or architecture would import a
wheel built for something else and fail at its first invocation.
"""

import pytest

from scripts import package
from tests.templates.template_walk import resources


def _architecture() -> str:
    suffixes = {
        platform.rsplit("_", 2)[-2] + "_" + platform.rsplit("_", 1)[-1]
        for platform in package.LAMBDA_PLATFORMS
    }
    assert len(suffixes) == 1, f"packaging targets several architectures: {suffixes}"
    (suffix,) = suffixes
    return {"x86_64": "x86_64", "aarch64": "arm64"}[suffix]


def _functions(templates):
    return [
        (name, logical_id, resource["Properties"])
        for name, template in templates.items()
        for logical_id, resource in resources(template)
        if resource.get("Type") == "AWS::Lambda::Function"
    ]


def test_templates_declare_functions(templates):
    assert len(_functions(templates)) >= 4


@pytest.mark.parametrize("field", ["Runtime", "Architectures"])
def test_every_function_matches_the_packaging_target(templates, field):
    expected = {
        "Runtime": f"python{package.LAMBDA_PYTHON}",
        "Architectures": [_architecture()],
    }[field]
    for name, logical_id, properties in _functions(templates):
        assert properties.get(field) == expected, f"{name}:{logical_id} {field}"
