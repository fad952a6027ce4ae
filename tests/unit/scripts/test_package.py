import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml

from scripts import generate_image_map, package

# Lambda's limit on a function's unzipped deployment package (docs: "Lambda quotas",
# "Deployment package (.zip file archive) size: 250 MB unzipped, including layers").
LAMBDA_UNZIPPED_LIMIT = 250 * 1000 * 1000
MARGIN = 0.7  # stay under 70 % of it: room for the next library or version


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    """The whole tree built twice into different folders (cache shared, as on a re-run)."""
    cache = package.ROOT / "build" / "cache"
    first = tmp_path_factory.mktemp("first")
    second = tmp_path_factory.mktemp("second")
    return first, package.package(first, cache), package.package(second, cache)


def built_zip(out, name):
    (archive,) = (out / "functions").glob(f"{name}-*.zip")
    return archive


def names(archive):
    with zipfile.ZipFile(archive) as opened:
        return opened.namelist()


def test_zips_are_byte_for_byte_reproducible(two_builds):
    _, first, second = two_builds
    assert set(first) == {
        "approved_model_package.zip",
        "deployment_check.zip",
        "drift_baseline.zip",
        "drift_monitor.zip",
        "drift_monitor_processing.zip",
        "retrain_gate.zip",
        "stage_stacks.zip",
        "resolve_version.zip",
        "staging_test.zip",
        "start_pipeline.zip",
    }
    assert first == second


def test_zips_are_named_by_their_content_and_templates_point_at_them(two_builds):
    out, digests, _ = two_builds
    shipped = sorted(p.name for p in (out / "functions").iterdir())
    assert shipped == sorted(package.hashed_name(name, d) for name, d in digests.items())
    for name, digest in digests.items():
        archive = out / "functions" / package.hashed_name(name, digest)
        assert hashlib.sha256(archive.read_bytes()).hexdigest() == digest
    packaged = "".join(p.read_text() for p in (out / "templates").glob("*.yml"))
    for name, digest in digests.items():
        assert f"functions/{package.hashed_name(name, digest)}" in packaged
        assert f"functions/{name}" not in packaged


def test_every_template_is_in_the_tree(two_builds):
    out, _, _ = two_builds
    shipped = sorted(p.name for p in (out / "templates").glob("*.yml"))
    assert shipped == sorted(p.name for p in (package.ROOT / "templates").glob("*.yml"))


@pytest.mark.parametrize("name", package.CUSTOM_RESOURCES)
def test_custom_resource_zip_has_its_handler_and_crhelper(two_builds, name):
    out, _, _ = two_builds
    entries = names(built_zip(out, name))
    assert "handler.py" in entries
    assert "crhelper/resource_helper.py" in entries
    assert not [e for e in entries if e.endswith(".pyc") or "__pycache__" in e]
    assert entries == sorted(entries)


def test_delivery_zips_carry_the_shared_lookup_and_job_code(two_builds):
    out, _, _ = two_builds
    resolve = names(built_zip(out, "resolve_version"))
    assert {"handler.py", "resolve.py", "stage_reset.py", "pipeline_job.py"} <= set(resolve)
    assert {"package_lookup.py", "teardown.py"} <= set(resolve)
    assert "common/errors.py" in resolve
    assert "pipeline_job.py" in names(built_zip(out, "staging_test"))
    assert "starter.py" in names(built_zip(out, "start_pipeline"))


def test_release_archive_holds_the_packaged_templates(two_builds):
    out, _, _ = two_builds
    with zipfile.ZipFile(out / "release" / "driftgate-release.zip") as archive:
        stage = archive.read("templates/delivery.yml").decode()
    assert stage == (out / "templates" / "delivery.yml").read_text()
    assert "functions/resolve_version-" in stage


def monitor_function():
    template = cfn_yaml.load(str(package.ROOT / "templates" / "monitoring.yml"))
    return template["Resources"]["MonitorFunction"]["Properties"]


def test_monitor_zip_libraries_are_built_for_the_runtime_the_template_declares(two_builds):
    out, _, _ = two_builds
    props = monitor_function()
    assert props["Runtime"] == f"python{package.LAMBDA_PYTHON}"
    (architecture,) = props["Architectures"]
    assert all(tag.endswith(architecture) for tag in package.LAMBDA_PLATFORMS)
    entries = names(built_zip(out, "drift_monitor"))
    assert "drift_monitor/lambda_handler.py" in entries
    tag = f"cpython-{package.LAMBDA_PYTHON.replace('.', '')}-{architecture}-linux-gnu"
    compiled = [e for e in entries if e.endswith(".so") and "cpython-" in e]
    for library in ("numpy/_core/_multiarray_umath", "msgspec/_core", "pyarrow/_csv"):
        assert any(e.startswith(library) for e in compiled), library
    assert compiled and all(tag in e for e in compiled), [e for e in compiled if tag not in e]


