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
    arg_error, arguments_in_order, code, convert_arg, convert_args, entry, invoke_ret,
    method_entry, Entry, MethodEntry, ANY_RET, CTOR_RET, SET_RET,
};
use super::slow::call_slow_from;
use super::{function_of, Function};

/// The largest arity with a monomorphised trampoline.
pub const SPECIAL_MAX_ARITY: usize = 3;
const PARAM_TYPES: [u8; 6] = [
    PYZ3_T_I64,
    PYZ3_T_F64,
    PYZ3_T_STR,
    PYZ3_T_BOOL,
    PYZ3_T_OBJECT,
    PYZ3_T_INSTANCE,
];
const RET_TYPES: [u8; 8] = [
    PYZ3_T_VOID,
    PYZ3_T_I64,
    PYZ3_T_F64,
    PYZ3_T_BOOL,
    PYZ3_T_STR,
    PYZ3_T_BYTES,
    PYZ3_T_OBJECT,
    PYZ3_T_INSTANCE,
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
    // by `lookup`), which has no optional parameter (so no `None` defaults).
    unsafe {
        let nargs = nargsf as usize;
        let mut vals = [core::mem::MaybeUninit::<pyz3_value>::uninit(); SPECIAL_MAX_ARITY + 1];
        // A constructor always takes the state.
        let off = if M && (R == CTOR_RET || f.state_slot) {
            vals[0].write(pyz3_value {
                inst: this.cast::<u8>().add(f.state_offset).cast(),
            });
            1
        } else {
            0
        };
        if kwnames.is_null() && nargs < N {
            // Leading arguments by position, the rest from their defaults (`c.inc()`).
            if nargs < f.min_direct_nargs {
                return call_slow_from::<M, R>(f, this, args, nargs, kwnames);
            }
            // No switch read (an atomic load the compiler cannot drop) when there is nothing to
            // convert.
            let fast = nargs > 0 && opts::fast_paths();
            for i in 0..N {
                if i < nargs {
                    let o = *args.add(i);
                    let slot = vals[off + i].as_mut_ptr();
                    if let Err(e) = convert_arg(f, i, const { code(T) }, o, slot, fast) {
                        return arg_error(f, i, o, e);
                    }
                } else {
                    vals[off + i].write(f.default_value(i));
                }
            }
            return invoke_ret::<false, R, M>(f, this, vals.as_ptr().cast(), 0);
        }
        let mut gathered = [core::mem::MaybeUninit::<*mut ffi::PyObject>::uninit(); N];
        let Some(objs) = arguments_in_order(f, args, nargs, kwnames, &mut gathered) else {
            return call_slow_from::<M, R>(f, this, args, nargs, kwnames);
        };
        let fast = N > 0 && opts::fast_paths();
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
            fixed!($n, $t, PYZ3_T_INSTANCE),
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
            by_ret!($n, PYZ3_T_INSTANCE),
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
            method!($n, $t, PYZ3_T_INSTANCE),
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
            method_by_ret!($n, PYZ3_T_INSTANCE),
        ]
    };
}

static NOARGS: [Entry; 8] = by_ret!(0, PYZ3_T_I64);
static TABLE: [[[Entry; 8]; 6]; SPECIAL_MAX_ARITY] = [by_param!(1), by_param!(2), by_param!(3)];
// The same shapes with a receiver; the last column is the constructor (`CTOR_RET`).
static METHOD_NOARGS: [MethodEntry; 9] = method_by_ret!(0, PYZ3_T_I64);
static METHOD_TABLE: [[[MethodEntry; 9]; 6]; SPECIAL_MAX_ARITY] = [
    method_by_param!(1),
    method_by_param!(2),
    method_by_param!(3),
];

/// `Class(...)` on a class whose constructor has this shape: the type's `tp_vectorcall`
/// allocates the instance and continues in the constructor's own monomorphised body.
unsafe extern "C" fn ctor_vectorcall<const N: usize, const T: u8>(
    callable: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython's vectorcall contract; `callable` is a class whose constructor has this
    // shape (`lookup_ctor_vectorcall`; tp_vectorcall is not inherited by subclasses).
    guard(ptr::null_mut(), || unsafe {
        let Some((f, obj)) = crate::class::alloc_for_constructor(callable) else {
            return ptr::null_mut();
        };
        let nargs = ffi::PyVectorcall_NARGS(nargsf);
        let r = fixed_impl::<true, N, T, CTOR_RET>(f, obj, args, nargs, kwnames);
        // `r` is `obj` again (a new reference) or NULL: a failed constructor's instance goes
        // without its destructor.
        ffi::Py_DECREF(obj);
        r
    })
}

macro_rules! ctor_by_param {
    ($n:literal) => {
        [
            ctor_vectorcall::<$n, PYZ3_T_I64> as ffi::vectorcallfunc,
            ctor_vectorcall::<$n, PYZ3_T_F64>,
            ctor_vectorcall::<$n, PYZ3_T_STR>,
            ctor_vectorcall::<$n, PYZ3_T_BOOL>,
            ctor_vectorcall::<$n, PYZ3_T_OBJECT>,
            ctor_vectorcall::<$n, PYZ3_T_INSTANCE>,
        ]
    };
}

