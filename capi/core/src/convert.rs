//! capi/core/src/convert.rs: conversions between Python objects and the ABI's C values.
//!
//! Every conversion is written as an optional *fast path* followed by the *generic path*. The
//! fast path handles only the common successful cases of exact builtin types, reading CPython's
//! objects directly (this runtime is compiled per Python version, so their layouts are known);
//! anything unusual falls through to the generic path, which is what a careful extension without
//! fast paths would write (`PyLong_AsLongLongAndOverflow`, `PyFloat_AsDouble`,
//! `PyUnicode_AsUTF8AndSize`, ...). All errors come from the generic path, so both modes raise
//! the same exceptions with the same messages.
//!
//! Integer conversions follow CPython's `__index__` conventions: `int`, its subclasses (`bool`
//! included) and objects with `__index__` are accepted; `float` is not. Float conversions accept
//! what `PyFloat_AsDouble` accepts (`float`, `int`, `__float__`, `__index__`). `bool` accepts
//! only `True`/`False`. `str` accepts `str` and subclasses; `bytes` accepts `bytes` and
//! subclasses.

use core::ffi::{c_char, CStr};
use core::ptr;

use pyo3_ffi as ffi;

use crate::abi::*;
use crate::types::{Repr, TypeCode, TypeFacts};
use crate::views::CallViews;
use crate::{buffer, error, opts, pool};

/// Why a conversion failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvError {
    /// The object's type is not accepted; no exception is set yet.
    WrongType,
    /// The value does not fit the C type; no exception is set yet.
    OutOfRange,
    /// A Python exception is already set (e.g. raised by `__index__`).
    Raised,
    /// Item `index` of a sequence (or value `index` of a dict) did not convert: its type, or
    /// (`out_of_range`) its value; no exception is set yet (containers.rs words it).
    Element {
        /// The item's position.
        index: usize,
        /// The value does not fit, rather than being of the wrong type.
        out_of_range: bool,
    },
    /// Key `index` of a dict argument is not a `str`; no exception is set yet.
    Key {
        /// The entry's position.
        index: usize,
    },
    /// A per-call view type (buffer) refused the object for a reason of its own; no exception
    /// is set yet ([`raise_arg_error`] words it).
    Mismatch(Mismatch),
}

/// Why a view type refused an object that is of an acceptable kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// A buffer whose elements are not the declared element type (`TypeError`).
    Elem,
    /// A buffer with another number of dimensions, the given one inside (`ValueError`).
    Ndim(u8),
    /// A read-only buffer for a writable parameter (`TypeError`).
    ReadOnly,
    /// A strided buffer where C-contiguity is required (`ValueError`).
    NotContiguous,
    /// A buffer whose elements are not aligned to their size (`ValueError`).
    Misaligned,
}

/// Result of a conversion.
pub type ConvResult<T> = Result<T, ConvError>;

// ---- CPython object layouts the fast paths read ---------------------------------------------

#[cfg(Py_3_12)]
mod long_layout {
    use pyo3_ffi as ffi;
    #[repr(C)]
    pub struct PyLongObject {
        pub ob_base: ffi::PyObject,
        pub lv_tag: usize,
        pub ob_digit: [u32; 3],
    }

    /// (sign, ndigits) of a long: sign is 1, 0 or -1.
    #[inline(always)]
    pub unsafe fn sign_ndigits(op: *mut ffi::PyObject) -> (i64, usize) {
        // SAFETY: the caller passes an exact int.
        let tag = unsafe { (*(op as *const PyLongObject)).lv_tag };
        (1 - (tag & 3) as i64, tag >> 3)
    }

    /// The value of a compact int (at most one digit, zero included), as CPython's
    /// `_PyLong_CompactValue` reads it: every int has its first digit allocated (zero's is 0).
    #[inline(always)]
    pub unsafe fn compact(op: *mut ffi::PyObject) -> Option<i64> {
        // SAFETY: the caller passes an exact int; ob_digit[0] always exists.
        unsafe {
            let o = op as *const PyLongObject;
            let tag = (*o).lv_tag;
            if tag < 2 << 3 {
                Some((1 - (tag & 3) as i64) * (*o).ob_digit[0] as i64)
            } else {
                None
            }
        }
    }
}

#[cfg(not(Py_3_12))]
mod long_layout {
    use pyo3_ffi as ffi;
    #[repr(C)]
    pub struct PyLongObject {
        pub ob_base: ffi::PyVarObject,
        pub ob_digit: [u32; 3],
    }

    /// (sign, ndigits) of a long: sign is 1, 0 or -1.
    #[inline(always)]
    pub unsafe fn sign_ndigits(op: *mut ffi::PyObject) -> (i64, usize) {
        // SAFETY: the caller passes an exact int.
        let size = unsafe { (*(op as *const PyLongObject)).ob_base.ob_size };
        (size.signum() as i64, size.unsigned_abs())
    }

