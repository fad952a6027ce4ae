"""Each Lambda's role allows the AWS calls its code makes, and no others.

The code is read, not run: starting from the function's Handler module, follow the
imports inside its zip, collect `<client>.<method>(...)` calls (and paginators) for the
services the code creates clients for with `boto3.client("<service>")`, map each
method to its IAM action through botocore's service model plus the documented
exceptions below, and compare with the actions of the function's role.
"""

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class LambdaCode:
    roots: tuple[Path, ...]  # import roots, as the zip lays them out


# Zip key (CONTRIBUTING "Hosting bucket layout") -> where its code lives in this repo.
CODE = {
    "approved_model_package": LambdaCode(
        (ROOT / "custom_resources" / "approved_model_package", ROOT / "custom_resources")
    ),
    "drift_baseline": LambdaCode(
        (ROOT / "custom_resources" / "drift_baseline", ROOT / "custom_resources")
    ),
    "deployment_check": LambdaCode(
        (ROOT / "custom_resources" / "deployment_check", ROOT / "custom_resources")
    ),
    "drift_monitor": LambdaCode((ROOT,)),
    # The gate's zip also carries approved_model_package/package_lookup.py (one lookup).
    "retrain_gate": LambdaCode(
        (
            ROOT / "custom_resources" / "retrain_gate",
            ROOT / "custom_resources" / "approved_model_package",
            ROOT / "custom_resources",
        )
    ),
    "stage_stacks": LambdaCode(
        (ROOT / "custom_resources" / "stage_stacks", ROOT / "custom_resources")
    ),
    # Its zip also carries package_lookup.py and stage_stacks/teardown.py
    # (scripts/package_delivery.py SHARED_FILES).
    "resolve_version": LambdaCode(
        (
            ROOT / "delivery_functions" / "resolve_version",
            ROOT / "delivery_functions",
            ROOT / "custom_resources" / "approved_model_package",
            ROOT / "custom_resources" / "stage_stacks",
            ROOT / "custom_resources",
        )
    ),
    "staging_test": LambdaCode(
        (
            ROOT / "delivery_functions" / "staging_test",
            ROOT / "delivery_functions",
            ROOT / "custom_resources",
        )
    ),
    "start_pipeline": LambdaCode(
        (ROOT / "delivery_functions" / "start_pipeline", ROOT / "custom_resources")
    ),
}

# Client methods whose IAM action is not `<prefix>:<ApiName>` (Service Authorization
# Reference, "Actions defined by Amazon S3"), and S3 transfer helpers boto3 adds.
METHOD_ACTIONS = {
    ("s3", "list_objects_v2"): {"s3:ListBucket"},
    ("s3", "list_objects"): {"s3:ListBucket"},
    ("s3", "head_object"): {"s3:GetObject"},
    ("s3", "head_bucket"): {"s3:ListBucket"},
    ("s3", "list_object_versions"): {"s3:ListBucketVersions"},
    ("s3", "delete_objects"): {"s3:DeleteObject"},
    ("s3", "copy_object"): {"s3:GetObject", "s3:PutObject"},
    ("s3", "upload_file"): {"s3:PutObject"},
    ("s3", "upload_fileobj"): {"s3:PutObject"},
    ("s3", "download_file"): {"s3:GetObject"},
    ("s3", "download_fileobj"): {"s3:GetObject"},
    # DeleteStack with RoleARN: the caller passes the stack's service role (CloudFormation
    # guide, service role); only the stage-stacks teardown calls it.
    ("cloudformation", "delete_stack"): {"cloudformation:DeleteStack", "iam:PassRole"},
    # CreateProcessingJob hands the job its role (RoleArn): the caller passes it.
    ("sagemaker", "create_processing_job"): {"sagemaker:CreateProcessingJob", "iam:PassRole"},
}
IAM_PREFIX = {
    "stepfunctions": "states",
    "elbv2": "elasticloadbalancing",
    # InvokeEndpoint is a SageMaker action (service authorization reference).
    "sagemaker-runtime": "sagemaker",
}

# Granted for what the platform does on the function's behalf, not for its calls:
# Lambda writes the function's logs; S3 asks KMS when objects use SSE-KMS.
PLATFORM_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
# Publishing to a KMS-encrypted topic needs the same two (SNS "Encryption at rest").
KMS_FOR_S3 = {"kms:Decrypt", "kms:GenerateDataKey"}


