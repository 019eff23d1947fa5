//! loader/src/function/debug.rs: the debug-mode trampoline (docs/reliability.md, "Debug mode").
//!
//! Chosen at load time for every function of a module loaded in debug mode, so release-mode
//! functions keep their trampolines untouched. One body serves every shape (it is not the hot
//! path): arguments are put in order by the slow path's [`resolve`], borrowed `str`, `bytes`
//! and contiguous buffer arguments are handed over in copies that are poisoned when the call
//! returns (`crate::debug::poison`), the call runs inside a [`Frame`] where the checking
//! wrappers record GIL violations and the new references the plugin holds, and the result is
//! checked against the declaration beyond what the release trampolines check. Findings are
//! reported by the rule in docs/reliability.md: a broken contract fails the call with
//! `SystemError` naming the function; leaked references warn with `pyz3.DebugWarning`.

use core::ptr;

use pyo3_ffi as ffi;
use pyz3_core::abi::*;
use pyz3_core::debug::{self as frames, Frame};
use pyz3_core::panic::guard;
use pyz3_core::types::{Repr, TypeCode};
use pyz3_core::views::{CallViews, ViewStack};
use pyz3_core::{convert, error, gil, opts, tls};

use super::call::{arg_error, convert_arg, entry, finish_unusual, result_of_type, Entry, MAXP};
use super::slow::resolve;
use super::{function_of, Function};
use crate::class;
use crate::debug::poison::Copy;
use crate::plugin_lock;

pub(super) static DEBUG: Entry = entry!(debug_body);

unsafe fn debug_body(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython's vectorcall contract, as in the release trampolines.
    unsafe {
        let f = function_of(slf);
        let mut storage = [ptr::null_mut::<ffi::PyObject>(); MAXP];
        let slots = &mut storage[..f.nparams];
        if let Err(raised) = resolve(f, args, nargs as usize, kwnames, slots) {
            return raised;
        }
        for (slot, d) in slots.iter_mut().zip(f.defaults.iter()) {
            if slot.is_null() && f.raw.is_some() {
                *slot = d.obj_ptr();
            }
        }
        let mut frame = Frame::new(format!("{}.{}", f.module_name, f.display));
        frame.borrowed = slots.iter().copied().filter(|o| !o.is_null()).collect();
        if f.raw.is_some() {
            call_raw(f, slots, &mut frame)
        } else {
            call_typed(f, slots, &mut frame)
        }
    }
}

/// Raises `SystemError("debug mode: <function> <what>")`, chained to any exception set.
unsafe fn fail(frame: &Frame, what: &str) -> *mut ffi::PyObject {
    // SAFETY: GIL held by the caller.
    unsafe { error::raise_system_error_chained(&format!("debug mode: {} {what}", frame.function)) };
    ptr::null_mut()
}

/// The checks every call ends with, whatever its outcome, in this order: a misuse a wrapper
/// recorded fails the call; leaked references warn; then `failure` (a result check that failed)
/// fails the call. `result` is NULL or a new reference, released when the call fails.
unsafe fn conclude(
    frame: &mut Frame,
    result: *mut ffi::PyObject,
    failure: Option<String>,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held; `result` is NULL or a new reference the caller hands over.
    unsafe {
        if let Some(misuse) = frame.misuse.take() {
            ffi::Py_XDECREF(result);
            return fail(frame, &misuse);
        }
        if !frame.refs.is_empty() {
            let made: Vec<&str> = frame.refs.iter().map(|&(_, api)| api).collect();
            let n = made.len();
            let msg = format!(
                "debug mode: {} leaked {n} reference{} it received during the call (from {}); \
                 release each with pyz3_decref, or hand it over (a result, a container)",
                frame.function,
                if n == 1 { "" } else { "s" },
                made.join(", ")
            );
            frame.refs.clear();
            if !warn(&msg) {
                // The warning was turned into an error (`-W error::pyz3.DebugWarning`).
                ffi::Py_XDECREF(result);
                return ptr::null_mut();
            }
        }
        if let Some(what) = failure {
            ffi::Py_XDECREF(result);
            return fail(frame, &what);
        }
        result
    }
}

