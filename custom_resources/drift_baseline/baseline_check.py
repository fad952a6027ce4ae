"""Check a Model Monitor baseline (statistics.json + constraints.json) before it is used.

The checks guarantee what both monitoring backends need: every constraint names a feature
with a known type, the statistics describe the same features and count the dataset, and
the drift monitor's own reader (drift_monitor.baseline_read, carried in this function's
zip: scripts/package.py SHARED_MODULES) takes every field it reads, so a field of the
wrong type fails the deploy with the monitor's message, not every scheduled run. AWS
calls: two s3:GetObject on the `s3` client made here.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from common.aws import client_config
from common.errors import (
    ACCESS_DENIED_CODES,
    CustomResourceError,
    aws_failure,
    error_code,
    shorten,
)
from common.properties import reject_unknown, required_string
from common.s3uri import S3_URI_PATTERN, S3Location, parse_s3_uri

from drift_monitor.baseline_fields import BaselineError
from drift_monitor.baseline_read import read_baseline

INFERRED_TYPES = frozenset({"Integral", "Fractional", "String", "Unknown"})
INFERRED_TYPES_TEXT = ", ".join(sorted(INFERRED_TYPES))
# CloudFormation rejects a response body over 4,096 bytes; keep 1,024 for the envelope
# (stack id, request id, logical id, physical id, status).
DATA_LIMIT_BYTES = 3072
# A baseline with thousands of features and KLL sketches stays well under this.
MAX_OBJECT_BYTES = 20 * 1024 * 1024
NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
# observability.yml has this many drift alarm slots (scripts/generate_drift_alarms.py);
# more features would need more alarms than the template declares.
MAX_FEATURES = 100
# Alarm names are <project (21)>-<stage (10)>-drift-<slot (2)>-<feature>, at most 255
# characters (PutMetricAlarm); 200 keeps them within it, and the metric name
# feature_baseline_drift_<feature> within CloudWatch's 255.
MAX_FEATURE_NAME_LENGTH = 200


@dataclass(frozen=True)
class BaselineRequest:
    statistics: S3Location
    constraints: S3Location


@dataclass(frozen=True)
class Baseline:
    statistics: S3Location
    constraints: S3Location
    feature_names: tuple[str, ...]

    def physical_id(self) -> str:
        """Stable for the same pair of URIs; a new pair gives a new id."""
        digest = hashlib.sha256(f"{self.statistics.uri}\n{self.constraints.uri}".encode())
        return f"drift-baseline-{digest.hexdigest()[:24]}"

    def as_data(self) -> dict[str, str]:
        return {
            "FeatureCount": str(len(self.feature_names)),
            "FeatureNames": ",".join(self.feature_names),
            "StatisticsS3Uri": self.statistics.uri,
            "ConstraintsS3Uri": self.constraints.uri,
        }


def parse_properties(properties: Mapping[str, Any]) -> BaselineRequest:
    reject_unknown(properties, ("StatisticsS3Uri", "ConstraintsS3Uri"))
    uris = [
        required_string(
            properties,
            name,
            pattern=S3_URI_PATTERN,
            expected=f"an s3://bucket/key URI of {file_name}",
        )
        for name, file_name in (
            ("StatisticsS3Uri", "statistics.json"),
            ("ConstraintsS3Uri", "constraints.json"),
        )
    ]
    return BaselineRequest(statistics=parse_s3_uri(uris[0]), constraints=parse_s3_uri(uris[1]))


def s3_client() -> Any:
    return boto3.client("s3", config=client_config())


def read_json(client: Any, location: S3Location) -> Any:
    try:
        response = client.get_object(Bucket=location.bucket, Key=location.key)
        size = int(response.get("ContentLength", 0))
        if size > MAX_OBJECT_BYTES:
            response["Body"].close()
            raise CustomResourceError(
                f"{shorten(location.uri)} is {size} bytes, over the {MAX_OBJECT_BYTES} "
                "this check reads; is it really a baseline file?"
            )
        body = response["Body"].read()
    except ClientError as error:
        code = error_code(error)
        if code in NOT_FOUND_CODES:
            raise CustomResourceError(
                f"{shorten(location.uri, 160)} not found; upload it or fix the URI"
            ) from error
        if code in ACCESS_DENIED_CODES:
            # Without s3:ListBucket, S3 reports a missing object as AccessDenied.
            raise CustomResourceError(
                f"cannot read {shorten(location.uri, 100)} (AccessDenied): upload it if it is "
                "missing, else allow s3:GetObject (and kms:Decrypt for a customer key)"
            ) from error
        if code == "NoSuchBucket":
            raise CustomResourceError(
                f"bucket {location.bucket} of {shorten(location.uri, 120)} does not exist"
            ) from error
        raise aws_failure("s3:GetObject", location.uri, error) from error
    except BotoCoreError as error:
        raise aws_failure("s3:GetObject", location.uri, error) from error
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CustomResourceError(
            f"{shorten(location.uri, 120)} is not valid JSON ({shorten(str(error), 80)})"
        ) from error


def check(statistics_doc: Any, constraints_doc: Any, request: BaselineRequest) -> tuple[str, ...]:
    """Feature names in constraints.json order, or CustomResourceError naming the fault."""
    stats_name = request.statistics.file_name
    cons_name = request.constraints.file_name
    check_kinds(statistics_doc, constraints_doc, stats_name, cons_name)
    names = constraint_feature_names(constraints_doc, cons_name)
    known = statistics_feature_names(statistics_doc, stats_name)
    for name in names:
        if name not in known:
            raise CustomResourceError(
                f"feature {shorten(name, 60)!r} is in {cons_name} but not in {stats_name}; "
                "use files from the same baselining job"
            )
    check_monitor_reads(statistics_doc, constraints_doc)
    return names


def check_kinds(statistics_doc: Any, constraints_doc: Any, stats_name: str, cons_name: str) -> None:
    """Catch the wrong file before reporting schema details about it."""
    for doc, label in ((statistics_doc, stats_name), (constraints_doc, cons_name)):
        if not isinstance(doc, dict):
            raise CustomResourceError(f"{label}: expected a JSON object, found {kind(doc)}")
        if "violations" in doc:
            raise CustomResourceError(
                f"{label} is a constraint_violations.json (a monitoring run's output), "
                "not a baseline file"
            )
    if "dataset" not in statistics_doc and "dataset" in constraints_doc:
        raise CustomResourceError(
            "StatisticsS3Uri and ConstraintsS3Uri look swapped: ConstraintsS3Uri "
            f"({cons_name}) has a statistics file's dataset section, StatisticsS3Uri "
            f"({stats_name}) has none"
        )


def constraint_feature_names(doc: Mapping[str, Any], label: str) -> tuple[str, ...]:
    features = feature_list(doc, label)
    names = []
    for index, feature in enumerate(features):
        name = feature_name(feature, index, label)
        inferred = feature.get("inferred_type")
        if not isinstance(inferred, str) or inferred not in INFERRED_TYPES:
            raise CustomResourceError(
                f"{label}: features[{index}] ({shorten(name, 40)}) has inferred_type "
                f"{shorten(str(inferred), 30)!r}; expected one of {INFERRED_TYPES_TEXT}"
            )
        if any(c in name for c in '"\\') or any(ord(c) < 32 for c in name):
            # The dashboard body is JSON assembled by CloudFormation from FeatureNames.
            raise CustomResourceError(
                f"{label}: feature name {shorten(name, 60)!r} has a quote, backslash or "
                "control character, which the drift dashboard cannot carry; rename the feature"
            )
        if not name.isascii() or not name.isprintable():
            # CloudWatch metric names take printable ASCII only (MetricStreamFilter,
            # Dimension in the CloudWatch API reference), and every feature is a metric.
            raise CustomResourceError(
                f"{label}: feature name {shorten(name, 60)!r} has characters outside "
                "printable ASCII, which CloudWatch metric names "
                "(feature_baseline_drift_<feature>) cannot hold; rename the feature"
            )
        if len(name) > MAX_FEATURE_NAME_LENGTH:
            raise CustomResourceError(
                f"{label}: feature name {shorten(name, 40)!r} has {len(name)} characters; "
                f"drift alarm and metric names allow at most {MAX_FEATURE_NAME_LENGTH}: "
                "rename the feature"
            )
        if "," in name or name != name.strip():
            # CloudFormation splits a CommaDelimitedList on commas and trims each member.
            raise CustomResourceError(
                f"{label}: feature name {shorten(name, 60)!r} has a comma or edge spaces, "
                "which FeatureNames (a comma-delimited list) cannot carry; rename the feature"
            )
        names.append(name)
    check_unique(names, label)
    if len(names) > MAX_FEATURES:
        raise CustomResourceError(
            f"{label} lists {len(names)} features; a stage alarms on at most {MAX_FEATURES} "
            "(one CloudWatch alarm each, in the fixed slots of observability.yml): make the "
            f"baseline from at most {MAX_FEATURES} columns"
        )
    return tuple(names)


def check_monitor_reads(statistics_doc: Any, constraints_doc: Any) -> None:
    """Every field the drift monitor reads, of the type it needs (its own reader)."""
    try:
        read_baseline(statistics_doc, constraints_doc)
    except BaselineError as error:
        # Within CloudFormation's reason (common.errors.REASON_LIMIT): both ends of the
        # monitor's message are kept, which name the file, the feature and the field.
        raise CustomResourceError(
            f"the drift monitor cannot use the baseline: {shorten(str(error), 180)}; "
            "fix the file or rebaseline"
        ) from error


def statistics_feature_names(doc: Mapping[str, Any], label: str) -> frozenset[str]:
    dataset = doc.get("dataset")
    item_count = dataset.get("item_count") if isinstance(dataset, dict) else None
    if isinstance(item_count, bool) or not isinstance(item_count, int | float) or item_count < 0:
        raise CustomResourceError(
            f"{label}: dataset.item_count is missing or not a non-negative number; "
            "regenerate the statistics with a baselining job"
        )
    names = [
        feature_name(feature, index, label)
        for index, feature in enumerate(feature_list(doc, label))
    ]
    check_unique(names, label)
    return frozenset(names)


def feature_list(doc: Mapping[str, Any], label: str) -> Sequence[Mapping[str, Any]]:
    features = doc.get("features")
    if not isinstance(features, list):
        raise CustomResourceError(f"{label}: no features list; expected Model Monitor's schema")
    if not features:
        raise CustomResourceError(f"{label}: features is empty; the monitor would check nothing")
    for index, feature in enumerate(features):
        if not isinstance(feature, dict):
            raise CustomResourceError(
                f"{label}: features[{index}] is {kind(feature)}, expected an object"
            )
    return features


def feature_name(feature: Mapping[str, Any], index: int, label: str) -> str:
    name = feature.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CustomResourceError(f"{label}: features[{index}] has no name")
    return name


def check_unique(names: Sequence[str], label: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise CustomResourceError(
                f"{label}: feature {shorten(name, 60)!r} is listed twice; names must be unique"
            )
        seen.add(name)


def kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string"}.get(
        type(value), type(value).__name__
    )


def check_data_size(baseline: Baseline) -> None:
    size = len(json.dumps(baseline.as_data()).encode())
    if size > DATA_LIMIT_BYTES:
        raise CustomResourceError(
            f"{len(baseline.feature_names)} feature names make {size} bytes of Data; a custom "
            f"resource may return at most {DATA_LIMIT_BYTES} (CloudFormation's 4 KB response "
            "limit): use fewer or shorter feature names"
        )


def validate(client: Any, request: BaselineRequest) -> Baseline:
    statistics_doc = read_json(client, request.statistics)
    constraints_doc = read_json(client, request.constraints)
    names = check(statistics_doc, constraints_doc, request)
    baseline = Baseline(request.statistics, request.constraints, names)
    check_data_size(baseline)
    return baseline
