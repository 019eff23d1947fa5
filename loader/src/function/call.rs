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
//! The bodies are generic over `M` (the call has a receiver: a method, a constructor, a property
//! accessor; loader/src/class) and `R` (the result type when known at compile time, [`ANY_RET`]
//! when read from the function, [`CTOR_RET`] for a constructor). A module function is the
//! `M = false` instance, which compiles to exactly the code it had before classes existed; a
//! method gets the same body with its state in `args[0].inst` and the instance in
//! `call->self_` ([`MethodEntry`]).
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
use pyz3_core::types::{Repr, TypeCode, PYZ3_T_INSTANCE, PYZ3_T_VOID};
use pyz3_core::views::{CallViews, ViewStack};
use pyz3_core::{array, error, gil, opts, tls};

use super::slow::call_slow;
use super::{function_of, special, special_views, Function};
use crate::class;
use crate::plugin_lock;

pub(super) const MAXP: usize = PYZ3_MAX_PARAMS as usize;

/// Which trampoline serves a function; chosen once at load time so the hot path carries no
/// branches for features the function does not use.
///
/// Typed functions with up to [`special::SPECIAL_MAX_ARITY`] parameters of one common type and a common
/// return type get a trampoline monomorphised for exactly that shape (no loop, no per-argument
/// type dispatch); other typed functions share `PLAIN`/`GENERAL`.
pub(super) fn pick_trampoline(f: &Function) -> Entry {
    if f.debug {
        return super::debug::DEBUG;
    }
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

/// The [`MethodEntry`] of a function of a class: the same choice as [`pick_trampoline`], with
/// the receiver, and [`CTOR_RET`] for a constructor.
pub(super) fn pick_method_entry(f: &Function, ctor: bool) -> MethodEntry {
    if f.raw.is_some() {
        return RAW_METHOD;
    }
    if f.nviews != 0 {
        return if ctor { VIEWS_CTOR } else { VIEWS_METHOD };
    }
    let general = f.optional_mask != 0 || f.release_gil || f.direct_nargs != f.nparams;
    match (general, ctor) {
        (true, true) => GENERAL_CTOR,
        (true, false) => GENERAL_METHOD,
        (false, true) => {
            special::lookup_ctor(f.nparams, &f.types[..f.nparams]).unwrap_or(PLAIN_CTOR)
        }
        (false, false) => special::lookup_method(f.nparams, &f.types[..f.nparams], f.ret_type)
            .unwrap_or(PLAIN_METHOD),
    }
}

/// One trampoline body in both calling conventions: `METH_FASTCALL | METH_KEYWORDS` for
/// functions that take keywords, and plain `METH_FASTCALL` for functions that cannot (no
/// parameters, or `PYZ3_FN_POSITIONAL_ONLY`), which CPython 3.12 calls about 3 ns faster.
#[derive(Clone, Copy)]
pub(super) struct Entry {
    pub(super) kw: ffi::PyCFunctionFastWithKeywords,
    pub(super) fast: ffi::PyCFunctionFast,
}

/// How a function of a class is called once its receiver is known: `(function, receiver, args,
/// nargs, kwnames)` with `args` holding the Python arguments after the receiver (CPython's
/// vectorcall layout); returns a new reference or NULL with an exception set. The receiver is
/// the instance (methods, constructors, accessors; its state goes to `args[0].inst`) or the
/// class (class methods); it is borrowed. Runs inside the panic boundary, and is `extern "C"`
/// (it never unwinds), so a method trampoline's call to it is a tail call.
pub(crate) type MethodEntry = unsafe extern "C" fn(
    *const Function,
    *mut ffi::PyObject,
    *const *mut ffi::PyObject,
    ffi::Py_ssize_t,
    *mut ffi::PyObject,
) -> *mut ffi::PyObject;

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
        $crate::function::call::Entry { kw, fast }
    }};
}
pub(super) use entry;

