"""Build the hosting-bucket tree: templates and reproducible Lambda zips.

The tree under ``--out`` mirrors the bucket layout in CONTRIBUTING.md, so publishing is
a plain upload under a key prefix:

    templates/<file>.yml
    functions/approved_model_package-<hash>.zip
    functions/drift_baseline-<hash>.zip
    functions/deployment_check-<hash>.zip
    functions/drift_monitor-<hash>.zip
    functions/drift_monitor_processing-<hash>.zip
    functions/retrain_gate-<hash>.zip
    sagemaker/code-<hash>/...       the build pipeline's Processing code (+ drift_monitor)
    sagemaker/sourcedir-<hash>.tar.gz  script-mode training code (train.py, inference.py)

Each zip is named by the first 16 hex digits of its sha256, as SAM and CDK name their
assets, and the packaged templates point at those keys. CloudFormation updates a
function only when its Code property changes; a new object under the same key would
leave the old code running after `make publish` + `make deploy`. With content-hashed
keys the packaged template changes exactly when a function's code does.

The build pipeline's step code is named the same way (``STEP_CODE_KEYS``): its jobs read
it when they run, so under a fixed key a re-run of an old execution would silently run
new code, and a template update would not show that the code changed. The packaged
build.yml names the hashed prefix and archive, so its pipeline definition changes
exactly when a step script (or the drift_monitor package it carries) does.

Zips are byte-for-byte reproducible: entries sorted, timestamps and permissions fixed,
no bytecode. Third-party code is installed for the Lambda platform (python3.13,
x86_64), not for the machine running this script, and cached under ``build/cache``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the repository importable
    sys.path.insert(0, str(ROOT))

from scripts import package_delivery, release  # noqa: E402

LAMBDA_PYTHON = "3.13"
# python3.13 Lambdas run on Amazon Linux 2023 (glibc 2.34): manylinux_2_28 wheels fit.
LAMBDA_PLATFORMS = ("manylinux_2_28_x86_64", "manylinux2014_x86_64")
# The Processing path's prebuilt image (templates/monitoring.yml, SageMaker scikit-learn
# 1.4-2-py312): CPython 3.12 on x86_64 instances. Its bundle carries the monitor's
# libraries built for that Python (tests/unit/scripts/test_package.py ties the two).
PROCESSING_PYTHON = "3.12"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
CUSTOM_RESOURCES = (
    "approved_model_package",
    "drift_baseline",
    "deployment_check",
    "retrain_gate",
    "stage_stacks",
)
# Modules another function's zip carries too (one piece of code per idea): the source
# (from the repository root) and its name in the zip. The drift monitor's baseline
# reader goes in as the namespace package ``drift_monitor`` (no __init__.py, which would
# import the whole monitor and numpy): the DriftBaseline check runs the monitor's reader.
SHARED_MODULES: dict[str, tuple[tuple[str, str], ...]] = {
    "retrain_gate": (
        ("custom_resources/approved_model_package/package_lookup.py", "package_lookup.py"),
    ),
    "drift_baseline": tuple(
        (f"drift_monitor/{name}.py", f"drift_monitor/{name}.py")
        for name in ("baseline_fields", "baseline_read", "config")
    ),
}
STEP_CODE = ROOT / "sample_model" / "code"
SKIPPED_PARTS = {"__pycache__", "tests", ".pytest_cache"}


def pinned(requirements: Path, name: str) -> str:
    """Return the ``name==version`` line for ``name`` from a requirements file."""
    for line in requirements.read_text().splitlines():
        spec = line.split("#", 1)[0].strip()
        if spec.split("[", 1)[0].split("==", 1)[0].strip().lower() == name.lower():
            return spec
    where = requirements.name
    raise SystemExit(f"{where} does not pin {name}; add '{name}==<version>'")


def requirement_lines(requirements: Path) -> list[str]:
    """The non-comment lines of a requirements file."""
    lines = (line.split("#", 1)[0].strip() for line in requirements.read_text().splitlines())
    return [line for line in lines if line]


def install_for_lambda(requirements: list[str], cache: Path, python: str = LAMBDA_PYTHON) -> Path:
    """Install ``requirements`` for the Lambda platform (or another CPython ``python`` on
    the same platforms) into a cached folder and return it."""
    key = hashlib.sha256("\n".join(sorted([*requirements, python])).encode()).hexdigest()[:16]
    target = cache / f"site-{key}"
    if (target / ".complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--no-deps",
        "--only-binary=:all:", "--implementation", "cp", "--python-version", python,
        *(arg for tag in LAMBDA_PLATFORMS for arg in ("--platform", tag)),
        "--target", str(target), *requirements,
    ]  # fmt: skip
    subprocess.run(command, check=True)
    (target / ".complete").touch()
    return target


def files_under(folder: Path) -> Iterable[tuple[Path, str]]:
    """(path, archive name) for every file below ``folder``, bytecode and tests left out."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_dir() or SKIPPED_PARTS.intersection(relative.parts):
            continue
        if path.suffix in {".pyc", ".pyo"} or path.name == ".complete":
            continue
        yield path, relative.as_posix()


