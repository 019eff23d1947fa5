//! capi/src/convert.rs: conversions between Python objects and C values.
//!
//! The same conversions the loader's trampolines use. All require the GIL. `pyz3_to_*` return
//! `PYZ3_OK` and store the value, or return `PYZ3_ERROR` with `TypeError` (wrong type),
//! `OverflowError` (out of range) or the exception an `__index__`/`__float__` raised.
//! `pyz3_from_*` return a new reference, or NULL with an exception set.

use core::ffi::c_char;

use pyo3_ffi::PyObject;
use pyz3_core::abi::*;
use pyz3_core::convert;
use pyz3_core::types::TypeCode;

use pyz3_core::panic::guard;

#[inline(always)]
unsafe fn store<T>(
    obj: *mut PyObject,
    ty: TypeCode,
    out: *mut T,
    r: convert::ConvResult<T>,
) -> i32 {
    match r {
        Ok(v) => {
            // SAFETY: `out` is writable per the contract.
            unsafe { out.write(v) };
            PYZ3_OK
        }
        Err(e) => {
            // SAFETY: GIL held; `obj` valid.
            unsafe { convert::raise_conversion_error(e, ty, obj, "value") };
            PYZ3_ERROR
        }
    }
}

#[inline(always)]
unsafe fn to_int<T>(
    obj: *mut PyObject,
    out: *mut T,
    ty: TypeCode,
    conv: impl FnOnce() -> convert::ConvResult<T>,
) -> i32 {
    if obj.is_null() || out.is_null() {
        return null_argument();
    }
    // SAFETY: GIL held and pointers valid per the contract.
    guard(PYZ3_ERROR, || unsafe { store(obj, ty, out, conv()) })
}

#[cold]
fn null_argument() -> i32 {
    // SAFETY: the conversion functions require the GIL.
    unsafe {
        pyz3_core::error::raise_str(
            pyo3_ffi::PyExc_SystemError,
            "NULL argument to a pyz3 conversion",
        )
    };
    PYZ3_ERROR
}

/// Converts an `int` (or `__index__` object) to `int8_t`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_to_i8(obj: *mut PyObject, out: *mut i8) -> i32 {
    // SAFETY: GIL held and `obj` valid per the contract (checked for NULL by `to_int`).
    unsafe {
        to_int(obj, out, TypeCode::I8, || {
            convert::to_signed(obj, 8).map(|v| v as i8)
        })
    }
}

/// Converts an `int` (or `__index__` object) to `int16_t`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_to_i16(obj: *mut PyObject, out: *mut i16) -> i32 {
    // SAFETY: GIL held and `obj` valid per the contract (checked for NULL by `to_int`).
    unsafe {
        to_int(obj, out, TypeCode::I16, || {
            convert::to_signed(obj, 16).map(|v| v as i16)
        })
    }
}

/// Converts an `int` (or `__index__` object) to `int32_t`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_to_i32(obj: *mut PyObject, out: *mut i32) -> i32 {
    // SAFETY: GIL held and `obj` valid per the contract (checked for NULL by `to_int`).
    unsafe {
        to_int(obj, out, TypeCode::I32, || {
            convert::to_signed(obj, 32).map(|v| v as i32)
        })
    }
}

/// Converts an `int` (or `__index__` object) to `int64_t`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_to_i64(obj: *mut PyObject, out: *mut i64) -> i32 {
    // SAFETY: GIL held and `obj` valid per the contract (checked for NULL by `to_int`).
    unsafe { to_int(obj, out, TypeCode::I64, || convert::to_signed(obj, 64)) }
}

/// Converts a non-negative `int` (or `__index__` object) to `uint8_t`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_to_u8(obj: *mut PyObject, out: *mut u8) -> i32 {
    // SAFETY: GIL held and `obj` valid per the contract (checked for NULL by `to_int`).
    unsafe {
        to_int(obj, out, TypeCode::U8, || {
            convert::to_unsigned(obj, 8).map(|v| v as u8)
        })
    }
}

/// Converts a non-negative `int` (or `__index__` object) to `uint16_t`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_to_u16(obj: *mut PyObject, out: *mut u16) -> i32 {
    // SAFETY: GIL held and `obj` valid per the contract (checked for NULL by `to_int`).
    unsafe {
        to_int(obj, out, TypeCode::U16, || {
            convert::to_unsigned(obj, 16).map(|v| v as u16)
        })
    }
}

/// Converts a non-negative `int` (or `__index__` object) to `uint32_t`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_to_u32(obj: *mut PyObject, out: *mut u32) -> i32 {
    // SAFETY: GIL held and `obj` valid per the contract (checked for NULL by `to_int`).
    unsafe {
        to_int(obj, out, TypeCode::U32, || {
            convert::to_unsigned(obj, 32).map(|v| v as u32)
        })
    }
}

/// Converts a non-negative `int` (or `__index__` object) to `uint64_t`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_to_u64(obj: *mut PyObject, out: *mut u64) -> i32 {
    // SAFETY: GIL held and `obj` valid per the contract (checked for NULL by `to_int`).
    unsafe { to_int(obj, out, TypeCode::U64, || convert::to_unsigned(obj, 64)) }
}

/// Converts a `float`, `int` or object with `__float__`/`__index__` to `double`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_to_f64(obj: *mut PyObject, out: *mut f64) -> i32 {
    if obj.is_null() || out.is_null() {
        return null_argument();
    }
    // SAFETY: GIL held and pointers valid per the contract.
    guard(PYZ3_ERROR, || unsafe {
        store(obj, TypeCode::F64, out, convert::to_f64(obj))
    })
}