/// Wraps a body `unsafe fn(f, this, args, nargs, kwnames) -> *mut PyObject` as a
/// [`MethodEntry`] inside the panic boundary.
macro_rules! method_entry {
    ($body:path) => {{
        unsafe extern "C" fn m(
            f: *const Function,
            this: *mut ffi::PyObject,
            args: *const *mut ffi::PyObject,
            nargs: ffi::Py_ssize_t,
            kwnames: *mut ffi::PyObject,
        ) -> *mut ffi::PyObject {
            // SAFETY: the MethodEntry contract: a live function, CPython's vectorcall layout
            // after the receiver.
            guard(ptr::null_mut(), || unsafe {
                $body(&*f, this, args, nargs, kwnames)
            })
        }
        m as MethodEntry
    }};
}
pub(super) use method_entry;

/// Defines `$name`, an [`Entry`] body for a module function: its owner is `slf`, there is no
/// receiver; `$body::<...>` is the generic body.
macro_rules! function_body {
    ($name:ident = $($body:tt)*) => {
        #[inline(always)]
        unsafe fn $name(
            slf: *mut ffi::PyObject,
            args: *const *mut ffi::PyObject,
            nargs: ffi::Py_ssize_t,
            kwnames: *mut ffi::PyObject,
        ) -> *mut ffi::PyObject {
            // SAFETY: `slf` is a PluginFunction (the builtin's __self__); forwarded contract.
            unsafe { $($body)*(function_of(slf), ptr::null_mut(), args, nargs, kwnames) }
        }
    };
}

function_body!(plain_fn = plain_body::<false, ANY_RET>);
function_body!(general_fn = direct_body::<false, false, ANY_RET>);
function_body!(raw_fn = direct_body::<true, false, ANY_RET>);

static PLAIN: Entry = entry!(plain_fn);
static GENERAL: Entry = entry!(general_fn);
static RAW: Entry = entry!(raw_fn);
function_body!(views_fn = views_body::<false, ANY_RET>);
static VIEWS: Entry = entry!(views_fn);

const PLAIN_METHOD: MethodEntry = method_entry!(plain_body::<true, ANY_RET>);
const GENERAL_METHOD: MethodEntry = method_entry!(direct_body::<false, true, ANY_RET>);
const RAW_METHOD: MethodEntry = method_entry!(direct_body::<true, true, ANY_RET>);
const PLAIN_CTOR: MethodEntry = method_entry!(plain_body::<true, CTOR_RET>);
const GENERAL_CTOR: MethodEntry = method_entry!(direct_body::<false, true, CTOR_RET>);
const VIEWS_METHOD: MethodEntry = method_entry!(views_body::<true, ANY_RET>);
const VIEWS_CTOR: MethodEntry = method_entry!(views_body::<true, CTOR_RET>);

/// `Class(...)` for a constructor without a specialised shape (see `special::ctor_vectorcall`).
unsafe extern "C" fn ctor_vectorcall_general(
    callable: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython's vectorcall contract; `callable` is a class with a constructor.
    guard(ptr::null_mut(), || unsafe {
        let Some((f, obj)) = class::alloc_for_constructor(callable) else {
            return ptr::null_mut();
        };
        let r = (f.method_entry)(f, obj, args, ffi::PyVectorcall_NARGS(nargsf), kwnames);
        ffi::Py_DECREF(obj);
        r
    })
}

/// The `tp_vectorcall` of a class with constructor `f`: the constructor's shape, specialised
/// when it is a common one.
pub(super) fn pick_ctor_vectorcall(f: &Function) -> ffi::vectorcallfunc {
    let general = f.raw.is_some()
        || f.nviews != 0
        || f.optional_mask != 0
        || f.release_gil
        || f.direct_nargs != f.nparams;
    if !general {
        if let Some(v) = special::lookup_ctor_vectorcall(f.nparams, &f.types[..f.nparams]) {
            return v;
        }
    }
    ctor_vectorcall_general
}

