//! loader/src/function/call.rs: the hot path — from a vectorcall to the plugin and back.
//!
//! The trampoline (`ml_meth`) of each function is chosen at load time ([`pick_trampoline`]): a
//! monomorphised one for common shapes ([`super::special`]), `PLAIN` for other typed functions
//! without optional parameters, `GENERAL` for the rest, `RAW` for raw functions. Each gathers
//! the arguments in declaration order (positional, or keywords matched by identity), converts
//! them into `pyz3_value` slots, calls the plugin and converts the result. Anything unusual —
//! defaults, reordering, errors in the call's shape — goes to [`super::slow`]. Every entry point
//! runs inside the runtime's panic boundary.
//!
//! Functions with per-call view parameters (buffers, sequences, dicts; the registry's
//! `arg_view`) take `VIEWS` and [`convert_and_invoke_views`]: the one place that owns a call's
//! views. It creates a [`CallViews`] before the first conversion and drops it after the result
//! object exists, so every committed view is released on every path (docs/design.md, "Per-call
//! views").

use core::ptr;

use pyo3_ffi as ffi;
use pyz3_core::abi::*;
use pyz3_core::convert::{self, ConvError};
use pyz3_core::panic::guard;
use pyz3_core::types::{Repr, TypeCode, PYZ3_T_VOID};
use pyz3_core::views::{CallViews, ViewStack};
use pyz3_core::{array, error, gil, opts, tls};

use super::slow::call_slow;
use super::{function_of, special, special_views, Function};
use crate::plugin_lock;

pub(super) const MAXP: usize = PYZ3_MAX_PARAMS as usize;

/// Which trampoline serves a function; chosen once at load time so the hot path carries no
/// branches for features the function does not use.
///
/// Typed functions with up to [`special::SPECIAL_MAX_ARITY`] parameters of one common type and a common
/// return type get a trampoline monomorphised for exactly that shape (no loop, no per-argument
/// type dispatch); other typed functions share `PLAIN`/`GENERAL`.
pub(super) fn pick_trampoline(f: &Function) -> Entry {
    if f.raw.is_some() {
        return RAW;
    }
    if f.nviews != 0 {
        return special_views::lookup(f).unwrap_or(VIEWS);
    }
    if f.optional_mask != 0 || f.release_gil || f.direct_nargs != f.nparams {
        return GENERAL;
    }
    special::lookup(f.nparams, &f.types[..f.nparams], f.ret_type).unwrap_or(PLAIN)
}

/// One trampoline body in both calling conventions: `METH_FASTCALL | METH_KEYWORDS` for
/// functions that take keywords, and plain `METH_FASTCALL` for functions that cannot (no
/// parameters, or `PYZ3_FN_POSITIONAL_ONLY`), which CPython 3.12 calls about 3 ns faster.
#[derive(Clone, Copy)]
pub(super) struct Entry {
    pub(super) kw: ffi::PyCFunctionFastWithKeywords,
    pub(super) fast: ffi::PyCFunctionFast,
}

/// Wraps a body `unsafe fn(slf, args, nargs, kwnames) -> *mut PyObject` as an [`Entry`], each
/// convention inside the panic boundary.
macro_rules! entry {
    ($body:path) => {{
        unsafe extern "C" fn kw(
            slf: *mut ffi::PyObject,
            args: *const *mut ffi::PyObject,
            nargs: ffi::Py_ssize_t,
            kwnames: *mut ffi::PyObject,
        ) -> *mut ffi::PyObject {
            // SAFETY: CPython's METH_FASTCALL | METH_KEYWORDS contract.
            guard(ptr::null_mut(), || unsafe {
                $body(slf, args, nargs, kwnames)
            })
        }
        unsafe extern "C" fn fast(
            slf: *mut ffi::PyObject,
            args: *mut *mut ffi::PyObject,
            nargs: ffi::Py_ssize_t,
        ) -> *mut ffi::PyObject {
            // SAFETY: CPython's METH_FASTCALL contract (no keywords).
            guard(ptr::null_mut(), || unsafe {
                $body(slf, args as *const _, nargs, ptr::null_mut())
            })
        }
        Entry { kw, fast }
    }};
}
pub(super) use entry;

