# tests/docs.mk: the docs site (Sphinx over docs/*.md; docs/design.md says why). Included by the
# main Makefile.
#
#   make docs        build the site into build/docs/ (open build/docs/index.html)
#   make test-docs   the same build with every warning an error (a broken link, a reference that
#                    resolves nowhere, a declaration Sphinx cannot parse), then tests/docs/

.PHONY: docs test-docs docs-rustdoc

DOCS_VENV := $(VENV)/docs
DOCS_PY := $(DOCS_VENV)/bin/python
DOCS_OUT := $(BUILD)/docs
# `cargo doc` output; docs/_ext/pyz3_site.py copies it into the site as rust/.
DOCS_RUSTDOC_TARGET := $(BUILD)/cargo/rustdoc
DOCS_ENV = PYZ3_BUILD=$(BUILD) PYZ3_RUSTDOC=$(DOCS_RUSTDOC_TARGET)/doc

EXTRA_TEST_TARGETS += test-docs

$(DOCS_VENV)/.stamp: docs/requirements.txt
	@test -n "$(MAIN_PYTHON)" || { echo "Python $(MAIN_PY) not found"; exit 1; }
	$(MAIN_PYTHON) -m venv --clear $(DOCS_VENV)
	$(DOCS_PY) -m pip install --quiet -r docs/requirements.txt
	touch $@

docs-rustdoc:
	CARGO_TARGET_DIR=$(DOCS_RUSTDOC_TARGET) $(CARGO) doc --locked --quiet --no-deps -p pyz3-plugin

# -E: every page is read again, so a change to the header or the registry is never missed.
docs: $(DOCS_VENV)/.stamp runtime plugins docs-rustdoc
	$(DOCS_ENV) $(DOCS_PY) -m sphinx -E -q -b html docs $(DOCS_OUT) -d $(BUILD)/docs-doctrees
	@echo "the docs site: $(DOCS_OUT)/index.html"

test-docs: $(DOCS_VENV)/.stamp runtime plugins docs-rustdoc
	$(DOCS_ENV) $(DOCS_PY) -m sphinx -E -q -W --keep-going -b html docs $(DOCS_OUT) -d $(BUILD)/docs-doctrees
	$(DOCS_ENV) PYTHONPATH=$(BUILD)/python $(DOCS_PY) -m pytest -q -p no:cacheprovider tests/docs