/// The entry of a module function, which never takes a receiver (a placeholder for
/// [`Function::method_entry`]).
pub(super) const NO_METHOD_ENTRY: MethodEntry = GENERAL_METHOD;

/// Calls a function of a class with a receiver: what the class's slots and accessors use.
///
/// # Safety
/// GIL held; `this` a live receiver of the kind the function expects (an instance of its class
/// for instance methods); `args` holds `nargs` valid objects.
#[inline(always)]
pub(crate) unsafe fn call_with_receiver(
    f: &Function,
    this: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: usize,
) -> *mut ffi::PyObject {
    // SAFETY: forwarded.
    unsafe { (f.method_entry)(f, this, args, nargs as ffi::Py_ssize_t, ptr::null_mut()) }
}

/// Writes the receiver's state into `vals[0]` for functions that take it; returns how many
/// leading slots it used (0 or 1).
#[inline(always)]
unsafe fn receiver_slots<const M: bool>(
    f: &Function,
    this: *mut ffi::PyObject,
    vals: &mut [core::mem::MaybeUninit<pyz3_value>],
) -> usize {
    if M && f.state_slot {
        // SAFETY: `this` is an instance of the function's class, whose state lies at
        // `state_offset` (loader/src/class/instance.rs).
        let state = unsafe { this.cast::<u8>().add(f.state_offset) };
        vals[0].write(pyz3_value { inst: state.cast() });
        1
    } else {
        0
    }
}

/// Typed functions without optional parameters that keep the GIL: the common, hot case.
#[inline(always)]
pub(super) unsafe fn plain_body<const M: bool, const R: u8>(
    f: &Function,
    this: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython's vectorcall contract: `args` holds `nargsf` positional values followed by
    // one value per keyword name.
    unsafe {
        let mut gathered = [core::mem::MaybeUninit::<*mut ffi::PyObject>::uninit(); MAXP];
        let Some(objs) = arguments_in_order(
            f,
            args,
            nargsf as usize,
            kwnames,
            &mut gathered[..f.nparams],
        ) else {
            return defaults_or_slow::<M, R>(f, this, args, nargsf as usize, kwnames);
        };
        let fast = opts::fast_paths();
        let mut vals = [core::mem::MaybeUninit::<pyz3_value>::uninit(); MAXP + 1];
        let off = receiver_slots::<M>(f, this, &mut vals);
        if let Err(raised) = convert_args(
            f,
            objs,
            &mut vals[off..off + f.nparams],
            |i| f.types[i],
            fast,
        ) {
            return raised;
        }
        invoke_ret::<false, R, M>(f, this, vals.as_ptr().cast(), 0)
    }
}

/// A call that does not pass every parameter: the leading parameters by position and the rest
/// from their defaults (`c.inc()` for `inc(by=1)`) converts directly; anything else goes to
/// `call_slow`.
#[inline(always)]
pub(super) unsafe fn defaults_or_slow<const M: bool, const R: u8>(
    f: &Function,
    this: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython's vectorcall contract.
    unsafe {
        if kwnames.is_null() && nargs >= f.min_direct_nargs && nargs <= f.npositional {
            return convert_prefix::<M, R>(f, this, args, nargs);
        }
        call_slow::<M, R>(f, this, args, nargs, kwnames)
    }
}

