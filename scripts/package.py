"""Build the hosting-bucket tree: templates and reproducible Lambda zips.

The tree under ``--out`` mirrors the bucket layout in CONTRIBUTING.md, so publishing is
a plain upload under a key prefix:

    templates/<file>.yml
    functions/approved_model_package.zip
    functions/drift_baseline.zip
    functions/drift_monitor.zip

Zips are byte-for-byte reproducible: entries sorted, timestamps and permissions fixed,
no bytecode. Third-party code is installed for the Lambda platform (python3.13,
x86_64), not for the machine running this script, and cached under ``build/cache``.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
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
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
CUSTOM_RESOURCES = ("approved_model_package", "drift_baseline", "stage_stacks")
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


def install_for_lambda(requirements: list[str], cache: Path) -> Path:
    """Install ``requirements`` for the Lambda platform into a cached folder and return it."""
    key = hashlib.sha256("\n".join(sorted(requirements)).encode()).hexdigest()[:16]
    target = cache / f"site-{key}"
    if (target / ".complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--no-deps",
        "--only-binary=:all:", "--implementation", "cp", "--python-version", LAMBDA_PYTHON,
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
    return entries + list(files_under(vendored))


def monitor_entries(vendored: Path) -> list[tuple[Path, str]]:
    """The drift monitor package and numpy built for the Lambda platform."""
    package = ROOT / "drift_monitor"
    own = [(p, f"drift_monitor/{n}") for p, n in files_under(package) if p.suffix == ".py"]
    return own + list(files_under(vendored))


def package(out: Path, cache: Path) -> dict[str, str]:
    """Build the whole tree under ``out``; return archive name -> sha256."""
    shutil.rmtree(out, ignore_errors=True)
    (out / "templates").mkdir(parents=True)
    for template in sorted((ROOT / "templates").glob("*.yml")):
        shutil.copyfile(template, out / "templates" / template.name)

    digests: dict[str, str] = {}
    crhelper_site = install_for_lambda(
        requirement_lines(ROOT / "custom_resources" / "requirements.txt"), cache
    )
    for name in CUSTOM_RESOURCES:
        archive = out / "functions" / f"{name}.zip"
        digests[archive.name] = write_zip(archive, custom_resource_entries(name, crhelper_site))

    numpy_site = install_for_lambda([pinned(ROOT / "requirements" / "dev.txt", "numpy")], cache)
    archive = out / "functions" / "drift_monitor.zip"
    digests[archive.name] = write_zip(archive, monitor_entries(numpy_site))
    digests.update(package_delivery.build(out, write_zip, files_under))
    release.build(out, write_zip)
    return digests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "dist")
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "cache")
    args = parser.parse_args(argv)
    digests = package(args.out.resolve(), args.cache.resolve())
    for name, digest in digests.items():
        size = (args.out / "functions" / name).stat().st_size
        print(f"functions/{name}  {size / 1e6:6.2f} MB  sha256 {digest[:16]}")
    print(f"templates/ ({len(list((args.out / 'templates').glob('*.yml')))} files) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
