//! loader/src/function/special_views.rs: trampolines monomorphised for the common shapes of
//! functions with buffer parameters.
//!
//! The generic view path ([`super::call::convert_and_invoke_views`]) loops over the parameters
//! and dispatches on each one's type; for a call that does little work (a sum of eight floats,
//! a CRC of 64 bytes) that loop is most of pyz3's cost over a handwritten extension. A function
//! whose parameters are a buffer followed by at most one more of a few common types, which keeps
//! the GIL, gets a body compiled for exactly that signature: the conversions are inlined for their
//! types and unrolled, trailing defaults are filled without gathering, and views are held and
//! released as on the generic path. Calls with keywords, or with too few arguments, take the
//! generic path.

use core::mem::MaybeUninit;
use core::ptr;

use pyo3_ffi as ffi;
use pyz3_core::abi::*;
use pyz3_core::convert;
use pyz3_core::opts;
use pyz3_core::panic::guard;
use pyz3_core::types::*;
use pyz3_core::views::{CallViews, ViewStack};

use super::call::{arg_error, code, entry, invoke_ret, views_gather, Entry, ANY_RET};
use super::{function_of, Function};

/// The parameter types a second parameter may have (the first is always a buffer).
const SECOND: [u8; 4] = [PYZ3_T_BUFFER, PYZ3_T_I64, PYZ3_T_U32, PYZ3_T_F64];
/// The return types with a specialised body.
const RETURNS: [u8; 7] = [
    PYZ3_T_VOID,
    PYZ3_T_I64,
    PYZ3_T_U32,
    PYZ3_T_F64,
    PYZ3_T_BOOL,
    PYZ3_T_OBJECT,
    PYZ3_T_ARRAY,
];

/// The body for `N` parameters of types `P0` (a buffer) and `P1`, returning `R`.
#[inline(always)]
unsafe fn views_fixed_body<const N: usize, const P0: u8, const P1: u8, const R: u8>(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython's vectorcall contract; N, P0, P1 and R match the function's declaration
    // (checked by `lookup`), so each argument converts to the type it was declared with.
    unsafe {
        let f = function_of(slf);
        let nargs = nargsf as usize;
        if !kwnames.is_null() || nargs > N || nargs < f.min_direct_nargs {
            return views_gather::<false, ANY_RET>(f, ptr::null_mut(), args, nargs, kwnames);
        }
        let fast = opts::fast_paths();
        let mut stack = ViewStack::new();
        let mut views = CallViews::new(&mut stack, f.nviews);
        // Unrolled by hand: each conversion is inlined for its own type.
        let mut vals = [MaybeUninit::<pyz3_value>::uninit(); 2];
        let mut none_mask = 0u64;
        let [v0, v1] = &mut vals;
        let o0 = if nargs > 0 { *args } else { ptr::null_mut() };
        if let Err(raised) = convert_one(
            f,
            0,
            const { code(P0) },
            o0,
            v0,
            &mut none_mask,
            &mut views,
            fast,
        ) {
            return raised;
        }
        if N > 1 {
            let o1 = if nargs > 1 {
                *args.add(1)
            } else {
                ptr::null_mut()
            };
            if let Err(raised) = convert_one(
                f,
                1,
                const { code(P1) },
                o1,
                v1,
                &mut none_mask,
                &mut views,
                fast,
            ) {
                return raised;
            }
        }
        let result =
            invoke_ret::<false, R, false>(f, ptr::null_mut(), vals.as_ptr().cast(), none_mask);
        drop(views);
        result
    }
}

/// Converts argument `i` (NULL: its default) into `slot`, as the generic view path does.
#[inline(always)]
#[allow(
    clippy::too_many_arguments,
    reason = "one argument's whole context, inlined"
)]
unsafe fn convert_one(
    f: &Function,
    i: usize,
    ty: TypeCode,
    o: *mut ffi::PyObject,
    slot: &mut MaybeUninit<pyz3_value>,
    none_mask: &mut u64,
    views: &mut CallViews,
    fast: bool,
) -> Result<(), *mut ffi::PyObject> {
    // SAFETY: GIL held; `o` is NULL or a valid object the caller keeps alive for the call.
    unsafe {
        if o.is_null() {
            let d = &f.defaults[i];
            slot.write(d.value);
            if d.is_none {
                *none_mask |= 1 << i;
            }
            return Ok(());
        }
        if f.optional_mask & (1 << i) != 0 && o == ffi::Py_None() {
            *none_mask |= 1 << i;
            slot.write(pyz3_value::ZERO);
            return Ok(());
        }
        convert::to_arg_into(ty, &f.facts[i], o, slot.as_mut_ptr(), views, fast)
            .map_err(|e| arg_error(f, i, o, e))
    }
}

macro_rules! fixed {
    ($n:literal, $p1:expr, $r:expr) => {
        entry!(views_fixed_body::<$n, PYZ3_T_BUFFER, { $p1 }, { $r }>)
    };
}

macro_rules! by_ret {
    ($n:literal, $p1:expr) => {
        [
            fixed!($n, $p1, PYZ3_T_VOID),
            fixed!($n, $p1, PYZ3_T_I64),
            fixed!($n, $p1, PYZ3_T_U32),
            fixed!($n, $p1, PYZ3_T_F64),
            fixed!($n, $p1, PYZ3_T_BOOL),
            fixed!($n, $p1, PYZ3_T_OBJECT),
            fixed!($n, $p1, PYZ3_T_ARRAY),
        ]
    };
}

static ONE: [Entry; 7] = by_ret!(1, PYZ3_T_BUFFER);
static TWO: [[Entry; 7]; 4] = [
    by_ret!(2, PYZ3_T_BUFFER),
    by_ret!(2, PYZ3_T_I64),
    by_ret!(2, PYZ3_T_U32),
    by_ret!(2, PYZ3_T_F64),
];

/// The specialised trampoline for a function with view parameters, if its shape has one.
pub(super) fn lookup(f: &Function) -> Option<Entry> {
    if f.release_gil || f.nparams == 0 || f.nparams > 2 || f.types[0] != TypeCode::Buffer {
        return None;
    }
    let r = RETURNS.iter().position(|&t| t == f.ret_type as u8)?;
    if f.nparams == 1 {
        return Some(ONE[r]);
    }
    let p = SECOND.iter().position(|&t| t == f.types[1] as u8)?;
    Some(TWO[p][r])
}
