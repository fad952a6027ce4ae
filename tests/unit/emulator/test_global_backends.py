"""IAM and S3 buckets are shared by every region: one region's writes must never break
another region's walk over them (taskcat runs its regions in parallel)."""

import json

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends
from moto.s3.models import s3_backends

from scripts.emulator import Emulator
from scripts.emulator.patches.global_backends import SnapshotDict

TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }],
})  # fmt: skip


def create_role(backend, name):
    return backend.create_role(name, TRUST, "/", None, "", [], None)


def test_a_role_created_and_one_deleted_while_another_thread_walks_the_roles():
    with Emulator(regions=["us-east-1", "eu-west-1"]):
        iam = iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
        for name in ("first", "second", "third"):
            create_role(iam, name)
        walked = []
        for role in iam.get_roles():  # what get_role and a role's delete iterate
            walked.append(role.name)
            create_role(iam, f"new-{role.name}")
            if role.name == "first":
                iam.delete_role("third")
        assert walked == ["first", "second", "third"]  # the walk saw the roles it started on
        assert {role.name for role in iam.get_roles()} == {
            "first", "second", "new-first", "new-second", "new-third",
        }  # fmt: skip
        assert iam.get_role("new-third").name == "new-third"


def test_a_bucket_created_while_another_thread_walks_the_buckets():
    with Emulator(regions=["us-east-1", "eu-west-1"]) as emu:
        s3 = emu.client("s3", "us-east-1")
        s3.create_bucket(Bucket="one")
        buckets = s3_backends[DEFAULT_ACCOUNT_ID]["global"].buckets
        for name in buckets:  # list_buckets and the bucket lookups walk this dict
            buckets[name + "-copy"] = buckets[name]
        assert set(buckets) == {"one", "one-copy"}


def test_a_plain_dict_would_break_the_walk():
    """What the patch prevents, so the tests above can fail without it."""
    roles = {"a": 1, "b": 2}
    with pytest.raises(RuntimeError, match="changed size during iteration"):
        for key in roles.values():
            roles[f"{key}-new"] = key
    safe = SnapshotDict(roles)
    for key in safe.values():
        safe[f"{key}-new"] = key
    assert len(safe) == 4


def test_the_patch_ends_with_the_emulator():
    with Emulator(regions=["us-east-1"]):
        assert isinstance(iam_backends[DEFAULT_ACCOUNT_ID]["aws"].roles, SnapshotDict)
    assert type(iam_backends[DEFAULT_ACCOUNT_ID]["aws"].roles) is dict
