//! loader/src/function/special.rs: trampolines monomorphised per (arity, parameter type,
//! return type).
//!
//! A typed function with up to [`SPECIAL_MAX_ARITY`] parameters of one common type and a common
//! return type gets a trampoline compiled for exactly that shape: no loop, no per-argument type
//! dispatch. This is what brings `add(i64, i64)` to the handwritten-C floor (docs/design.md).
//! Methods and constructors of classes get the same shapes as [`MethodEntry`]s.

use core::ptr;

use pyo3_ffi as ffi;
use pyz3_core::abi::*;
use pyz3_core::opts;
use pyz3_core::panic::guard;
use pyz3_core::types::*;

use super::call::{
    arguments_in_order, code, convert_args, defaults_or_slow, entry, invoke_ret, method_entry,
    Entry, MethodEntry, CTOR_RET, MAXP,
};
use super::{function_of, Function};

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

/// The body of a shape: `M` a receiver (methods), `N` parameters of type `T`, result `R`.
#[inline(always)]
unsafe fn fixed_impl<const M: bool, const N: usize, const T: u8, const R: u8>(
    f: &Function,
    this: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: as in `call::plain_body`; N, T and R match the function's declaration (checked
    // by `lookup`).
    unsafe {
        let mut gathered = [ptr::null_mut(); N];
        let Some(objs) = arguments_in_order(f, args, nargsf as usize, kwnames, &mut gathered)
        else {
            return defaults_or_slow::<M, R>(f, this, args, nargsf as usize, kwnames);
        };
        // No switch read (an atomic load the compiler cannot drop) when there is nothing to
        // convert.
        let fast = N > 0 && opts::fast_paths();
        let mut vals = [core::mem::MaybeUninit::<pyz3_value>::uninit(); MAXP + 1];
        let off = if M && f.state_slot {
            vals[0].write(pyz3_value {
                inst: this.cast::<u8>().add(f.state_offset).cast(),
            });
            1
        } else {
            0
        };
        if let Err(raised) = convert_args(
            f,
            objs,
            &mut vals[off..off + N],
            |_| const { code(T) },
            fast,
        ) {
            return raised;
        }
        invoke_ret::<false, R, M>(f, this, vals.as_ptr().cast(), 0)
    }
}

/// [`fixed_impl`] for a module function, whose owner is `slf`.
#[inline(always)]
unsafe fn fixed_fn<const N: usize, const T: u8, const R: u8>(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: `slf` is the function's PluginFunction; forwarded contract.
    unsafe {
        fixed_impl::<false, N, T, R>(function_of(slf), ptr::null_mut(), args, nargsf, kwnames)
    }
}

macro_rules! fixed {
    ($n:literal, $t:expr, $r:expr) => {
        entry!(fixed_fn::<$n, { $t }, { $r }>)
    };
}

macro_rules! method {
    ($n:literal, $t:expr, $r:expr) => {
        method_entry!(fixed_impl::<true, $n, { $t }, { $r }>)
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

macro_rules! method_by_ret {
    ($n:literal, $t:expr) => {
        [
            method!($n, $t, PYZ3_T_VOID),
            method!($n, $t, PYZ3_T_I64),
            method!($n, $t, PYZ3_T_F64),
            method!($n, $t, PYZ3_T_BOOL),
            method!($n, $t, PYZ3_T_STR),
            method!($n, $t, PYZ3_T_BYTES),
            method!($n, $t, PYZ3_T_OBJECT),
            method!($n, $t, CTOR_RET),
        ]
    };
}
macro_rules! method_by_param {
    ($n:literal) => {
        [
            method_by_ret!($n, PYZ3_T_I64),
            method_by_ret!($n, PYZ3_T_F64),
            method_by_ret!($n, PYZ3_T_STR),
            method_by_ret!($n, PYZ3_T_BOOL),
            method_by_ret!($n, PYZ3_T_OBJECT),
        ]
    };
}

static NOARGS: [Entry; 7] = by_ret!(0, PYZ3_T_I64);
static TABLE: [[[Entry; 7]; 5]; SPECIAL_MAX_ARITY] = [by_param!(1), by_param!(2), by_param!(3)];
// The same shapes with a receiver; the last column is the constructor (`CTOR_RET`).
static METHOD_NOARGS: [MethodEntry; 8] = method_by_ret!(0, PYZ3_T_I64);
static METHOD_TABLE: [[[MethodEntry; 8]; 5]; SPECIAL_MAX_ARITY] = [
    method_by_param!(1),
    method_by_param!(2),
    method_by_param!(3),
];

/// The column of `ret` and the row of `types` in the tables, if the shape has an entry.
fn position(n: usize, types: &[TypeCode], ret: u8) -> Option<(usize, usize)> {
    let r = RET_TYPES
        .iter()
        .position(|&t| t == ret)
        .or((ret == CTOR_RET).then_some(RET_TYPES.len()))?;
    if n == 0 {
        return Some((usize::MAX, r));
    }
    if n > SPECIAL_MAX_ARITY || types.iter().any(|&t| t != types[0]) {
        return None;
    }
    let p = PARAM_TYPES.iter().position(|&t| t == types[0] as u8)?;
    Some((p, r))
}

/// The specialised trampoline for this shape, if there is one.
pub fn lookup(n: usize, types: &[TypeCode], ret: TypeCode) -> Option<Entry> {
    match position(n, types, ret as u8)? {
        (_, r) if r >= RET_TYPES.len() => None,
        (usize::MAX, r) => Some(NOARGS[r]),
        (p, r) => Some(TABLE[n - 1][p][r]),
    }
}

/// The specialised method entry for this shape, if there is one.
pub(super) fn lookup_method(n: usize, types: &[TypeCode], ret: TypeCode) -> Option<MethodEntry> {
    method_at(n, position(n, types, ret as u8)?)
}

/// The specialised constructor entry for this shape, if there is one.
pub(super) fn lookup_ctor(n: usize, types: &[TypeCode]) -> Option<MethodEntry> {
    method_at(n, position(n, types, CTOR_RET)?)
}

fn method_at(n: usize, (p, r): (usize, usize)) -> Option<MethodEntry> {
    Some(if p == usize::MAX {
        METHOD_NOARGS[r]
    } else {
        METHOD_TABLE[n - 1][p][r]
    })
}