/// Converts the `nargs` leading arguments and fills the rest from the defaults (there are
/// defaults for all of them: `nargs >= f.min_direct_nargs`), then calls.
unsafe fn convert_prefix<const M: bool, const R: u8>(
    f: &Function,
    this: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: usize,
) -> *mut ffi::PyObject {
    // SAFETY: `args` holds `nargs <= f.nparams` valid objects; every later parameter has a
    // default.
    unsafe {
        let fast = opts::fast_paths();
        let mut vals = [core::mem::MaybeUninit::<pyz3_value>::uninit(); MAXP + 1];
        let off = receiver_slots::<M>(f, this, &mut vals);
        let vals_tail = vals.as_mut_ptr().add(off);
        // The defaults that are None, for the parameters the call leaves out.
        let mut none_mask = if nargs >= 64 {
            0
        } else {
            f.default_none_mask & (u64::MAX << nargs)
        };
        for j in 0..nargs {
            let o = *args.add(j);
            let slot = vals_tail.add(j);
            if f.optional_mask & (1 << j) != 0 && o == ffi::Py_None() {
                none_mask |= 1 << j;
                (*slot).write(pyz3_value::ZERO);
                continue;
            }
            if let Err(e) = convert_arg(f, j, f.types[j], o, (*slot).as_mut_ptr(), fast) {
                return arg_error(f, j, o, e);
            }
        }
        for j in nargs..f.nparams {
            (*vals_tail.add(j)).write(f.defaults.get_unchecked(j).value);
        }
        if f.release_gil {
            invoke_ret::<true, R, M>(f, this, vals.as_ptr().cast(), none_mask)
        } else {
            invoke_ret::<false, R, M>(f, this, vals.as_ptr().cast(), none_mask)
        }
    }
}

/// Raw functions (`RAW`), and typed functions with optional or keyword-only parameters, defaults
/// or `PYZ3_FN_RELEASE_GIL`: a direct call when the arguments came by position (the rest from
/// defaults), else `call_slow`.
#[inline(always)]
pub(super) unsafe fn direct_body<const RAW: bool, const M: bool, const R: u8>(
    f: &Function,
    this: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: as in `plain_body`.
    unsafe {
        let nargs = nargsf as usize;
        if RAW {
            if !kwnames.is_null() || nargs != f.direct_nargs {
                return call_slow::<M, R>(f, this, args, nargs, kwnames);
            }
            return call_raw::<M>(f, this, args);
        }
        if !kwnames.is_null() || nargs < f.min_direct_nargs || nargs > f.npositional {
            return call_slow::<M, R>(f, this, args, nargs, kwnames);
        }
        convert_prefix::<M, R>(f, this, args, nargs)
    }
}

/// Typed functions with per-call view parameters: every parameter passed, or positional
/// arguments with the rest from defaults, go straight to [`convert_and_invoke_views`].
#[inline(always)]
unsafe fn views_body<const M: bool, const R: u8>(
    f: &Function,
    this: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: as in `plain_body`.
    unsafe {
        let nargs = nargsf as usize;
        if kwnames.is_null() && nargs == f.nparams {
            return convert_and_invoke_views::<M, R>(
                f,
                this,
                core::slice::from_raw_parts(args, nargs),
            );
        }
        views_gather::<M, R>(f, this, args, nargs, kwnames)
    }
}

/// [`views_body`] for calls with keywords or defaults.
#[inline(never)]
pub(super) unsafe fn views_gather<const M: bool, const R: u8>(
    f: &Function,
    this: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: as in `plain_body`.
    unsafe {
        let mut gathered = [core::mem::MaybeUninit::<*mut ffi::PyObject>::uninit(); MAXP];
        if let Some(objs) = arguments_in_order(f, args, nargs, kwnames, &mut gathered[..f.nparams])
        {
            return convert_and_invoke_views::<M, R>(
                f,
                this,
                core::slice::from_raw_parts(objs, f.nparams),
            );
        }
        if kwnames.is_null() && nargs >= f.min_direct_nargs && nargs <= f.npositional {
            // Trailing defaults: the parameters past the arguments take them.
            return convert_and_invoke_views::<M, R>(
                f,
                this,
                core::slice::from_raw_parts(args, nargs),
            );
        }
        call_slow::<M, R>(f, this, args, nargs, kwnames)
    }
}

