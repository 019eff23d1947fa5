//! capi/src/version.rs: what runtime is this.

use core::ffi::c_char;

use pyz3_core::abi::{PYZ3_ABI_MAJOR, PYZ3_ABI_MINOR};

/// The ABI version this runtime serves, as `(PYZ3_ABI_MAJOR << 16) | PYZ3_ABI_MINOR`.
///
/// Any thread, no GIL needed.
#[no_mangle]
pub extern "C" fn pyz3_abi_version() -> u32 {
    ((PYZ3_ABI_MAJOR as u32) << 16) | PYZ3_ABI_MINOR as u32
}

/// The runtime's version string (e.g. `"0.1.0"`), NUL-terminated, static: never free it.
///
/// Any thread, no GIL needed.
#[no_mangle]
pub extern "C" fn pyz3_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// An address unique to this copy of libpyz3 in the process. The loader and every plugin see the
/// same value when they share one runtime (they always should).
///
/// Any thread, no GIL needed.
#[no_mangle]
pub extern "C" fn pyz3_runtime_id() -> usize {
    pyz3_core::runtime_id()
}
