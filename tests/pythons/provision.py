"""tests/pythons/provision.py: CPython versions this machine lacks, from Debian's unstable suite.

Usage: provision.py [--cache DIR] [--report FILE] [--stamp FILE] [--refresh] [--mirror URL] VERSION...

CPython 3.14 and 3.15 have no Debian 12 packages, but Debian's unstable suite ("sid") ships them
as binaries built against a newer glibc. For each VERSION this downloads, with apt-get and a
private configuration (its own sources list, state and cache directories under DIR/apt; the
system's apt configuration is not touched, and the only system package it may install is
Debian 12's patchelf), the interpreter's packages
and the shared libraries they depend on, sid's libc included; unpacks them with dpkg-deb into
DIR/<VERSION>-<hash>/ and makes that tree self-contained:

* the interpreter gets sid's dynamic loader as its ELF interpreter and an RPATH (not RUNPATH,
  which would not reach the libraries of dlopen()ed extension modules) to the tree's library
  directory, so every library of the process is sid's and the system's are never mixed in;
* the build-time paths in sysconfig (include, library, wheel directories) name the tree;
* the multiarch pyconfig.h wrapper is replaced by the real header.

A smoke test (ssl, ctypes, sqlite3, ..., and no library mapped from outside the tree) must pass
before DIR/<VERSION> is pointed at the tree: that link is what the Makefile finds. A second run
finds the link and its stamp and costs nothing; --refresh resolves sid's current packages again
and replaces the tree if they changed. Whatever sid ships today is used, never a pinned version,
and the exact package versions are printed.

A version that cannot be provisioned (no network, no such package, a changed archive) is not an
error: the reason goes to --report as "VERSION<TAB>reason" and the exit status stays 0, so
`make test` runs on the versions it has and names the missing ones in its last lines. --stamp
names a file rewritten only when the set of provisioned interpreters changed (make's signal to
re-read the Makefile).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import fcntl
import getpass
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUITE = "sid"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
# Packages of the interpreter's dependency closure that a test interpreter does without: data
# and configuration the system already has (time zones, certificates, MIME types), programs,
# and headers other than Python's own (plugins and extensions compile against Debian 12's libc).
UNNEEDED = re.compile(
    r"^(debconf|tzdata|netbase|readline-common|openssl|ca-certificates|media-types|mime-support"
    r"|perl.*|python3-setuptools-whl|libc-gconv-modules-extra|libc-dev-bin|linux-libc-dev"
    r"|.*-dev|.*-bin)$"
)
# sysconfig variables holding build-time install paths under /usr; TZPATH and the tool
# variables (INSTALL, DTRACE, ...) keep naming the system.
PATH_VARS = {
    "prefix", "exec_prefix", "host_prefix", "host_exec_prefix", "datarootdir", "BINDIR",
    "BINLIBDEST", "CONFINCLUDEDIR", "CONFINCLUDEPY", "DESTLIB", "DESTSHARED", "EXENAME",
    "INCLUDEDIR", "INCLUDEPY", "LIBDEST", "LIBDIR", "LIBPC", "LIBPL", "MACHDESTLIB", "MANDIR",
    "SCRIPTDIR", "WHEEL_PKG_DIR", "DESTDIRS", "INCLDIRSTOMAKE",
}  # fmt: skip
SMOKE_TEST = r"""
import ctypes, bz2, decimal, hashlib, lzma, os, sqlite3, ssl, sys, venv, zlib
import ensurepip
ctypes.CDLL(None)
ssl.create_default_context()
ensurepip.version()
root = os.path.realpath(sys.argv[1])
outside = sorted({line.split()[-1] for line in open("/proc/self/maps")
                  if ".so" in line and not os.path.realpath(line.split()[-1]).startswith(root)})
if outside:
    sys.exit("libraries loaded from outside the tree: " + ", ".join(outside))