/// As `pyz3_to_f64`, to `float`; finite values beyond float's range raise `OverflowError`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_to_f32(obj: *mut PyObject, out: *mut f32) -> i32 {
    if obj.is_null() || out.is_null() {
        return null_argument();
    }
    // SAFETY: GIL held and pointers valid per the contract.
    guard(PYZ3_ERROR, || unsafe {
        store(obj, TypeCode::F32, out, convert::to_f32(obj))
    })
}

/// Converts `True`/`False` to `bool`; any other object raises `TypeError`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_to_bool(obj: *mut PyObject, out: *mut bool) -> i32 {
    if obj.is_null() || out.is_null() {
        return null_argument();
    }
    // SAFETY: GIL held and pointers valid per the contract.
    guard(PYZ3_ERROR, || unsafe {
        store(obj, TypeCode::Bool, out, convert::to_bool(obj))
    })
}

/// Borrows the UTF-8 text of a `str`. `out->ptr` stays valid while `obj` is alive and
/// unchanged; it is not NUL-terminated in general (use `out->len`). Strings with lone
/// surrogates raise `UnicodeEncodeError`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_to_str(obj: *mut PyObject, out: *mut pyz3_str) -> i32 {
    if obj.is_null() || out.is_null() {
        return null_argument();
    }
    // SAFETY: GIL held and pointers valid per the contract.
    guard(PYZ3_ERROR, || unsafe {
        store(obj, TypeCode::Str, out, convert::to_str(obj))
    })
}

/// Borrows the contents of a `bytes` object, valid while `obj` is alive.
#[no_mangle]
pub unsafe extern "C" fn pyz3_to_bytes(obj: *mut PyObject, out: *mut pyz3_str) -> i32 {
    if obj.is_null() || out.is_null() {
        return null_argument();
    }
    // SAFETY: GIL held and pointers valid per the contract.
    guard(PYZ3_ERROR, || unsafe {
        store(obj, TypeCode::Bytes, out, convert::to_bytes(obj))
    })
}

/// A new `int` (pooled for small values when the pool is on).
#[no_mangle]
pub extern "C" fn pyz3_from_i64(value: i64) -> *mut PyObject {
    // SAFETY: GIL held per the contract.
    guard(core::ptr::null_mut(), || unsafe {
        pyz3_core::error::noted(convert::from_i64(value))
    })
}

/// A new `int` from an unsigned value.
#[no_mangle]
pub extern "C" fn pyz3_from_u64(value: u64) -> *mut PyObject {
    // SAFETY: GIL held per the contract.
    guard(core::ptr::null_mut(), || unsafe {
        pyz3_core::error::noted(convert::from_u64(value))
    })
}

/// A new `float`.
#[no_mangle]
pub extern "C" fn pyz3_from_f64(value: f64) -> *mut PyObject {
    // SAFETY: GIL held per the contract.
    guard(core::ptr::null_mut(), || unsafe {
        pyz3_core::error::noted(convert::from_f64(value))
    })
}

/// `True` or `False` (new reference).
#[no_mangle]
pub extern "C" fn pyz3_from_bool(value: bool) -> *mut PyObject {
    // SAFETY: GIL held per the contract.
    guard(core::ptr::null_mut(), || unsafe {
        pyz3_core::error::noted(convert::from_bool(value))
    })
}

/// A new `str` from `len` bytes of UTF-8 at `utf8` (copied; NUL bytes allowed; NULL allowed when
/// `len` is 0, else it raises `SystemError`). Invalid UTF-8 raises `UnicodeDecodeError`. This is
/// how a function declared to return `PYZ3_T_STR` makes its result:
/// `result->obj = pyz3_from_str(buf, n)`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_from_str(utf8: *const c_char, len: usize) -> *mut PyObject {
    if utf8.is_null() && len != 0 {
        return null_argument_obj();
    }
    // SAFETY: GIL held; `utf8` readable for `len` bytes per the contract.
    guard(core::ptr::null_mut(), || unsafe {
        pyz3_core::error::noted(convert::from_utf8(utf8, len))
    })
}

/// A new `str` from a NUL-terminated UTF-8 string.
#[no_mangle]
pub unsafe extern "C" fn pyz3_from_cstr(utf8: *const c_char) -> *mut PyObject {
    if utf8.is_null() {
        return null_argument_obj();
    }
    // SAFETY: NUL-terminated per the contract; GIL held.
    guard(core::ptr::null_mut(), || unsafe {
        let len = core::ffi::CStr::from_ptr(utf8).to_bytes().len();
        pyz3_core::error::noted(convert::from_utf8(utf8, len))
    })
}

/// A new `bytes` from `len` bytes at `data` (copied; NULL allowed when `len` is 0, else it raises
/// `SystemError`).
#[no_mangle]
pub unsafe extern "C" fn pyz3_from_bytes(data: *const c_char, len: usize) -> *mut PyObject {
    if data.is_null() && len != 0 {
        return null_argument_obj();
    }
    // SAFETY: GIL held; `data` readable for `len` bytes per the contract.
    guard(core::ptr::null_mut(), || unsafe {
        pyz3_core::error::noted(convert::from_bytes(data, len))
    })
}

#[cold]
fn null_argument_obj() -> *mut PyObject {
    null_argument();
    core::ptr::null_mut()
}