/// Issues `pyz3.DebugWarning(msg)`; false when that raised (warnings filtered to errors).
unsafe fn warn(msg: &str) -> bool {
    // SAFETY: GIL held by the caller.
    unsafe {
        // The exception of a failed call stays set across the warning.
        let pending = error::fetch();
        let category = ffi::PyImport_ImportModule(c"pyz3".as_ptr());
        let class = if category.is_null() {
            ptr::null_mut()
        } else {
            let c = ffi::PyObject_GetAttrString(category, c"DebugWarning".as_ptr());
            ffi::Py_DECREF(category);
            c
        };
        if class.is_null() {
            ffi::PyErr_Clear();
        }
        let text = std::ffi::CString::new(msg.replace('\0', "?")).unwrap_or_default();
        let cat = if class.is_null() {
            ffi::PyExc_RuntimeWarning
        } else {
            class
        };
        let rc = ffi::PyErr_WarnEx(cat, text.as_ptr(), 1);
        ffi::Py_XDECREF(class);
        if rc < 0 {
            if !pending.is_null() {
                ffi::Py_DECREF(pending);
            }
            return false;
        }
        if !pending.is_null() {
            error::restore(pending);
        }
        true
    }
}

/// The items of a list, tuple or dict result the loader built from the plugin's result values:
/// the objects among them were handed over, so they leave the call's account.
unsafe fn hand_over_items(frame: &mut Frame, obj: *mut ffi::PyObject) {
    // SAFETY: GIL held; `obj` is NULL or the new list, tuple or dict only this call has seen.
    unsafe {
        if obj.is_null() {
            return;
        }
        if ffi::PyList_Check(obj) != 0 {
            for i in 0..ffi::PyList_GET_SIZE(obj) {
                frames::untrack_in(frame, ffi::PyList_GET_ITEM(obj, i));
            }
        } else if ffi::PyTuple_Check(obj) != 0 {
            for i in 0..ffi::PyTuple_GET_SIZE(obj) {
                frames::untrack_in(frame, ffi::PyTuple_GET_ITEM(obj, i));
            }
        } else if ffi::PyDict_Check(obj) != 0 {
            let mut pos: ffi::Py_ssize_t = 0;
            let mut key = ptr::null_mut();
            let mut value = ptr::null_mut();
            while ffi::PyDict_Next(obj, &mut pos, &mut key, &mut value) != 0 {
                frames::untrack_in(frame, key);
                frames::untrack_in(frame, value);
            }
        }
    }
}

/// References the function stored in the state of the iterator it returns (the iterable it
/// walks, a callable it calls) belong to the iterator, which releases them in its `drop`: they
/// leave the call's account. Found by their addresses among the state's words.
unsafe fn hand_over_to_iterator(frame: &mut Frame, obj: *mut ffi::PyObject) {
    // SAFETY: GIL held; `obj` is the function's new result.
    if let Some(words) = unsafe { crate::iterator::state_words(obj) } {
        for &w in words {
            if w != 0 {
                frames::untrack_in(frame, w as *mut ffi::PyObject);
            }
        }
    }
}

/// A new reference returned by the plugin: not NULL-checked here. A result the plugin did not
/// own (one of its borrowed arguments, never increfed) is an error; otherwise it leaves the
/// call's account.
unsafe fn check_returned_object(
    f: &Function,
    frame: &mut Frame,
    obj: *mut ffi::PyObject,
) -> Result<(), String> {
    if obj.is_null() {
        return Ok(());
    }
    if frames::untrack_in(frame, obj) {
        return Ok(());
    }
    if let Some(j) = frame.borrowed.iter().position(|&o| o == obj) {
        let name = f.param_names.get(j).map_or("?", String::as_str);
        return Err(format!(
            "returned its argument '{name}', which is borrowed, without pyz3_incref: the caller \
             would lose a reference it owns"
        ));
    }
    // SAFETY: a non-NULL result is an object per the ABI; its count is read only.
    if unsafe { ffi::Py_REFCNT(obj) } <= 0 {
        return Err("returned an object that was already freed".to_owned());
    }
    Ok(())
}

