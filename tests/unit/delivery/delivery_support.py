"""Helpers for the delivery function tests (fixtures live in conftest.py).

Importing this module puts each zip's layout (its folder, delivery_functions/ and
custom_resources/) on sys.path.
"""

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
REGION = "us-east-1"
ACCOUNT = "123456789012"
for folder in (
    ROOT / "custom_resources",
    ROOT / "custom_resources" / "approved_model_package",
    ROOT / "custom_resources" / "stage_stacks",
    ROOT / "delivery_functions",
    ROOT / "delivery_functions" / "resolve_version",
    ROOT / "delivery_functions" / "staging_test",
    ROOT / "delivery_functions" / "start_pipeline",
):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def job_event(parameters: str, job_id: str = "job-1") -> dict[str, Any]:
    return {
        "CodePipeline.job": {
            "id": job_id,
            "accountId": ACCOUNT,
            "data": {"actionConfiguration": {"configuration": {"UserParameters": parameters}}},
        }
    }


def load_handler(folder: str) -> Any:
    """delivery_functions/<folder>/handler.py under its own module name."""
    import importlib.util

    name = f"delivery_{folder}_handler"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, ROOT / "delivery_functions" / folder / "handler.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