static PLAIN: Entry = entry!(plain_body);
static GENERAL: Entry = entry!(direct_body::<false>);
static RAW: Entry = entry!(direct_body::<true>);
static VIEWS: Entry = entry!(views_body);

/// Typed functions without optional parameters that keep the GIL: the common, hot case.
#[inline(always)]
unsafe fn plain_body(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython's vectorcall contract: `args` holds `nargsf` positional values followed by
    // one value per keyword name.
    unsafe {
        let f = function_of(slf);
        let mut gathered = [ptr::null_mut(); MAXP];
        let Some(objs) = arguments_in_order(
            f,
            args,
            nargsf as usize,
            kwnames,
            &mut gathered[..f.nparams],
        ) else {
            return call_slow(f, args, nargsf as usize, kwnames);
        };
        let fast = opts::fast_paths();
        let mut vals = [core::mem::MaybeUninit::<pyz3_value>::uninit(); MAXP];
        if let Err(raised) = convert_args(f, objs, &mut vals[..f.nparams], |i| f.types[i], fast) {
            return raised;
        }
        invoke::<false>(f, vals.as_ptr().cast(), 0)
    }
}

/// Raw functions (`RAW`), and typed functions with optional or keyword-only parameters or
/// `PYZ3_FN_RELEASE_GIL`: a direct call when every argument came by position, else `call_slow`.
#[inline(always)]
unsafe fn direct_body<const RAW: bool>(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: as in `plain_body`.
    unsafe {
        let f = function_of(slf);
        if !kwnames.is_null() || nargsf as usize != f.direct_nargs {
            return call_slow(f, args, nargsf as usize, kwnames);
        }
        if RAW {
            call_raw(f, args)
        } else {
            convert_and_invoke(f, core::slice::from_raw_parts(args, f.nparams))
        }
    }
}

/// Typed functions with per-call view parameters: every parameter passed, or positional
/// arguments with the rest from defaults, go straight to [`convert_and_invoke_views`].
#[inline(always)]
unsafe fn views_body(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: as in `plain_body`.
    unsafe {
        let f = function_of(slf);
        let nargs = nargsf as usize;
        if kwnames.is_null() && nargs == f.nparams {
            return convert_and_invoke_views(f, core::slice::from_raw_parts(args, nargs));
        }
        views_gather(f, args, nargs, kwnames)
    }
}

/// [`views_body`] for calls with keywords or defaults.
#[inline(never)]
pub(super) unsafe fn views_gather(
    f: &Function,
    args: *const *mut ffi::PyObject,
    nargs: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: as in `plain_body`.
    unsafe {
        // Only the function's own slots are initialised (as in `call_slow`).
        let mut storage = [core::mem::MaybeUninit::<*mut ffi::PyObject>::uninit(); MAXP];
        for s in &mut storage[..f.nparams] {
            s.write(ptr::null_mut());
        }
        let slots = core::slice::from_raw_parts_mut(
            storage.as_mut_ptr().cast::<*mut ffi::PyObject>(),
            f.nparams,
        );
        if let Some(objs) = arguments_in_order(f, args, nargs, kwnames, slots) {
            return convert_and_invoke_views(f, core::slice::from_raw_parts(objs, f.nparams));
        }
        if kwnames.is_null() && nargs >= f.min_direct_nargs && nargs <= f.npositional {
            // Trailing defaults: NULL slots take them.
            slots[..nargs].copy_from_slice(core::slice::from_raw_parts(args, nargs));
            return convert_and_invoke_views(f, slots);
        }
        call_slow(f, args, nargs, kwnames)
    }
}