/// Converts `slots` (NULL, or past the end of `slots`: use the default) of a function with
/// per-call view parameters, and calls it. The call's views live in `views` on this frame, from
/// the first conversion until after the result object exists (also across a GIL-released
/// call); dropping it releases every view that was converted, whichever way this function
/// returns.
pub(super) unsafe fn convert_and_invoke_views<const M: bool, const R: u8>(
    f: &Function,
    this: *mut ffi::PyObject,
    slots: &[*mut ffi::PyObject],
) -> *mut ffi::PyObject {
    // SAFETY: GIL held; non-NULL slots are valid objects kept alive by the caller for the call.
    unsafe {
        let fast = opts::fast_paths();
        let mut stack = ViewStack::new();
        let mut views = CallViews::new(&mut stack, f.nviews);
        let mut vals = [core::mem::MaybeUninit::<pyz3_value>::uninit(); MAXP + 1];
        let off = receiver_slots::<M>(f, this, &mut vals);
        let mut none_mask = 0u64;
        for j in 0..f.nparams {
            let o = slots.get(j).copied().unwrap_or(ptr::null_mut());
            let slot = &mut vals[off + j];
            if o.is_null() {
                let d = &f.defaults[j];
                slot.write(d.value);
                if d.is_none {
                    none_mask |= 1 << j;
                }
                continue;
            }
            if f.optional_mask & (1 << j) != 0 && o == ffi::Py_None() {
                none_mask |= 1 << j;
                slot.write(pyz3_value::ZERO);
                continue;
            }
            let (ty, facts) = (f.types[j], &f.facts[j]);
            if ty == TypeCode::Instance {
                if let Err(e) = convert_arg(f, j, ty, o, slot.as_mut_ptr(), fast) {
                    return arg_error(f, j, o, e);
                }
            } else if let Err(e) =
                convert::to_arg_into(ty, facts, o, slot.as_mut_ptr(), &mut views, fast)
            {
                return arg_error(f, j, o, e);
            }
        }
        let result = if f.release_gil {
            invoke_ret::<true, R, M>(f, this, vals.as_ptr().cast(), none_mask)
        } else {
            invoke_ret::<false, R, M>(f, this, vals.as_ptr().cast(), none_mask)
        };
        drop(views);
        result
    }
}

