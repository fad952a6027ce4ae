"""The emulator's parts without a server: Fn::ForEach expansion, dependency order, the
in-process runtime's isolation, placeholders."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import numpy
import pytest

from scripts.emulator import dependencies, runtime
from scripts.emulator.patches.placeholders import Placeholder

pytestmark = pytest.mark.e2e


def test_dependency_order_puts_users_after_what_they_use():
    resources = {
        "Endpoint": {"Properties": {"Config": {"Fn::GetAtt": ["Config", "Name"]}}},
        "Config": {"Properties": {"Model": {"Ref": "Model"}}},
        "Model": {"Properties": {"Package": {"Fn::Sub": "${Package.Arn}"}}},
        "Package": {"Properties": {"Token": {"Fn::GetAtt": "Function.Arn"}}},
        "Function": {"DependsOn": "Role"},
        "Role": {},
    }
    order = dependencies.ordered(set(resources), dependencies.uses(resources))

    assert order == ["Role", "Function", "Package", "Model", "Config", "Endpoint"]


def test_placeholder_answers_ref_with_the_templates_name_and_an_arn():
    alarm = Placeholder.create_from_cloudformation_json(
        "stack-Alarm-X", {"Properties": {"AlarmName": "demo-errors"}}, "123456789012",
        "eu-west-1", ResourceType="AWS::CloudWatch::Alarm",
    )  # fmt: skip
    unnamed = Placeholder.create_from_cloudformation_json(
        "stack-Policy-Y", {"Properties": {}}, "123456789012", "eu-west-1",
        ResourceType="AWS::S3::BucketPolicy",
    )  # fmt: skip

    assert alarm.physical_resource_id == "demo-errors"
    assert alarm.get_cfn_attribute("Arn") == (
        "arn:aws:cloudwatch:eu-west-1:123456789012:alarm/demo-errors"
    )
    assert unnamed.physical_resource_id == "stack-Policy-Y"


def lambda_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def invoke(code: bytes, handler: str, environment: dict[str, str] | None = None):
    folder = runtime.unpack(code, f"test-{hashlib.sha256(code).hexdigest()}")
    context = runtime.LambdaContext(
        "fn", "arn:aws:lambda:us-east-1:123456789012:function:fn", 128, 3
    )
    return runtime.run_handler(folder, handler, {"x": 1}, context, environment or {})


def test_the_hosts_numpy_is_used_not_the_one_in_the_zip():
    # The drift monitor zip carries numpy for Linux x86_64 / CPython 3.13.
    code = lambda_zip({
        "numpy/__init__.py": "raise ImportError('the zip numpy was imported')",
        "app.py": "import numpy\ndef handler(event, context):\n    return numpy.__file__\n",
    })  # fmt: skip

    result = invoke(code, "app.handler")

    assert not result.errored, result.payload
    assert json.loads(result.payload) == numpy.__file__
    assert Path(numpy.__file__).parts[-2] == "numpy"


def test_handler_sees_its_environment_and_the_process_gets_it_back(monkeypatch):
    monkeypatch.setenv("DRIFTGATE_PROBE", "host")
    code = lambda_zip({
        "app.py": "import os\ndef handler(event, context):\n"
        "    return [os.environ['DRIFTGATE_PROBE'], event['x'], context.function_name]\n",
    })  # fmt: skip

    result = invoke(code, "app.handler", {"DRIFTGATE_PROBE": "function"})

    assert json.loads(result.payload) == ["function", 1, "fn"]
    assert os.environ["DRIFTGATE_PROBE"] == "host"


def test_handler_errors_come_back_as_lambda_function_errors():
    code = lambda_zip(
        {"app.py": "def handler(event, context):\n    raise KeyError('window_end')\n"}
    )

    result = invoke(code, "app.handler")

    assert result.errored
    failure = json.loads(result.payload)
    assert (failure["errorType"], failure["errorMessage"]) == ("KeyError", "'window_end'")


def test_two_zips_with_the_same_module_name_do_not_see_each_other():
    first = lambda_zip({"handler.py": "def handler(e, c):\n    return 'first'\n"})
    second = lambda_zip({"handler.py": "def handler(e, c):\n    return 'second'\n"})

    assert json.loads(invoke(first, "handler.handler").payload) == "first"
    assert json.loads(invoke(second, "handler.handler").payload) == "second"
    assert json.loads(invoke(first, "handler.handler").payload) == "first"


def test_moto_and_crhelper_are_themselves_again_after_the_emulator_stops():
    from http.client import HTTPSConnection

    import crhelper.utils
    from moto.awslambda.models import LambdaFunction
    from moto.cloudformation.custom_model import CustomModel
    from moto.cloudformation.models import Stack

    from scripts.emulator import Emulator

    originals = (Stack.__dict__["parse_template"], LambdaFunction._invoke_lambda)
    with Emulator():
        assert crhelper.utils.HTTPSConnection is not HTTPSConnection
        assert "update_from_cloudformation_json" in CustomModel.__dict__

    assert (Stack.__dict__["parse_template"], LambdaFunction._invoke_lambda) == originals
    assert crhelper.utils.HTTPSConnection is HTTPSConnection
    assert "update_from_cloudformation_json" not in CustomModel.__dict__
