//! capi/src/callback.rs: calling Python callables from native code — with typed C values, or
//! with objects and keyword arguments (ABI 1.1).
//!
//! `pyz3_call_typed` is how a function with a `PYZ3_T_CALLABLE` parameter calls it back: it
//! converts the C arguments to objects, calls, and converts the result back, taking the GIL
//! when the calling thread does not hold it (a `PYZ3_FN_RELEASE_GIL` function, a
//! `pyz3_nogil_begin` region, a native thread). An exception the callable raises stays set, so
//! the plugin function returns `PYZ3_ERROR` and the caller sees it unchanged.

use core::ffi::c_char;
use core::mem::MaybeUninit;
use core::ptr;

use pyo3_ffi::{self as ffi, PyObject};
use pyz3_core::abi::*;
use pyz3_core::convert;
use pyz3_core::panic::guard;
use pyz3_core::types::{Repr, TypeCode};
use pyz3_core::{error, gil, pool, tls};

/// Arguments kept on the stack; more go to the heap.
const STACK_ARGS: usize = 8;

/// The codes with a path of their own.
const I64: u8 = TypeCode::I64 as u8;
const F64: u8 = TypeCode::F64 as u8;

#[cold]
unsafe fn system_error(msg: &str) -> i32 {
    // SAFETY: GIL held by the callers.
    unsafe { error::raise_str(ffi::PyExc_SystemError, msg) };
    PYZ3_ERROR
}

/// A new object for argument `v` of type `ty` (a parameter type's value, as a plugin receives
/// it: `str`/`bytes` as UTF-8/bytes, objects borrowed).
unsafe fn arg_object(ty: TypeCode, v: &pyz3_value) -> *mut PyObject {
    // SAFETY: GIL held; `v` holds the member `ty` names as an argument.
    unsafe {
        match ty.info().repr {
            Repr::Text => convert::from_utf8(v.str.ptr, v.str.len),
            Repr::Bytes => convert::from_bytes(v.bytes.ptr, v.bytes.len),
            Repr::Object | Repr::Callable => {
                if v.obj.is_null() {
                    system_error("pyz3_call_typed: an object argument is NULL");
                    return ptr::null_mut();
                }
                ffi::Py_INCREF(v.obj);
                v.obj
            }
            _ => convert::from_value(ty, v),
        }
    }
}

/// [`arg_object`] for any code, checked to be a scalar parameter type.
#[inline(never)]
unsafe fn other_arg_object(code: u8, v: &pyz3_value, i: usize) -> *mut PyObject {
    // SAFETY: GIL held; `v` holds the member `code` names as an argument.
    unsafe {
        match TypeCode::from_u8(code).filter(|t| t.info().is_param_elem()) {
            Some(ty) => arg_object(ty, v),
            None => {
                system_error(&format!(
                    "pyz3_call_typed: argument {i} has type code {code}, not a scalar parameter \
                     type"
                ));
                ptr::null_mut()
            }
        }
    }
}

/// `name()` of a callable for messages: its `__qualname__`, else its type's name.
unsafe fn callable_name(callable: *mut PyObject) -> String {
    // SAFETY: GIL held.
    unsafe {
        let q = ffi::PyObject_GetAttrString(callable, c"__qualname__".as_ptr());
        if q.is_null() {
            ffi::PyErr_Clear();
            return format!("{} object", convert::object_type_name(callable));
        }
        let mut len: ffi::Py_ssize_t = 0;
        let p = ffi::PyUnicode_AsUTF8AndSize(q, &mut len);
        let s = if p.is_null() {
            ffi::PyErr_Clear();
            format!("{} object", convert::object_type_name(callable))
        } else {
            String::from_utf8_lossy(core::slice::from_raw_parts(p.cast(), len as usize))
                .into_owned()
        };
        ffi::Py_DECREF(q);
        s
    }
}

/// Converts the callable's result `r` (a new reference, consumed) to `ty` into `*result`.
unsafe fn store_result(
    callable: *mut PyObject,
    r: *mut PyObject,
    ty: TypeCode,
    result: *mut pyz3_value,
) -> i32 {
    // SAFETY: GIL held; `r` is a new reference we own.
    unsafe {
        let info = ty.info();
        if matches!(info.repr, Repr::Void) {
            ffi::Py_DECREF(r);
            return PYZ3_OK;
        }
        let ok = match info.repr {
            Repr::Text => ffi::PyUnicode_Check(r) != 0,
            Repr::Bytes => ffi::PyBytes_Check(r) != 0,
            Repr::Object => true,
            _ => {
                let mut v = pyz3_value::ZERO;
                match convert::to_value_into(ty, r, &mut v, pyz3_core::opts::fast_paths()) {
                    Ok(()) => {
                        ffi::Py_DECREF(r);
                        if !result.is_null() {
                            *result = v;
                        }
                        return PYZ3_OK;
                    }
                    Err(e) => {
                        let what = format!("the result of {}()", callable_name(callable));
                        convert::raise_conversion_error(e, ty, r, &what);
                        ffi::Py_DECREF(r);
                        return PYZ3_ERROR;
                    }
                }
            }
        };
        if !ok {
            let what = format!("the result of {}()", callable_name(callable));
            convert::raise_conversion_error(convert::ConvError::WrongType, ty, r, &what);
            ffi::Py_DECREF(r);
            return PYZ3_ERROR;
        }
        if result.is_null() {
            ffi::Py_DECREF(r);
        } else {
            (*result).obj = r;
        }
        PYZ3_OK
    }
}