/// Converts `slots` (NULL = use the default) of a function with per-call view parameters, and
/// calls it. The call's views live in `views` on this frame, from the first conversion until
/// after the result object exists (also across a GIL-released call); dropping it releases every
/// view that was converted, whichever way this function returns.
pub(super) unsafe fn convert_and_invoke_views(
    f: &Function,
    slots: &[*mut ffi::PyObject],
) -> *mut ffi::PyObject {
    // SAFETY: GIL held; non-NULL slots are valid objects kept alive by the caller for the call.
    unsafe {
        let fast = opts::fast_paths();
        let mut stack = ViewStack::new();
        let mut views = CallViews::new(&mut stack, f.nviews);
        let mut vals = [core::mem::MaybeUninit::<pyz3_value>::uninit(); MAXP];
        let mut none_mask = 0u64;
        for (j, &o) in slots.iter().enumerate() {
            if o.is_null() {
                let d = &f.defaults[j];
                vals[j].write(d.value);
                if d.is_none {
                    none_mask |= 1 << j;
                }
                continue;
            }
            if f.optional_mask & (1 << j) != 0 && o == ffi::Py_None() {
                none_mask |= 1 << j;
                vals[j].write(pyz3_value::ZERO);
                continue;
            }
            let (ty, facts) = (f.types[j], &f.facts[j]);
            if let Err(e) =
                convert::to_arg_into(ty, facts, o, vals[j].as_mut_ptr(), &mut views, fast)
            {
                return arg_error(f, j, o, e);
            }
        }
        let result = if f.release_gil {
            invoke::<true>(f, vals.as_ptr().cast(), none_mask)
        } else {
            invoke::<false>(f, vals.as_ptr().cast(), none_mask)
        };
        drop(views);
        result
    }
}

/// Converts `slots` (NULL = use the default) and calls a typed function.
pub(super) unsafe fn convert_and_invoke(
    f: &Function,
    slots: &[*mut ffi::PyObject],
) -> *mut ffi::PyObject {
    if f.nviews != 0 {
        // SAFETY: forwarded.
        return unsafe { convert_and_invoke_views(f, slots) };
    }
    // SAFETY: GIL held; non-NULL slots are valid objects kept alive by the caller.
    unsafe {
        let fast = opts::fast_paths();
        let mut vals = [core::mem::MaybeUninit::<pyz3_value>::uninit(); MAXP];
        let mut none_mask = 0u64;
        for (j, &o) in slots.iter().enumerate() {
            if o.is_null() {
                let d = &f.defaults[j];
                vals[j].write(d.value);
                if d.is_none {
                    none_mask |= 1 << j;
                }
                continue;
            }
            if f.optional_mask & (1 << j) != 0 && o == ffi::Py_None() {
                none_mask |= 1 << j;
                vals[j].write(pyz3_value::ZERO);
                continue;
            }
            if let Err(e) = convert::to_value_into(f.types[j], o, vals[j].as_mut_ptr(), fast) {
                return arg_error(f, j, o, e);
            }
        }
        if f.release_gil {
            invoke::<true>(f, vals.as_ptr().cast(), none_mask)
        } else {
            invoke::<false>(f, vals.as_ptr().cast(), none_mask)
        }
    }
}

/// Calls a typed function with converted arguments and turns its result into an object.
#[inline(always)]
unsafe fn invoke<const RELEASE_GIL: bool>(
    f: &Function,
    vals: *const pyz3_value,
    none_mask: u64,
) -> *mut ffi::PyObject {
    // SAFETY: forwarded.
    unsafe { invoke_ret::<RELEASE_GIL, ANY_RET>(f, vals, none_mask) }
}

/// The type of a code known at compile time (the special trampolines' `R`).
#[inline(always)]
pub(super) const fn code(c: u8) -> TypeCode {
    match TypeCode::from_u8(c) {
        Some(t) => t,
        None => TypeCode::Object,
    }
}

/// `R` for "the return type is read from the function at run time".
pub(super) const ANY_RET: u8 = u8::MAX;