@cache
def client_methods(service: str) -> dict[str, str]:
    client = boto3.client(
        service,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return dict(client.meta.method_to_api_mapping)


def module_path(module: str, roots: tuple[Path, ...]) -> Path | None:
    parts = module.split(".")
    for root in roots:
        base = root.joinpath(*parts)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def imported_modules(tree: ast.Module, module: str, is_package: bool) -> set[str]:
    names: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    # Importing a.b.c runs a/__init__ and a/b/__init__ first.
    with_parents = set(names)
    for name in names:
        parts = name.split(".")
        with_parents.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return with_parents


def reachable_sources(entry: str, roots: tuple[Path, ...]) -> dict[str, ast.Module]:
    """Modules of the zip reachable from the entry module by imports."""
    seen: dict[str, ast.Module] = {}
    pending = [entry]
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        path = module_path(module, roots)
        if path is None:
            continue  # not ours: the standard library, boto3, crhelper, numpy
        tree = ast.parse(path.read_text(), filename=str(path))
        seen[module] = tree
        pending.extend(imported_modules(tree, module, path.name == "__init__.py"))
    return seen


def created_services(trees: dict[str, ast.Module]) -> set[str]:
    services = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "client"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                services.add(node.args[0].value)
    return services


def called_methods(trees: dict[str, ast.Module]) -> set[str]:
    methods = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            methods.add(node.func.attr)
            if node.func.attr in ("get_paginator", "get_waiter") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    methods.add(first.value)
    return methods


def code_actions(entry: str, roots: tuple[Path, ...]) -> set[str]:
    trees = reachable_sources(entry, roots)
    assert trees, f"entry module {entry} not found under {[str(r) for r in roots]}"
    methods = called_methods(trees)
    actions: set[str] = set()
    for service in created_services(trees):
        prefix = IAM_PREFIX.get(service, service)
        for method, api in client_methods(service).items():
            if method in methods:
                actions |= METHOD_ACTIONS.get((service, method), {f"{prefix}:{api}"})
        for (svc, method), mapped in METHOD_ACTIONS.items():
            if svc == service and method in methods:
                actions |= mapped
    return actions


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def find_functions(templates: dict[str, Any], zip_name: str) -> list[tuple[str, dict[str, Any]]]:
    """Every function deployed from ``functions/<zip_name>.zip`` (one zip may serve
    several handlers: the drift monitor's scheduled run and its merge)."""
    found = []
    for name, template in templates.items():
        for resource in template.get("Resources", {}).values():
            if not isinstance(resource, dict) or resource.get("Type") != "AWS::Lambda::Function":
                continue
            key = resource["Properties"].get("Code", {}).get("S3Key", {})
            if str(key.get("Fn::Sub", "")).endswith(f"functions/{zip_name}.zip"):
                found.append((name, resource["Properties"]))
    assert found, f"expected a function with functions/{zip_name}.zip"
    return found


def role_actions(template_name: str, function: dict[str, Any], role_statements) -> set[str]:
    role = function["Role"]
    assert role.get("Fn::GetAtt", [None, None])[1] == "Arn", f"role must be a local role: {role}"
    statements = role_statements[(template_name, role["Fn::GetAtt"][0])]
    return {
        action
        for statement in statements
        if statement.get("Effect") == "Allow"
        for action in as_list(statement["Action"])
    }


@pytest.mark.parametrize("zip_name", sorted(CODE))
def test_code_folder_exists(zip_name):
    for root in CODE[zip_name].roots:
        assert root.is_dir(), f"{root} is missing: the {zip_name} function has no code"


@pytest.mark.parametrize("zip_name", sorted(CODE))
def test_role_allows_exactly_the_calls_of_the_code(templates, role_statements, zip_name):
    for template_name, function in find_functions(templates, zip_name):
        check_function(template_name, function, role_statements, zip_name)


def test_the_monitor_zip_serves_the_scheduled_run_and_the_merge(templates):
    handlers = {f["Handler"] for _, f in find_functions(templates, "drift_monitor")}
    assert handlers == {
        "drift_monitor.lambda_handler.handler",
        "drift_monitor.merge_handler.handler",
    }


def check_function(template_name, function, role_statements, zip_name):
    entry = function["Handler"].rpartition(".")[0]
    needed = code_actions(entry, CODE[zip_name].roots)
    assert needed, f"{zip_name}: no AWS call found from {entry}; the analysis is broken"
    granted = role_actions(template_name, function, role_statements)

    missing = needed - granted
    assert not missing, f"{entry}: the code calls {sorted(missing)}, the role lacks them"
    unused = granted - needed - PLATFORM_ACTIONS - KMS_FOR_S3
    assert not unused, f"{entry}: the role grants {sorted(unused)}, the code never calls them"
    if granted & KMS_FOR_S3:
        assert any(a.startswith(("s3:", "sns:Publish")) for a in needed), (
            f"{entry}: KMS without S3 or an encrypted topic"
        )


# The analysis itself, on a small package written for the purpose.


def write_package(tmp_path: Path) -> Path:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from . import shared\n")
    (package / "shared.py").write_text(
        "def put(client, data):\n    client.put_metric_data(Namespace='n', MetricData=data)\n"
    )
    (package / "entry.py").write_text(
        "import boto3\n"
        "from pkg.store import listing\n"
        "def handler(event, context):\n"
        "    s3 = boto3.client('s3')\n"
        "    cw = boto3.client('cloudwatch')\n"
        "    s3.head_object(Bucket='b', Key='k')\n"
        "    return listing(s3)\n"
    )
    (package / "store.py").write_text(
        "def listing(s3):\n    return s3.get_paginator('list_objects_v2').paginate(Bucket='b')\n"
    )
    (package / "unused.py").write_text("def f(s3):\n    s3.delete_object(Bucket='b', Key='k')\n")
    return tmp_path


def test_analysis_follows_imports_paginators_and_exceptions(tmp_path):
    root = write_package(tmp_path)
    assert code_actions("pkg.entry", (root,)) == {
        "s3:GetObject",  # head_object
        "s3:ListBucket",  # the list_objects_v2 paginator
        "cloudwatch:PutMetricData",  # reached through the package __init__
    }


def test_analysis_fails_loudly_on_a_missing_entry(tmp_path):
    with pytest.raises(AssertionError, match="not found"):
        code_actions("pkg.absent", (tmp_path,))