#[inline(always)]
unsafe fn call_typed_held(
    callable: *mut PyObject,
    arg_types: *const u8,
    args: *const pyz3_value,
    nargs: usize,
    result_type: u8,
    result: *mut pyz3_value,
) -> i32 {
    // SAFETY: GIL held; the pointers are valid for `nargs` entries per the contract.
    unsafe {
        if callable.is_null() {
            return system_error("pyz3_call_typed: callable is NULL");
        }
        if nargs > 0 && (arg_types.is_null() || args.is_null()) {
            return system_error("pyz3_call_typed: arg_types or args is NULL");
        }
        let ret_ty = match result_type {
            I64 => TypeCode::I64,
            F64 => TypeCode::F64,
            _ => match TypeCode::from_u8(result_type)
                .filter(|t| t.info().is_scalar() && (t.info().result || *t == TypeCode::Void))
            {
                Some(t) => t,
                None => {
                    return system_error(&format!(
                        "pyz3_call_typed: result_type {result_type} is not a scalar type code"
                    ))
                }
            },
        };
        let mut stack = [MaybeUninit::<*mut PyObject>::uninit(); STACK_ARGS];
        let mut heap = Vec::new();
        let objs: *mut *mut PyObject = if nargs <= STACK_ARGS {
            stack.as_mut_ptr().cast()
        } else {
            heap.resize(nargs, ptr::null_mut());
            heap.as_mut_ptr()
        };
        let pooled = pool::ready();
        for i in 0..nargs {
            let code = *arg_types.add(i);
            let v = &*args.add(i);
            // The common codes first, then the registry's answer for the others.
            let made = match code {
                I64 => convert::from_i64_with(v.i64, pooled),
                F64 => convert::from_f64(v.f64),
                _ => other_arg_object(code, v, i),
            };
            if made.is_null() {
                for j in 0..i {
                    ffi::Py_DECREF(*objs.add(j));
                }
                tls::note_error();
                return PYZ3_ERROR;
            }
            *objs.add(i) = made;
        }
        let r = ffi::PyObject_Vectorcall(callable, objs, nargs, ptr::null_mut());
        for j in 0..nargs {
            ffi::Py_DECREF(*objs.add(j));
        }
        if r.is_null() {
            tls::note_error();
            return PYZ3_ERROR;
        }
        // An int64 result that is an exact small int: read without a call or a dispatch.
        if ret_ty == TypeCode::I64 && !result.is_null() && pyz3_core::opts::fast_paths() {
            if let Some(v) = convert::exact_i64(r) {
                (*result).i64 = v;
                ffi::Py_DECREF(r);
                return PYZ3_OK;
            }
        }
        store_result(callable, r, ret_ty, result)
    }
}

/// Calls `callable` with `nargs` typed arguments and converts its result.
///
/// `arg_types[i]` is the `PYZ3_T_*` code of `args[i]`, given as a plugin receives an argument of
/// that type (`i64`, `f64`, `b`, ...; `str`/`bytes` as UTF-8 in `str`/`bytes`, copied into new
/// objects; `obj` borrowed). `result_type` is the code the result converts to, with the rules
/// of an argument conversion (`TypeError`/`OverflowError` naming the callable when it does not
/// fit); numbers and bools arrive in their member of `*result`, a `str`, `bytes` or `object`
/// result as a new reference in `result->obj` (the caller releases it), and `PYZ3_T_VOID`
/// ignores the result. `result` may be NULL to ignore it.
///
/// Returns `PYZ3_OK`, or `PYZ3_ERROR` with the exception set — the callable's own exception,
/// unchanged, when it raised: return `PYZ3_ERROR` from the plugin function to pass it to the
/// caller. Callable from any thread: it takes the GIL when the thread does not hold it. On a
/// thread Python never saw, hold a `pyz3_gil_acquire` scope around the call to look at an
/// exception (without one, the thread's state and its exception go when the call ends), and
/// keep `callable` alive with your own reference.
#[no_mangle]
pub unsafe extern "C" fn pyz3_call_typed(
    callable: *mut PyObject,
    arg_types: *const u8,
    args: *const pyz3_value,
    nargs: usize,
    result_type: u8,
    result: *mut pyz3_value,
) -> i32 {
    guard(PYZ3_ERROR, || {
        // SAFETY: the GIL is held (the common case: the plugin function's own call), or taken
        // by `call_typed_acquiring`; the pointers are valid per the contract.
        unsafe {
            if pyz3_core::opts::gil_cache() && gil::held_by_pyz3() {
                call_typed_held(callable, arg_types, args, nargs, result_type, result)
            } else {
                call_typed_acquiring(callable, arg_types, args, nargs, result_type, result)
            }
        }
    })
}

