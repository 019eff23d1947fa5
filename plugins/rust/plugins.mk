# plugins/rust/plugins.mk: the sample Rust plugins (cdylib crates using sdk/rust, pyz3-plugin).
# They link build/lib/libpyz3.so, so they build after the runtime.
#
#   make test-sdk-package  `cargo package` of pyz3-abi and pyz3-plugin, with verification (each
#                          packaged crate is built from its .crate file); part of `make test`
RUST_PLUGINS := hello_rs arrays_rs classes_rs containers_rs
RUST_PLUGIN_LIBS := $(foreach p,$(RUST_PLUGINS),$(BUILD)/plugins/lib$(p).so)
EXTRA_PLUGIN_LIBS += $(RUST_PLUGIN_LIBS)

$(BUILD)/plugins/lib%_rs.so: plugins/rust/%_rs/src/*.rs plugins/rust/%_rs/Cargo.toml sdk/rust/src/*.rs sdk/rust/abi/src/*.rs \
		$(BUILD)/.runtime-stamp
	@mkdir -p $(BUILD)/plugins
	PYZ3_LIB_DIR=$(abspath $(BUILD)/lib) CARGO_TARGET_DIR=$(BUILD)/cargo/plugins $(CARGO) build --release --locked -p $*_rs
	cp $(BUILD)/cargo/plugins/release/lib$*_rs.so $@.tmp && mv -f $@.tmp $@

# A plugin whose Rust SDK lays out one ABI field differently (tests/rust/mismatched_sdk/Cargo.toml):
# a copy of sdk/rust with pyz3_function_def.ret_reserved retyped u8 -> i8. test_rust.py checks the
# loader refuses it, naming the field.
MISMATCH_DIR := $(BUILD)/sdk-mismatch
EXTRA_TEST_PLUGIN_LIBS += $(BUILD)/test-plugins/libmismatched_sdk.so

$(BUILD)/test-plugins/libmismatched_sdk.so: tests/rust/mismatched_sdk/Cargo.toml tests/rust/mismatched_sdk/*.rs \
		tests/rust/mismatched_sdk/src/*.rs sdk/rust/Cargo.toml sdk/rust/src/*.rs sdk/rust/abi/Cargo.toml \
		sdk/rust/abi/src/*.rs $(BUILD)/.runtime-stamp
	rm -rf $(MISMATCH_DIR) && mkdir -p $(MISMATCH_DIR)/sdk $(MISMATCH_DIR)/plugin/src $(@D)
	cp -r sdk/rust $(MISMATCH_DIR)/sdk/
	sed -i 's/^    pub ret_reserved: u8,$$/    pub ret_reserved: i8,/' $(MISMATCH_DIR)/sdk/rust/abi/src/abi.rs
	grep -q '^    pub ret_reserved: i8,$$' $(MISMATCH_DIR)/sdk/rust/abi/src/abi.rs
	cp tests/rust/mismatched_sdk/Cargo.toml tests/rust/mismatched_sdk/build.rs $(MISMATCH_DIR)/plugin/
	cp tests/rust/mismatched_sdk/src/lib.rs $(MISMATCH_DIR)/plugin/src/
	cp Cargo.lock $(MISMATCH_DIR)/plugin/
	PYZ3_LIB_DIR=$(abspath $(BUILD)/lib) CARGO_TARGET_DIR=$(BUILD)/cargo/plugins \
		$(CARGO) build --release --offline --quiet --manifest-path $(MISMATCH_DIR)/plugin/Cargo.toml
	cp $(BUILD)/cargo/plugins/release/libmismatched_sdk.so $@.tmp && mv -f $@.tmp $@

# The SDK crates as crates.io would get them. Verification builds each packaged crate from its
# .crate file against registry dependencies: it needs no network once they are cached (the
# sample plugins' build fetches them), but is allowed it. --allow-dirty: a working tree with
# uncommitted changes packages too.
.PHONY: test-sdk-package
EXTRA_TEST_TARGETS += test-sdk-package
# Verification builds pyz3-plugin against the packaged pyz3-abi as a registry crate, which cargo
# takes to be immutable for a name and version: it reuses an unpacked copy in registry/src and the
# compiled one in the target directory without looking at their content. The ABI's crate changes
# without a version bump within an ABI minor (1.1.0 gained the buffer declarations), so both are
# removed first (only these two crates'; cargo unpacks and compiles them again, 2 s).
test-sdk-package:
	rm -rf $${CARGO_HOME:-$$HOME/.cargo}/registry/src/*/pyz3-abi-* $${CARGO_HOME:-$$HOME/.cargo}/registry/src/*/pyz3-plugin-*
	rm -rf $(BUILD)/cargo/package/debug/.fingerprint/pyz3-* $(BUILD)/cargo/package/debug/deps/*pyz3_*
	CARGO_TARGET_DIR=$(BUILD)/cargo/package $(CARGO) package --allow-dirty -p pyz3-abi -p pyz3-plugin
