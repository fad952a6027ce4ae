"""A small model of IAM authorization, shared by the test_iam_requests_*.py files.

Three parts:
- `role_statements`: a role's identity-policy statements (inline `Policies` plus
  `AWS::IAM::Policy` resources naming the role), rendered for sample parameters the way
  CloudFormation would compute them (Ref, GetAtt, Sub, Join, Select, Split, FindInMap,
  If; resource names from `physical`).
- `authorizations`: a botocore request (service, operation, parameters) as IAM sees it:
  the actions it needs, the resource ARN of each, and the condition context, per the
  Service Authorization Reference ("Actions, resources, and condition keys for <service>").
  A request not modelled here fails the test, so a new call has to be modelled first.
- `allowed`: policy evaluation for Allow/Deny statements with Action, Resource and the
  condition operators the templates use. NotAction and NotResource are refused by name.

`recorded` runs code with every request recorded at botocore's `provide-client-params`
event; requests listed in `canned` are answered there (moto does not implement them) after
being recorded, so the code goes on as it would against AWS. What an object's encryption
makes IAM check is a property of the stored object, not of the request: `recorded` notes
an SSE-KMS object's key from the GetObject answer (`SSE_KMS_KEY` in the recorded request),
so a read of an object written with a customer key needs that key's kms:Decrypt, as S3
asks for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

import boto3

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account
PARTITION = "aws"
# A stack id as CloudFormation puts it in stack ARNs (stack/<name>/<id>).
STACK_ID = "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"
# The suffix CloudFormation appends to generated names (<stack>-<LogicalId>-<suffix>).
SUFFIX = "AbC123xYz"

Authorization = tuple[str, str, dict[str, Any]]


# ------------------------------------------------------------------ rendering

SUB_VARIABLE = re.compile(r"\$\{([A-Za-z0-9:._]+)\}")


def physical(template: dict[str, Any], logical_id: str, params: Mapping[str, Any]) -> str:
    """What `Ref` returns for a resource: its name property, or a generated name."""
    if logical_id in params:
        return str(params[logical_id])
    resource = template["Resources"][logical_id]
    kind, properties = resource["Type"], resource.get("Properties", {})
    name_property = {
        "AWS::Lambda::Function": "FunctionName",
        "AWS::CodePipeline::Pipeline": "Name",
        "AWS::Logs::LogGroup": "LogGroupName",
        "AWS::S3::Bucket": "BucketName",
        "AWS::Scheduler::Schedule": "Name",
        "AWS::CloudWatch::Alarm": "AlarmName",
        "AWS::SageMaker::Endpoint": "EndpointName",
    }.get(kind)
    if name_property and name_property in properties:
        return str(render(properties[name_property], params, template))
    # CloudFormation's generated names: <stack name>-<logical id>-<random suffix>.
    generated = f"{params['AWS::StackName']}-{logical_id}-{SUFFIX}"
    if kind == "AWS::S3::Bucket":
        return generated.lower()
    if kind in ("AWS::IAM::Role", "AWS::Lambda::Function"):
        return generated[:64]  # role and function names are at most 64 characters
    return generated


def get_att(template: dict[str, Any], logical_id: str, attribute: str, params: Mapping) -> Any:
    key = f"{logical_id}.{attribute}"
    if key in params:
        return params[key]
    kind = template["Resources"][logical_id]["Type"]
    name = physical(template, logical_id, params)
    region, account = params["AWS::Region"], params["AWS::AccountId"]
    arns = {
        "AWS::IAM::Role": f"arn:{PARTITION}:iam::{account}:role/{name}",
        "AWS::Lambda::Function": f"arn:{PARTITION}:lambda:{region}:{account}:function:{name}",
        # A log group's Arn attribute ends in ":*" (AWS::Logs::LogGroup return values).
        "AWS::Logs::LogGroup": f"arn:{PARTITION}:logs:{region}:{account}:log-group:{name}:*",
        "AWS::S3::Bucket": f"arn:{PARTITION}:s3:::{name}",
        "AWS::Events::Rule": f"arn:{PARTITION}:events:{region}:{account}:rule/{name}",
    }
    if attribute == "Arn" and kind in arns:
        return arns[kind]
    if attribute in ("EndpointName", "ModelName", "EndpointConfigName", "Name"):
        return name
    raise AssertionError(f"GetAtt {key} ({kind}) is not modelled: pass it in params")


def render(node: Any, params: Mapping[str, Any], template: dict[str, Any]) -> Any:
    """The value CloudFormation computes; `None` for AWS::NoValue (dropped from lists)."""
    if isinstance(node, list):
        return [v for v in (render(item, params, template) for item in node) if v is not None]
    if not isinstance(node, dict):
        return node
    if len(node) != 1 or not (set(node) <= {"Ref"} or next(iter(node)).startswith("Fn::")):
        return {k: v for k, v in ((k, render(v, params, template)) for k, v in node.items())}
    ((function, args),) = node.items()
    if function == "Ref":
        if args == "AWS::NoValue":
            return None
        if args in params:
            return params[args]
        return physical(template, args, params)
    if function == "Fn::GetAtt":
        logical_id, attribute = args if isinstance(args, list) else args.split(".", 1)
        return get_att(template, logical_id, attribute, params)
    if function == "Fn::Sub":
        text, variables = (args, {}) if isinstance(args, str) else args
        values = {k: render(v, params, template) for k, v in variables.items()}

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return str(values[name])
            if "." in name and not name.startswith("AWS::"):
                return str(get_att(template, *name.split(".", 1), params))
            return str(render({"Ref": name}, params, template))

        return SUB_VARIABLE.sub(value, text)
    if function == "Fn::Join":
        separator, items = args
        return separator.join(str(v) for v in render(items, params, template))
    if function == "Fn::Select":
        index, items = render(args, params, template)
        return items[int(index)]
    if function == "Fn::Split":
        separator, text = render(args, params, template)
        return text.split(separator)
    if function == "Fn::FindInMap":
        mapping, first, second = render(args, params, template)
        return template["Mappings"][mapping][first][second]
    if function == "Fn::If":
        condition, when_true, when_false = args
        chosen = when_true if params["conditions"][condition] else when_false
        return render(chosen, params, template)
    raise AssertionError(f"intrinsic {function} is not modelled here")


def role_statements(
    template: dict[str, Any], role: str, params: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Rendered statements of the role's inline policies and of policies naming it."""
    documents = [
        policy["PolicyDocument"]
        for policy in render(
            template["Resources"][role]["Properties"].get("Policies", []), params, template
        )
    ]
    for resource in template["Resources"].values():
        if resource.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            properties = resource["Properties"]
            if {"Ref": role} in properties.get("Roles", []):
                documents.append(render(properties["PolicyDocument"], params, template))
    statements: list[dict[str, Any]] = []
    for document in documents:
        raw = document["Statement"]
        statements.extend(raw if isinstance(raw, list) else [raw])
    return statements