print(sys.version.split()[0], ssl.OPENSSL_VERSION)
"""


class ProvisionError(Exception):
    """A version could not be provisioned; the message says why."""


def log(msg: str) -> None:
    print(f"pythons: {msg}", flush=True)


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if out.returncode != 0:
        detail = (out.stderr.strip() or out.stdout.strip()).splitlines()[-3:]
        raise ProvisionError(f"`{' '.join(cmd[:3])} ...` failed: {' / '.join(detail)}")
    return out


class Apt:
    """apt-get with a private configuration: sid only, state and caches under `root`."""

    def __init__(self, root: Path, mirror: str) -> None:
        self.root = root
        self.mirror = mirror
        self.failure: ProvisionError | None = None
        self.arch = ""
        self.updated = False

    def setup(self) -> None:
        for tool in ("apt-get", "dpkg", "dpkg-deb"):
            if shutil.which(tool) is None:
                raise ProvisionError(f"{tool} is not installed (a Debian system is needed)")
        if not Path(KEYRING).exists():
            raise ProvisionError(f"{KEYRING} is missing (package debian-archive-keyring)")
        self.arch = run(["dpkg", "--print-architecture"]).stdout.strip()
        etc = self.root / "etc"
        for d in ("etc/apt.conf.d", "etc/preferences.d", "etc/sources.list.d", "etc/trusted.gpg.d",
                  "state/lists/partial", "cache/archives/partial", "log"):  # fmt: skip
            (self.root / d).mkdir(parents=True, exist_ok=True)
        (self.root / "state/status").touch()
        (etc / "sources.list").write_text(f"deb [signed-by={KEYRING}] {self.mirror} {SUITE} main\n")
        settings = {
            "Dir": self.root,
            "Dir::Etc": etc,
            "Dir::Etc::main": "/dev/null",
            "Dir::Etc::parts": etc / "apt.conf.d",
            "Dir::Etc::sourcelist": etc / "sources.list",
            "Dir::Etc::sourceparts": etc / "sources.list.d",
            "Dir::Etc::preferences": "/dev/null",
            "Dir::Etc::preferencesparts": etc / "preferences.d",
            "Dir::Etc::trusted": "/dev/null",
            "Dir::Etc::trustedparts": etc / "trusted.gpg.d",
            "Dir::State": self.root / "state",
            "Dir::State::status": self.root / "state/status",
            "Dir::Cache": self.root / "cache",
            "Dir::Log": self.root / "log",
            "Debug::NoLocking": "true",
            "Acquire::Languages": "none",
            "Acquire::PDiffs": "false",
            "Acquire::Retries": "2",
            "Acquire::http::Timeout": "30",
            "APT::Architecture": self.arch,
            "APT::Architectures": self.arch,
            "APT::Install-Recommends": "false",
            "APT::Sandbox::User": getpass.getuser(),
        }
        # APT_CONFIG is read before everything else, so the system's apt.conf.d never applies;
        # its Acquire settings (proxies, date checks of a mirror, ...) are how this machine
        # reaches the archive, so they are carried over, after (and so over) the ones above.
        lines = [f'{k} "{v}";' for k, v in settings.items()]
        system = run(["apt-config", "dump"], env=dict(os.environ, APT_CONFIG="")).stdout.splitlines()
        lines += [line for line in system if line.startswith("Acquire::") and not skipped(line)]
        (self.root / "apt.conf").write_text("\n".join(lines) + "\n")

    def __call__(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, APT_CONFIG=str(self.root / "apt.conf"), LC_ALL="C")
        return run(["apt-get", "-q", *args], env=env, cwd=cwd)

    def update(self) -> None:
        """Fetches sid's package index, once per run (a failure is remembered, not retried)."""
        if self.failure:
            raise self.failure
        if not self.updated:
            started = time.monotonic()
            self.updated = True
            try:
                self("update", "--error-on=any")
            except ProvisionError as e:
                self.failure = e
                raise
            log(f"Debian {SUITE} package index fetched in {time.monotonic() - started:.1f}s")

    def closure(self, version: str) -> dict[str, str]:
        """The packages (name -> version) of pythonVERSION that a test interpreter needs."""
        wanted = [f"python{version}", f"python{version}-venv", f"python{version}-dev", f"libpython{version}"]
        try:
            out = self("-s", "install", *wanted)
        except ProvisionError as e:
            if "Unable to locate package" in str(e) or "has no installation candidate" in str(e):
                raise ProvisionError(f"Debian {SUITE} has no python{version} package today") from None
            raise
        found = dict(re.findall(r"^Inst (\S+) \((\S+)", out.stdout, re.M))
        if f"python{version}" not in found or "libc6" not in found:
            raise ProvisionError(f"unexpected apt-get resolution for python{version}: {sorted(found)}")
        return {
            name: ver
            for name, ver in sorted(found.items())
            if not UNNEEDED.match(name) or name in (f"libpython{version}-dev", f"python{version}-dev")
        }