    /// The value of an int of at most one digit: `ob_size * ob_digit[0]` for -1 and 1 (3.11's
    /// `medium_value`), and 0 for zero, whose digit is not read (before 3.12 a zero made outside
    /// CPython need not have one).
    #[inline(always)]
    pub unsafe fn compact(op: *mut ffi::PyObject) -> Option<i64> {
        // SAFETY: the caller passes an exact int; the digit is read only when ob_size is +-1.
        unsafe {
            let o = op as *const PyLongObject;
            let size = (*o).ob_base.ob_size;
            match size {
                0 => Some(0),
                -1 | 1 => Some(size as i64 * (*o).ob_digit[0] as i64),
                _ => None,
            }
        }
    }
}

/// `PyUnicode_IS_COMPACT_ASCII(op)`: is `op` (a `str`) one block with its ASCII data right after
/// the `PyASCIIObject` header? pyo3-ffi no longer offers the macro for 3.14+, but the bitfield it
/// reads has kept its layout from 3.10 to 3.15 (Include/cpython/unicodeobject.h): `interned:2,
/// kind:3, compact:1, ascii:1, ...` in a 32-bit word, `interned` a whole byte in free-threaded
/// builds. GCC and Clang fill bitfields from the low bit on little-endian targets; elsewhere this
/// answers false and the generic path runs. `tests/python/test_versions.py` checks the answer
/// on every interpreter.
///
/// # Safety
/// `op` is a valid `str` object.
#[inline(always)]
pub unsafe fn is_compact_ascii(op: *mut ffi::PyObject) -> bool {
    #[cfg(not(Py_GIL_DISABLED))]
    const INTERNED_BITS: u32 = 2;
    #[cfg(Py_GIL_DISABLED)]
    const INTERNED_BITS: u32 = 8;
    const COMPACT: u32 = 1 << (INTERNED_BITS + 3);
    const ASCII: u32 = 1 << (INTERNED_BITS + 4);
    if cfg!(target_endian = "big") {
        return false;
    }
    // SAFETY: the caller passes a str; every str starts with a PyASCIIObject.
    let state = unsafe { (*(op as *const ffi::PyASCIIObject)).state };
    state & (COMPACT | ASCII) == COMPACT | ASCII
}

/// Reads an exact `int` of up to two 30-bit digits (|v| < 2**60) without a call.
#[inline(always)]
unsafe fn exact_long_small(op: *mut ffi::PyObject) -> Option<i64> {
    // SAFETY: the caller checked that `op` is an exact int; digits beyond `ndigits` are not read.
    unsafe {
        if let Some(v) = long_layout::compact(op) {
            return Some(v);
        }
        let (sign, n) = long_layout::sign_ndigits(op);
        let d = (*(op as *const long_layout::PyLongObject))
            .ob_digit
            .as_ptr();
        if n == 2 {
            Some(sign * ((*d as i64) | ((*d.add(1) as i64) << 30)))
        } else {
            None
        }
    }
}

#[inline(always)]
unsafe fn is_exact(op: *mut ffi::PyObject, tp: *mut ffi::PyTypeObject) -> bool {
    // SAFETY: `op` is a valid object.
    unsafe { ffi::Py_TYPE(op) == tp }
}

/// The value of an exact `int` of up to two digits, read without a call; `None` for anything
/// else (a conversion that runs no Python code, for loops over many items).
///
/// # Safety
/// `op` a valid object.
#[inline(always)]
pub unsafe fn exact_i64(op: *mut ffi::PyObject) -> Option<i64> {
    // SAFETY: the type is checked before the digits are read.
    unsafe {
        if is_exact(op, &raw mut ffi::PyLong_Type) {
            exact_long_small(op)
        } else {
            None
        }
    }
}

/// The value of an exact `float`, or of an exact small `int` that a double holds exactly, read
/// without a call; `None` for anything else.
///
/// # Safety
/// `op` a valid object.
#[inline(always)]
pub unsafe fn exact_f64(op: *mut ffi::PyObject) -> Option<f64> {
    // SAFETY: the type is checked before the value is read.
    unsafe {
        if is_exact(op, &raw mut ffi::PyFloat_Type) {
            return Some(ffi::PyFloat_AS_DOUBLE(op));
        }
        match exact_i64(op) {
            Some(v) if v.unsigned_abs() <= (1u64 << 53) => Some(v as f64),
            _ => None,
        }
    }
}

// ---- integers ---------------------------------------------------------------------------------

/// Generic path: `int`, subclasses and `__index__` objects to i64.
unsafe fn i64_generic(op: *mut ffi::PyObject) -> ConvResult<i64> {
    // SAFETY: GIL held by the caller.
    unsafe {
        if ffi::PyLong_Check(op) == 0 && ffi::PyIndex_Check(op) == 0 {
            return Err(ConvError::WrongType);
        }
        let mut overflow = 0;
        let v = ffi::PyLong_AsLongLongAndOverflow(op, &mut overflow);
        if overflow != 0 {
            return Err(ConvError::OutOfRange);
        }
        if v == -1 && error::occurred() {
            crate::tls::note_error();
            return Err(ConvError::Raised);
        }
        Ok(v)
    }
}

