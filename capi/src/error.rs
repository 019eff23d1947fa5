//! capi/src/error.rs: raising Python exceptions from plugin code.

use core::ffi::c_char;

use pyz3_core::abi::{pyz3_module, PYZ3_ERROR};
use pyz3_core::module::ModuleState;
use pyz3_core::{error, gil};

use pyz3_core::panic::guard;

/// Sets a Python exception of `kind` (`PYZ3_EXC_*`; unknown kinds give `RuntimeError`) with a
/// NUL-terminated UTF-8 `message` (copied; NULL gives an exception without a message), and
/// returns `PYZ3_ERROR`, so a plugin function can `return pyz3_raise(...)`.
///
/// Callable from any thread: inside a function flagged `PYZ3_FN_RELEASE_GIL` or a
/// `pyz3_nogil_begin` region it takes the GIL briefly to set the exception on the calling
/// thread, which the loader then raises. On a thread Python never saw there is nobody to receive
/// the exception; it is discarded.
#[no_mangle]
pub unsafe extern "C" fn pyz3_raise(kind: i32, message: *const c_char) -> i32 {
    guard(PYZ3_ERROR, || {
        // SAFETY: `message` is NUL-terminated or NULL per the contract; the GIL is held inside.
        gil::with_gil(|| unsafe { error::raise_cstr(kind, message) });
        PYZ3_ERROR
    })
}

/// As `pyz3_raise`, with a message of `len` bytes that need not be NUL-terminated (invalid
/// UTF-8 is replaced with U+FFFD).
#[no_mangle]
pub unsafe extern "C" fn pyz3_raise_len(kind: i32, message: *const c_char, len: usize) -> i32 {
    guard(PYZ3_ERROR, || {
        // SAFETY: `message` is readable for `len` bytes per the contract.
        gil::with_gil(|| unsafe { error::raise_bytes(kind, message, len) });
        PYZ3_ERROR
    })
}

/// True when a Python exception is set on this thread. Requires the GIL.
#[no_mangle]
pub extern "C" fn pyz3_error_occurred() -> bool {
    // SAFETY: the caller holds the GIL per the contract.
    guard(false, || unsafe { error::occurred() })
}

/// Clears the current Python exception, if any. Requires the GIL.
#[no_mangle]
pub extern "C" fn pyz3_error_clear() {
    // SAFETY: the caller holds the GIL per the contract.
    guard((), || unsafe { pyo3_ffi::PyErr_Clear() })
}

/// Raises the plugin's own exception class `index` (its position in `pyz3_plugin.exceptions`)
/// with a NUL-terminated UTF-8 `message` (copied; NULL gives an empty message), and returns
/// `PYZ3_ERROR`. `module` is the `call->module` the function received. An index out of range
/// raises `SystemError` instead. Callable from any thread, like `pyz3_raise`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_raise_exception(
    module: *const pyz3_module,
    index: u32,
    message: *const c_char,
) -> i32 {
    let len = if message.is_null() {
        0
    } else {
        // SAFETY: NUL-terminated per the contract.
        unsafe { core::ffi::CStr::from_ptr(message) }
            .to_bytes()
            .len()
    };
    // SAFETY: forwarded.
    unsafe { pyz3_raise_exception_len(module, index, message, len) }
}

/// As `pyz3_raise_exception`, with a message of `len` bytes that need not be NUL-terminated
/// (invalid UTF-8 is replaced with U+FFFD).
#[no_mangle]
pub unsafe extern "C" fn pyz3_raise_exception_len(
    module: *const pyz3_module,
    index: u32,
    message: *const c_char,
    len: usize,
) -> i32 {
    guard(PYZ3_ERROR, || {
        let text = if message.is_null() || len == 0 {
            String::new()
        } else {
            // SAFETY: readable for `len` bytes per the contract.
            let bytes = unsafe { core::slice::from_raw_parts(message.cast::<u8>(), len) };
            String::from_utf8_lossy(bytes).into_owned()
        };
        // SAFETY: `module` is the handle the loader passed (its function is running, so the
        // state is alive) or NULL; the GIL is held inside.
        gil::with_gil(|| unsafe {
            match ModuleState::from_handle(module) {
                Some(state) => state.raise(index, &text),
                None => error::raise_str(
                    pyo3_ffi::PyExc_SystemError,
                    "pyz3_raise_exception: module is NULL (pass call->module)",
                ),
            }
        });
        PYZ3_ERROR
    })
}
