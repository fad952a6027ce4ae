"""The release archive holds what the pipeline's CloudFormation actions read."""

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from scripts import package, release


def build(tmp_path: Path) -> Path:
    (tmp_path / "templates").mkdir(parents=True)
    for template in (release.ROOT / "templates").glob("*.yml"):
        shutil.copyfile(template, tmp_path / "templates" / template.name)
    release.build(tmp_path, package.write_zip)
    return tmp_path / release.ARCHIVE_KEY


def test_archive_has_every_template_and_both_stage_files(tmp_path):
    with zipfile.ZipFile(build(tmp_path)) as archive:
        names = set(archive.namelist())
        staging = json.loads(archive.read("parameters/staging.json"))
    templates = {f"templates/{p.name}" for p in (release.ROOT / "templates").glob("*.yml")}
    assert names == templates | {"parameters/staging.json", "parameters/prod.json"}
    assert "templates/stage.yml" in names
    assert set(staging) == {"Parameters", "Tags"}


def test_archive_is_reproducible(tmp_path):
    first = build(tmp_path / "a").read_bytes()
    assert build(tmp_path / "b").read_bytes() == first


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"Parameters": {"KmsKeyArn": "x"}}, "KmsKeyArn cannot be set per stage"),
        ({"Parameters": {"InstanceCount": 2}}, "InstanceCount must be a string"),
        ([{"ParameterKey": "InstanceType"}], "expected an object with Parameters"),
        ({"Parameters": []}, "Parameters must be an object"),
    ],
)
def test_a_bad_stage_file_is_refused_by_name(tmp_path, document, message):
    path = tmp_path / "staging.json"
    path.write_text(json.dumps(document))
    with pytest.raises(SystemExit, match=message):
        release.check_stage_file(path)


def test_a_missing_stage_file_is_named(tmp_path):
    with pytest.raises(SystemExit, match=r"parameters/stages/staging.json is missing"):
        release.release_entries(release.ROOT / "templates", tmp_path)


def test_unpackaged_templates_are_refused(tmp_path):
    with pytest.raises(SystemExit, match="package them first"):
        release.release_entries(tmp_path)