def test_monitor_zip_unzipped_stays_well_under_lambdas_limit(two_builds):
    out, _, _ = two_builds
    with zipfile.ZipFile(built_zip(out, "drift_monitor")) as opened:
        unzipped = sum(info.file_size for info in opened.infolist())
    assert unzipped < MARGIN * LAMBDA_UNZIPPED_LIMIT, f"{unzipped / 1e6:.0f} MB unzipped"


def test_trimmed_pyarrow_still_imports_what_the_monitor_uses(tmp_path):
    """The trim list applied to this interpreter's pyarrow: the monitor's imports work."""
    import pyarrow

    installed = Path(pyarrow.__file__).parent
    for path in installed.rglob("*"):
        name = f"pyarrow/{path.relative_to(installed).as_posix()}"
        if path.is_file() and "__pycache__" not in name and package.monitor_library_used(name):
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    dropped = [
        n for n in ("libarrow_flight", "libarrow_s3") if list(tmp_path.glob(f"pyarrow/{n}*"))
    ]
    assert not dropped
    code = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); "
        "import pyarrow, pyarrow.csv, pyarrow.compute; "
        f"assert pyarrow.__file__.startswith({str(tmp_path)!r}), pyarrow.__file__; "
        "from drift_monitor.columns import parse_csv_block; "
        "print([c.tolist() for c in parse_csv_block(['1,a', ',b'], [0], [1])[0]])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[[1.0, nan]]"


def test_processing_bundle_carries_libraries_for_the_images_python(two_builds):
    out, _, _ = two_builds
    template = cfn_yaml.load(str(package.ROOT / "templates" / "monitoring.yml"))
    images = template["Mappings"]["ProcessingImage"]
    tags = {row["Tag"] for row in images.values()}
    # The image's Python (its version names it: 1.4-2-py312) is the bundle's.
    assert tags == {generate_image_map.PROCESSING_TAG}
    assert f"-py{package.PROCESSING_PYTHON.replace('.', '')}-" in generate_image_map.PROCESSING_TAG
    with zipfile.ZipFile(built_zip(out, "drift_monitor_processing")) as opened:
        entries = opened.namelist()
        meta = opened.read("bundle.json").decode()
    assert "__main__.py" in entries
    assert "code/drift_monitor/processing.py" in entries
    assert package.PROCESSING_PYTHON in meta
    tag = f"cpython-{package.PROCESSING_PYTHON.replace('.', '')}-x86_64-linux-gnu"
    compiled = [e for e in entries if e.endswith(".so") and "cpython-" in e]
    for library in ("numpy/_core/_multiarray_umath", "msgspec/_core", "pyarrow/_csv"):
        assert any(e.startswith(f"libraries/{library}") for e in compiled), library
    assert all(tag in e for e in compiled)


def test_retrain_gate_zip_carries_the_shared_package_lookup(two_builds):
    out, _, _ = two_builds
    entries = names(built_zip(out, "retrain_gate"))
    assert {"handler.py", "gate.py", "package_lookup.py", "common/errors.py"} <= set(entries)


def test_drift_baseline_zip_carries_the_monitors_baseline_reader_without_the_monitor(two_builds):
    out, _, _ = two_builds
    entries = set(names(built_zip(out, "drift_baseline")))
    reader = {"drift_monitor/baseline_read.py", "drift_monitor/baseline_fields.py"}
    assert reader | {"drift_monitor/config.py", "baseline_check.py"} <= entries
    # A namespace package: an __init__.py would import the whole monitor and numpy.
    assert sorted(e for e in entries if e.startswith("drift_monitor/")) == sorted(
        f"drift_monitor/{n}.py" for n in ("baseline_fields", "baseline_read", "config")
    )


def test_step_code_has_the_scripts_and_the_monitor_and_a_reproducible_sourcedir(tmp_path):
    keys_a = package.write_step_code(tmp_path / "a")
    keys_b = package.write_step_code(tmp_path / "b")
    assert keys_a == keys_b
    code_key = keys_a["sagemaker/code/"]
    dir_key = keys_a["sagemaker/sourcedir.tar.gz"]
    assert re.fullmatch(r"sagemaker/code-[0-9a-f]{16}/", code_key)
    assert re.fullmatch(r"sagemaker/sourcedir-[0-9a-f]{16}\.tar\.gz", dir_key)
    code = tmp_path / "a" / code_key
    assert {"preprocess.py", "evaluate.py", "data_quality.py", "inference.py"} <= {
        p.name for p in code.iterdir()
    }
    assert (code / "drift_monitor" / "baseline.py").is_file()
    # Nothing else under sagemaker/: no fixed-key copy and no staging folder left over.
    assert sorted(p.name for p in (tmp_path / "a" / "sagemaker").iterdir()) == sorted(
        [code_key.split("/")[1], dir_key.split("/")[1]]
    )
    tars = [(tmp_path / d / dir_key).read_bytes() for d in "ab"]
    assert tars[0] == tars[1]
    assert dir_key == f"sagemaker/sourcedir-{hashlib.sha256(tars[0]).hexdigest()[:16]}.tar.gz"
    with tarfile.open(tmp_path / "a" / dir_key) as archive:
        assert sorted(archive.getnames()) == ["inference.py", "train.py"]


