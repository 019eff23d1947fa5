"""loader/pep517/one_wheel.py: the one pyz3 wheel for every CPython, assembled from the per-version
runtimes `make runtime` built (`make wheel` runs it).

libpyz3 is compiled once per CPython version (it reads CPython's objects directly), so the package
directory build/python/pyz3 holds one extension module per version, ``_pyz3.cpython-3XY-<arch>.so``,
next to the Python sources, the header, the Zig SDK, ``lib/libpyz3.so`` and ``pyz3.pc``. Python's
import system picks the module whose suffix the running interpreter accepts, so one wheel that
carries them all serves every version: this script zips that directory with its metadata, tagged
with the compressed tag set ``cp310.cp311...-cp310.cp311...-<platform>`` (docs/packaging.md says
why not ``py3-none``):

    python loader/pep517/one_wheel.py --package build/python/pyz3 --out build/wheel \
        --versions "3.10 3.11 3.12 3.13"

The metadata comes from pyproject.toml (``[project]``) and the version from Cargo.toml, as maturin
takes them for the single-version wheel the sdist builds; tests/packaging compares the two. The
platform tag is the manylinux tag the extension modules qualify for: the newest glibc symbol
version they reference, and only libraries every manylinux system has (checked against auditwheel
by the tests). The wheel is written to a temporary file and renamed into place.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pyz3_build  # noqa: E402  (its directory is not a package)

PACKAGE = "pyz3"
# What the package directory contributes, by path relative to it; everything else is refused, so a
# stray file in build/python/pyz3 never ships. The extension modules are matched separately.
PACKAGE_FILES = re.compile(
    r"[A-Za-z_][A-Za-z0-9_]*\.py|include/pyz3(_types)?\.(h|zig)|lib/pkgconfig/pyz3\.pc"
)
EXTENSION = re.compile(r"_pyz3\.cpython-3(\d+)([a-z]*)-([A-Za-z0-9_]+)-linux-gnu\.so")
# Libraries every manylinux system provides (PEP 600: glibc's own and libgcc_s); a module that
# needs another one gets the plain linux tag.
MANYLINUX_LIBS = {
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "librt.so.1",
    "libpthread.so.0",
    "libgcc_s.so.1",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
}


class WheelError(Exception):
    """The package directory cannot become the wheel; the message says why."""


def _project_metadata() -> tuple[dict, str]:
    import tomllib  # 3.11+: the script runs with the build's main Python

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"], pyz3_build._cargo_version()


def metadata_text(project: dict, version: str) -> str:
    """METADATA (core metadata 2.4), with the fields maturin writes for the same pyproject.toml."""
    lines = ["Metadata-Version: 2.4", f"Name: {project['name']}", f"Version: {version}"]
    lines += [f"Classifier: {c}" for c in project.get("classifiers", [])]
    if "description" in project:
        lines.append(f"Summary: {project['description']}")
    if isinstance(project.get("license"), str):
        lines.append(f"License-Expression: {project['license']}")
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    return "\n".join(lines) + "\n"


def entry_points_text(project: dict) -> str:
    groups = {}
    if project.get("scripts"):
        groups["console_scripts"] = project["scripts"]
    groups.update(project.get("entry-points", {}))
    return "".join(
        f"[{group}]\n" + "".join(f"{name}={target}\n" for name, target in entries.items())
        for group, entries in groups.items()
    )


def _readelf(path: str) -> str:
    try:
        run = subprocess.run(["readelf", "--wide", "--dynamic", "--version-info", path],
                             capture_output=True, text=True, check=False)  # fmt: skip
    except FileNotFoundError as exc:
        raise WheelError("readelf (binutils) is needed to find the wheel's platform tag") from exc
    if run.returncode != 0:
        raise WheelError(f"readelf {path}: {run.stderr.strip()}")
    return run.stdout


def platform_tag(extensions: list[str], machine: str) -> str:
    """``manylinux_2_N_<machine>`` for the newest glibc symbol version any module references, or
    ``linux_<machine>`` when one needs a library outside the manylinux set."""
    newest = (2, 5)
    for path in extensions:
        text = _readelf(path)
        needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", text))
        if not needed <= MANYLINUX_LIBS:
            return f"linux_{machine}"
        for major, minor in re.findall(r"\bGLIBC_(\d+)\.(\d+)", text):
            newest = max(newest, (int(major), int(minor)))
    return f"manylinux_{newest[0]}_{newest[1]}_{machine}"


def collect(package: str, versions: list[str]) -> tuple[dict[str, str], list[str], str]:
    """The files of the package directory (wheel path -> file path), the CPython tags of its
    extension modules (``cp311``...) in version order, and the machine they are built for.
    Refuses a directory that lacks a module for one of ``versions`` or holds an unexpected file."""
    files, abis, machines = {}, {}, set()
    for dirpath, dirnames, filenames in os.walk(package):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, package).replace(os.sep, "/")
            ext = EXTENSION.fullmatch(rel)
            if ext:
                abis[(int(ext.group(1)), ext.group(2))] = f"cp3{ext.group(1)}{ext.group(2)}"
                machines.add(ext.group(3))
            elif rel == "lib/libpyz3.so":
                path = os.path.realpath(path)  # a wheel holds no symbolic link: the file itself
            elif rel == "lib/libpyz3.so.1":
                continue  # the soname link of the development layout; plugins link libpyz3.so
            elif not PACKAGE_FILES.fullmatch(rel):
                raise WheelError(f"{path}: not a file the pyz3 wheel ships")
            files[f"{PACKAGE}/{rel}"] = path
    wanted = {int(v.split(".")[1]) for v in versions}
    missing = sorted(wanted - {minor for minor, _ in abis})
    if missing:
        found = ", ".join(f"3.{m}{flags}" for m, flags in sorted(abis)) or "none"
        raise WheelError(
            f"{package} has no extension module for Python {', '.join(f'3.{m}' for m in missing)} "
            f"(found: {found}); run `make runtime` with those versions installed"
        )
    if "lib/libpyz3.so" not in {k.split("/", 1)[1] for k in files}:
        raise WheelError(f"{package}/lib/libpyz3.so is missing")
    if len(machines) != 1:
        raise WheelError(f"{package}: extension modules for several machines: {sorted(machines)}")
    return files, [abis[k] for k in sorted(abis)], machines.pop()


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build(package: str, out_dir: str, versions: list[str]) -> str:
    """Writes the wheel into ``out_dir`` and returns its path."""
    project, version = _project_metadata()
    files, abis, machine = collect(package, versions)
    extensions = [p for name, p in files.items() if EXTENSION.fullmatch(name.split("/", 1)[1])]
    platform = platform_tag(extensions, machine)
    pythons = [re.sub(r"[a-z]+$", "", abi) for abi in abis]
    name = project["name"].replace("-", "_")
    tag = f"{'.'.join(dict.fromkeys(pythons))}-{'.'.join(abis)}-{platform}"
    wheel_name = f"{name}-{version}-{tag}.whl"
    dist_info = f"{name}-{version}.dist-info"

    contents = {}
    for arcname, path in files.items():
        with open(path, "rb") as f:
            contents[arcname] = (f.read(), 0o755 if path.endswith(".so") else 0o644)
    wheel = ["Wheel-Version: 1.0", "Generator: pyz3 one_wheel.py", "Root-Is-Purelib: false"]
    wheel += [f"Tag: {py}-{abi}-{platform}" for py, abi in zip(pythons, abis, strict=True)]
    contents[f"{dist_info}/METADATA"] = (metadata_text(project, version).encode(), 0o644)
    contents[f"{dist_info}/WHEEL"] = (("\n".join(wheel) + "\n").encode(), 0o644)
    contents[f"{dist_info}/entry_points.txt"] = (entry_points_text(project).encode(), 0o644)

    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, wheel_name)
    tmp = f"{target}.tmp{os.getpid()}"
    record = f"{dist_info}/RECORD"
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            lines = []
            for arcname, (data, mode) in contents.items():
                info = zipfile.ZipInfo(arcname, pyz3_build.ZIP_EPOCH)
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
                lines.append(_record_line(arcname, data))
            lines.append(f"{record},,")
            info = zipfile.ZipInfo(record, pyz3_build.ZIP_EPOCH)
            info.external_attr = (0o100644) << 16
            zf.writestr(info, "\n".join(lines) + "\n")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="one_wheel.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", required=True, help="the pyz3 package directory (build/python/pyz3)")
    parser.add_argument("--out", required=True, help="directory to write the wheel into")
    parser.add_argument("--versions", default="", help="CPython versions the wheel must serve: '3.10 3.11'")
    args = parser.parse_args(argv)
    try:
        print(build(args.package, args.out, args.versions.split()))
    except WheelError as exc:
        print(f"one_wheel.py: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