/// Converts to `int64_t`.
///
/// # Safety
/// GIL held; `op` a valid object.
#[inline(always)]
pub unsafe fn to_i64(op: *mut ffi::PyObject) -> ConvResult<i64> {
    // SAFETY: forwarded.
    unsafe { to_i64_with(op, opts::fast_paths()) }
}

/// [`to_i64`] with the fast-path switch already read.
///
/// # Safety
/// GIL held; `op` a valid object.
#[inline(always)]
pub unsafe fn to_i64_with(op: *mut ffi::PyObject, fast: bool) -> ConvResult<i64> {
    // SAFETY: GIL held by the caller.
    unsafe {
        if fast && is_exact(op, &raw mut ffi::PyLong_Type) {
            if let Some(v) = exact_long_small(op) {
                return Ok(v);
            }
        }
        i64_generic(op)
    }
}

/// Converts to a signed integer of `bits` width (8, 16, 32, 64), range-checked.
///
/// # Safety
/// GIL held; `op` a valid object.
#[inline(always)]
pub unsafe fn to_signed(op: *mut ffi::PyObject, bits: u32) -> ConvResult<i64> {
    // SAFETY: forwarded.
    unsafe { to_signed_with(op, bits, opts::fast_paths()) }
}

/// [`to_signed`] with the fast-path switch already read.
///
/// # Safety
/// GIL held; `op` a valid object.
#[inline(always)]
pub unsafe fn to_signed_with(op: *mut ffi::PyObject, bits: u32, fast: bool) -> ConvResult<i64> {
    // SAFETY: forwarded.
    let v = unsafe { to_i64_with(op, fast)? };
    if bits < 64 {
        let lim = 1i64 << (bits - 1);
        if v < -lim || v >= lim {
            return Err(ConvError::OutOfRange);
        }
    }
    Ok(v)
}

/// Generic path for unsigned integers.
unsafe fn u64_generic(op: *mut ffi::PyObject) -> ConvResult<u64> {
    // SAFETY: GIL held by the caller.
    unsafe {
        if ffi::PyLong_Check(op) == 0 && ffi::PyIndex_Check(op) == 0 {
            return Err(ConvError::WrongType);
        }
        let index = ffi::PyNumber_Index(op);
        if index.is_null() {
            crate::tls::note_error();
            return Err(ConvError::Raised);
        }
        let v = ffi::PyLong_AsUnsignedLongLong(index);
        ffi::Py_DECREF(index);
        if v == u64::MAX && error::occurred() {
            if ffi::PyErr_ExceptionMatches(ffi::PyExc_OverflowError) != 0 {
                ffi::PyErr_Clear();
                return Err(ConvError::OutOfRange);
            }
            crate::tls::note_error();
            return Err(ConvError::Raised);
        }
        Ok(v)
    }
}

/// Converts to an unsigned integer of `bits` width (8, 16, 32, 64), range-checked.
///
/// # Safety
/// GIL held; `op` a valid object.
#[inline(always)]
pub unsafe fn to_unsigned(op: *mut ffi::PyObject, bits: u32) -> ConvResult<u64> {
    // SAFETY: forwarded.
    unsafe { to_unsigned_with(op, bits, opts::fast_paths()) }
}

/// [`to_unsigned`] with the fast-path switch already read.
///
/// # Safety
/// GIL held; `op` a valid object.
#[inline(always)]
pub unsafe fn to_unsigned_with(op: *mut ffi::PyObject, bits: u32, fast: bool) -> ConvResult<u64> {
    // SAFETY: GIL held by the caller.
    let v = unsafe {
        let fast = if fast && is_exact(op, &raw mut ffi::PyLong_Type) {
            exact_long_small(op).filter(|v| *v >= 0).map(|v| v as u64)
        } else {
            None
        };
        match fast {
            Some(v) => v,
            None => u64_generic(op)?,
        }
    };
    if bits < 64 && v >= (1u64 << bits) {
        return Err(ConvError::OutOfRange);
    }
    Ok(v)
}

// ---- floats -----------------------------------------------------------------------------------

unsafe fn f64_generic(op: *mut ffi::PyObject) -> ConvResult<f64> {
    // SAFETY: GIL held by the caller.
    unsafe {
        if ffi::PyLong_Check(op) != 0 {
            let v = ffi::PyLong_AsDouble(op);
            if v == -1.0 && error::occurred() {
                if ffi::PyErr_ExceptionMatches(ffi::PyExc_OverflowError) != 0 {
                    ffi::PyErr_Clear();
                    return Err(ConvError::OutOfRange);
                }
                crate::tls::note_error();
                return Err(ConvError::Raised);
            }
            return Ok(v);
        }
        let tp = ffi::Py_TYPE(op);
        let nb = (*tp).tp_as_number;
        let numeric = ffi::PyFloat_Check(op) != 0
            || (!nb.is_null() && ((*nb).nb_float.is_some() || (*nb).nb_index.is_some()));
        if !numeric {
            return Err(ConvError::WrongType);
        }
        let v = ffi::PyFloat_AsDouble(op);
        if v == -1.0 && error::occurred() {
            crate::tls::note_error();
            return Err(ConvError::Raised);
        }
        Ok(v)
    }
}