/// Converts `slots` (NULL, or past the end of `slots`: use the default) and calls a typed
/// function.
pub(super) unsafe fn convert_and_invoke<const M: bool, const R: u8>(
    f: &Function,
    this: *mut ffi::PyObject,
    slots: &[*mut ffi::PyObject],
) -> *mut ffi::PyObject {
    if f.nviews != 0 {
        // SAFETY: forwarded.
        return unsafe { convert_and_invoke_views::<M, R>(f, this, slots) };
    }
    // SAFETY: GIL held; non-NULL slots are valid objects kept alive by the caller.
    unsafe {
        let fast = opts::fast_paths();
        let mut vals = [core::mem::MaybeUninit::<pyz3_value>::uninit(); MAXP + 1];
        let off = receiver_slots::<M>(f, this, &mut vals);
        let mut none_mask = 0u64;
        for j in 0..f.nparams {
            let o = slots.get(j).copied().unwrap_or(ptr::null_mut());
            let slot = &mut vals[off + j];
            if o.is_null() {
                let d = &f.defaults[j];
                slot.write(d.value);
                if d.is_none {
                    none_mask |= 1 << j;
                }
                continue;
            }
            if f.optional_mask & (1 << j) != 0 && o == ffi::Py_None() {
                none_mask |= 1 << j;
                slot.write(pyz3_value::ZERO);
                continue;
            }
            if let Err(e) = convert_arg(f, j, f.types[j], o, slot.as_mut_ptr(), fast) {
                return arg_error(f, j, o, e);
            }
        }
        if f.release_gil {
            invoke_ret::<true, R, M>(f, this, vals.as_ptr().cast(), none_mask)
        } else {
            invoke_ret::<false, R, M>(f, this, vals.as_ptr().cast(), none_mask)
        }
    }
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
pub(crate) const ANY_RET: u8 = u8::MAX;
/// `R` for a constructor: the result is the receiver, now made.
pub(crate) const CTOR_RET: u8 = u8::MAX - 1;
/// `R` for a property setter: success is the receiver as a non-NULL marker (not a reference).
pub(crate) const SET_RET: u8 = u8::MAX - 2;

/// Calls a typed function with converted arguments and turns its result into an object: the
/// return type is known at compile time (`R`), read at run time (`ANY_RET`), or the receiver
/// (`CTOR_RET`); `M`: `this` is the receiver (`call->self_`).
#[inline(always)]
pub(super) unsafe fn invoke_ret<const RELEASE_GIL: bool, const R: u8, const M: bool>(
    f: &Function,
    this: *mut ffi::PyObject,
    vals: *const pyz3_value,
    none_mask: u64,
) -> *mut ffi::PyObject {
    // SAFETY: `vals` holds one initialised value per parameter (after the receiver's state);
    // `fn_` is set for typed functions.
    unsafe {
        if R == ANY_RET && f.ret_compound {
            return super::compound::invoke::<RELEASE_GIL, M>(f, this, vals, none_mask);
        }
        let per_call = pyz3_call {
            none_mask,
            self_: if M { this } else { f.call0.self_ },
            ..f.call0
        };
        let call: *const pyz3_call = if !M && none_mask == 0 {
            &f.call0
        } else {
            &per_call
        };
        // A void result is never read: no need to zero it (two instructions on `noop`). Every
        // other result is zeroed, so a plugin that forgets to write it gives NULL or 0.
        let void = R == PYZ3_T_VOID;
        let mut ret = core::mem::MaybeUninit::<pyz3_value>::uninit();
        if !void {
            ret.write(pyz3_value::ZERO);
        }
        // An instance result is made before the call; the function fills its state.
        let instance_result =
            R == PYZ3_T_INSTANCE || (R == ANY_RET && f.ret_type == TypeCode::Instance);
        let made = if instance_result {
            match class::new_result_instance(f.ret_class) {
                Some((obj, state)) => {
                    (*ret.as_mut_ptr()).inst = state;
                    obj
                }
                None => return ptr::null_mut(),
            }
        } else {
            ptr::null_mut()
        };
        let fn_ = f.fn_.unwrap_unchecked();
        gil::enter_call();
        let run = || {
            if RELEASE_GIL {
                let region = gil::release_begin();
                let s = fn_(vals, ret.as_mut_ptr(), call);
                gil::release_end(region);
                s
            } else {
                fn_(vals, ret.as_mut_ptr(), call)
            }
        };
        // Inside the plugin's lock on free-threaded builds (or, in a plugin declared
        // free-threaded, a critical section on the instance); a released GIL releases it too.
        let status = if M {
            plugin_lock::with_receiver(f, this, run)
        } else {
            plugin_lock::with(f, run)
        };
        gil::leave_call();
        if instance_result {
            return class::finish_result_instance(f, made, status);
        }
        let ret: &pyz3_value = if void {
            &pyz3_value::ZERO
        } else {
            ret.assume_init_ref()
        };
        // "PYZ3_OK and no exception noted" as one OR and one branch (PYZ3_OK is 0).
        const _: () = assert!(PYZ3_OK == 0);
        if (status as u32 | tls::error_hint()) == 0 {
            if R == CTOR_RET {
                return class::finish_constructor(f, this);
            }
            if R == SET_RET {
                return this;
            }
            let ty = if R == ANY_RET {
                f.ret_type
            } else {
                const { code(R) }
            };
            return result_of_type(f, ty, ret);
        }
        // finish_unusual asks CPython itself; the hint is spent either way.
        tls::clear_error_hint();
        let r = finish_unusual(f, status, ret);
        if (R == CTOR_RET || R == SET_RET) && !r.is_null() {
            // A void function's PYZ3_RETURN_NONE is success too.
            ffi::Py_DECREF(r);
            if R == SET_RET {
                return this;
            }
            return class::finish_constructor(f, this);
        }
        r
    }
}

#[inline(always)]
unsafe fn result_object(f: &Function, ret: &pyz3_value) -> *mut ffi::PyObject {
    // SAFETY: forwarded.
    unsafe { result_of_type(f, f.ret_type, ret) }
}

#[inline(always)]
pub(super) unsafe fn result_of_type(
    f: &Function,
    ty: TypeCode,
    ret: &pyz3_value,
) -> *mut ffi::PyObject {
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
            // callables are not result types; an instance is made before the call and finished
            // by `class::finish_result_instance`. `from_value_with` reports the impossible.
            TypeCode::List
            | TypeCode::Dict
            | TypeCode::Tuple
            | TypeCode::Sequence
            | TypeCode::Callable
            | TypeCode::Instance => convert::from_value_with(ty, ret, false),
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
pub(crate) unsafe fn finish_unusual(
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
            PYZ3_RETURN_NONE if f.ends_iteration => ptr::null_mut(),
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
pub(crate) unsafe fn arg_error(
    f: &Function,
    i: usize,
    o: *mut ffi::PyObject,
    e: ConvError,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held.
    unsafe {
        let what = if f.setter {
            f.display.clone()
        } else {
            format!("{} argument '{}'", f.display, f.param_names[i])
        };
        if f.types[i] == TypeCode::Instance && e == ConvError::WrongType {
            let class = f.arg_classes.get(i).copied().flatten();
            class::raise_wrong_instance(class, o, &what);
        } else {
            convert::raise_arg_error(e, f.types[i], &f.facts[i], o, &what);
        }
    }
    ptr::null_mut()
}

pub(super) unsafe fn call_raw<const M: bool>(
    f: &Function,
    this: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held; `args` holds `f.nparams` borrowed objects.
    unsafe {
        let raw = f.raw.unwrap_unchecked();
        let per_call = pyz3_call {
            self_: this,
            ..f.call0
        };
        let call: *const pyz3_call = if M { &per_call } else { &f.call0 };
        gil::enter_call();
        let run = || raw(args, f.nparams, call);
        let r = if M {
            plugin_lock::with_receiver(f, this, run)
        } else {
            plugin_lock::with(f, run)
        };
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
/// the slow path. `gathered.len()` is the function's parameter count; it is read only after
/// [`gather_complete`] wrote every entry (so it need not be zeroed: 64 pointers cost a memset).
#[inline(always)]
pub(super) unsafe fn arguments_in_order(
    f: &Function,
    args: *const *mut ffi::PyObject,
    nargs: usize,
    kwnames: *mut ffi::PyObject,
    gathered: &mut [core::mem::MaybeUninit<*mut ffi::PyObject>],
) -> Option<*const *mut ffi::PyObject> {
    if kwnames.is_null() && nargs == gathered.len() {
        return Some(args);
    }
    // SAFETY: forwarded (CPython's vectorcall contract).
    (!gathered.is_empty() && unsafe { gather_complete(f, args, nargs, kwnames, gathered) })
        .then_some(gathered.as_ptr().cast())
}

/// Converts one argument to parameter `i`'s type `ty` (instances need the parameter's class).
#[inline(always)]
pub(crate) unsafe fn convert_arg(
    f: &Function,
    i: usize,
    ty: TypeCode,
    o: *mut ffi::PyObject,
    out: *mut pyz3_value,
    fast: bool,
) -> Result<(), ConvError> {
    // SAFETY: forwarded; `arg_classes[i]` is set for every instance parameter.
    unsafe {
        if ty == TypeCode::Instance {
            return class::instance_arg(f.arg_classes[i], o, out);
        }
        convert::to_value_into(ty, o, out, fast)
    }
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
            if let Err(e) = convert_arg(f, i, ty(i), o, slot.as_mut_ptr(), fast) {
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
    out: &mut [core::mem::MaybeUninit<*mut ffi::PyObject>],
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
        for (i, slot) in out[..nargs].iter_mut().enumerate() {
            slot.write(*args.add(i));
        }
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
            out[nargs + p].write(*args.add(nargs + k));
        }
        // `nkw` distinct positions among `nkw`: every slot is filled.
        true
    }
}