def granted_actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements if s["Effect"] == "Allow" for a in as_list(s["Action"])}


# ------------------------------------------------------------------ evaluation


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _like(value: str, pattern: str) -> bool:
    """IAM wildcards: * any run of characters, ? one character; nothing else is special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _test(operator: str, actual: str, expected: str) -> bool:
    if operator == "StringEquals":
        return actual == expected
    if operator == "StringNotEquals":
        return actual != expected
    if operator == "StringEqualsIgnoreCase":
        return actual.lower() == expected.lower()
    if operator in ("StringLike", "ArnLike", "ArnEquals"):
        # ArnEquals and ArnLike behave alike (IAM condition operators reference).
        return _like(actual, expected)
    if operator == "Bool":
        return actual.lower() == expected.lower()
    raise AssertionError(f"condition operator {operator} is not modelled here")


def _condition_holds(condition: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    for full_operator, pairs in condition.items():
        qualifier, _, operator = full_operator.rpartition(":")
        if_exists = operator.endswith("IfExists")
        operator = operator.removesuffix("IfExists")
        for key, expected in pairs.items():
            values = [str(v).lower() if isinstance(v, bool) else str(v) for v in as_list(expected)]
            if key not in context:
                if qualifier == "ForAllValues" or if_exists:
                    continue
                return False
            actual = context[key]
            actuals = [str(a) for a in as_list(actual)]
            if qualifier == "ForAllValues":
                ok = all(any(_test(operator, a, v) for v in values) for a in actuals)
            elif qualifier == "ForAnyValue":
                ok = any(_test(operator, a, v) for a in actuals for v in values)
            else:
                assert not isinstance(actual, list), f"{key} is multivalued: use ForAnyValue"
                if operator.startswith("StringNot"):
                    ok = all(_test(operator, actuals[0], v) for v in values)
                else:
                    ok = any(_test(operator, actuals[0], v) for v in values)
            if not ok:
                return False
    return True


def _matches(statement: Mapping[str, Any], action: str, arn: str, context: Mapping) -> bool:
    for refused in ("NotAction", "NotResource", "NotPrincipal"):
        assert refused not in statement, f"{refused} is not modelled (and not wanted): {statement}"
    # Action names are case-insensitive; resource ARNs are not.
    if not any(_like(action.lower(), a.lower()) for a in as_list(statement["Action"])):
        return False
    if not any(_like(arn, str(r)) for r in as_list(statement["Resource"])):
        return False
    return _condition_holds(statement.get("Condition", {}), context)


def allowed(
    statements: list[dict[str, Any]], action: str, arn: str, context: Mapping[str, Any]
) -> bool:
    """An explicit Allow and no explicit Deny (identity policies only)."""
    matching = [s for s in statements if _matches(s, action, arn, context)]
    return any(s["Effect"] == "Allow" for s in matching) and not any(
        s["Effect"] == "Deny" for s in matching
    )


def refusals(
    statements: list[dict[str, Any]], requests: list[Authorization]
) -> list[Authorization]:
    return [r for r in requests if not allowed(statements, *r)]


# ------------------------------------------------------------------ requests -> IAM


def sagemaker_arn(kind: str, name: str) -> str:
    # SageMaker lower-cases resource names in ARNs (Service Authorization Reference,
    # "Resource types defined by Amazon SageMaker AI").
    if name.startswith("arn:"):
        return name
    return f"arn:{PARTITION}:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name.lower()}"


# Set by `recorded` in a GetObject request whose answer was an SSE-KMS object: the key.
# (Not a botocore parameter name, so it never collides with one.)
SSE_KMS_KEY = "@SSEKMSKeyId"


# Set by `recorded` in a GetFunctionConfiguration request whose answer named a customer
# managed key (FunctionConfiguration.KMSKeyArn): the key of the function's environment.
FUNCTION_KMS_KEY = "@FunctionKMSKeyArn"


def _lambda_environment_kms(params: Mapping[str, Any]) -> list[Authorization]:
    """Reading a function's environment encrypted with a customer managed key needs that
    key (Lambda guide, "Securing Lambda environment variables": only users with access to
    the KMS key can view or manage the environment variables); Lambda decrypts them as the
    caller, so via Lambda."""
    key = params.get(FUNCTION_KMS_KEY)
    if key:
        return [("kms:Decrypt", key, {"kms:ViaService": f"lambda.{REGION}.amazonaws.com"})]
    return []


def _s3_kms(params: Mapping[str, Any]) -> list[Authorization]:
    """SSE-KMS writes ask KMS for a data key as the caller, via S3 (S3 guide, SSE-KMS)."""
    key = params.get("SSEKMSKeyId")
    if params.get("ServerSideEncryption") == "aws:kms" and key:
        return [("kms:GenerateDataKey", key, {"kms:ViaService": f"s3.{REGION}.amazonaws.com"})]
    return []


def _s3_kms_read(params: Mapping[str, Any]) -> list[Authorization]:
    """Downloading an SSE-KMS object makes S3 decrypt its data key as the caller (S3 guide,
    "Using server-side encryption with AWS KMS keys (SSE-KMS)": to upload or download an
    object encrypted with a KMS key you need kms:GenerateDataKey and kms:Decrypt on it)."""
    key = params.get(SSE_KMS_KEY)
    if key:
        return [("kms:Decrypt", key, {"kms:ViaService": f"s3.{REGION}.amazonaws.com"})]
    return []


def _s3(operation: str, p: Mapping[str, Any]) -> list[Authorization]:
    bucket = f"arn:{PARTITION}:s3:::{p['Bucket']}"
    obj = f"{bucket}/{p.get('Key', '')}"
    if operation in ("ListObjectsV2", "ListObjects"):
        return [("s3:ListBucket", bucket, {"s3:prefix": p.get("Prefix", "")})]
    if operation == "ListObjectVersions":
        return [("s3:ListBucketVersions", bucket, {"s3:prefix": p.get("Prefix", "")})]
    if operation == "GetBucketVersioning":
        return [("s3:GetBucketVersioning", bucket, {})]
    if operation in ("GetObject", "HeadObject"):
        # HeadObject returns metadata only: no data key to decrypt.
        action = "s3:GetObjectVersion" if p.get("VersionId") else "s3:GetObject"
        return [(action, obj, {}), *(_s3_kms_read(p) if operation == "GetObject" else [])]
    if operation in ("PutObject", "CreateMultipartUpload"):
        return [("s3:PutObject", obj, {}), *_s3_kms(p)]
    if operation in ("UploadPart", "CompleteMultipartUpload"):
        return [("s3:PutObject", obj, {})]
    if operation == "AbortMultipartUpload":
        return [("s3:AbortMultipartUpload", obj, {})]
    if operation == "DeleteObject":
        return [("s3:DeleteObject", obj, {})]
    raise AssertionError(f"s3:{operation} is not modelled here: add it")


SAGEMAKER_RESOURCE = {
    # operation -> (resource type, parameter naming it)
    "DescribeEndpoint": ("endpoint", "EndpointName"),
    "DescribeEndpointConfig": ("endpoint-config", "EndpointConfigName"),
    "DescribeModel": ("model", "ModelName"),
    "DescribeMonitoringSchedule": ("monitoring-schedule", "MonitoringScheduleName"),
    "DescribeDataQualityJobDefinition": ("data-quality-job-definition", "JobDefinitionName"),
    "DescribeProcessingJob": ("processing-job", "ProcessingJobName"),
    "DescribeModelPackage": ("model-package", "ModelPackageName"),
    "DescribeModelPackageGroup": ("model-package-group", "ModelPackageGroupName"),
    "ListPipelineExecutions": ("pipeline", "PipelineName"),
    "StartPipelineExecution": ("pipeline", "PipelineName"),
}


def _tags_context(tags: list[Mapping[str, str]] | None) -> dict[str, Any]:
    if not tags:
        return {}
    context: dict[str, Any] = {"aws:TagKeys": [t["Key"] for t in tags]}
    context.update({f"aws:RequestTag/{t['Key']}": t["Value"] for t in tags})
    return context


def _sagemaker(operation: str, p: Mapping[str, Any]) -> list[Authorization]:
    if operation == "ListModelPackages":
        return [("sagemaker:ListModelPackages", "*", {})]  # no resource-level permission
    if operation in SAGEMAKER_RESOURCE:
        kind, parameter = SAGEMAKER_RESOURCE[operation]
        return [(f"sagemaker:{operation}", sagemaker_arn(kind, p[parameter]), {})]
    if operation == "CreateProcessingJob":
        arn = sagemaker_arn("processing-job", p["ProcessingJobName"])
        cluster = p["ProcessingResources"]["ClusterConfig"]
        network = p.get("NetworkConfig") or {}
        context: dict[str, Any] = {
            "sagemaker:InstanceTypes": [cluster["InstanceType"]],
            "sagemaker:NetworkIsolation": str(bool(network.get("EnableNetworkIsolation"))).lower(),
            "sagemaker:InterContainerTrafficEncryption": str(
                bool(network.get("EnableInterContainerTrafficEncryption"))
            ).lower(),
            **_tags_context(p.get("Tags")),
        }
        if cluster.get("VolumeKmsKeyId"):
            context["sagemaker:VolumeKmsKey"] = cluster["VolumeKmsKeyId"]
        if (p.get("ProcessingOutputConfig") or {}).get("KmsKeyId"):
            context["sagemaker:OutputKmsKey"] = p["ProcessingOutputConfig"]["KmsKeyId"]
        requests = [("sagemaker:CreateProcessingJob", arn, context)]
        if p.get("Tags"):
            # Tags on create also need AddTags (SageMaker guide, "Tag-on-create").
            requests.append(("sagemaker:AddTags", arn, _tags_context(p["Tags"])))
        # Handing the job its role is passing it (IAM guide, "Grant a user permissions
        # to pass a role to an AWS service").
        requests.append(
            ("iam:PassRole", p["RoleArn"], {"iam:PassedToService": "sagemaker.amazonaws.com"})
        )
        return requests
    raise AssertionError(f"sagemaker:{operation} is not modelled here: add it")


def _lambda_arn(name: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{name}"


def stack_arn(name: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/{STACK_ID}"


def _cloudformation(operation: str, p: Mapping[str, Any]) -> list[Authorization]:
    if operation in ("DescribeStacks", "DeleteStack", "CreateStack", "UpdateStack"):
        requests: list[Authorization] = [
            (f"cloudformation:{operation}", stack_arn(p["StackName"]), {})
        ]
        if p.get("RoleARN"):
            # CloudFormation guide, "CloudFormation service role": the caller passes it.
            requests.append(
                (
                    "iam:PassRole",
                    p["RoleARN"],
                    {"iam:PassedToService": "cloudformation.amazonaws.com"},
                )
            )
        return requests
    if operation == "DescribeStackEvents":
        return [(f"cloudformation:{operation}", stack_arn(p["StackName"]), {})]
    raise AssertionError(f"cloudformation:{operation} is not modelled here: add it")


def authorizations(service: str, operation: str, p: Mapping[str, Any]) -> list[Authorization]:
    """(action, resource ARN, condition context) of each authorization a request needs."""
    if service == "s3":
        return _s3(operation, p)
    if service == "sagemaker":
        return _sagemaker(operation, p)
    if service == "sagemakerruntime" and operation == "InvokeEndpoint":
        return [("sagemaker:InvokeEndpoint", sagemaker_arn("endpoint", p["EndpointName"]), {})]
    if service == "cloudwatch" and operation == "PutMetricData":
        return [("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": p["Namespace"]})]
    if service == "cloudwatch" and operation == "DescribeAlarms":
        base = f"arn:{PARTITION}:cloudwatch:{REGION}:{ACCOUNT}:alarm:"
        return [("cloudwatch:DescribeAlarms", base + name, {}) for name in p["AlarmNames"]]
    if service == "eventbridge" and operation == "PutEvents":
        bus = f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:event-bus/"
        return [
            (
                "events:PutEvents",
                e["EventBusName"]
                if e.get("EventBusName", "").startswith("arn:")
                else bus + e.get("EventBusName", "default"),
                {},
            )
            for e in p["Entries"]
        ]
    if service == "codepipeline" and operation in ("PutJobSuccessResult", "PutJobFailureResult"):
        return [(f"codepipeline:{operation}", "*", {})]  # no resource type (SAR)
    if service == "codepipeline" and operation == "StartPipelineExecution":
        arn = f"arn:{PARTITION}:codepipeline:{REGION}:{ACCOUNT}:{p['name']}"
        return [("codepipeline:StartPipelineExecution", arn, {})]
    if service == "lambda" and operation == "Invoke":
        return [("lambda:InvokeFunction", _lambda_arn(p["FunctionName"]), {})]
    if service == "lambda" and operation == "GetFunctionConfiguration":
        read = ("lambda:GetFunctionConfiguration", _lambda_arn(p["FunctionName"]), {})
        return [read, *_lambda_environment_kms(p)]
    if service == "cloudformation":
        return _cloudformation(operation, p)
    if service == "sns" and operation == "Publish":
        return [("sns:Publish", p["TopicArn"], {})]
    raise AssertionError(f"{service}:{operation} is not modelled here: add it")


# ------------------------------------------------------------------ recording


Request = tuple[str, str, dict[str, Any]]


def recorded(
    call: Callable[[], Any], canned: Mapping[tuple[str, str], Any] | None = None
) -> tuple[list[Request], Any]:
    """(requests made by `call()` through boto3's default session, its result).

    `canned[(service, operation)]` answers that request instead of sending it (a dict,
    or a function of the request parameters returning one).
    """
    seen: list[Request] = []
    answers = dict(canned or {})

    def service_of(model: Any) -> str:
        return str(model.service_model.service_id.hyphenize().replace("-", ""))

    def record(params: dict[str, Any], model: Any, context: Any = None, **_: Any) -> None:
        seen.append((service_of(model), model.name, dict(params)))
        if context is not None:  # botocore's per-request context, shared with after-call
            context["iam_model_request"] = seen[-1][2]

    def note_encryption(model: Any, parsed: Any, context: Any = None, **_: Any) -> None:
        """An SSE-KMS object's key, from S3's answer, into the recorded GetObject; a
        function environment's customer managed key into GetFunctionConfiguration."""
        if not context:
            return
        if (service_of(model), model.name) == ("lambda", "GetFunctionConfiguration"):
            request = context.get("iam_model_request")
            if isinstance(parsed, dict) and parsed.get("KMSKeyArn") and request is not None:
                request[FUNCTION_KMS_KEY] = parsed["KMSKeyArn"]
            return
        if (service_of(model), model.name) != ("s3", "GetObject"):
            return
        if isinstance(parsed, dict) and parsed.get("ServerSideEncryption") == "aws:kms":
            request = context.get("iam_model_request")
            if request is not None:
                request[SSE_KMS_KEY] = parsed.get("SSEKMSKeyId")

    def answer(model: Any, params: dict[str, Any], **_: Any) -> Any:
        key = (service_of(model), model.name)
        if key not in answers:
            return None
        reply = answers[key]
        body = reply(seen[-1][2]) if callable(reply) else reply
        return (SimpleNamespace(status_code=200, headers={}), body)

    boto3.setup_default_session(region_name=REGION)
    events = boto3.DEFAULT_SESSION.events
    events.register("provide-client-params.*.*", record)
    events.register("before-call.*.*", answer)
    events.register("after-call.*.*", note_encryption)
    try:
        result = call()
    finally:
        boto3.DEFAULT_SESSION = None
    return seen, result


def all_authorizations(requests: list[Request]) -> list[Authorization]:
    return [a for s, o, p in requests for a in authorizations(s, o, p)]


TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def sample_params(**overrides: Any) -> dict[str, Any]:
    """Sample stack parameters (one stage of project "demo"), for any template."""
    params: dict[str, Any] = {
        "AWS::Region": REGION,
        "AWS::Partition": PARTITION,
        "AWS::AccountId": ACCOUNT,
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": "demo-staging-Stage",
        "ProjectName": "demo",
        "StageName": "staging",
        "EndpointName": "demo-staging",
        "ScheduleName": "demo-staging-data-quality",
        "DataBucketName": "demo-data",
        "ArtifactsBucketName": "demo-artifacts",
        "ArtifactsKmsKeyArn": "",
        "ModelPackageGroupName": "demo",
        "BaselineStatisticsS3Uri": "s3://demo-artifacts/models/v4/baseline/statistics.json",
        "BaselineConstraintsS3Uri": "s3://demo-artifacts/models/v4/baseline/constraints.json",
        "MonitoringSchedule": "hourly",
        "MinRecords": "50",
        "ModelPackageArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/demo/4",
        "ModelPackageVersion": "4",
        "KmsKeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "NotificationTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:demo-notifications",
        "ProcessingMaxInstances": "10",
        "ProcessingInstanceType": "ml.m5.xlarge",
        "MonitoringInstanceType": "ml.m5.large",
        "TemplatesBucketName": "demo-hosting",
        "TemplatesKeyPrefix": "driftgate/",
        "TemplatesBucketRegion": REGION,
        "conditions": {},
    }
    conditions = overrides.pop("conditions", {})
    params.update(overrides)
    params["conditions"] = {
        "HasArtifactsKey": bool(params["ArtifactsKmsKeyArn"]),
        **conditions,
    }
    return params


def conditions_of(template: dict[str, Any], params: Mapping[str, Any]) -> dict[str, bool]:
    """Every condition of the template for these parameter values."""
    definitions = template.get("Conditions", {})
    values: dict[str, bool] = {}

    def evaluate(node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((name, arg),) = node.items()
            if name == "Condition":
                return condition(arg)
            if name == "Fn::Equals":
                left, right = (evaluate(a) for a in arg)
                return str(left) == str(right)
            if name == "Fn::Not":
                return not evaluate(arg[0])
            if name == "Fn::And":
                return all(evaluate(a) for a in arg)
            if name == "Fn::Or":
                return any(evaluate(a) for a in arg)
            return render(node, {**params, "conditions": values}, template)
        return node

    def condition(name: str) -> bool:
        if name not in values:
            values[name] = bool(evaluate(definitions[name]))
        return values[name]

    for name in definitions:
        condition(name)
    return values


def template_params(
    template: dict[str, Any], given: Mapping[str, Any], pseudo: Mapping[str, Any]
) -> dict[str, Any]:
    """Parameter values a stack of `template` gets: defaults, then `given`, with conditions."""
    values: dict[str, Any] = {
        name: spec.get("Default", "") for name, spec in template.get("Parameters", {}).items()
    }
    values.update({k: v for k, v in given.items() if k in values})
    for name, spec in template.get("Parameters", {}).items():
        if spec.get("Type") == "CommaDelimitedList" and isinstance(values[name], str):
            values[name] = values[name].split(",")
    values.update(pseudo)
    values["conditions"] = conditions_of(template, values)
    return values


def unused_grants(
    statements: list[dict[str, Any]], requests: list[Authorization]
) -> list[tuple[str, str, str]]:
    """(Sid, action or "", "" or resource pattern) of each grant no request used: an
    action of a statement that no request needed on any of its resources, or a resource
    pattern no request of any of its actions touched. (Not each action x resource pair:
    a statement may name a group and its packages for two describe actions.)"""
    unused = []
    for statement in statements:
        if statement["Effect"] != "Allow":
            continue
        sid = str(statement.get("Sid", "?"))
        for action in as_list(statement["Action"]):
            single = {**statement, "Action": action}
            if not any(_matches(single, *request) for request in requests):
                unused.append((sid, action, ""))
        for pattern in as_list(statement["Resource"]):
            single = {**statement, "Resource": pattern}
            if not any(_matches(single, *request) for request in requests):
                unused.append((sid, "", str(pattern)))
    return unused


def lambda_platform_requests(
    template: dict[str, Any], function: str, params: Mapping[str, Any]
) -> list[Authorization]:
    """Lambda writes the function's logs with its role, to LoggingConfig.LogGroup (Lambda
    Developer Guide, "Sending Lambda function logs to CloudWatch Logs")."""
    properties = template["Resources"][function]["Properties"]
    group = render(properties["LoggingConfig"]["LogGroup"], params, template)
    stream = (
        f"arn:{PARTITION}:logs:{params['AWS::Region']}:{params['AWS::AccountId']}:"
        f"log-group:{group}:log-stream:2026/11/23/[$LATEST]0123456789abcdef"
    )
    return [("logs:CreateLogStream", stream, {}), ("logs:PutLogEvents", stream, {})]


def image_pull_requests(image_uri: str) -> list[Authorization]:
    """The ECR pull of a job's image ("CreateProcessingJob / CreateTrainingJob API:
    Execution Role Permissions"): a registry token, then the repository's layer reads.
    SageMaker's prebuilt images are, per "Docker Registry Paths and Example Code", pulled
    with SageMaker's own credentials; the roles still grant the pull on that one
    repository, and the tests model it, until a real run shows it unused."""
    registry, repository = image_uri.split("/", 1)
    account, region = registry.split(".")[0], registry.split(".")[3]
    repo_arn = f"arn:aws:ecr:{region}:{account}:repository/{repository.split(':')[0]}"
    out: list[Authorization] = [("ecr:GetAuthorizationToken", "*", {})]
    for action in ("BatchCheckLayerAvailability", "BatchGetImage", "GetDownloadUrlForLayer"):
        out.append((f"ecr:{action}", repo_arn, {}))
    return out