/// Converts to `double`.
///
/// # Safety
/// GIL held; `op` a valid object.
#[inline(always)]
pub unsafe fn to_f64(op: *mut ffi::PyObject) -> ConvResult<f64> {
    // SAFETY: forwarded.
    unsafe { to_f64_with(op, opts::fast_paths()) }
}

/// [`to_f64`] with the fast-path switch already read.
///
/// # Safety
/// GIL held; `op` a valid object.
#[inline(always)]
pub unsafe fn to_f64_with(op: *mut ffi::PyObject, fast: bool) -> ConvResult<f64> {
    // SAFETY: GIL held by the caller.
    unsafe {
        if fast {
            if is_exact(op, &raw mut ffi::PyFloat_Type) {
                return Ok(ffi::PyFloat_AS_DOUBLE(op));
            }
            if is_exact(op, &raw mut ffi::PyLong_Type) {
                if let Some(v) = exact_long_small(op) {
                    if v.unsigned_abs() <= (1u64 << 53) {
                        return Ok(v as f64);
                    }
                }
            }
        }
        f64_generic(op)
    }
}

/// Converts to `float`: finite doubles beyond float's range are `OutOfRange`; inf and nan pass.
///
/// # Safety
/// GIL held; `op` a valid object.
#[inline(always)]
pub unsafe fn to_f32(op: *mut ffi::PyObject) -> ConvResult<f32> {
    // SAFETY: forwarded.
    unsafe { to_f32_with(op, opts::fast_paths()) }
}

/// [`to_f32`] with the fast-path switch already read.
///
/// # Safety
/// GIL held; `op` a valid object.
#[inline(always)]
pub unsafe fn to_f32_with(op: *mut ffi::PyObject, fast: bool) -> ConvResult<f32> {
    // SAFETY: forwarded.
    let v = unsafe { to_f64_with(op, fast)? };
    let f = v as f32;
    if f.is_infinite() && v.is_finite() {
        return Err(ConvError::OutOfRange);
    }
    Ok(f)
}

// ---- bool, str, bytes -------------------------------------------------------------------------

/// Converts `True`/`False` to `bool`; anything else is `WrongType`.
///
/// # Safety
/// GIL held; `op` a valid object.
#[inline(always)]
pub unsafe fn to_bool(op: *mut ffi::PyObject) -> ConvResult<bool> {
    // SAFETY: the bool singletons are static.
    unsafe {
        if op == ffi::Py_True() {
            Ok(true)
        } else if op == ffi::Py_False() {
            Ok(false)
        } else {
            Err(ConvError::WrongType)
        }
    }
}

/// Borrows the UTF-8 text of a `str` (valid while `op` is alive).
///
/// # Safety
/// GIL held; `op` a valid object.
#[inline(always)]
pub unsafe fn to_str(op: *mut ffi::PyObject) -> ConvResult<pyz3_str> {
    // SAFETY: forwarded.
    unsafe { to_str_with(op, opts::fast_paths()) }
}

/// [`to_str`] with the fast-path switch already read.
///
/// # Safety
/// GIL held; `op` a valid object.
#[inline(always)]
pub unsafe fn to_str_with(op: *mut ffi::PyObject, fast: bool) -> ConvResult<pyz3_str> {
    // SAFETY: GIL held by the caller; compact ASCII strings keep their data right after the
    // PyASCIIObject header, which is also what PyUnicode_AsUTF8AndSize returns for them.
    unsafe {
        if fast && is_exact(op, &raw mut ffi::PyUnicode_Type) && is_compact_ascii(op) {
            return Ok(pyz3_str {
                ptr: (op as *const ffi::PyASCIIObject).add(1).cast(),
                len: (*(op as *const ffi::PyASCIIObject)).length as usize,
            });
        }
        if ffi::PyUnicode_Check(op) == 0 {
            return Err(ConvError::WrongType);
        }
        let mut len: ffi::Py_ssize_t = 0;
        let p = ffi::PyUnicode_AsUTF8AndSize(op, &mut len);
        if p.is_null() {
            crate::tls::note_error();
            return Err(ConvError::Raised);
        }
        Ok(pyz3_str {
            ptr: p,
            len: len as usize,
        })
    }
}

/// Borrows the contents of a `bytes` (valid while `op` is alive).
///
/// # Safety
/// GIL held; `op` a valid object.
#[inline(always)]
pub unsafe fn to_bytes(op: *mut ffi::PyObject) -> ConvResult<pyz3_str> {
    // SAFETY: forwarded.
    unsafe { to_bytes_with(op, opts::fast_paths()) }
}

