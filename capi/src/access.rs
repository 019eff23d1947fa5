//! capi/src/access.rs: the object API, read side — what a raw function needs to work with
//! arbitrary objects without `Python.h` (ABI 1.1).
//!
//! Every function requires the GIL. Ownership follows object.rs: a returned `PyObject *` is a
//! new reference the caller releases with `pyz3_decref` (the strong-reference rule, which
//! free-threaded CPython needs too), and a `value` passed in to be stored is stolen, even on
//! failure. A NULL object argument raises `SystemError`.

use core::ffi::c_char;
use core::ptr;

use pyo3_ffi::{self as ffi, PyObject};
use pyz3_core::abi::*;
use pyz3_core::panic::guard;
use pyz3_core::{error, pool, tls};

use crate::object::{set_named, status};

#[cold]
fn null_object(func: &str) -> i32 {
    // SAFETY: GIL held per the contract.
    unsafe {
        if !error::occurred() {
            error::raise_str(
                ffi::PyExc_SystemError,
                &format!("{func}: NULL object argument"),
            );
        }
    }
    PYZ3_ERROR
}

#[inline]
fn checked(r: *mut PyObject) -> *mut PyObject {
    if r.is_null() {
        tls::note_error();
    }
    r
}

/// `len(obj)`, or -1 with an exception set (`TypeError` when `obj` has no length).
#[no_mangle]
pub unsafe extern "C" fn pyz3_len(obj: *mut PyObject) -> isize {
    guard(-1, || {
        if obj.is_null() {
            return null_object("pyz3_len") as isize;
        }
        // SAFETY: GIL held; `obj` valid.
        let n = unsafe { ffi::PyObject_Size(obj) };
        if n < 0 {
            tls::note_error();
        }
        n
    })
}

/// `obj[key]`: a new reference, or NULL with the exception raised (`KeyError`, `IndexError`,
/// `TypeError`, ...). `key` is borrowed.
#[no_mangle]
pub unsafe extern "C" fn pyz3_getitem(obj: *mut PyObject, key: *mut PyObject) -> *mut PyObject {
    guard(ptr::null_mut(), || {
        if obj.is_null() || key.is_null() {
            null_object("pyz3_getitem");
            return ptr::null_mut();
        }
        // SAFETY: GIL held; both valid.
        checked(unsafe { ffi::PyObject_GetItem(obj, key) })
    })
}

/// `obj[index]` for a sequence (a negative index counts from the end): a new reference, or
/// NULL with `IndexError`, `TypeError`, ...
#[no_mangle]
pub unsafe extern "C" fn pyz3_getitem_index(obj: *mut PyObject, index: isize) -> *mut PyObject {
    guard(ptr::null_mut(), || {
        if obj.is_null() {
            null_object("pyz3_getitem_index");
            return ptr::null_mut();
        }
        // SAFETY: GIL held; `obj` valid. PySequence_GetItem adds len() to a negative index.
        unsafe {
            if ffi::PySequence_Check(obj) == 0 {
                let key = ffi::PyLong_FromSsize_t(index);
                if key.is_null() {
                    return checked(key);
                }
                let r = ffi::PyObject_GetItem(obj, key);
                ffi::Py_DECREF(key);
                return checked(r);
            }
            checked(ffi::PySequence_GetItem(obj, index))
        }
    })
}

/// `obj[key] = value`. `key` is borrowed, `value` stolen. `PYZ3_OK` or `PYZ3_ERROR`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_setitem(
    obj: *mut PyObject,
    key: *mut PyObject,
    value: *mut PyObject,
) -> i32 {
    guard(PYZ3_ERROR, || {
        // SAFETY: GIL held; pointers valid or NULL per the contract.
        unsafe {
            if obj.is_null() || key.is_null() || value.is_null() {
                ffi::Py_XDECREF(value);
                return null_object("pyz3_setitem");
            }
            let rc = ffi::PyObject_SetItem(obj, key, value);
            ffi::Py_DECREF(value);
            status(rc)
        }
    })
}

/// `iter(obj)`: a new reference to an iterator, or NULL with `TypeError` when `obj` is not
/// iterable. Step through it with `pyz3_next`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_get_iter(obj: *mut PyObject) -> *mut PyObject {
    guard(ptr::null_mut(), || {
        if obj.is_null() {
            null_object("pyz3_get_iter");
            return ptr::null_mut();
        }
        // SAFETY: GIL held; `obj` valid.
        checked(unsafe { ffi::PyObject_GetIter(obj) })
    })
}

