//! loader/src/function/special.rs: trampolines monomorphised per (arity, parameter type,
//! return type).
//!
//! A typed function with up to [`SPECIAL_MAX_ARITY`] parameters of one common type and a common
//! return type gets a trampoline compiled for exactly that shape: no loop, no per-argument type
//! dispatch. This is what brings `add(i64, i64)` to the handwritten-C floor (docs/design.md).

use core::ptr;

use pyo3_ffi as ffi;
use pyz3_core::abi::*;
use pyz3_core::opts;
use pyz3_core::panic::guard;
use pyz3_core::types::*;

use super::call::{arguments_in_order, code, convert_args, entry, invoke_ret, Entry};
use super::function_of;
use super::slow::call_slow;

/// The largest arity with a monomorphised trampoline.
pub const SPECIAL_MAX_ARITY: usize = 3;
const PARAM_TYPES: [u8; 5] = [
    PYZ3_T_I64,
    PYZ3_T_F64,
    PYZ3_T_STR,
    PYZ3_T_BOOL,
    PYZ3_T_OBJECT,
];
const RET_TYPES: [u8; 7] = [
    PYZ3_T_VOID,
    PYZ3_T_I64,
    PYZ3_T_F64,
    PYZ3_T_BOOL,
    PYZ3_T_STR,
    PYZ3_T_BYTES,
    PYZ3_T_OBJECT,
];

#[inline(always)]
unsafe fn fixed_body<const N: usize, const T: u8, const R: u8>(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: as in `call::plain_body`; N, T and R match the function's declaration (checked
    // by `lookup`).
    unsafe {
        let f = function_of(slf);
        let mut gathered = [ptr::null_mut(); N];
        let Some(objs) = arguments_in_order(f, args, nargsf as usize, kwnames, &mut gathered)
        else {
            return call_slow(f, args, nargsf as usize, kwnames);
        };
        // No switch read (an atomic load the compiler cannot drop) when there is nothing to
        // convert.
        let fast = N > 0 && opts::fast_paths();
        let mut vals = [core::mem::MaybeUninit::<pyz3_value>::uninit(); N];
        if let Err(raised) = convert_args(f, objs, &mut vals, |_| const { code(T) }, fast) {
            return raised;
        }
        invoke_ret::<false, R>(f, vals.as_ptr().cast(), 0)
    }
}

macro_rules! fixed {
    ($n:literal, $t:expr, $r:expr) => {
        entry!(fixed_body::<$n, { $t }, { $r }>)
    };
}

macro_rules! by_ret {
    ($n:literal, $t:expr) => {
        [
            fixed!($n, $t, PYZ3_T_VOID),
            fixed!($n, $t, PYZ3_T_I64),
            fixed!($n, $t, PYZ3_T_F64),
            fixed!($n, $t, PYZ3_T_BOOL),
            fixed!($n, $t, PYZ3_T_STR),
            fixed!($n, $t, PYZ3_T_BYTES),
            fixed!($n, $t, PYZ3_T_OBJECT),
        ]
    };
}
macro_rules! by_param {
    ($n:literal) => {
        [
            by_ret!($n, PYZ3_T_I64),
            by_ret!($n, PYZ3_T_F64),
            by_ret!($n, PYZ3_T_STR),
            by_ret!($n, PYZ3_T_BOOL),
            by_ret!($n, PYZ3_T_OBJECT),
        ]
    };
}

static NOARGS: [Entry; 7] = by_ret!(0, PYZ3_T_I64);
static TABLE: [[[Entry; 7]; 5]; SPECIAL_MAX_ARITY] = [by_param!(1), by_param!(2), by_param!(3)];

/// The specialised trampoline for this shape, if there is one.
pub fn lookup(n: usize, types: &[TypeCode], ret: TypeCode) -> Option<Entry> {
    let r = RET_TYPES.iter().position(|&t| t == ret as u8)?;
    if n == 0 {
        return Some(NOARGS[r]);
    }
    if n > SPECIAL_MAX_ARITY || types.iter().any(|&t| t != types[0]) {
        return None;
    }
    let p = PARAM_TYPES.iter().position(|&t| t == types[0] as u8)?;
    Some(TABLE[n - 1][p][r])
}
