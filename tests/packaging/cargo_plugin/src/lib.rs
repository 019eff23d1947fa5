//! tests/packaging/cargo_plugin/src/lib.rs: the hello plugin, whose functions and descriptor are
//! C (src/hello.c); Rust exports the entry point, since a cdylib exports only Rust symbols.
use core::ffi::c_void;

extern "C" {
    fn hello_c_plugin_entry() -> *const c_void;
}

/// The pyz3 plugin entry point: returns the descriptor defined in src/hello.c.
#[no_mangle]
pub extern "C" fn pyz3_plugin_entry() -> *const c_void {
    // SAFETY: a C function without arguments that returns a pointer to static data.
    unsafe { hello_c_plugin_entry() }
}
