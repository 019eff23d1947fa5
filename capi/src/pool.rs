//! capi/src/pool.rs: pooled objects — singletons, small ints, empty containers, interned names.

use core::ffi::c_char;

use pyo3_ffi::{self as ffi, PyObject};
use pyz3_core::pool;

use pyz3_core::panic::guard;

/// `None` (new reference). Requires the GIL, like every function returning an object.
#[no_mangle]
pub extern "C" fn pyz3_none() -> *mut PyObject {
    // SAFETY: GIL held per the contract.
    guard(core::ptr::null_mut(), || unsafe { pool::none() })
}

/// The empty tuple (new reference).
#[no_mangle]
pub extern "C" fn pyz3_empty_tuple() -> *mut PyObject {
    // SAFETY: GIL held per the contract.
    guard(core::ptr::null_mut(), || unsafe {
        let o = pool::empty_tuple();
        if o.is_null() {
            pyz3_core::error::noted(ffi::PyTuple_New(0))
        } else {
            o
        }
    })
}

/// An interned `str` for the NUL-terminated UTF-8 `name` (new reference). Interned strings
/// compare by identity, which makes them the cheapest dict keys and attribute names; repeated
/// calls with the same text return the same object. NULL `name` raises `SystemError`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_intern(name: *const c_char) -> *mut PyObject {
    if name.is_null() {
        // SAFETY: GIL held per the contract.
        unsafe {
            pyz3_core::error::raise_str(ffi::PyExc_SystemError, "NULL name passed to pyz3_intern")
        };
        return core::ptr::null_mut();
    }
    // SAFETY: GIL held; NUL-terminated per the contract.
    guard(core::ptr::null_mut(), || unsafe { pool::intern_cstr(name) })
}