static CTOR_VECTORCALL: [[ffi::vectorcallfunc; 6]; SPECIAL_MAX_ARITY + 1] = [
    ctor_by_param!(0),
    ctor_by_param!(1),
    ctor_by_param!(2),
    ctor_by_param!(3),
];

/// The specialised `tp_vectorcall` of a class whose constructor has this shape, if any.
pub(super) fn lookup_ctor_vectorcall(n: usize, types: &[TypeCode]) -> Option<ffi::vectorcallfunc> {
    if n == 0 {
        return Some(CTOR_VECTORCALL[0][0]);
    }
    if n > SPECIAL_MAX_ARITY || types.iter().any(|&t| t != types[0]) {
        return None;
    }
    let p = PARAM_TYPES.iter().position(|&t| t == types[0] as u8)?;
    Some(CTOR_VECTORCALL[n][p])
}

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

/// A property getter returning type `R` (`ANY_RET`: read from the function): the getset's
/// closure is the class's property.
unsafe extern "C" fn getter<const R: u8>(
    slf: *mut ffi::PyObject,
    closure: *mut core::ffi::c_void,
) -> *mut ffi::PyObject {
    // SAFETY: a getset of our class: `slf` is an instance of it, the closure its Property.
    guard(ptr::null_mut(), || unsafe {
        if !crate::class::is_made(slf) {
            crate::class::raise_not_made(slf);
            return ptr::null_mut();
        }
        let f = &(*(closure as *const crate::class::Property)).getter;
        let vals = [pyz3_value {
            inst: this_state(f, slf),
        }];
        invoke_ret::<false, R, true>(f, slf, vals.as_ptr(), 0)
    })
}

/// A property setter taking type `T` (`ANY_RET`: read from the function).
unsafe extern "C" fn setter<const T: u8>(
    slf: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
    closure: *mut core::ffi::c_void,
) -> core::ffi::c_int {
    // SAFETY: as in `getter`; the property has a setter (else CPython refuses the assignment).
    guard(-1, || unsafe {
        let p = &*(closure as *const crate::class::Property);
        let Some(f) = p.setter.as_ref() else {
            return -1;
        };
        if value.is_null() {
            crate::class::raise_no_delete(f);
            return -1;
        }
        if !crate::class::is_made(slf) {
            crate::class::raise_not_made(slf);
            return -1;
        }
        let mut vals = [core::mem::MaybeUninit::<pyz3_value>::uninit(); 2];
        vals[0].write(pyz3_value {
            inst: this_state(f, slf),
        });
        let mut none_mask = 0;
        if f.optional_mask & 1 != 0 && value == ffi::Py_None() {
            none_mask = 1;
            vals[1].write(pyz3_value::ZERO);
        } else {
            let ty = if T == ANY_RET {
                f.types[0]
            } else {
                const { code(T) }
            };
            if let Err(e) = convert_arg(f, 0, ty, value, vals[1].as_mut_ptr(), opts::fast_paths()) {
                arg_error(f, 0, value, e);
                return -1;
            }
        }
        let r = invoke_ret::<false, SET_RET, true>(f, slf, vals.as_ptr().cast(), none_mask);
        if r.is_null() {
            -1
        } else {
            0
        }
    })
}

#[inline(always)]
unsafe fn this_state(f: &Function, slf: *mut ffi::PyObject) -> *mut core::ffi::c_void {
    // SAFETY: `slf` is an instance of the function's class.
    unsafe { slf.cast::<u8>().add(f.state_offset).cast() }
}

/// The getset `get` of a property whose getter is `f`.
pub(crate) fn getter_for(f: &Function) -> ffi::getter {
    macro_rules! by_type {
        ($($t:ident),*) => {
            match f.ret_type as u8 {
                $( $t => getter::<$t> as ffi::getter, )*
                _ => getter::<ANY_RET>,
            }
        };
    }
    by_type!(
        PYZ3_T_I64,
        PYZ3_T_F64,
        PYZ3_T_BOOL,
        PYZ3_T_STR,
        PYZ3_T_OBJECT,
        PYZ3_T_INSTANCE
    )
}

/// The getset `set` of a property whose setter is `f`.
pub(crate) fn setter_for(f: &Function) -> ffi::setter {
    macro_rules! by_type {
        ($($t:ident),*) => {
            match f.types[0] as u8 {
                $( $t => setter::<$t> as ffi::setter, )*
                _ => setter::<ANY_RET>,
            }
        };
    }
    by_type!(
        PYZ3_T_I64,
        PYZ3_T_F64,
        PYZ3_T_BOOL,
        PYZ3_T_STR,
        PYZ3_T_OBJECT,
        PYZ3_T_INSTANCE
    )
}
