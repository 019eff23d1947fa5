# tests/dask.mk: `make test-dask` — plugin functions on a Dask distributed LocalCluster with worker
# processes (tests/dask), with the main Python; part of `make test`. Dask comes from PyPI
# (tests/requirements-dask.txt), into the main .venv only.

.PHONY: test-dask
EXTRA_TEST_TARGETS += test-dask

$(VENV)/py$(MAIN_PY)/.dask-stamp: tests/requirements-dask.txt $(VENV)/py$(MAIN_PY)/.stamp
	$(call venv_py,$(MAIN_PY)) -m pip install --quiet -r $<
	touch $@

test-dask: $(VENV)/py$(MAIN_PY)/.dask-stamp runtime plugins
	PYTHONPATH=$(BUILD)/python PYZ3_BUILD=$(BUILD) $(call venv_py,$(MAIN_PY)) -m pytest -q tests/dask
