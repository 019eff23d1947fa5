"""tests/dask/test_dask.py: plugin functions on a real Dask distributed cluster with worker processes.

A LocalCluster of two worker processes (each started fresh by Dask, sharing nothing with this one
but the environment): functions of a module loaded with pyz3.load, of a module built by
`pyz3-loader build`, and of the Rust sample plugin travel to the workers pickled by reference, run
there, and their results and exceptions come back; native class instances travel by value (their
`__getstate__`/`__setstate__`). `make test-dask` runs it with the main Python.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import distributed  # tests/requirements-dask.txt; `make test-dask` installs it
import pytest

import pyz3

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("PYZ3_BUILD", ROOT / "build")).resolve()
PLUGINS = BUILD / "plugins"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A directory holding the package `pyz3-loader build` makes of the hello plugin."""
    site = tmp_path_factory.mktemp("site")
    cmd = [sys.executable, "-m", "pyz3", "build", str(PLUGINS / "libhello.so"), "-o", str(site)]
    subprocess.run(cmd, check=True, capture_output=True)
    return site


@pytest.fixture(scope="module")
def client(site):
    # Workers are new processes: they find pyz3 and the built package through the environment,
    # as workers on other machines would through an installed wheel.
    path = os.pathsep.join([str(site), *sys.path])
    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = path
    sys.path.insert(0, str(site))
    try:
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        )
        with cluster, distributed.Client(cluster) as c:
            yield c
    finally:
        sys.path.remove(str(site))
        if previous is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = previous


def test_workers_are_other_processes(client):
    pids = set(client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids


def test_map_over_a_loaded_plugin(client):
    hello = pyz3.load(PLUGINS / "libhello.so")
    futures = client.map(hello.add, [1, 2, 3], [10, 20, 30])
    assert client.gather(futures) == [11, 22, 33]
    futures = client.map(hello.greet, ["a", "b", "c", "d"])
    assert client.gather(futures) == ["hello, a", "hello, b", "hello, c", "hello, d"]


def test_submit_with_keywords(client):
    hello = pyz3.load(PLUGINS / "libhello.so")
    expected = hello.describe(7, label="n=", verbose=True, sep="")
    assert client.submit(hello.describe, 7, label="n=", verbose=True, sep="").result() == expected
    assert expected == "n=7 (odd)"


def test_exceptions_come_back(client):
    hello = pyz3.load(PLUGINS / "libhello.so")
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        client.submit(hello.divide, 1.0, 0.0).result()
    with pytest.raises(TypeError, match=r"add\(\) argument 'b' must be int, not str"):
        client.submit(hello.add, 1, "2").result()


def test_a_built_module_and_a_rust_plugin(client):
    import hello  # the package `pyz3-loader build` made (fixture `site`)

    assert client.gather(client.map(hello.add, [1, 2], [3, 4])) == [4, 6]
    hello_rs = pyz3.load(PLUGINS / "libhello_rs.so")
    assert client.submit(hello_rs.greet, name="dask").result() == "hello, dask"
    assert client.gather(client.map(hello_rs.half, [2.0, None])) == [1.0, None]


def test_native_instances_travel_by_value(client):
    classes = pyz3.load(PLUGINS / "libclasses.so")
    counters = [classes.Counter(n) for n in (1, 2, 3)]
    # Each worker unpickles a copy, changes it and sends it back pickled: the originals here stay.
    back = client.gather(client.map(lambda c: (c.inc(10), c)[1], counters))
    assert [type(c) for c in back] == [classes.Counter] * 3
    assert [c.value for c in back] == [11, 12, 13]
    assert [c.value for c in counters] == [1, 2, 3]
    pids = client.gather(client.map(lambda c: os.getpid(), counters))
    assert os.getpid() not in pids