/// [`to_bytes`] with the fast-path switch already read.
///
/// # Safety
/// GIL held; `op` a valid object.
#[inline(always)]
pub unsafe fn to_bytes_with(op: *mut ffi::PyObject, fast: bool) -> ConvResult<pyz3_str> {
    // SAFETY: GIL held by the caller; exact bytes objects are PyBytesObject.
    unsafe {
        if fast && is_exact(op, &raw mut ffi::PyBytes_Type) {
            let b = op as *const ffi::PyBytesObject;
            return Ok(pyz3_str {
                ptr: (*b).ob_sval.as_ptr(),
                len: (*b).ob_base.ob_size as usize,
            });
        }
        if ffi::PyBytes_Check(op) == 0 {
            return Err(ConvError::WrongType);
        }
        let mut p: *mut c_char = ptr::null_mut();
        let mut len: ffi::Py_ssize_t = 0;
        if ffi::PyBytes_AsStringAndSize(op, &mut p, &mut len) < 0 {
            crate::tls::note_error();
            return Err(ConvError::Raised);
        }
        Ok(pyz3_str {
            ptr: p,
            len: len as usize,
        })
    }
}

// ---- C values to Python objects ---------------------------------------------------------------

/// A new `int` from `v` (pooled when small and the pool is on).
///
/// # Safety
/// GIL held.
#[inline(always)]
pub unsafe fn from_i64(v: i64) -> *mut ffi::PyObject {
    // SAFETY: forwarded.
    unsafe { from_i64_with(v, pool::ready()) }
}

/// [`from_i64`] with the pool switch already read (`pooled` implies the pool is filled).
///
/// # Safety
/// GIL held.
#[inline(always)]
pub unsafe fn from_i64_with(v: i64, pooled: bool) -> *mut ffi::PyObject {
    // SAFETY: GIL held by the caller.
    unsafe {
        if pooled {
            if let Some(obj) = pool::small_int_unchecked(v) {
                return obj;
            }
        }
        ffi::PyLong_FromLongLong(v)
    }
}

/// A new `int` from `v`.
///
/// # Safety
/// GIL held.
#[inline(always)]
pub unsafe fn from_u64(v: u64) -> *mut ffi::PyObject {
    // SAFETY: forwarded.
    unsafe { from_u64_with(v, pool::ready()) }
}

/// [`from_u64`] with the pool switch already read.
///
/// # Safety
/// GIL held.
#[inline(always)]
pub unsafe fn from_u64_with(v: u64, pooled: bool) -> *mut ffi::PyObject {
    // SAFETY: GIL held by the caller.
    unsafe {
        if v <= i64::MAX as u64 {
            from_i64_with(v as i64, pooled)
        } else {
            ffi::PyLong_FromUnsignedLongLong(v)
        }
    }
}

/// A new `float`.
///
/// # Safety
/// GIL held.
#[inline(always)]
pub unsafe fn from_f64(v: f64) -> *mut ffi::PyObject {
    // SAFETY: GIL held by the caller.
    unsafe { ffi::PyFloat_FromDouble(v) }
}

/// `True` or `False` (new reference).
///
/// # Safety
/// GIL held.
#[inline(always)]
pub unsafe fn from_bool(b: bool) -> *mut ffi::PyObject {
    // SAFETY: forwarded.
    unsafe { from_bool_with(b, opts::pool()) }
}

/// [`from_bool`] with the pool switch already read.
///
/// # Safety
/// GIL held.
#[inline(always)]
pub unsafe fn from_bool_with(b: bool, pooled: bool) -> *mut ffi::PyObject {
    // SAFETY: GIL held by the caller.
    unsafe {
        if pooled {
            pool::bool_(b)
        } else {
            ffi::PyBool_FromLong(b as core::ffi::c_long)
        }
    }
}

/// `None` (new reference).
///
/// # Safety
/// GIL held.
#[inline(always)]
pub unsafe fn none() -> *mut ffi::PyObject {
    // SAFETY: GIL held by the caller.
    unsafe { pool::none() }
}

#[inline(always)]
fn is_ascii(bytes: &[u8]) -> bool {
    const HIGH: usize = usize::from_ne_bytes([0x80; core::mem::size_of::<usize>()]);
    let (chunks, rest) = bytes.split_at(bytes.len() & !(core::mem::size_of::<usize>() - 1));
    let mut acc = 0usize;
    for c in chunks.chunks_exact(core::mem::size_of::<usize>()) {
        acc |= usize::from_ne_bytes(c.try_into().unwrap_or_default());
    }
    let mut tail = 0u8;
    for &b in rest {
        tail |= b;
    }
    acc & HIGH == 0 && tail & 0x80 == 0
}

