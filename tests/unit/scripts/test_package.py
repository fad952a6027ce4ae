import zipfile

import pytest

from scripts import package


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    """The whole tree built twice into different folders (cache shared, as on a re-run)."""
    cache = package.ROOT / "build" / "cache"
    first = tmp_path_factory.mktemp("first")
    second = tmp_path_factory.mktemp("second")
    return first, package.package(first, cache), package.package(second, cache)


def names(archive):
    with zipfile.ZipFile(archive) as opened:
        return opened.namelist()


def test_zips_are_byte_for_byte_reproducible(two_builds):
    _, first, second = two_builds
    assert set(first) == {
        "approved_model_package.zip",
        "drift_baseline.zip",
        "drift_monitor.zip",
        "stage_stacks.zip",
        "resolve_version.zip",
        "staging_test.zip",
        "start_pipeline.zip",
    }
    assert first == second


def test_every_template_is_in_the_tree(two_builds):
    out, _, _ = two_builds
    shipped = sorted(p.name for p in (out / "templates").glob("*.yml"))
    assert shipped == sorted(p.name for p in (package.ROOT / "templates").glob("*.yml"))


@pytest.mark.parametrize("name", package.CUSTOM_RESOURCES)
def test_custom_resource_zip_has_its_handler_and_crhelper(two_builds, name):
    out, _, _ = two_builds
    entries = names(out / "functions" / f"{name}.zip")
    assert "handler.py" in entries
    assert "crhelper/resource_helper.py" in entries
    assert not [e for e in entries if e.endswith(".pyc") or "__pycache__" in e]
    assert entries == sorted(entries)


def test_delivery_zips_carry_the_shared_lookup_and_job_code(two_builds):
    out, _, _ = two_builds
    resolve = names(out / "functions" / "resolve_version.zip")
    assert {"handler.py", "resolve.py", "pipeline_job.py", "package_lookup.py"} <= set(resolve)
    assert "common/errors.py" in resolve
    assert "pipeline_job.py" in names(out / "functions" / "staging_test.zip")
    assert "starter.py" in names(out / "functions" / "start_pipeline.zip")
    assert (out / "release" / "driftgate-release.zip").is_file()


def test_monitor_zip_has_the_package_and_numpy_for_the_lambda_runtime(two_builds):
    out, _, _ = two_builds
    entries = names(out / "functions" / "drift_monitor.zip")
    assert "drift_monitor/lambda_handler.py" in entries
    compiled = [e for e in entries if e.startswith("numpy/_core/_multiarray_umath")]
    assert compiled and all("cpython-313-x86_64-linux-gnu" in e for e in compiled)


def test_a_missing_pin_is_named(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("boto3==1.0\n")
    with pytest.raises(SystemExit, match="does not pin numpy"):
        package.pinned(requirements, "numpy")
