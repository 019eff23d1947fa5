# tests/pythons.mk: the CPython versions a machine lacks (3.14 and 3.15 on Debian 12), provisioned
# from Debian's unstable suite by tests/pythons/provision.py for `make test` and `make bench`.
#
#   make pythons          provision each version of PYTHON_VERSIONS that no pyenv install or PATH
#                         entry provides, into $(PYTHONS_CACHE) (outside the work tree; a second
#                         run costs nothing); `make test` and `make bench` do it first
#   make pythons-refresh  resolve sid's packages again; replace an interpreter whose packages changed
#
# Provisioning runs while make reads the makefiles (it remakes the included stamp below), so the
# interpreters it adds are in FOUND_VERSIONS for the same run. A version that cannot be had is
# reported, never fatal: `make test` runs on the others and names it in its last lines.

DEBIAN_MIRROR ?= http://deb.debian.org/debian
PROVISION := $(or $(MAIN_PYTHON),python3) tests/pythons/provision.py --cache $(PYTHONS_CACHE) --mirror $(DEBIAN_MIRROR)
PYTHONS_REPORT := $(BUILD)/pythons/report.txt
PYTHONS_STAMP := $(BUILD)/pythons/stamp.mk
PYTHONS_GOALS := test pythons bench bench-opt test-leaks
provision_versions = $(foreach v,$(PYTHON_VERSIONS),$(if $(call py_installed,$(v)),,$(v)))

.PHONY: pythons pythons-refresh pythons-always

ifneq ($(filter $(PYTHONS_GOALS),$(MAKECMDGOALS)),)
ifeq ($(MAKE_RESTARTS),)
# The provisioner rewrites the stamp only when the set of interpreters changed; make then reads
# the makefiles again, and FOUND_VERSIONS sees the new ones.
-include $(PYTHONS_STAMP)
$(PYTHONS_STAMP): pythons-always
	@mkdir -p $(@D)
	@$(PROVISION) --report $(PYTHONS_REPORT) --stamp $@ $(provision_versions) \
		|| printf '%s\tthe provisioner failed (see above)\n' $(provision_versions) > $(PYTHONS_REPORT)
endif
endif
# Asks the provisioner every time; it answers from its cache in a tenth of a second.
pythons-always:

# `make demo` on its own keeps to the interpreters installed on the machine, as before: it runs on
# MAIN_PY, and venvs and runtimes for provisioned versions would only make it slower.
ifeq ($(MAKECMDGOALS),demo)
FOUND_VERSIONS := $(foreach v,$(FOUND_VERSIONS),$(if $(call py_installed,$(v)),$(v)))
endif

# tests/python/support.py looks for the interpreters in the same place.
EXTRA_PYTEST_ENV += PYZ3_PYTHONS_CACHE=$(PYTHONS_CACHE)

# A venv made from a provisioned interpreter is remade when that interpreter is replaced.
$(foreach v,$(FOUND_VERSIONS),$(if $(findstring $(PYTHONS_CACHE)/,$(call py_for,$(v))),\
	$(eval $(VENV)/py$(v)/.stamp: $(PYTHONS_CACHE)/$(v)/provisioned.json)))

# The last lines of `make test`: which versions ran (the exact interpreters) and which did not, and
# why.
define pythons_summary
@echo "== Python versions: $(FOUND_VERSIONS)"
@$(foreach v,$(FOUND_VERSIONS),echo "   $(v): Python $$($(call py_for,$(v)) -c 'import platform; print(platform.python_version())') at $(call py_for,$(v))" &&) true
@missing="$(filter-out $(FOUND_VERSIONS),$(PYTHON_VERSIONS))"; if [ -n "$$missing" ]; then \
	echo "!! ======================================================================================"; \
	for v in $$missing; do \
		why=$$(awk -F'\t' -v v=$$v '$$1 == v { print $$2 }' $(PYTHONS_REPORT) 2>/dev/null); \
		echo "!! Python $$v SKIPPED: $${why:-no interpreter (pyenv, PATH or $(PYTHONS_CACHE))}"; \
	done; \
	echo "!! ======================================================================================"; \
fi
endef

test:
	$(pythons_summary)

pythons:
	$(pythons_summary)

pythons-refresh:
	$(PROVISION) --refresh $(provision_versions)