/// A new `str` from `len` bytes of UTF-8. Invalid UTF-8 raises `UnicodeDecodeError` (NULL).
///
/// # Safety
/// GIL held; `p` readable for `len` bytes (may be NULL when `len == 0`).
pub unsafe fn from_utf8(p: *const c_char, len: usize) -> *mut ffi::PyObject {
    // SAFETY: GIL held by the caller; `p` readable for `len` bytes.
    unsafe {
        if len == 0 {
            let pooled = pool::empty_str();
            if !pooled.is_null() {
                return pooled;
            }
            return ffi::PyUnicode_FromStringAndSize(ptr::null(), 0);
        }
        if len > isize::MAX as usize {
            error::raise_str(ffi::PyExc_OverflowError, "string is too long");
            return ptr::null_mut();
        }
        // From 3.14 on CPython's own ASCII decoding is the cheaper one: on `greet`, callgrind
        // counts 13 (3.14) and 24 (3.15) fewer instructions per call through
        // PyUnicode_DecodeUTF8 than through this path (docs/pythons.md).
        if opts::fast_paths() && !cfg!(Py_3_14) {
            let bytes = core::slice::from_raw_parts(p as *const u8, len);
            if is_ascii(bytes) {
                let s = ffi::PyUnicode_New(len as isize, 127);
                if s.is_null() {
                    crate::tls::note_error();
                    return s;
                }
                // PyUnicode_New(_, 127) makes a compact ASCII str: its data follows the header
                // (what PyUnicode_DATA, a call from 3.14 on, would compute).
                let data = (s as *mut ffi::PyASCIIObject).add(1) as *mut u8;
                ptr::copy_nonoverlapping(p as *const u8, data, len);
                return s;
            }
        }
        let s = ffi::PyUnicode_DecodeUTF8(p, len as isize, ptr::null());
        if s.is_null() {
            crate::tls::note_error();
        }
        s
    }
}

/// A new `bytes` from `len` bytes.
///
/// # Safety
/// GIL held; `p` readable for `len` bytes (may be NULL when `len == 0`).
pub unsafe fn from_bytes(p: *const c_char, len: usize) -> *mut ffi::PyObject {
    // SAFETY: GIL held by the caller.
    unsafe {
        if len == 0 {
            let pooled = pool::empty_bytes();
            if !pooled.is_null() {
                return pooled;
            }
            return ffi::PyBytes_FromStringAndSize(ptr::null(), 0);
        }
        if len > isize::MAX as usize {
            error::raise_str(ffi::PyExc_OverflowError, "bytes object is too long");
            return ptr::null_mut();
        }
        let b = ffi::PyBytes_FromStringAndSize(p, len as isize);
        if b.is_null() {
            crate::tls::note_error();
        }
        b
    }
}

// ---- by type code -----------------------------------------------------------------------------

/// Converts `op` to the C value of type `ty` (a parameter type).
///
/// # Safety
/// GIL held; `op` valid and kept alive by the caller while borrowed `str`/`bytes`/`obj` are used.
#[inline(always)]
pub unsafe fn to_value(ty: TypeCode, op: *mut ffi::PyObject) -> ConvResult<pyz3_value> {
    let mut v = pyz3_value::ZERO;
    // SAFETY: forwarded; `v` is writable.
    unsafe { to_value_into(ty, op, &mut v, opts::fast_paths())? };
    Ok(v)
}

/// Converts `op` to type `ty`, writing only the member the type names into `*out`.
///
/// # Safety
/// GIL held; `op` valid and kept alive by the caller while borrowed values are used; `out`
/// writable.
#[inline(always)]
pub unsafe fn to_value_into(
    ty: TypeCode,
    op: *mut ffi::PyObject,
    out: *mut pyz3_value,
    fast: bool,
) -> ConvResult<()> {
    // SAFETY: forwarded; each arm writes the member its type names (types.rs, `arg_member`).
    unsafe {
        match ty {
            TypeCode::I64 => (*out).i64 = to_i64_with(op, fast)?,
            TypeCode::F64 => (*out).f64 = to_f64_with(op, fast)?,
            TypeCode::Str => (*out).str = to_str_with(op, fast)?,
            TypeCode::Bool => (*out).b = to_bool(op)?,
            TypeCode::Object => (*out).obj = op,
            TypeCode::I8 => (*out).i8 = to_signed_with(op, 8, fast)? as i8,
            TypeCode::I16 => (*out).i16 = to_signed_with(op, 16, fast)? as i16,
            TypeCode::I32 => (*out).i32 = to_signed_with(op, 32, fast)? as i32,
            TypeCode::U8 => (*out).u8 = to_unsigned_with(op, 8, fast)? as u8,
            TypeCode::U16 => (*out).u16 = to_unsigned_with(op, 16, fast)? as u16,
            TypeCode::U32 => (*out).u32 = to_unsigned_with(op, 32, fast)? as u32,
            TypeCode::U64 => (*out).u64 = to_unsigned_with(op, 64, fast)?,
            TypeCode::F32 => (*out).f32 = to_f32_with(op, fast)?,
            TypeCode::Bytes => (*out).bytes = to_bytes_with(op, fast)?,
            TypeCode::Callable => {
                if ffi::PyCallable_Check(op) == 0 {
                    return Err(ConvError::WrongType);
                }
                (*out).obj = op;
            }
            // Not parameter types: the loader refuses them in a descriptor.
            TypeCode::Void
            | TypeCode::Array
            | TypeCode::List
            | TypeCode::Tuple
            | TypeCode::Iterator => return Err(ConvError::WrongType),
            // Per-call views (the registry's `arg_view`): they need the call's view storage,
            // so they convert through `to_arg_into`; a default literal cannot be one.
            TypeCode::Buffer | TypeCode::Sequence | TypeCode::Dict => {
                return Err(ConvError::WrongType)
            }
            // Needs the parameter's class, which this table does not know: the loader's
            // trampolines convert instance arguments themselves (loader/src/class).
            TypeCode::Instance => return Err(ConvError::WrongType),
        }
    }
    Ok(())
}

