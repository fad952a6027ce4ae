"""The data bucket's ownership, versioning and lifecycle are what the README promises.

README: owner-enforced, versioned, public access blocked, capture expires after 90 days
and reports after 365, both retained with the stack's key.
"""


def _bucket(templates):
    return templates["foundation.yml"]["Resources"]["DataBucket"]


def test_acls_are_disabled_and_public_access_blocked(templates):
    properties = _bucket(templates)["Properties"]
    assert properties["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
    }
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}


def test_bucket_and_key_outlive_the_stack(templates):
    resources = templates["foundation.yml"]["Resources"]
    for logical_id in ("DataBucket", "Key"):
        assert resources[logical_id]["DeletionPolicy"] == "Retain", logical_id
        assert resources[logical_id]["UpdateReplacePolicy"] == "Retain", logical_id


def _rules(templates):
    rules = _bucket(templates)["Properties"]["LifecycleConfiguration"]["Rules"]
    return {rule["Prefix"]: rule for rule in rules}


def test_lifecycle_covers_exactly_the_two_prefixes_the_stack_writes(templates):
    assert set(_rules(templates)) == {"capture/", "monitoring/"}
    for rule in _rules(templates).values():
        assert rule["Status"] == "Enabled"
        assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}


def test_capture_expires_after_90_days_and_reports_after_365(templates):
    rules = _rules(templates)
    assert rules["capture/"]["ExpirationInDays"] == 90
    assert rules["monitoring/"]["ExpirationInDays"] == 365
    # Old versions (the bucket is versioned) go too, or expiry would keep paying for them.
    assert rules["capture/"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 7}
    assert rules["monitoring/"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}


def test_transitions_happen_before_expiry(templates):
    for prefix, rule in _rules(templates).items():
        for transition in rule.get("Transitions", []):
            # S3 refuses STANDARD_IA before 30 days, and a transition after expiry is void.
            assert transition["StorageClass"] == "STANDARD_IA", prefix
            assert 30 <= transition["TransitionInDays"] < rule["ExpirationInDays"], prefix


def test_readme_states_the_same_retention(templates):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "expire capture after 90 days, reports after 365 days" in readme