def write_zip(destination: Path, entries: Iterable[tuple[Path, str]]) -> str:
    """Write a reproducible zip and return its sha256."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    unique = dict((name, path) for path, name in entries)
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(unique):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, unique[name].read_bytes())
    return hashlib.sha256(destination.read_bytes()).hexdigest()


def custom_resource_entries(name: str, vendored: Path) -> list[tuple[Path, str]]:
    """A custom resource's own files, the shared ``common`` package if any, and crhelper."""
    folder = ROOT / "custom_resources" / name
    if not (folder / "handler.py").exists():
        raise SystemExit(f"custom_resources/{name}/handler.py is missing")
    entries = [e for e in files_under(folder) if e[0].suffix == ".py"]
    common = ROOT / "custom_resources" / "common"
    if common.is_dir():
        entries += [(p, f"common/{n}") for p, n in files_under(common) if p.suffix == ".py"]
    for source, archived in SHARED_MODULES.get(name, ()):
        entries.append((ROOT / source, archived))
    return entries + list(files_under(vendored))


# The keys build.yml names for the step code (source form) -> the packaged form's pattern.
STEP_CODE_KEYS = {
    "code": ("sagemaker/code/", "sagemaker/code-{digest}/"),
    "sourcedir": ("sagemaker/sourcedir.tar.gz", "sagemaker/sourcedir-{digest}.tar.gz"),
}