/// Converts `op` to an argument of type `ty` with the parameter's `facts`, writing the member
/// the type names into `*out`: a per-call view type (the registry's `arg_view`) fills the next
/// slot of `views` and points `*out` at it; every other type converts as [`to_value_into`].
///
/// # Safety
/// GIL held; `op` valid and kept alive by the caller for the call; `out` writable; `views`
/// outlives every use of `*out`.
#[inline(always)]
pub unsafe fn to_arg_into(
    ty: TypeCode,
    facts: &TypeFacts,
    op: *mut ffi::PyObject,
    out: *mut pyz3_value,
    views: &mut CallViews,
    fast: bool,
) -> ConvResult<()> {
    // SAFETY: forwarded.
    unsafe {
        match ty {
            TypeCode::Buffer => buffer::to_view(op, facts, out, views, fast),
            TypeCode::Sequence => crate::containers::seq_to_view(op, facts.elem, out, views, fast),
            TypeCode::Dict => crate::containers::dict_to_view(op, facts.elem, out, views, fast),
            TypeCode::Void
            | TypeCode::I8
            | TypeCode::I16
            | TypeCode::I32
            | TypeCode::I64
            | TypeCode::U8
            | TypeCode::U16
            | TypeCode::U32
            | TypeCode::U64
            | TypeCode::F32
            | TypeCode::F64
            | TypeCode::Bool
            | TypeCode::Str
            | TypeCode::Bytes
            | TypeCode::Object
            | TypeCode::Array
            | TypeCode::List
            | TypeCode::Tuple
            | TypeCode::Callable
            | TypeCode::Iterator
            // Needs the parameter's class: `to_value_into` refuses it, and the loader's
            // trampolines convert instance arguments themselves (loader/src/class).
            | TypeCode::Instance => to_value_into(ty, op, out, fast),
        }
    }
}

/// Converts a C value of type `ty` to a new Python object. For the types whose result is an
/// object (`result_member == "obj"`: str, bytes, object) the value already holds a new
/// reference, which is returned as is.
///
/// # Safety
/// GIL held; `v` holds the member `ty` names.
#[inline(always)]
pub unsafe fn from_value(ty: TypeCode, v: &pyz3_value) -> *mut ffi::PyObject {
    // SAFETY: forwarded.
    unsafe { from_value_with(ty, v, pool::ready()) }
}

/// [`from_value`] with the pool switch already read (`pooled` implies the pool is filled).
///
/// # Safety
/// GIL held; `v` holds the member `ty` names.
#[inline(always)]
pub unsafe fn from_value_with(ty: TypeCode, v: &pyz3_value, pooled: bool) -> *mut ffi::PyObject {
    // SAFETY: forwarded; each arm reads the member its type names (types.rs, `result_member`).
    unsafe {
        match ty {
            TypeCode::I64 => from_i64_with(v.i64, pooled),
            TypeCode::F64 => from_f64(v.f64),
            // Read as a byte: a plugin may store any non-zero byte (C++ or Zig code writing
            // `u8`), and a Rust `bool` that is not 0 or 1 would be undefined behaviour.
            TypeCode::Bool => from_bool_with(v.u8 != 0, pooled),
            TypeCode::Void => none(),
            TypeCode::I8 => from_i64_with(v.i8 as i64, pooled),
            TypeCode::I16 => from_i64_with(v.i16 as i64, pooled),
            TypeCode::I32 => from_i64_with(v.i32 as i64, pooled),
            TypeCode::U8 => from_i64_with(v.u8 as i64, pooled),
            TypeCode::U16 => from_i64_with(v.u16 as i64, pooled),
            TypeCode::U32 => from_i64_with(v.u32 as i64, pooled),
            TypeCode::U64 => from_u64_with(v.u64, pooled),
            TypeCode::F32 => from_f64(v.f32 as f64),
            TypeCode::Str
            | TypeCode::Bytes
            | TypeCode::Object
            | TypeCode::Array
            | TypeCode::Iterator => v.obj,
            // Built from what the plugin filled (capi/core/src/out.rs, the loader's tuple
            // results), never from one value; not result types at all (buffer, sequence,
            // callable): the loader refuses those in a descriptor.
            TypeCode::List
            | TypeCode::Dict
            | TypeCode::Tuple
            | TypeCode::Buffer
            | TypeCode::Sequence
            | TypeCode::Callable => {
                error::raise_str(
                    ffi::PyExc_SystemError,
                    &format!("a {} result cannot be made from one value", ty.name()),
                );
                ptr::null_mut()
            }
            // The loader makes an instance result before the call (loader/src/class); a state
            // pointer alone cannot become an object.
            TypeCode::Instance => {
                error::raise_str(
                    ffi::PyExc_SystemError,
                    "an instance result is made by the loader, not converted from a value",
                );
                ptr::null_mut()
            }
        }
    }
}

