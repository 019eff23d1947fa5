//! capi/src/object.rs: reference counting, a few containers, and calling Python.
//!
//! All functions here require the GIL. Functions that take a `value` to store *steal* it (the
//! container takes over the reference, even on failure), so results of `pyz3_from_*` can be
//! passed straight in; a NULL `value` (a failed conversion) makes them fail with the exception
//! that conversion set.

use core::ffi::c_char;

use pyo3_ffi::{self as ffi, PyObject};
use pyz3_core::abi::{PYZ3_ERROR, PYZ3_OK};
use pyz3_core::{error, pool, tls};

use pyz3_core::panic::guard;

/// Adds a reference to `obj` (NULL is ignored).
#[no_mangle]
pub unsafe extern "C" fn pyz3_incref(obj: *mut PyObject) {
    // SAFETY: GIL held and `obj` valid or NULL per the contract.
    unsafe { ffi::Py_XINCREF(obj) }
}

/// Drops a reference to `obj` (NULL is ignored).
#[no_mangle]
pub unsafe extern "C" fn pyz3_decref(obj: *mut PyObject) {
    // SAFETY: GIL held and `obj` valid or NULL per the contract.
    unsafe { ffi::Py_XDECREF(obj) }
}

#[cold]
fn fail_null() -> i32 {
    // SAFETY: GIL held per the contract.
    unsafe {
        if !error::occurred() {
            error::raise_str(
                ffi::PyExc_SystemError,
                "NULL object passed to a pyz3 container function",
            );
        }
    }
    PYZ3_ERROR
}

/// A CPython status (`< 0`: an exception is set) as `PYZ3_OK`/`PYZ3_ERROR`.
#[inline]
pub(crate) fn status(rc: core::ffi::c_int) -> i32 {
    if rc < 0 {
        tls::note_error();
        PYZ3_ERROR
    } else {
        PYZ3_OK
    }
}

/// A new empty `dict`.
#[no_mangle]
pub extern "C" fn pyz3_dict_new() -> *mut PyObject {
    // SAFETY: GIL held per the contract.
    guard(core::ptr::null_mut(), || unsafe {
        error::noted(ffi::PyDict_New())
    })
}

/// `dict[key] = value`, with `key` a NUL-terminated UTF-8 string (interned) and `value`
/// stolen. Returns `PYZ3_OK` or `PYZ3_ERROR`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_dict_set(
    dict: *mut PyObject,
    key: *const c_char,
    value: *mut PyObject,
) -> i32 {
    guard(PYZ3_ERROR, || {
        // SAFETY: GIL held; pointers valid or NULL per the contract.
        unsafe { set_named(dict, key, value, ffi::PyDict_SetItem, fail_null) }
    })
}

/// `setter(target, name, value)` with `name` NUL-terminated UTF-8 (interned, cached by the pool
/// when it is on) and `value` stolen on every path, NULL arguments included (`on_null` raises):
/// the body of `pyz3_dict_set` and `pyz3_setattr`.
///
/// # Safety
/// GIL held; each pointer valid or NULL.
#[inline(always)]
pub(crate) unsafe fn set_named(
    target: *mut PyObject,
    name: *const c_char,
    value: *mut PyObject,
    setter: unsafe extern "C" fn(*mut PyObject, *mut PyObject, *mut PyObject) -> core::ffi::c_int,
    on_null: fn() -> i32,
) -> i32 {
    // SAFETY: per the contract.
    unsafe {
        if target.is_null() || name.is_null() || value.is_null() {
            ffi::Py_XDECREF(value);
            return on_null();
        }
        let n = pool::intern_cstr(name);
        if n.is_null() {
            ffi::Py_DECREF(value);
            return PYZ3_ERROR;
        }
        let rc = setter(target, n, value);
        ffi::Py_DECREF(n);
        ffi::Py_DECREF(value);
        status(rc)
    }
}

/// A new empty `list`.
#[no_mangle]
pub extern "C" fn pyz3_list_new() -> *mut PyObject {
    // SAFETY: GIL held per the contract.
    guard(core::ptr::null_mut(), || unsafe {
        error::noted(ffi::PyList_New(0))
    })
}

/// Appends `value` (stolen) to `list`. Returns `PYZ3_OK` or `PYZ3_ERROR`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_list_append(list: *mut PyObject, value: *mut PyObject) -> i32 {
    guard(PYZ3_ERROR, || {
        // SAFETY: GIL held; pointers valid or NULL per the contract.
        unsafe {
            if list.is_null() || value.is_null() {
                ffi::Py_XDECREF(value);
                return fail_null();
            }
            let rc = ffi::PyList_Append(list, value);
            ffi::Py_DECREF(value);
            status(rc)
        }
    })
}

/// A new `tuple` of `count` items taken from `items` (each stolen; all must be non-NULL, else
/// all are released and NULL is returned with `SystemError`). `items` may be NULL only when
/// `count` is 0.
#[no_mangle]
pub unsafe extern "C" fn pyz3_tuple_new(
    items: *const *mut PyObject,
    count: usize,
) -> *mut PyObject {
    guard(core::ptr::null_mut(), || {
        // SAFETY: GIL held; `items` holds `count` references or NULLs per the contract.
        unsafe {
            if items.is_null() && count != 0 {
                fail_null();
                return core::ptr::null_mut();
            }
            let items = if count == 0 {
                &[][..]
            } else {
                core::slice::from_raw_parts(items, count)
            };
            if items.iter().any(|o| o.is_null()) {
                for &o in items {
                    ffi::Py_XDECREF(o);
                }
                fail_null();
                return core::ptr::null_mut();
            }
            let t = error::noted(ffi::PyTuple_New(count as isize));
            if t.is_null() {
                for &o in items {
                    ffi::Py_DECREF(o);
                }
                return t;
            }
            for (i, &o) in items.iter().enumerate() {
                ffi::PyTuple_SET_ITEM(t, i as isize, o);
            }
            t
        }
    })
}

/// Calls `callable(*args)` with `nargs` borrowed positional arguments (`args` may be NULL only
/// when `nargs` is 0). Returns a new reference, or NULL with the exception the call raised.
#[no_mangle]
pub unsafe extern "C" fn pyz3_call_object(
    callable: *mut PyObject,
    args: *const *mut PyObject,
    nargs: usize,
) -> *mut PyObject {
    guard(core::ptr::null_mut(), || {
        // SAFETY: GIL held; `args` holds `nargs` valid objects per the contract.
        unsafe {
            if callable.is_null() || (args.is_null() && nargs != 0) {
                fail_null();
                return core::ptr::null_mut();
            }
            let r = ffi::PyObject_Vectorcall(callable, args, nargs, core::ptr::null_mut());
            if r.is_null() {
                tls::note_error();
            }
            r
        }
    })
}
