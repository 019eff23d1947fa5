# plugins/rust/plugins.mk: the sample Rust plugins (cdylib crates using sdk/rust, pyz3-plugin).
# They link build/lib/libpyz3.so, so they build after the runtime.
RUST_PLUGINS := hello_rs arrays_rs classes_rs containers_rs
RUST_PLUGIN_LIBS := $(foreach p,$(RUST_PLUGINS),$(BUILD)/plugins/lib$(p).so)
EXTRA_PLUGIN_LIBS += $(RUST_PLUGIN_LIBS)

$(BUILD)/plugins/lib%_rs.so: plugins/rust/%_rs/src/*.rs plugins/rust/%_rs/Cargo.toml sdk/rust/src/*.rs $(BUILD)/.runtime-stamp
	@mkdir -p $(BUILD)/plugins
	PYZ3_LIB_DIR=$(abspath $(BUILD)/lib) CARGO_TARGET_DIR=$(BUILD)/cargo/plugins $(CARGO) build --release --locked -p $*_rs
	cp $(BUILD)/cargo/plugins/release/lib$*_rs.so $@.tmp && mv -f $@.tmp $@
