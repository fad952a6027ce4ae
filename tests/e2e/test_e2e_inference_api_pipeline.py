"""Pipeline mode carries the inference API: the release's parameters/staging.json sets
InferenceApi per stage, CodePipeline deploys stage.yml with it, and rows sent through
the staging API land in staging's data capture."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts import capture_generator, package, release
from scripts.emulator import Emulator, scenario, traffic
from scripts.emulator.codepipeline import PipelineRunner

pytestmark = pytest.mark.e2e
SETUP = scenario.Setup(stack="e2e-api-pipeline", project="apipl", group="apipl-models")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dist_with_api(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged tree, its release archive rebuilt with the staging file asking for an
    API-key inference API (what a user does: edit the stage file, publish again)."""
    out = tmp_path_factory.mktemp("dist-api")
    shutil.copytree(dist, out, dirs_exist_ok=True)
    root = tmp_path_factory.mktemp("repo")
    stages = root / "parameters" / "stages"
    shutil.copytree(ROOT / "parameters" / "stages", stages)
    staging = json.loads((stages / "staging.json").read_text())
    staging["Parameters"]["InferenceApi"] = "api-key"
    (stages / "staging.json").write_text(json.dumps(staging))
    release.build(out, package.write_zip, root)
    return out


@pytest.fixture(scope="module")
def emu(dist_with_api: Path) -> Iterator[Emulator]:
    with Emulator(regions=[SETUP.region]) as emulator:
        emulator.upload_dist(SETUP.hosting_bucket, SETUP.key_prefix, dist_with_api, SETUP.region)
        scenario.create_artifacts_bucket(emulator, SETUP)
        (arn,) = scenario.create_registry(emulator, SETUP, ["PendingManualApproval"])
        stack = scenario.create_root_stack(emulator, SETUP, DeliveryMode="pipeline")
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        scenario.approve(emulator, SETUP, arn)
        PipelineRunner(emulator).run()  # staging deployed; prod waits for a person
        yield emulator


def test_staging_stack_from_the_pipeline_has_the_api_and_serves_through_it(emu):
    cfn = emu.client("cloudformation", SETUP.region)
    staging = cfn.describe_stacks(StackName=f"{SETUP.project}-staging")["Stacks"][0]
    outputs = scenario.outputs(staging)
    url = outputs["InferenceApiUrl"]
    assert url.endswith("/staging/invocations")
    apigw = emu.client("apigateway", SETUP.region)
    (key,) = apigw.get_api_keys(nameQuery=f"{SETUP.project}-staging-inference")["items"]
    (plan,) = apigw.get_usage_plans()["items"]
    assert plan["quota"]["limit"] == 10000  # parameters/stages/staging.json

    rows = capture_generator.csv_rows(capture_generator.reference_frame(10, seed=8))
    value = traffic.api_key_value(emu, SETUP.region, key["id"])
    answers = traffic.send_through_api(emu, SETUP.region, url, rows, api_key=value)

    assert [a.status for a in answers] == [200]
    bucket = scenario.outputs(cfn.describe_stacks(StackName=SETUP.stack)["Stacks"][0])[
        "DataBucketName"
    ]
    prefix = f"capture/{SETUP.project}-staging/AllTraffic/"
    listing = emu.client("s3", SETUP.region).list_objects_v2(Bucket=bucket, Prefix=prefix)
    assert listing["KeyCount"] >= 1