/// The next item of iterator `iter` into `*item` (a new reference): `PYZ3_OK`; `PYZ3_ITER_END`
/// when it is exhausted (no exception set, `*item` NULL); `PYZ3_ERROR` with the exception the
/// iterator raised.
#[no_mangle]
pub unsafe extern "C" fn pyz3_next(iter: *mut PyObject, item: *mut *mut PyObject) -> i32 {
    guard(PYZ3_ERROR, || {
        // SAFETY: GIL held; `item` writable per the contract.
        unsafe {
            if iter.is_null() || item.is_null() {
                return null_object("pyz3_next");
            }
            *item = ptr::null_mut();
            if ffi::PyIter_Check(iter) == 0 {
                error::raise_str(
                    ffi::PyExc_TypeError,
                    &format!(
                        "'{}' object is not an iterator",
                        pyz3_core::convert::object_type_name(iter)
                    ),
                );
                return PYZ3_ERROR;
            }
            let r = ffi::PyIter_Next(iter);
            if !r.is_null() {
                *item = r;
                return PYZ3_OK;
            }
            if error::occurred() {
                tls::note_error();
                return PYZ3_ERROR;
            }
            PYZ3_ITER_END
        }
    })
}

#[cold]
unsafe fn not_a_dict(func: &str, obj: *mut PyObject) -> i32 {
    // SAFETY: GIL held.
    unsafe {
        error::raise_str(
            ffi::PyExc_TypeError,
            &format!(
                "{func}: expected a dict, not {}",
                pyz3_core::convert::object_type_name(obj)
            ),
        )
    };
    PYZ3_ERROR
}

/// `dict[key]` for a `dict` (or subclass; its `__getitem__` is not called) with a `str` key
/// given as NUL-terminated UTF-8: `PYZ3_OK` with `*value` a new reference; `PYZ3_NOT_FOUND`
/// when the key is missing (no exception, `*value` NULL); `PYZ3_ERROR` with `TypeError` when
/// `dict` is not a dict, or the exception a key's `__eq__` raised.
#[no_mangle]
pub unsafe extern "C" fn pyz3_dict_get_item(
    dict: *mut PyObject,
    key: *const c_char,
    value: *mut *mut PyObject,
) -> i32 {
    guard(PYZ3_ERROR, || {
        // SAFETY: GIL held; `key` NUL-terminated and `value` writable per the contract.
        unsafe {
            if dict.is_null() || key.is_null() || value.is_null() {
                return null_object("pyz3_dict_get_item");
            }
            *value = ptr::null_mut();
            if ffi::PyDict_Check(dict) == 0 {
                return not_a_dict("pyz3_dict_get_item", dict);
            }
            let k = ffi::PyUnicode_FromString(key);
            if k.is_null() {
                tls::note_error();
                return PYZ3_ERROR;
            }
            // Free-threaded, a strong reference taken by the dict itself: another thread may
            // remove the entry the moment a borrowed one is returned.
            #[cfg(Py_GIL_DISABLED)]
            let (found, v) = {
                let mut v = ptr::null_mut();
                (ffi::PyDict_GetItemRef(dict, k, &mut v), v)
            };
            #[cfg(not(Py_GIL_DISABLED))]
            let (found, v) = {
                let v = ffi::PyDict_GetItemWithError(dict, k);
                if !v.is_null() {
                    ffi::Py_INCREF(v);
                    (1, v)
                } else if error::occurred() {
                    (-1, v)
                } else {
                    (0, v)
                }
            };
            ffi::Py_DECREF(k);
            match found {
                1 => {
                    *value = v;
                    PYZ3_OK
                }
                0 => PYZ3_NOT_FOUND,
                _ => {
                    tls::note_error();
                    PYZ3_ERROR
                }
            }
        }
    })
}