/// [`pyz3_call_typed`] from a thread that may not hold the GIL.
#[inline(never)]
unsafe fn call_typed_acquiring(
    callable: *mut PyObject,
    arg_types: *const u8,
    args: *const pyz3_value,
    nargs: usize,
    result_type: u8,
    result: *mut pyz3_value,
) -> i32 {
    // SAFETY: the GIL is held inside; the pointers are valid per the contract.
    gil::with_gil(|| unsafe {
        call_typed_held(callable, arg_types, args, nargs, result_type, result)
    })
    .unwrap_or(PYZ3_ERROR)
}

/// The interned `str` keyword names as a tuple (new reference), or NULL with an exception.
unsafe fn kwnames_tuple(kwnames: *const *const c_char, nkw: usize) -> *mut PyObject {
    // SAFETY: GIL held; `kwnames` holds `nkw` NUL-terminated names.
    unsafe {
        if nkw == 0 {
            return ptr::null_mut();
        }
        let t = ffi::PyTuple_New(nkw as ffi::Py_ssize_t);
        if t.is_null() {
            tls::note_error();
            return t;
        }
        for k in 0..nkw {
            let name = *kwnames.add(k);
            let s = if name.is_null() {
                system_error("pyz3_call_kw: a keyword name is NULL");
                ptr::null_mut()
            } else {
                pool::intern_cstr(name)
            };
            if s.is_null() {
                ffi::Py_DECREF(t);
                return ptr::null_mut();
            }
            ffi::PyTuple_SET_ITEM(t, k as ffi::Py_ssize_t, s);
        }
        t
    }
}

/// Calls `callable` with `nargs` positional arguments followed by `nkw` keyword arguments:
/// `args` holds `nargs + nkw` borrowed objects, `kwnames` the `nkw` keyword names
/// (NUL-terminated UTF-8; may be NULL when `nkw` is 0). Returns a new reference, or NULL with
/// the exception the call raised. Requires the GIL.
#[no_mangle]
pub unsafe extern "C" fn pyz3_call_kw(
    callable: *mut PyObject,
    args: *const *mut PyObject,
    nargs: usize,
    kwnames: *const *const c_char,
    nkw: usize,
) -> *mut PyObject {
    guard(ptr::null_mut(), || {
        // SAFETY: GIL held; the arrays are valid per the contract.
        unsafe {
            if callable.is_null()
                || (args.is_null() && nargs + nkw != 0)
                || (kwnames.is_null() && nkw != 0)
            {
                system_error("pyz3_call_kw: NULL callable, args or kwnames");
                return ptr::null_mut();
            }
            let names = kwnames_tuple(kwnames, nkw);
            if nkw != 0 && names.is_null() {
                return ptr::null_mut();
            }
            let r = ffi::PyObject_Vectorcall(callable, args, nargs, names);
            ffi::Py_XDECREF(names);
            if r.is_null() {
                tls::note_error();
            }
            r
        }
    })
}

/// Calls method `name` (NUL-terminated UTF-8) of `obj`: `obj.name(*args, **kwargs)` with the
/// arguments laid out as for `pyz3_call_kw`. Returns a new reference, or NULL with the
/// exception raised (`AttributeError` when there is no such method). Requires the GIL.
#[no_mangle]
pub unsafe extern "C" fn pyz3_call_method(
    obj: *mut PyObject,
    name: *const c_char,
    args: *const *mut PyObject,
    nargs: usize,
    kwnames: *const *const c_char,
    nkw: usize,
) -> *mut PyObject {
    guard(ptr::null_mut(), || {
        // SAFETY: GIL held; the arrays are valid per the contract.
        unsafe {
            if obj.is_null() || name.is_null() {
                system_error("pyz3_call_method: NULL object or name");
                return ptr::null_mut();
            }
            let method = ffi::PyObject_GetAttrString(obj, name);
            if method.is_null() {
                tls::note_error();
                return method;
            }
            let r = pyz3_call_kw(method, args, nargs, kwnames, nkw);
            ffi::Py_DECREF(method);
            r
        }
    })
}