unsafe fn call_raw(
    f: &Function,
    slots: &[*mut ffi::PyObject],
    frame: &mut Frame,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held; `slots` holds one borrowed object per parameter.
    unsafe {
        let raw = f.raw.unwrap_unchecked();
        tls::take_error_hint();
        gil::enter_call();
        frames::enter(frame);
        let r = plugin_lock::with(f, || raw(slots.as_ptr(), f.nparams, &f.call0));
        frames::leave(frame);
        gil::leave_call();
        tls::take_error_hint();
        let has_error = error::occurred();
        match check_returned_object(f, frame, r) {
            // Not a reference the plugin owned: nothing to release.
            Err(what) => conclude(frame, ptr::null_mut(), Some(what)),
            Ok(()) if !r.is_null() && has_error => conclude(
                frame,
                r,
                Some("returned a result with an exception set".to_owned()),
            ),
            Ok(()) if r.is_null() && !has_error => conclude(
                frame,
                r,
                Some("returned NULL without setting an exception".to_owned()),
            ),
            Ok(()) => conclude(frame, r, None),
        }
    }
}

/// What the result bytes of a scalar return type may hold beyond its width: nothing (the
/// trampoline zeroes the result before the call, so a write through a wider member shows).
fn result_width(ty: TypeCode) -> Option<usize> {
    match ty.info().repr {
        Repr::Int { bits, .. } | Repr::Float { bits } => Some(bits as usize / 8),
        Repr::Bool => Some(1),
        _ => None,
    }
}

unsafe fn call_typed(
    f: &Function,
    slots: &[*mut ffi::PyObject],
    frame: &mut Frame,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held; non-NULL slots are valid objects kept alive by the caller.
    unsafe {
        let fast = opts::fast_paths();
        let mut stack = ViewStack::new();
        let mut views = CallViews::new(&mut stack, f.nviews);
        let mut vals = [pyz3_value::ZERO; MAXP];
        let mut none_mask = 0u64;
        for (j, &o) in slots.iter().enumerate() {
            if o.is_null() {
                let d = &f.defaults[j];
                vals[j] = d.value;
                if d.is_none {
                    none_mask |= 1 << j;
                }
                continue;
            }
            if f.optional_mask & (1 << j) != 0 && o == ffi::Py_None() {
                none_mask |= 1 << j;
                continue;
            }
            let (ty, facts) = (f.types[j], &f.facts[j]);
            let converted = if ty.info().arg_view {
                convert::to_arg_into(ty, facts, o, &mut vals[j], &mut views, fast)
            } else {
                // An instance needs the parameter's class; every other type converts alone.
                convert_arg(f, j, ty, o, &mut vals[j], fast)
            };
            if let Err(e) = converted {
                return arg_error(f, j, o, e);
            }
        }
        // Borrowed data goes to the plugin in copies poisoned after the call.
        let mut copies: Vec<(usize, Copy, *mut u8)> = Vec::new();
        for (j, val) in vals[..f.nparams].iter_mut().enumerate() {
            if none_mask & (1 << j) != 0 {
                continue;
            }
            match f.types[j].info().repr {
                Repr::Text | Repr::Bytes => {
                    let s = val.str;
                    if let Some(c) = Copy::of(s.ptr.cast(), s.len, 1) {
                        val.str = pyz3_str {
                            ptr: c.data.cast(),
                            len: s.len,
                        };
                        copies.push((j, c, ptr::null_mut()));
                    }
                }
                Repr::Buffer => {
                    let b = val.buf;
                    if !b.is_null() && (*b).contiguous {
                        let bytes = (*b).len * (*b).itemsize;
                        if let Some(c) = Copy::of((*b).data.cast(), bytes, 0) {
                            let original = (*b).data.cast::<u8>();
                            (*b).data = c.data.cast();
                            let back = if (*b).readonly {
                                ptr::null_mut()
                            } else {
                                original
                            };
                            copies.push((j, c, back));
                        }
                    }
                }
                _ => {}
            }
        }
        let mut call = f.call0;
        call.none_mask = none_mask;
        let mut ret = pyz3_value::ZERO;
        // An instance result is made before the call, as in the release trampolines.
        let made = if f.ret_type == TypeCode::Instance {
            match class::new_result_instance(f.ret_class) {
                Some((obj, state)) => {
                    ret.inst = state;
                    obj
                }
                None => return conclude(frame, ptr::null_mut(), None),
            }
        } else {
            ptr::null_mut()
        };
        // A list, dict or tuple result is built by the release code (compound.rs) inside the
        // frame: the wrappers' checks and the borrowed arguments' poisoning still apply.
        let mut built = ptr::null_mut();
        let status = if f.ret_compound {
            frames::enter(frame);
            built = if f.release_gil {
                super::compound::invoke::<true, false>(f, ptr::null_mut(), vals.as_ptr(), none_mask)
            } else {
                super::compound::invoke::<false, false>(
                    f,
                    ptr::null_mut(),
                    vals.as_ptr(),
                    none_mask,
                )
            };
            frames::leave(frame);
            PYZ3_OK
        } else {
            let fn_ = f.fn_.unwrap_unchecked();
            tls::take_error_hint();
            gil::enter_call();
            frames::enter(frame);
            let status = plugin_lock::with(f, || {
                if f.release_gil {
                    let region = gil::release_begin();
                    let s = fn_(vals.as_ptr(), &mut ret, &call);
                    gil::release_end(region);
                    s
                } else {
                    fn_(vals.as_ptr(), &mut ret, &call)
                }
            });
            frames::leave(frame);
            gil::leave_call();
            status
        };
        for (j, c, back) in copies {
            if !back.is_null() {
                c.copy_back(back);
                let b = vals[j].buf;
                (*b).data = back.cast();
            }
            let kind = match f.types[j].info().repr {
                Repr::Text => "str",
                Repr::Bytes => "bytes",
                _ => "buffer",
            };
            c.retire(&format!(
                "{kind} argument '{}' of {}",
                f.param_names[j], frame.function
            ));
        }
        let result = if f.ret_compound {
            hand_over_items(frame, built);
            Ok(built)
        } else if made.is_null() {
            finish_typed(f, frame, status, &ret)
        } else {
            Ok(class::finish_result_instance(f, made, status))
        };
        drop(views);
        match result {
            Ok(obj) => conclude(frame, obj, None),
            Err(what) => conclude(frame, ptr::null_mut(), Some(what)),
        }
    }
}