// ---- error messages ---------------------------------------------------------------------------

/// The accepted range of a numeric type, for `OverflowError` messages.
fn range_text(ty: TypeCode) -> String {
    if let Some((min, max)) = ty.int_range() {
        return format!("{min}..{max}");
    }
    match ty.info().repr {
        Repr::Float { bits: 32 } => format!("finite values within ±{:e}", f32::MAX),
        Repr::Float { .. } => "finite values within ±1.7976931348623157e+308".to_owned(),
        _ => String::new(),
    }
}

/// `repr(op)`, shortened to at most `max` characters (for error messages).
///
/// # Safety
/// GIL held.
pub unsafe fn short_repr(op: *mut ffi::PyObject, max: usize) -> String {
    // SAFETY: GIL held by the caller.
    unsafe {
        let r = ffi::PyObject_Repr(op);
        if r.is_null() {
            ffi::PyErr_Clear();
            return "<unrepresentable object>".to_owned();
        }
        let mut len: ffi::Py_ssize_t = 0;
        let p = ffi::PyUnicode_AsUTF8AndSize(r, &mut len);
        let s = if p.is_null() {
            ffi::PyErr_Clear();
            "<unrepresentable object>".to_owned()
        } else {
            let bytes = core::slice::from_raw_parts(p as *const u8, len as usize);
            String::from_utf8_lossy(bytes).into_owned()
        };
        ffi::Py_DECREF(r);
        if s.chars().count() > max {
            let cut: String = s.chars().take(max.saturating_sub(3)).collect();
            format!("{cut}...")
        } else {
            s
        }
    }
}

/// The type name of `op` (`tp_name`).
///
/// # Safety
/// `op` a valid object.
pub unsafe fn object_type_name(op: *mut ffi::PyObject) -> String {
    // SAFETY: every type has a NUL-terminated tp_name.
    unsafe {
        let tp = ffi::Py_TYPE(op);
        CStr::from_ptr((*tp).tp_name).to_string_lossy().into_owned()
    }
}

/// Sets the exception for a failed conversion of `op` to an argument of type `ty` with the
/// parameter's `facts`. `what` names the value in the message, e.g. `"add() argument 'a'"`.
/// Does nothing for `ConvError::Raised`.
///
/// # Safety
/// GIL held; `op` a valid object.
pub unsafe fn raise_arg_error(
    err: ConvError,
    ty: TypeCode,
    facts: &TypeFacts,
    op: *mut ffi::PyObject,
    what: &str,
) {
    // SAFETY: GIL held by the caller.
    unsafe {
        match ty {
            TypeCode::Buffer => buffer::raise_mismatch(err, facts, op, what),
            TypeCode::Sequence | TypeCode::Dict => {
                crate::containers::raise_error(err, ty, facts.elem, op, what)
            }
            _ => raise_conversion_error(err, ty, op, what),
        }
    }
}

/// Sets the exception for a failed conversion of `op` to `ty`. `what` names the value in the
/// message, e.g. `"add() argument 'a'"` or `"value"`. Does nothing for `ConvError::Raised`.
///
/// # Safety
/// GIL held; `op` a valid object.
pub unsafe fn raise_conversion_error(
    err: ConvError,
    ty: TypeCode,
    op: *mut ffi::PyObject,
    what: &str,
) {
    // SAFETY: GIL held by the caller.
    unsafe {
        match err {
            ConvError::Raised => {}
            ConvError::Mismatch(_) => {
                let msg = format!(
                    "{what} does not fit {} (got {})",
                    ty.name(),
                    object_type_name(op)
                );
                error::raise_str(ffi::PyExc_TypeError, &msg);
            }
            ConvError::WrongType => {
                let msg = format!(
                    "{what} must be {}, not {}",
                    ty.info().expected,
                    object_type_name(op)
                );
                error::raise_str(ffi::PyExc_TypeError, &msg);
            }
            ConvError::OutOfRange => {
                let msg = format!(
                    "{what} out of range for {} (expected {}, got {})",
                    ty.name(),
                    range_text(ty),
                    short_repr(op, 48)
                );
                error::raise_str(ffi::PyExc_OverflowError, &msg);
            }
            // Worded with the argument's element type by containers::raise_error.
            ConvError::Element { .. } | ConvError::Key { .. } => {
                let msg = format!("{what} does not convert to {}", ty.name());
                error::raise_str(ffi::PyExc_TypeError, &msg);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_scan_finds_high_bytes_anywhere() {
        assert!(is_ascii(b""));
        assert!(is_ascii(b"hello, world and more than eight bytes"));
        for i in 0..20 {
            let mut v = vec![b'a'; 20];
            v[i] = 0xC3;
            assert!(!is_ascii(&v), "high byte at {i} missed");
        }
    }

    #[test]
    fn range_texts_name_the_limits() {
        assert_eq!(range_text(TypeCode::I8), "-128..127");
        assert_eq!(range_text(TypeCode::U64), "0..18446744073709551615");
        assert!(range_text(TypeCode::F32).contains("3.4028235e38"));
    }
}
