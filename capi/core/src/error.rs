//! capi/core/src/error.rs: raising Python exceptions from the runtime and from plugins.
//!
//! Every place in pyz3 that sets a Python exception goes through [`raise`] / [`raise_str`] (or
//! calls [`crate::tls::note_error`] after a CPython call failed), so the trampoline can tell a
//! clean success from "a result with an exception set" without calling `PyErr_Occurred` on the
//! success path.

use core::ffi::{c_char, CStr};

use pyo3_ffi as ffi;

pub use crate::exceptions::{ExcInfo, ExcKind, EXCEPTIONS};
use crate::tls;

/// The exception class of a kind.
pub fn exception_class(kind: ExcKind) -> *mut ffi::PyObject {
    // SAFETY: the PyExc_* statics are initialised for the lifetime of the interpreter.
    unsafe {
        match kind {
            ExcKind::RuntimeError => ffi::PyExc_RuntimeError,
            ExcKind::ValueError => ffi::PyExc_ValueError,
            ExcKind::TypeError => ffi::PyExc_TypeError,
            ExcKind::OverflowError => ffi::PyExc_OverflowError,
            ExcKind::KeyError => ffi::PyExc_KeyError,
            ExcKind::IndexError => ffi::PyExc_IndexError,
            ExcKind::MemoryError => ffi::PyExc_MemoryError,
            ExcKind::ZeroDivisionError => ffi::PyExc_ZeroDivisionError,
            ExcKind::NotImplementedError => ffi::PyExc_NotImplementedError,
            ExcKind::OSError => ffi::PyExc_OSError,
            ExcKind::AttributeError => ffi::PyExc_AttributeError,
            ExcKind::AssertionError => ffi::PyExc_AssertionError,
            ExcKind::TimeoutError => ffi::PyExc_TimeoutError,
            ExcKind::SystemError => ffi::PyExc_SystemError,
        }
    }
}

/// The exception type for a `PYZ3_EXC_*` number (`RuntimeError` for unknown kinds).
pub fn exception_type(kind: i32) -> *mut ffi::PyObject {
    exception_class(ExcKind::from_i32(kind).unwrap_or(ExcKind::RuntimeError))
}

/// Sets `exc_type(message)` as the current exception. The GIL must be held.
///
/// # Safety
/// GIL held; `exc_type` a valid exception type.
pub unsafe fn raise_str(exc_type: *mut ffi::PyObject, message: &str) {
    tls::note_error();
    // SAFETY: GIL held; the message is valid UTF-8 of the given length.
    unsafe {
        let msg = ffi::PyUnicode_FromStringAndSize(message.as_ptr().cast(), message.len() as isize);
        if msg.is_null() {
            return; // MemoryError is already set.
        }
        ffi::PyErr_SetObject(exc_type, msg);
        ffi::Py_DECREF(msg);
    }
}

/// Sets an exception of `kind` with a UTF-8 message (`len` bytes, invalid bytes replaced).
///
/// # Safety
/// GIL held; `message` readable for `len` bytes (or NULL).
pub unsafe fn raise_bytes(kind: i32, message: *const c_char, len: usize) {
    tls::note_error();
    let exc_type = exception_type(kind);
    // SAFETY: GIL held; `message` is readable for `len` bytes per the contract.
    unsafe {
        if message.is_null() {
            ffi::PyErr_SetNone(exc_type);
            return;
        }
        if len > isize::MAX as usize {
            // A length no buffer can have: a bug in the caller, reported instead of misread.
            raise_str(
                ffi::PyExc_SystemError,
                &format!("pyz3_raise_len: message length {len} is impossible"),
            );
            return;
        }
        let msg = ffi::PyUnicode_DecodeUTF8(message, len as isize, c"replace".as_ptr());
        if msg.is_null() {
            return;
        }
        ffi::PyErr_SetObject(exc_type, msg);
        ffi::Py_DECREF(msg);
    }
}