/// The typed result, checked beyond the release trampoline's checks: the object (or NULL with
/// an exception set), or what is wrong with it (anything it owned released).
unsafe fn finish_typed(
    f: &Function,
    frame: &mut Frame,
    status: i32,
    ret: &pyz3_value,
) -> Result<*mut ffi::PyObject, String> {
    // SAFETY: GIL held; `ret` holds what the plugin wrote (zeroed before the call).
    unsafe {
        let owns_obj = f.ret_type.info().result_is_object()
            && (status == PYZ3_OK || f.ret_type == TypeCode::Array);
        if owns_obj {
            // A borrowed reference is not released; a failed call's `str` or `bytes` result is
            // not the loader's (it stays in the account: a leak).
            check_returned_object(f, frame, ret.obj)?;
            if f.ret_type == TypeCode::Iterator && !ret.obj.is_null() {
                hand_over_to_iterator(frame, ret.obj);
            }
        }
        if frame.misuse.is_some() {
            if owns_obj {
                ffi::Py_XDECREF(ret.obj);
            }
            return Ok(ptr::null_mut());
        }
        if status != PYZ3_OK || error::occurred() {
            // An exception with PYZ3_OK is caught whether or not a libpyz3 call left the error
            // hint the release trampolines rely on.
            return Ok(finish_unusual(f, status, ret));
        }
        if let Some(width) = result_width(f.ret_type) {
            let bytes = ret.u64.to_le_bytes();
            if bytes[width..].iter().any(|&b| b != 0) {
                return Err(format!(
                    "declared the result type {} but wrote {:#018x} to the result: set \
                     result->{} only",
                    f.ret_type.name(),
                    ret.u64,
                    f.ret_type.info().result_member
                ));
            }
            if f.ret_type == TypeCode::Bool && ret.u8 > 1 {
                return Err(format!(
                    "declared a bool result but wrote the byte {} (a C bool is 0 or 1)",
                    ret.u8
                ));
            }
        }
        Ok(result_of_type(f, f.ret_type, ret))
    }
}
