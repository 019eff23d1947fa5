//! capi/core/src/lib.rs: libpyz3's runtime core as a safe(ish) Rust API over `pyo3-ffi`.
//!
//! One module per concern: [`abi`] (the plugin ABI's structs and constants), [`types`] (the type
//! registry), [`tls`] (per-thread state), [`gil`] (the GIL-state cache), [`alloc`] (aligned
//! allocation on CPython's allocator), [`convert`] (fast conversions), [`views`] (per-call
//! argument views), [`buffer`] (buffer arguments), [`array`] (array results), [`pool`] (pooled
//! objects), [`immortal_cache`] (its lock-free intern cache on free-threaded builds),
//! [`exceptions`] (the exception kinds), [`error`] (raising), [`opts`] (run-time switches),
//! [`panic`] (the one panic boundary), [`debug`] (debug mode's per-call bookkeeping), [`owned`]
//! (owned references for load-time code), [`names`] (what a Python name may be). The
//! `extern "C"` surface is the `capi` crate around this one; module building is the `loader`
//! crate. Nothing here is exported from the shared library by itself.

pub mod abi;
pub mod alloc;
pub mod array;
pub mod buffer;
pub mod containers;
pub mod convert;
pub mod debug;
pub mod error;
pub mod exceptions;
pub mod gil;
pub mod immortal_cache;
pub mod module;
pub mod names;
pub mod opts;
pub mod out;
pub mod owned;
pub mod panic;
pub mod pool;
pub mod tls;
pub mod types;
pub mod views;

/// CPython's object type, as the ABI's `PyObject`.
pub use pyo3_ffi::PyObject;

/// The runtime's version (the Cargo package version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// An address unique to this copy of the runtime in the process; plugins and the loader compare
/// it to prove they share one runtime.
pub fn runtime_id() -> usize {
    static ANCHOR: u8 = 0;
    &ANCHOR as *const u8 as usize
}