def skipped(config_line: str) -> bool:
    # Index targets (the appstream metadata of the system's config) would add megabytes.
    return config_line.startswith(("Acquire::IndexTargets", "Acquire::cdrom", "Acquire::Changelogs"))


def tree_id(version: str, packages: dict[str, str]) -> str:
    text = "\n".join(f"{k}={v}" for k, v in sorted(packages.items()))
    return f"{version}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def current(cache: Path, version: str) -> dict | None:
    """The stamp of the tree DIR/VERSION points at, if it is complete."""
    stamp = cache / version / "provisioned.json"
    exe = cache / version / "usr" / "bin" / f"python{version}"
    if stamp.is_file() and exe.is_file():
        with contextlib.suppress(ValueError, OSError):
            return json.loads(stamp.read_text())
    return None


def relocate(root: Path, version: str) -> None:
    exe = root / "usr" / "bin" / f"python{version}"
    libc = sorted(root.glob("usr/lib/*/libc.so.6"))
    if not exe.is_file() or not libc:
        raise ProvisionError(f"the unpacked packages lack {exe.name} or libc.so.6")
    libdir = libc[0].parent
    loader = Path(run(["patchelf", "--print-interpreter", str(exe)]).stdout.strip())
    candidates = [
        libdir / loader.name,
        root / loader.relative_to("/"),
        root / "usr" / loader.relative_to("/"),
    ]
    sid_loader = next((p for p in candidates if p.exists()), None)
    if sid_loader is None:
        raise ProvisionError(f"sid's dynamic loader {loader.name} is not in the unpacked libc6")
    run([
        "patchelf", "--set-interpreter", str(sid_loader.resolve()), "--force-rpath",
        "--set-rpath", f"$ORIGIN/../lib/{libdir.name}", str(exe),
    ])  # fmt: skip
    usr = str(root / "usr")
    pattern = re.compile(r"(?<![\w/.-])/usr(?=/|$)")
    for data in (root / "usr" / "lib" / f"python{version}").glob("_sysconfig*"):
        if data.suffix == ".py":
            assign = ast.parse(data.read_text()).body[-1]
            if not (
                isinstance(assign, ast.Assign) and getattr(assign.targets[0], "id", "") == "build_time_vars"
            ):
                raise ProvisionError(f"{data.name} does not end in `build_time_vars = {{...}}`")
            variables = ast.literal_eval(assign.value)
            for key in PATH_VARS & variables.keys():
                if isinstance(variables[key], str):
                    variables[key] = pattern.sub(usr, variables[key])
            data.write_text(f"# relocated by tests/pythons/provision.py\nbuild_time_vars = {variables!r}\n")
        elif data.suffix == ".json":
            variables = json.loads(data.read_text())
            target = variables.get("build_time_vars", variables)
            for key in PATH_VARS & target.keys():
                if isinstance(target[key], str):
                    target[key] = pattern.sub(usr, target[key])
            data.write_text(json.dumps(variables, indent=2))
    for cache_dir in (root / "usr" / "lib" / f"python{version}").glob("__pycache__/_sysconfig*"):
        cache_dir.unlink()
    # Debian's include/pythonX.Y/pyconfig.h includes <TRIPLET/pythonX.Y/pyconfig.h> from the
    # system include path, where it is not: put the real header in its place.
    real = root / "usr" / "include" / libdir.name / f"python{version}" / "pyconfig.h"
    if real.is_file():
        shutil.copyfile(real, root / "usr" / "include" / f"python{version}" / "pyconfig.h")


