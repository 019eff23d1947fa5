# tests/docs.mk: `make test-docs` — every code block of README.md and docs/*.md, run as written
# (tests/docs: the rules are in tests/docs/snippets.py and docs/design.md). Part of `make test`;
# the pages install the wheel `make wheel` builds, or use the build tree, as their text says.

.PHONY: test-docs
EXTRA_TEST_TARGETS += test-docs

test-docs: venv wheel plugins test-plugins
	PYZ3_BUILD=$(BUILD) $(call venv_py,$(MAIN_PY)) -m pytest -q tests/docs
