"""loader/pep517/pyz3_build.py: the PEP 517 backend named in pyproject.toml — maturin's, plus the files
plugin authors compile and link against.

maturin builds the extension ``pyz3._pyz3`` (which is libpyz3 itself, soname ``libpyz3.so.1``)
and packs the Python sources from loader/python. A wheel cannot hold a symlink and maturin has no
post-build hook, so this module wraps maturin's backend and adds to the wheel it made:

    pyz3/include/pyz3.h             copied from include/
    pyz3/include/pyz3*.zig          the Zig SDK, copied from sdk/zig/
    pyz3/lib/libpyz3.so             a copy of the extension, for ``-L<dir> -lpyz3``
    pyz3/lib/pkgconfig/pyz3.pc      relocatable (``${pcfiledir}``), for ``pkg-config pyz3``

then rewrites RECORD. An editable build gets the same files in loader/python/pyz3 (ignored by
git). Every file written is replaced atomically (loader/python/pyz3/_atomic.py), so a process
that has the old libpyz3.so mapped keeps running. Every other hook is maturin's own.

Also runnable: ``python loader/pep517/pyz3_build.py pkgconfig [VERSION]`` prints pyz3.pc (default version:
Cargo.toml's); tests/packaging.mk uses it for the development layout in build/python.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import os
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# What plugin authors compile against, by source path in the repository; all are required.
HEADERS = ("include/pyz3.h", "sdk/zig/pyz3.zig", "sdk/zig/pyz3_types.zig")
PACKAGE = "pyz3"
# Timestamps of the added entries: the earliest a zip can hold, as maturin writes them.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def pkgconfig_text(version: str) -> str:
    """pyz3.pc for a package laid out as pyz3/{include,lib,lib/pkgconfig}."""
    return (
        "# pyz3.pc: compile and link a pyz3 plugin: pkg-config --cflags --libs pyz3\n"
        "# Paths are relative to this file, so the installed package may live anywhere.\n"
        "prefix=${pcfiledir}/../..\n"
        "includedir=${prefix}/include\n"
        "libdir=${prefix}/lib\n"
        "\n"
        "Name: pyz3\n"
        "Description: pyz3 plugin ABI: the pyz3.h header and the libpyz3 runtime\n"
        f"Version: {version}\n"
        "Cflags: -I${includedir}\n"
        "Libs: -L${libdir} -lpyz3\n"
    )


def _extras(version: str, extension: bytes) -> dict[str, tuple[bytes, int]]:
    """Files to add under pyz3/: relative path -> (content, unix mode)."""
    files = {}
    for source in HEADERS:
        path = os.path.join(ROOT, *source.split("/"))
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} is missing")
        with open(path, "rb") as f:
            files[f"include/{os.path.basename(source)}"] = (f.read(), 0o644)
    files["lib/libpyz3.so"] = (extension, 0o755)
    files["lib/pkgconfig/pyz3.pc"] = (pkgconfig_text(version).encode(), 0o644)
    return files


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _complete_wheel(wheel_path: str) -> None:
    """Adds the extras to the wheel at ``wheel_path`` and rewrites its RECORD (the wheel file is
    replaced, not rewritten in place)."""
    with zipfile.ZipFile(wheel_path) as src:
        infos = src.infolist()
        contents = {info.filename: src.read(info) for info in infos}
    record = next(n for n in contents if n.endswith(".dist-info/RECORD"))
    metadata = contents[record[: -len("RECORD")] + "METADATA"].decode()
    version = next(
        line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Version:")
    )
    extension = next(
        n for n in contents if n.startswith(f"{PACKAGE}/_pyz3.") and n.endswith(".so") and n.count("/") == 1
    )
    added = {f"{PACKAGE}/{rel}": item for rel, item in _extras(version, contents[extension]).items()}

    out = io.BytesIO()
    lines = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in infos:
            if info.filename == record or info.filename in added:
                continue
            dst.writestr(info, contents[info.filename])
            lines.append(_record_line(info.filename, contents[info.filename]))
        for name, (data, mode) in added.items():
            info = zipfile.ZipInfo(name, ZIP_EPOCH)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
            lines.append(_record_line(name, data))
        lines.append(f"{record},,")
        dst.writestr(zipfile.ZipInfo(record, ZIP_EPOCH), "\n".join(lines) + "\n")
    _atomic().replace_file(wheel_path, out.getvalue(), os.stat(wheel_path).st_mode & 0o7777)


def _complete_source_tree() -> None:
    """For an editable install: the extras next to the extension maturin put in the sources."""
    package = os.path.join(ROOT, "loader", "python", PACKAGE)
    extensions = [n for n in os.listdir(package) if n.startswith("_pyz3.") and n.endswith(".so")]
    if not extensions:
        return
    with open(
        os.path.join(package, max(extensions, key=lambda n: os.path.getmtime(os.path.join(package, n)))), "rb"
    ) as f:
        extension = f.read()
    write_extras(package, _cargo_version(), extension)


def write_extras(package: str, version: str, extension: bytes) -> None:
    """Writes the extras into the package directory ``package``, each file replaced atomically:
    a process that has the old lib/libpyz3.so mapped keeps running."""
    replace_file = _atomic().replace_file
    for rel, (data, mode) in _extras(version, extension).items():
        path = os.path.join(package, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        replace_file(path, data, mode)


def _atomic():
    """pyz3/_atomic.py, loaded by path: the pyz3 package itself cannot be imported before its
    extension is built."""
    path = os.path.join(ROOT, "loader", "python", PACKAGE, "_atomic.py")
    spec = importlib.util.spec_from_file_location("_pyz3_atomic", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cargo_version() -> str:
    with open(os.path.join(ROOT, "Cargo.toml"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("version = "):
                return line.split("=", 1)[1].strip().strip('"')
    raise ValueError("no version in Cargo.toml [workspace.package]")


# ---- PEP 517 hooks -------------------------------------------------------------------------------


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    import maturin

    name = maturin.build_wheel(wheel_directory, config_settings, metadata_directory)
    _complete_wheel(os.path.join(wheel_directory, name))
    return name


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    import maturin

    name = maturin.build_editable(wheel_directory, config_settings, metadata_directory)
    _complete_source_tree()
    return name


def build_sdist(sdist_directory, config_settings=None):
    import maturin

    return maturin.build_sdist(sdist_directory, config_settings)


def get_requires_for_build_wheel(config_settings=None):
    import maturin

    return maturin.get_requires_for_build_wheel(config_settings)


def get_requires_for_build_sdist(config_settings=None):
    import maturin

    return maturin.get_requires_for_build_sdist(config_settings)


def get_requires_for_build_editable(config_settings=None):
    import maturin

    return maturin.get_requires_for_build_editable(config_settings)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    import maturin

    return maturin.prepare_metadata_for_build_wheel(metadata_directory, config_settings)


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def main(argv: list[str]) -> int:
    if argv[:1] == ["pkgconfig"] and len(argv) <= 2:
        sys.stdout.write(pkgconfig_text(argv[1] if len(argv) == 2 else _cargo_version()))
        return 0
    sys.stderr.write("usage: python loader/pep517/pyz3_build.py pkgconfig [VERSION]\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