def provision(apt: Apt, cache: Path, version: str, refresh: bool) -> str:
    """Makes DIR/VERSION a working interpreter tree; returns a line describing it."""
    have = current(cache, version)
    if have and not refresh:
        return f"Python {have['python']} cached ({describe(have)})"
    apt.setup()
    apt.update()
    packages = apt.closure(version)
    if have and have.get("packages") == packages:
        return f"Python {have['python']} is sid's current build ({describe(have)})"
    if shutil.which("patchelf") is None:
        ensure_patchelf()
    started = time.monotonic()
    name = tree_id(version, packages)
    root = cache / name
    shutil.rmtree(root, ignore_errors=True)
    try:
        size = unpack(apt, packages, root)
        relocate(root, version)
        exe = root / "usr" / "bin" / f"python{version}"
        smoke = subprocess.run([str(exe), "-c", SMOKE_TEST, str(root)], capture_output=True, text=True)
        if smoke.returncode != 0:
            detail = smoke.stderr.strip()[-400:]
            raise ProvisionError(f"the relocated python{version} fails its smoke test: {detail}")
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    python, openssl = smoke.stdout.split(maxsplit=1)
    stamp = {"python": python, "openssl": openssl.strip(), "suite": SUITE, "packages": packages}
    stamp["provisioned"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    (root / "provisioned.json").write_text(json.dumps(stamp, indent=2) + "\n")
    link = cache / version
    tmp_link = cache / f".{version}.link"
    with contextlib.suppress(FileNotFoundError):
        tmp_link.unlink()
    tmp_link.symlink_to(name)
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)
    os.replace(tmp_link, link)
    for old in cache.glob(f"{version}-*"):
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)
    took = time.monotonic() - started
    log(f"python{version}: {len(packages)} packages, {size / 1e6:.1f} MB, ready in {took:.1f}s:")
    log("  " + ", ".join(f"{pkg} {ver}" for pkg, ver in packages.items()))
    return f"Python {python} provisioned ({describe(stamp)})"


def unpack(apt: Apt, packages: dict[str, str], root: Path) -> int:
    """Downloads `packages` (apt checks them against the signed index) and unpacks them into
    `root`; returns the bytes downloaded."""
    with tempfile.TemporaryDirectory(dir=root.parent, prefix=".debs-") as debs:
        apt("download", *(f"{k}={v}" for k, v in packages.items()), cwd=Path(debs))
        files = sorted(Path(debs).glob("*.deb"))
        if len(files) != len(packages):
            raise ProvisionError(f"apt-get download gave {len(files)} files for {len(packages)} packages")
        root.mkdir()
        for deb in files:
            run(["dpkg-deb", "-x", str(deb), str(root)])
        return sum(f.stat().st_size for f in files)


def describe(stamp: dict) -> str:
    pkgs = stamp.get("packages", {})
    name = next((k for k in pkgs if re.fullmatch(r"python3\.\d+", k)), "?")
    return f"Debian {stamp.get('suite', SUITE)} {name} {pkgs.get(name, '?')}, libc6 {pkgs.get('libc6', '?')}"


def ensure_patchelf() -> None:
    # An ordinary Debian 12 package, installed the way the Makefile installs valgrind.
    if os.geteuid() != 0:
        raise ProvisionError("patchelf is missing: apt-get install patchelf (as root)")
    log("installing patchelf (Debian package)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-qq"], env=env)
    run(["apt-get", "install", "-y", "-qq", "patchelf"], env=env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pyz3" / "pythons"
    parser.add_argument("--cache", type=Path, default=default_cache)
    parser.add_argument("--report", type=Path)
    parser.add_argument("--stamp", type=Path)
    parser.add_argument("--refresh", action="store_true")
    parser.add_argument("--mirror", default="http://deb.debian.org/debian")
    parser.add_argument("versions", nargs="*")
    args = parser.parse_args()
    cache = args.cache.absolute()
    cache.mkdir(parents=True, exist_ok=True)
    failures: dict[str, str] = {}
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # other work trees share the cache
        apt = Apt(cache / "apt", args.mirror)
        for version in args.versions:
            if not re.fullmatch(r"3\.\d+", version):
                failures[version] = "not a CPython version"
                continue
            try:
                log(f"{version}: {provision(apt, cache, version, args.refresh)}")
            except (ProvisionError, OSError) as e:
                failures[version] = f"provisioning from Debian {SUITE} failed: {e}"
                log(f"{version}: NOT PROVISIONED: {failures[version]}")
        have = sorted(v for v in args.versions if current(cache, v))
        if apt.updated:  # the index and apt's caches are only needed while provisioning
            shutil.rmtree(apt.root, ignore_errors=True)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text("".join(f"{v}\t{why}\n" for v, why in failures.items()))
    if args.stamp:
        text = f"# interpreters provisioned in {cache}: {' '.join(have) or 'none'}\n"
        if not args.stamp.exists() or args.stamp.read_text() != text:
            args.stamp.parent.mkdir(parents=True, exist_ok=True)
            args.stamp.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