/// [`invoke`] for a return type known at compile time (`R`), or read at run time (`ANY_RET`).
#[inline(always)]
pub(super) unsafe fn invoke_ret<const RELEASE_GIL: bool, const R: u8>(
    f: &Function,
    vals: *const pyz3_value,
    none_mask: u64,
) -> *mut ffi::PyObject {
    // SAFETY: `vals` holds one initialised value per parameter; `fn_` is set for typed functions.
    unsafe {
        if R == ANY_RET && f.ret_compound {
            return super::compound::invoke::<RELEASE_GIL>(f, vals, none_mask);
        }
        let with_nones = pyz3_call {
            none_mask,
            ..f.call0
        };
        let call: *const pyz3_call = if none_mask == 0 {
            &f.call0
        } else {
            &with_nones
        };
        // A void result is never read: no need to zero it (two instructions on `noop`). Every
        // other result is zeroed, so a plugin that forgets to write it gives NULL or 0.
        let void = R == PYZ3_T_VOID;
        let mut ret = core::mem::MaybeUninit::<pyz3_value>::uninit();
        if !void {
            ret.write(pyz3_value::ZERO);
        }
        let fn_ = f.fn_.unwrap_unchecked();
        gil::enter_call();
        // Inside the plugin's lock on free-threaded builds; a released GIL releases it too.
        let status = plugin_lock::with(f, || {
            if RELEASE_GIL {
                let region = gil::release_begin();
                let s = fn_(vals, ret.as_mut_ptr(), call);
                gil::release_end(region);
                s
            } else {
                fn_(vals, ret.as_mut_ptr(), call)
            }
        });
        gil::leave_call();
        let ret: &pyz3_value = if void {
            &pyz3_value::ZERO
        } else {
            ret.assume_init_ref()
        };
        // "PYZ3_OK and no exception noted" as one OR and one branch (PYZ3_OK is 0).
        const _: () = assert!(PYZ3_OK == 0);
        if (status as u32 | tls::error_hint()) == 0 {
            let ty = if R == ANY_RET {
                f.ret_type
            } else {
                const { code(R) }
            };
            return result_of_type(f, ty, ret);
        }
        // finish_unusual asks CPython itself; the hint is spent either way.
        tls::clear_error_hint();
        finish_unusual(f, status, ret)
    }
}

#[inline(always)]
unsafe fn result_object(f: &Function, ret: &pyz3_value) -> *mut ffi::PyObject {
    // SAFETY: forwarded.
    unsafe { result_of_type(f, f.ret_type, ret) }
}

#[inline(always)]
unsafe fn result_of_type(f: &Function, ty: TypeCode, ret: &pyz3_value) -> *mut ffi::PyObject {
    // SAFETY: GIL held; `ret` holds the member the return type names; the pool is filled
    // whenever a plugin function exists.
    unsafe {
        match ty {
            TypeCode::Str | TypeCode::Bytes | TypeCode::Object => checked_object_result(f, ret.obj),
            TypeCode::Iterator => super::compound::iterator_result(f, ret.obj),
            TypeCode::Array => checked_array_result(f, ret.obj),
            // Buffers are not a result type (the loader refuses them): nothing to convert.
            TypeCode::Void | TypeCode::Buffer => convert::none(),
            TypeCode::F64 => convert::from_f64(ret.f64),
            TypeCode::I8
            | TypeCode::I16
            | TypeCode::I32
            | TypeCode::I64
            | TypeCode::U8
            | TypeCode::U16
            | TypeCode::U32
            | TypeCode::U64
            | TypeCode::F32
            | TypeCode::Bool => convert::from_value_with(ty, ret, opts::pool()),
            // Lists, dicts and tuples take `compound::invoke` (`ret_compound`); sequences and
            // callables are not result types. `from_value_with` reports the impossible.
            TypeCode::List
            | TypeCode::Dict
            | TypeCode::Tuple
            | TypeCode::Sequence
            | TypeCode::Callable => convert::from_value_with(ty, ret, false),
        }
    }
}

unsafe fn checked_object_result(f: &Function, obj: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: GIL held; a non-NULL `obj` is a new reference owned by us.
    unsafe {
        if obj.is_null() {
            error::raise_str(
                ffi::PyExc_SystemError,
                &format!(
                    "{} returned PYZ3_OK but no {} object (result.obj is NULL)",
                    f.display,
                    f.ret_type.name()
                ),
            );
            return ptr::null_mut();
        }
        let ok = match f.ret_type.info().repr {
            Repr::Text => ffi::PyUnicode_Check(obj) != 0,
            Repr::Bytes => ffi::PyBytes_Check(obj) != 0,
            Repr::Array => array::is_array(obj),
            _ => true,
        };
        if ok {
            return obj;
        }
        let msg = format!(
            "{} declared a {} result but returned {}",
            f.display,
            f.ret_type.name(),
            convert::object_type_name(obj)
        );
        ffi::Py_DECREF(obj);
        error::raise_str(ffi::PyExc_SystemError, &msg);
        ptr::null_mut()
    }
}