def tree_digest(folder: Path) -> str:
    """sha256 over every file below ``folder``: relative names and contents, sorted."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix().encode()
        data = path.read_bytes()
        digest.update(b"%d:%s%d:" % (len(name), name, len(data)))
        digest.update(data)
    return digest.hexdigest()


def write_step_code(out: Path) -> dict[str, str]:
    """The build pipeline's code: the Processing scripts with the drift_monitor package
    beside them (a Processing input downloads the prefix), and the training source
    directory as a reproducible tar.gz (the training toolkit's sagemaker_submit_directory).

    Both are named by content (``STEP_CODE_KEYS``); returns the source key -> packaged
    key (relative to the tree) for each."""
    staging = out / "sagemaker" / ".code"
    shutil.rmtree(staging, ignore_errors=True)
    for path, name in files_under(STEP_CODE):
        if path.suffix == ".py":
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, staging / name)
    for path, name in files_under(ROOT / "drift_monitor"):
        if path.suffix == ".py":
            (staging / "drift_monitor" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, staging / "drift_monitor" / name)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name in ("inference.py", "train.py"):
            data = (STEP_CODE / name).read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            archive.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=0) as compressed:
        compressed.write(buffer.getvalue())
    sourcedir = packed.getvalue()

    source_code, code_pattern = STEP_CODE_KEYS["code"]
    code_key = code_pattern.format(digest=tree_digest(staging)[:16])
    shutil.rmtree(out / code_key, ignore_errors=True)
    staging.rename(out / code_key)
    source_dir, dir_pattern = STEP_CODE_KEYS["sourcedir"]
    dir_key = dir_pattern.format(digest=hashlib.sha256(sourcedir).hexdigest()[:16])
    (out / dir_key).write_bytes(sourcedir)
    return {source_code: code_key, source_dir: dir_key}


# Third-party libraries of the drift monitor, as pinned in requirements/dev.txt.
MONITOR_LIBRARIES = ("numpy", "msgspec", "pyarrow")
# Parts of pyarrow the monitor never loads (it imports pyarrow, pyarrow.csv and
# pyarrow.compute): Flight, the cloud filesystems, ORC/Parquet encryption bindings,
# C++ headers, Cython sources and tests. About 70 MB of the wheel's 171 MB; the libraries
# that pyarrow's core modules link (libarrow, compute, acero, dataset, substrait,
# parquet, python) stay. tests/unit/scripts/test_package.py imports the trimmed tree.
PYARROW_UNUSED_PREFIXES = (
    "pyarrow/include/", "pyarrow/src/", "pyarrow/tests/", "pyarrow/libarrow_flight",
    "pyarrow/libarrow_s3", "pyarrow/libarrow_python_flight",
    "pyarrow/libarrow_python_parquet_encryption", "pyarrow/_flight", "pyarrow/_s3fs",
    "pyarrow/_gcsfs", "pyarrow/_azurefs", "pyarrow/_hdfs", "pyarrow/_orc",
    "pyarrow/_dataset_orc", "pyarrow/_parquet_encryption",
    "pyarrow/_dataset_parquet_encryption", "pyarrow/_pyarrow_cpp_tests",
)  # fmt: skip
PYARROW_UNUSED_SUFFIXES = (".pyx", ".pxd", ".pxi", ".h", ".cc", ".cpp")


def monitor_library_used(name: str) -> bool:
    """Whether a vendored file (archive name) is part of what the monitor loads."""
    if not name.startswith("pyarrow/"):
        return True
    if name.endswith(PYARROW_UNUSED_SUFFIXES) or name.startswith(PYARROW_UNUSED_PREFIXES):
        return False
    # The wheel holds libarrow_python three times (no symlinks in a zip); the modules
    # link the .so.<major> name only.
    return not (name.startswith("pyarrow/libarrow_python.so") and name.count(".") != 2)


def monitor_requirements() -> list[str]:
    return [pinned(ROOT / "requirements" / "dev.txt", name) for name in MONITOR_LIBRARIES]


def monitor_entries(vendored: Path) -> list[tuple[Path, str]]:
    """The drift monitor package and its libraries built for the Lambda platform."""
    package = ROOT / "drift_monitor"
    own = [(p, f"drift_monitor/{n}") for p, n in files_under(package) if p.suffix == ".py"]
    return own + [(p, n) for p, n in files_under(vendored) if monitor_library_used(n)]


def processing_entries(vendored: Path) -> list[tuple[Path, str]]:
    """The Processing bundle: bootstrap as ``__main__.py``, the package under ``code/``,
    its libraries under ``libraries/``, and ``bundle.json`` naming their Python."""
    package = ROOT / "drift_monitor"
    meta = vendored / "bundle.json"
    meta.write_text(json.dumps({"python": PROCESSING_PYTHON}) + "\n")
    own = [(p, f"code/drift_monitor/{n}") for p, n in files_under(package) if p.suffix == ".py"]
    libraries = [
        (p, f"libraries/{n}") for p, n in files_under(vendored)
        if monitor_library_used(n) and n != "bundle.json"
    ]  # fmt: skip
    bootstrap = (package / "processing_bootstrap.py", "__main__.py")
    return [bootstrap, (meta, "bundle.json"), *own, *libraries]


def hashed_name(archive_name: str, digest: str) -> str:
    """``drift_monitor.zip`` -> ``drift_monitor-<16 hex of sha256>.zip``."""
    stem = archive_name.removesuffix(".zip")
    return f"{stem}-{digest[:16]}.zip"


def copy_templates(
    out: Path, digests: dict[str, str], step_code: dict[str, str] | None = None
) -> None:
    """Copy every template, pointing each ``functions/<name>.zip`` at its hashed key and
    each step-code key (``STEP_CODE_KEYS``) at its content-named one."""
    (out / "templates").mkdir(parents=True, exist_ok=True)
    unused = set(digests)
    replacements = dict(step_code or {})
    unused_code = set(replacements)
    for template in sorted((ROOT / "templates").glob("*.yml")):
        text = template.read_text(encoding="utf-8")
        for archive_name, digest in digests.items():
            reference = f"functions/{archive_name}"
            if reference in text:
                unused.discard(archive_name)
                text = text.replace(reference, f"functions/{hashed_name(archive_name, digest)}")
        for reference, key in replacements.items():
            if reference in text:
                unused_code.discard(reference)
                text = text.replace(reference, key)
        (out / "templates" / template.name).write_text(text, encoding="utf-8")
    if unused:
        raise SystemExit(f"no template refers to functions/{', '.join(sorted(unused))}")
    if unused_code:
        raise SystemExit(f"no template refers to {', '.join(sorted(unused_code))}")


def package(out: Path, cache: Path) -> dict[str, str]:
    """Build the whole tree under ``out``; return archive name (unhashed) -> sha256."""
    shutil.rmtree(out, ignore_errors=True)
    digests: dict[str, str] = {}
    crhelper_site = install_for_lambda(
        requirement_lines(ROOT / "custom_resources" / "requirements.txt"), cache
    )
    for name in CUSTOM_RESOURCES:
        archive = out / "functions" / f"{name}.zip"
        digests[archive.name] = write_zip(archive, custom_resource_entries(name, crhelper_site))

    monitor_site = install_for_lambda(monitor_requirements(), cache)
    archive = out / "functions" / "drift_monitor.zip"
    digests[archive.name] = write_zip(archive, monitor_entries(monitor_site))
    processing_site = install_for_lambda(monitor_requirements(), cache, PROCESSING_PYTHON)
    archive = out / "functions" / "drift_monitor_processing.zip"
    digests[archive.name] = write_zip(archive, processing_entries(processing_site))
    digests.update(package_delivery.build(out, write_zip, files_under))
    step_code = write_step_code(out)

    for archive_name, digest in digests.items():
        built = out / "functions" / archive_name
        built.rename(built.with_name(hashed_name(archive_name, digest)))
    copy_templates(out, digests, step_code)
    # The pipeline deploys the packaged templates (hashed function keys) from the archive.
    release.build(out, write_zip)
    return digests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "dist")
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "cache")
    args = parser.parse_args(argv)
    digests = package(args.out.resolve(), args.cache.resolve())
    for name, digest in digests.items():
        key = hashed_name(name, digest)
        size = (args.out / "functions" / key).stat().st_size
        print(f"functions/{key}  {size / 1e6:6.2f} MB")
    print(f"templates/ ({len(list((args.out / 'templates').glob('*.yml')))} files) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
