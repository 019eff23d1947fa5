"""tests/python/test_provision.py: provisioning the CPython versions a machine lacks
(tests/pythons/provision.py, tests/pythons.mk) fails loudly and reuses what it cached."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from support import PYTHONS_CACHE, ROOT

pytestmark = [
    pytest.mark.single_mode,
    pytest.mark.skipif(shutil.which("apt-get") is None, reason="provisioning needs Debian's apt-get"),
]

PROVISION = ROOT / "tests" / "pythons" / "provision.py"
UNREACHABLE = "http://127.0.0.1:9/debian"  # nothing listens on the discard port here


def _clean_env() -> dict[str, str]:
    # Not the make (or its command-line variables) that may be running this suite.
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


def test_an_unreachable_archive_is_named_in_the_last_lines_of_make(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    cmd = ["make", "--no-print-directory", "pythons", f"BUILD={tmp_path / 'build'}"]
    cmd += [
        f"PYTHONS_CACHE={tmp_path / 'cache'}",
        f"DEBIAN_MIRROR={UNREACHABLE}",
        "PYTHON_VERSIONS=3.98 3.99",
    ]
    out = subprocess.run(cmd, cwd=ROOT, env=_clean_env(), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    last = out.stdout.splitlines()[-4:]
    assert last[0].startswith("!! ====") and last[-1].startswith("!! ====")
    for line, version in zip(last[1:3], ("3.98", "3.99"), strict=True):
        assert line.startswith(f"!! Python {version} SKIPPED: provisioning from Debian sid failed:"), line
        assert "127.0.0.1:9" in line
    report = (tmp_path / "build" / "pythons" / "report.txt").read_text().splitlines()
    assert [line.split("\t")[0] for line in report] == ["3.98", "3.99"]
    assert not list((tmp_path / "cache").glob("3.9*")), "a failed attempt left a tree behind"


def test_a_provisioned_interpreter_is_reused_without_the_network(tmp_path):
    stamps = sorted(PYTHONS_CACHE.glob("3.*/provisioned.json"))
    if not stamps:
        pytest.skip(f"nothing is provisioned in {PYTHONS_CACHE} (make test provisions 3.14 and 3.15)")
    versions = [s.parent.name for s in stamps if s.parent.is_symlink()]
    cmd = [sys.executable, str(PROVISION), "--cache", str(PYTHONS_CACHE), "--mirror", UNREACHABLE]
    cmd += ["--report", str(tmp_path / "report"), *versions]
    out = subprocess.run(cmd, env=_clean_env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "report").read_text() == ""
    for version in versions:
        stamp = json.loads((PYTHONS_CACHE / version / "provisioned.json").read_text())
        assert (
            f"pythons: {version}: Python {stamp['python']} cached (Debian sid python{version} " in out.stdout
        )
        exe = PYTHONS_CACHE / version / "usr" / "bin" / f"python{version}"
        probe = "import ssl, ctypes, venv; print(ssl.OPENSSL_VERSION)"
        ran = subprocess.run([str(exe), "-c", probe], env=_clean_env(), capture_output=True, text=True)
        assert ran.returncode == 0 and ran.stdout.strip() == stamp["openssl"], ran.stderr