/// An array result: a `pyz3.Array` of the declared element type and dimensions (a plugin bug
/// otherwise), handed over as is or, with `PYZ3_ARRAY_NUMPY`, as a `numpy.ndarray` over it.
unsafe fn checked_array_result(f: &Function, obj: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: GIL held; a non-NULL `obj` is a new reference owned by us.
    unsafe {
        if obj.is_null() {
            return checked_object_result(f, obj);
        }
        if !array::is_array(obj) {
            let msg = format!(
                "{} declared an array result but returned {} (make it with pyz3_array_new)",
                f.display,
                convert::object_type_name(obj)
            );
            ffi::Py_DECREF(obj);
            error::raise_str(ffi::PyExc_SystemError, &msg);
            return ptr::null_mut();
        }
        let v = &*array::view_of(obj);
        let want = &f.ret_facts;
        if v.elem != want.elem as u8 || v.ndim != want.ndim {
            let msg = format!(
                "{} declared a {}-D {} array result but returned a {}-D {} array",
                f.display,
                want.ndim,
                want.elem.name(),
                v.ndim,
                TypeCode::from_u8(v.elem).map_or("?", TypeCode::name)
            );
            ffi::Py_DECREF(obj);
            error::raise_str(ffi::PyExc_SystemError, &msg);
            return ptr::null_mut();
        }
        if want.type_flags & PYZ3_ARRAY_NUMPY != 0 {
            return array::into_numpy(obj, &f.display);
        }
        obj
    }
}

/// Everything but a clean success: errors, `None` results, bad statuses.
#[cold]
pub(super) unsafe fn finish_unusual(
    f: &Function,
    status: i32,
    ret: &pyz3_value,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held.
    unsafe {
        let has_error = error::occurred();
        let owns_obj = f.ret_type.info().result_is_object();
        if f.ret_type == TypeCode::Array && status != PYZ3_OK {
            // A function may fail (or return None) after making its array: it is freed here.
            ffi::Py_XDECREF(ret.obj);
        }
        match status {
            PYZ3_OK if has_error => {
                if owns_obj {
                    ffi::Py_XDECREF(ret.obj);
                }
                error::raise_system_error_chained(&format!(
                    "{} returned a result with an exception set",
                    f.display
                ));
                ptr::null_mut()
            }
            PYZ3_OK => result_object(f, ret),
            PYZ3_RETURN_NONE if has_error => {
                error::raise_system_error_chained(&format!(
                    "{} returned None with an exception set",
                    f.display
                ));
                ptr::null_mut()
            }
            PYZ3_RETURN_NONE if f.ret_optional || f.ret_type == TypeCode::Void => convert::none(),
            PYZ3_RETURN_NONE => {
                error::raise_str(
                    ffi::PyExc_SystemError,
                    &format!(
                        "{} returned None, but its return type {} is not optional",
                        f.display,
                        f.ret_type.name()
                    ),
                );
                ptr::null_mut()
            }
            PYZ3_ERROR if has_error => ptr::null_mut(),
            PYZ3_ERROR => {
                error::raise_str(
                    ffi::PyExc_SystemError,
                    &format!("{} failed without setting an exception", f.display),
                );
                ptr::null_mut()
            }
            other => {
                let msg = format!(
                    "{} returned the invalid status {other} (expected PYZ3_OK, PYZ3_ERROR or \
                     PYZ3_RETURN_NONE)",
                    f.display
                );
                if has_error {
                    error::raise_system_error_chained(&msg);
                } else {
                    error::raise_str(ffi::PyExc_SystemError, &msg);
                }
                ptr::null_mut()
            }
        }
    }
}

#[cold]
pub(super) unsafe fn arg_error(
    f: &Function,
    i: usize,
    o: *mut ffi::PyObject,
    e: ConvError,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held.
    unsafe {
        let what = format!("{} argument '{}'", f.display, f.param_names[i]);
        convert::raise_arg_error(e, f.types[i], &f.facts[i], o, &what);
    }
    ptr::null_mut()
}

