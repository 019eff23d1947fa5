//! capi/src/lib.rs: libpyz3's `extern "C"` surface — one module per C concept.
//!
//! Every exported function is `pyz3_`-prefixed, documented for C readers (cbindgen copies these
//! comments into include/pyz3.h), and runs inside `pyz3_core::panic::guard`, so a Rust panic never
//! unwinds into C. The library also exports `PyInit__pyz3`: the same shared object is the
//! `pyz3._pyz3` extension module, which is what makes loader and plugins share one runtime.
#![allow(
    clippy::missing_safety_doc,
    reason = "the contracts are written for C readers in each function's doc comment"
)]
#![allow(
    non_camel_case_types,
    reason = "C names are kept verbatim so the header reads as C"
)]

pub mod access;
pub mod alloc;
pub mod array;
pub mod callback;
pub mod class;
pub mod containers;
pub mod convert;
pub mod debug;
pub mod error;
pub mod gil;
pub mod object;
pub mod opts;
pub mod pool;
pub mod result;
pub mod version;

pub use pyz3_core::abi::*;

/// Entry point of the `pyz3._pyz3` extension module (not part of the plugin ABI).
#[no_mangle]
pub unsafe extern "C" fn PyInit__pyz3() -> *mut pyo3_ffi::PyObject {
    // SAFETY: called by CPython's import machinery with the GIL held.
    pyz3_core::panic::guard(core::ptr::null_mut(), || unsafe {
        pyz3_loader::debug::register_wrappers(debug::wrappers);
        pyz3_loader::module::init_native_module()
    })
}