def test_packaged_build_yml_names_the_hashed_step_code(two_builds):
    out, _, _ = two_builds
    packaged = (out / "templates" / "build.yml").read_text()
    assert "sagemaker/code/" not in packaged and "sagemaker/sourcedir.tar.gz" not in packaged
    (code_key,) = re.findall(r"sagemaker/code-[0-9a-f]{16}/", packaged)
    (dir_key,) = re.findall(r"sagemaker/sourcedir-[0-9a-f]{16}\.tar\.gz", packaged)
    assert (out / code_key / "preprocess.py").is_file()
    assert (out / dir_key).is_file()
    # The job role may read them: both stay under the sagemaker/ prefix its policy names.
    assert "${TemplatesKeyPrefix}sagemaker/*" in packaged


def _copy_sources(target):
    for folder in ("custom_resources", "drift_monitor", "templates", "requirements",
                   "sample_model", "delivery_functions", "parameters"):  # fmt: skip
        if (package.ROOT / folder).is_dir():
            shutil.copytree(package.ROOT / folder, target / folder,
                            ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip


@pytest.mark.parametrize(
    ("changed_file", "changed_keys"),
    [
        ("sample_model/code/preprocess.py", {"sagemaker/code/"}),
        # train.py is in both: the training source directory and the code prefix.
        ("sample_model/code/train.py", {"sagemaker/code/", "sagemaker/sourcedir.tar.gz"}),
        ("drift_monitor/baseline.py", {"sagemaker/code/"}),
    ],
)
def test_changing_a_step_source_changes_the_packaged_build_definition(
    tmp_path, monkeypatch, changed_file, changed_keys
):
    before = package.write_step_code(tmp_path / "before")
    source = tmp_path / "source"
    _copy_sources(source)
    edited = source / changed_file
    edited.write_text(edited.read_text() + "\n# a change\n")
    monkeypatch.setattr(package, "ROOT", source)
    monkeypatch.setattr(package, "STEP_CODE", source / "sample_model" / "code")
    after = package.write_step_code(tmp_path / "after")
    for key in before:
        assert (after[key] != before[key]) == (key in changed_keys), key
    # The packaged template, and so the pipeline definition CloudFormation sends, differ
    # exactly in that key.
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    package.copy_templates(tmp_path / "old", {}, before)
    package.copy_templates(tmp_path / "new", {}, after)
    old = (tmp_path / "old" / "templates" / "build.yml").read_text()
    new = (tmp_path / "new" / "templates" / "build.yml").read_text()
    assert old != new
    expected = old
    for key in changed_keys:
        expected = expected.replace(before[key], after[key])
    assert new == expected
    for unchanged in ("monitoring.yml", "delivery.yml", "stage.yml"):
        assert (tmp_path / "old" / "templates" / unchanged).read_text() == (
            tmp_path / "new" / "templates" / unchanged
        ).read_text()


def test_a_step_code_key_no_template_names_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="sagemaker/elsewhere/"):
        package.copy_templates(tmp_path, {}, {"sagemaker/elsewhere/": "sagemaker/x-1/"})


def test_a_missing_pin_is_named(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("boto3==1.0\n")
    with pytest.raises(SystemExit, match="does not pin numpy"):
        package.pinned(requirements, "numpy")


def test_changing_a_function_source_changes_only_its_key_in_the_packaged_templates(
    two_builds, tmp_path, monkeypatch
):
    out, digests, _ = two_builds
    source = tmp_path / "source"
    for folder in ("custom_resources", "drift_monitor", "templates", "requirements"):
        shutil.copytree(package.ROOT / folder, source / folder)
    handler = source / "custom_resources" / "drift_baseline" / "baseline_check.py"
    handler.write_text(handler.read_text() + "\n# a change\n")
    cache = package.ROOT / "build" / "cache"
    monkeypatch.setattr(package, "ROOT", source)

    changed_out = tmp_path / "dist"
    changed = package.package(changed_out, cache)
    assert changed["drift_baseline.zip"] != digests["drift_baseline.zip"]
    assert changed["approved_model_package.zip"] == digests["approved_model_package.zip"]
    assert changed["drift_monitor.zip"] == digests["drift_monitor.zip"]
    before = (out / "templates" / "monitoring.yml").read_text()
    after = (changed_out / "templates" / "monitoring.yml").read_text()
    assert before != after
    old_key = package.hashed_name("drift_baseline.zip", digests["drift_baseline.zip"])
    new_key = package.hashed_name("drift_baseline.zip", changed["drift_baseline.zip"])
    assert after == before.replace(old_key, new_key)
    for unchanged in ("endpoint.yml", "observability.yml", "pipeline.yml"):
        assert (out / "templates" / unchanged).read_text() == (
            changed_out / "templates" / unchanged
        ).read_text()