pub(super) unsafe fn call_raw(f: &Function, args: *const *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: GIL held; `args` holds `f.nparams` borrowed objects.
    unsafe {
        let raw = f.raw.unwrap_unchecked();
        gil::enter_call();
        let r = plugin_lock::with(f, || raw(args, f.nparams, &f.call0));
        gil::leave_call();
        let hint = tls::take_error_hint();
        if !r.is_null() {
            if hint && error::occurred() {
                ffi::Py_DECREF(r);
                error::raise_system_error_chained(&format!(
                    "{} returned a result with an exception set",
                    f.display
                ));
                return ptr::null_mut();
            }
            return r;
        }
        if !error::occurred() {
            error::raise_str(
                ffi::PyExc_SystemError,
                &format!("{} returned NULL without setting an exception", f.display),
            );
        }
        ptr::null_mut()
    }
}

/// The arguments of a call that passes every parameter, in declaration order: `args` itself when
/// all came by position, else `gathered` filled by [`gather_complete`]; `None` sends the call to
/// the slow path. `gathered.len()` is the function's parameter count.
#[inline(always)]
pub(super) unsafe fn arguments_in_order(
    f: &Function,
    args: *const *mut ffi::PyObject,
    nargs: usize,
    kwnames: *mut ffi::PyObject,
    gathered: &mut [*mut ffi::PyObject],
) -> Option<*const *mut ffi::PyObject> {
    if kwnames.is_null() && nargs == gathered.len() {
        return Some(args);
    }
    // SAFETY: forwarded (CPython's vectorcall contract).
    (!gathered.is_empty() && unsafe { gather_complete(f, args, nargs, kwnames, gathered) })
        .then_some(gathered.as_ptr())
}

/// Converts `vals.len()` arguments from `objs`, parameter `i` to type code `ty(i)`. On a
/// conversion failure raises the argument error and returns `Err` with the call's result (NULL).
#[inline(always)]
pub(super) unsafe fn convert_args(
    f: &Function,
    objs: *const *mut ffi::PyObject,
    vals: &mut [core::mem::MaybeUninit<pyz3_value>],
    ty: impl Fn(usize) -> TypeCode,
    fast: bool,
) -> Result<(), *mut ffi::PyObject> {
    for (i, slot) in vals.iter_mut().enumerate() {
        // SAFETY: `objs` holds one valid object per parameter; `slot` is writable.
        unsafe {
            let o = *objs.add(i);
            if let Err(e) = convert::to_value_into(ty(i), o, slot.as_mut_ptr(), fast) {
                return Err(arg_error(f, i, o, e));
            }
        }
    }
    Ok(())
}

/// The keyword fast path: a call that passes every parameter exactly once, with keyword names
/// that are the interned parameter names (as keywords written in source are). Fills `out` in
/// declaration order and returns true; anything else (defaults needed, unknown or repeated
/// names, names that are equal but not identical, the pool switched off) returns false and the
/// caller takes `call_slow`, which also reports the errors.
#[inline(always)]
unsafe fn gather_complete(
    f: &Function,
    args: *const *mut ffi::PyObject,
    nargs: usize,
    kwnames: *mut ffi::PyObject,
    out: &mut [*mut ffi::PyObject],
) -> bool {
    // SAFETY: CPython's vectorcall contract, as in `call_slow`.
    unsafe {
        if kwnames.is_null() || !opts::pool() || nargs > f.npositional {
            return false;
        }
        let nkw = ffi::PyTuple_GET_SIZE(kwnames) as usize;
        if nargs + nkw != out.len() {
            return false;
        }
        out[..nargs].copy_from_slice(core::slice::from_raw_parts(args, nargs));
        let names = &f.names[nargs..out.len()];
        let mut seen = 0u64;
        for k in 0..nkw {
            let key = ffi::PyTuple_GET_ITEM(kwnames, k as isize);
            // Keywords usually come in declaration order; `p` indexes the parameters after the
            // positional ones.
            let p = if names[k].as_ptr() == key {
                k
            } else {
                match names.iter().position(|n| n.as_ptr() == key) {
                    Some(p) => p,
                    None => return false,
                }
            };
            if seen & (1 << p) != 0 {
                return false;
            }
            seen |= 1 << p;
            out[nargs + p] = *args.add(nargs + k);
        }
        // `nkw` distinct positions among `nkw`: every slot is filled.
        true
    }
}