/// As [`raise_bytes`] with a NUL-terminated message.
///
/// # Safety
/// GIL held; `message` NUL-terminated (or NULL).
pub unsafe fn raise_cstr(kind: i32, message: *const c_char) {
    let len = if message.is_null() {
        0
    } else {
        // SAFETY: NUL-terminated per the contract.
        unsafe { CStr::from_ptr(message) }.to_bytes().len()
    };
    // SAFETY: forwarded.
    unsafe { raise_bytes(kind, message, len) }
}

/// `obj`, noting the error hint when it is NULL: for every `pyz3_*` export that returns a new
/// reference, so a failure the plugin ignores is caught by the trampoline's "result with an
/// exception set" check whatever CPython call failed inside.
#[inline(always)]
pub fn noted(obj: *mut ffi::PyObject) -> *mut ffi::PyObject {
    if obj.is_null() {
        tls::note_error();
    }
    obj
}

/// Is an exception set on this thread? The GIL must be held.
///
/// # Safety
/// GIL held.
#[inline]
pub unsafe fn occurred() -> bool {
    // SAFETY: GIL held.
    unsafe { !ffi::PyErr_Occurred().is_null() }
}

/// Takes the current exception as a (normalised) exception object, clearing it; NULL if none.
///
/// # Safety
/// GIL held.
#[cfg(Py_3_12)]
pub unsafe fn fetch() -> *mut ffi::PyObject {
    // SAFETY: GIL held.
    unsafe { ffi::PyErr_GetRaisedException() }
}

/// Takes the current exception as a (normalised) exception object, clearing it; NULL if none.
///
/// # Safety
/// GIL held.
#[cfg(not(Py_3_12))]
pub unsafe fn fetch() -> *mut ffi::PyObject {
    // SAFETY: GIL held.
    unsafe {
        let (mut t, mut v, mut tb) = (
            core::ptr::null_mut(),
            core::ptr::null_mut(),
            core::ptr::null_mut(),
        );
        ffi::PyErr_Fetch(&mut t, &mut v, &mut tb);
        if t.is_null() {
            return core::ptr::null_mut();
        }
        ffi::PyErr_NormalizeException(&mut t, &mut v, &mut tb);
        if !tb.is_null() && !v.is_null() {
            ffi::PyException_SetTraceback(v, tb);
        }
        ffi::Py_XDECREF(t);
        ffi::Py_XDECREF(tb);
        v
    }
}

/// Makes `exc` (an exception object, stolen) the current exception.
///
/// # Safety
/// GIL held; `exc` a new reference to an exception instance.
pub unsafe fn restore(exc: *mut ffi::PyObject) {
    // SAFETY: GIL held; PyErr_SetObject with an instance sets that instance.
    unsafe {
        ffi::PyErr_SetObject(ffi::Py_TYPE(exc).cast(), exc);
        ffi::Py_DECREF(exc);
    }
}

/// Raises `SystemError(message)` with any exception that is already set as its cause.
///
/// # Safety
/// GIL held.
pub unsafe fn raise_system_error_chained(message: &str) {
    // SAFETY: forwarded.
    unsafe { raise_chained(ffi::PyExc_SystemError, message) }
}

/// Raises `exc_type(message)` with any exception that is already set as its cause.
///
/// # Safety
/// GIL held; `exc_type` an exception class.
pub unsafe fn raise_chained(exc_type: *mut ffi::PyObject, message: &str) {
    // SAFETY: GIL held.
    unsafe {
        let cause = fetch();
        raise_str(exc_type, message);
        if cause.is_null() {
            return;
        }
        let exc = fetch();
        if !exc.is_null() {
            ffi::Py_INCREF(cause);
            ffi::PyException_SetCause(exc, cause);
            ffi::PyException_SetContext(exc, cause);
            restore(exc);
        } else {
            ffi::Py_DECREF(cause);
        }
    }
}