/// Steps through the entries of a `dict`: start with `*pos = 0`; each call stores the next key
/// and value (new references, either pointer may be NULL to skip it) and returns `PYZ3_OK`, or
/// returns `PYZ3_ITER_END` after the last entry. The dict must not change size meanwhile.
/// `PYZ3_ERROR` with `TypeError` when `dict` is not a dict.
#[no_mangle]
pub unsafe extern "C" fn pyz3_dict_next(
    dict: *mut PyObject,
    pos: *mut usize,
    key: *mut *mut PyObject,
    value: *mut *mut PyObject,
) -> i32 {
    guard(PYZ3_ERROR, || {
        // SAFETY: GIL held; the out pointers are writable or NULL per the contract.
        unsafe {
            if dict.is_null() || pos.is_null() {
                return null_object("pyz3_dict_next");
            }
            if ffi::PyDict_Check(dict) == 0 {
                return not_a_dict("pyz3_dict_next", dict);
            }
            let mut p = *pos as ffi::Py_ssize_t;
            let (mut k, mut v) = (ptr::null_mut(), ptr::null_mut());
            // Free-threaded, the entry is read and referenced under the dict's critical section
            // (what CPython's own dict iteration holds), so no other thread frees it between.
            #[cfg(Py_GIL_DISABLED)]
            let mut section = core::mem::MaybeUninit::<ffi::PyCriticalSection>::uninit();
            #[cfg(Py_GIL_DISABLED)]
            ffi::PyCriticalSection_Begin(section.as_mut_ptr(), dict);
            let more = ffi::PyDict_Next(dict, &mut p, &mut k, &mut v) != 0;
            if more {
                ffi::Py_INCREF(k);
                ffi::Py_INCREF(v);
            }
            #[cfg(Py_GIL_DISABLED)]
            ffi::PyCriticalSection_End(section.as_mut_ptr());
            if !more {
                return PYZ3_ITER_END;
            }
            *pos = p as usize;
            if key.is_null() {
                ffi::Py_DECREF(k);
            } else {
                *key = k;
            }
            if value.is_null() {
                ffi::Py_DECREF(v);
            } else {
                *value = v;
            }
            PYZ3_OK
        }
    })
}

/// `getattr(obj, name)` with `name` NUL-terminated UTF-8: a new reference, or NULL with
/// `AttributeError` (or what the attribute's getter raised).
#[no_mangle]
pub unsafe extern "C" fn pyz3_getattr(obj: *mut PyObject, name: *const c_char) -> *mut PyObject {
    guard(ptr::null_mut(), || {
        if obj.is_null() || name.is_null() {
            null_object("pyz3_getattr");
            return ptr::null_mut();
        }
        // SAFETY: GIL held; `name` NUL-terminated. Attribute names are interned (cached by the
        // pool when it is on), as CPython interns them in source code.
        unsafe {
            let n = pool::intern_cstr(name);
            if n.is_null() {
                return checked(n);
            }
            let r = ffi::PyObject_GetAttr(obj, n);
            ffi::Py_DECREF(n);
            checked(r)
        }
    })
}

/// `setattr(obj, name, value)`; `value` is stolen. `PYZ3_OK` or `PYZ3_ERROR`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_setattr(
    obj: *mut PyObject,
    name: *const c_char,
    value: *mut PyObject,
) -> i32 {
    guard(PYZ3_ERROR, || {
        // SAFETY: GIL held; pointers valid or NULL per the contract.
        unsafe {
            set_named(obj, name, value, ffi::PyObject_SetAttr, || {
                null_object("pyz3_setattr")
            })
        }
    })
}

/// `isinstance(obj, T)` for a built-in `T` named by a `PYZ3_PY_*` constant (subclasses count,
/// so `True` is an int; `PYZ3_PY_CALLABLE` is `callable(obj)`): 1 or 0, or -1 with
/// `SystemError` for an unknown constant.
#[no_mangle]
pub unsafe extern "C" fn pyz3_isinstance(obj: *mut PyObject, builtin: u32) -> i32 {
    guard(-1, || {
        if obj.is_null() {
            return null_object("pyz3_isinstance");
        }
        // SAFETY: GIL held; `obj` valid.
        unsafe {
            let yes = match builtin {
                PYZ3_PY_NONE => obj == ffi::Py_None(),
                PYZ3_PY_BOOL => ffi::PyBool_Check(obj) != 0,
                PYZ3_PY_INT => ffi::PyLong_Check(obj) != 0,
                PYZ3_PY_FLOAT => ffi::PyFloat_Check(obj) != 0,
                PYZ3_PY_STR => ffi::PyUnicode_Check(obj) != 0,
                PYZ3_PY_BYTES => ffi::PyBytes_Check(obj) != 0,
                PYZ3_PY_BYTEARRAY => ffi::PyByteArray_Check(obj) != 0,
                PYZ3_PY_LIST => ffi::PyList_Check(obj) != 0,
                PYZ3_PY_TUPLE => ffi::PyTuple_Check(obj) != 0,
                PYZ3_PY_DICT => ffi::PyDict_Check(obj) != 0,
                PYZ3_PY_SET => ffi::PySet_Check(obj) != 0,
                PYZ3_PY_FROZENSET => ffi::PyFrozenSet_Check(obj) != 0,
                PYZ3_PY_CALLABLE => ffi::PyCallable_Check(obj) != 0,
                other => {
                    error::raise_str(
                        ffi::PyExc_SystemError,
                        &format!("pyz3_isinstance: {other} is not a PYZ3_PY_* constant"),
                    );
                    return -1;
                }
            };
            i32::from(yes)
        }
    })
}
