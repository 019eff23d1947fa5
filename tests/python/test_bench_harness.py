"""tests/python/test_bench_harness.py: the benchmark harness runs and writes well-formed results.

Smoke mode only (one round of about a millisecond, three bindings): this checks the plumbing
that `make bench` relies on, never a timing.
"""

from __future__ import annotations

import json
import sys

import pytest

from support import BUILD, ROOT

sys.path.insert(0, str(ROOT / "bench"))

import harness  # bench/ is not a package: it is put on the path just above

BINDINGS = ("floor", "pyz3", "pyz3 (pool off)", "varargs")
RECORD_KEYS = {"case", "binding", "python", "status", "ns_min", "ns_median", "ratio_to_floor"}


@pytest.fixture(scope="module")
def smoke_results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench")
    code = harness.main(
        ["run", "--smoke", "--build", str(BUILD), "--out", str(out), "--bindings", ",".join(BINDINGS)]
    )
    assert code == 0
    return json.loads((out / "results.json").read_text())


@pytest.mark.single_mode
def test_one_record_per_case_and_binding(smoke_results: dict) -> None:
    records = smoke_results["records"]
    assert {(r["case"], r["binding"]) for r in records} == {
        (c, b) for c in harness.CASE_NAMES for b in BINDINGS
    }
    assert len(records) == len(harness.CASE_NAMES) * len(BINDINGS)
    for r in records:
        assert r.keys() >= RECORD_KEYS
        if r["status"] == "skipped" and r["case"].startswith("buf_"):
            # A peer without a version of a buffer case (or without numpy) says why.
            assert r["reason"] and r["binding"] != "pyz3", r
            continue
        assert r["status"] == "ok", r
        assert r["ns_min"] > 0 and r["ns_median"] >= r["ns_min"]
        assert r["ratio_to_floor"] > 0


@pytest.mark.single_mode
def test_floor_is_its_own_unit(smoke_results: dict) -> None:
    for r in smoke_results["records"]:
        if r["binding"] == "floor" and r["status"] == "ok":
            assert r["ratio_to_floor"] == 1.0


@pytest.mark.single_mode
def test_python_and_machine_are_described(smoke_results: dict) -> None:
    assert smoke_results["pythons"] == [smoke_results["runs"][0]["python"]["version"]]
    assert smoke_results["runs"][0]["python"]["version"].startswith(
        f"{sys.version_info[0]}.{sys.version_info[1]}"
    )
    assert {"cpu", "cpus", "platform", "pinning"} <= smoke_results["machine"].keys()


@pytest.mark.single_mode
def test_unavailable_binding_is_reported_not_dropped(tmp_path) -> None:
    empty_build = str(tmp_path / "nothing")
    code = harness.main(
        [
            "run",
            "--smoke",
            "--build",
            empty_build,
            "--out",
            str(tmp_path),
            "--bindings",
            "floor,pyz3",
            "--cases",
            "noop",
        ]
    )
    assert code == 0
    records = json.loads((tmp_path / "results.json").read_text())["records"]
    pyz3 = next(r for r in records if r["binding"] == "pyz3")
    assert pyz3["status"] == "skipped"
    assert "libpyz3_bench.so is missing" in pyz3["reason"]
    assert pyz3["ns_min"] is None and pyz3["ratio_to_floor"] is None


@pytest.mark.single_mode
def test_report_writes_markdown(smoke_results: dict, tmp_path) -> None:
    results = tmp_path / "in.json"
    results.write_text(json.dumps(smoke_results))
    assert harness.main(["report", "--out", str(tmp_path / "out"), str(results)]) == 0
    text = (tmp_path / "out" / "report.md").read_text()
    assert "## Python" in text and "| pyz3 |" in text
    merged = json.loads((tmp_path / "out" / "results.json").read_text())
    assert merged["records"] == smoke_results["records"]
