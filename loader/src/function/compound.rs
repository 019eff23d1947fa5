//! loader/src/function/compound.rs: calls whose result is built from what the plugin filled —
//! lists, dicts (capi/core/src/out.rs) and tuples — and iterator results.
//!
//! A list or dict result gets an `OutBuilder` on this frame's stack (`result->out` points to
//! it); a tuple result gets one zeroed `pyz3_value` per item (`result` points to the first).
//! After the call the items become the object; on every other path (an error, `None`, a bad
//! status, an item that cannot be converted) the references the items hold are dropped.

use core::mem::MaybeUninit;
use core::ptr;

use pyo3_ffi as ffi;
use pyz3_core::abi::*;
use pyz3_core::out::{self, OutBuilder, OutKind};
use pyz3_core::types::TypeCode;
use pyz3_core::{convert, error, gil, opts, tls};

use super::call::finish_unusual;
use super::Function;
use crate::{iterator, plugin_lock};

/// Calls `f` and builds its list, dict or tuple result; `M`: `this` is the receiver
/// (`call->self_`), as in `call::invoke_ret`.
#[inline(always)]
pub(super) unsafe fn invoke<const RELEASE_GIL: bool, const M: bool>(
    f: &Function,
    this: *mut ffi::PyObject,
    vals: *const pyz3_value,
    none_mask: u64,
) -> *mut ffi::PyObject {
    // SAFETY: as in `call::invoke_ret`; `ret_compound` says the result is a list, dict or tuple.
    unsafe {
        match f.ret_type {
            TypeCode::Tuple => tuple_result::<RELEASE_GIL, M>(f, this, vals, none_mask),
            TypeCode::List | TypeCode::Dict => {
                out_result::<RELEASE_GIL, M>(f, this, vals, none_mask)
            }
            _ => convert::from_value(f.ret_type, &pyz3_value::ZERO),
        }
    }
}

/// A list or dict result, built by an `OutBuilder` the plugin fills through `result->out`.
#[inline(never)]
unsafe fn out_result<const RELEASE_GIL: bool, const M: bool>(
    f: &Function,
    this: *mut ffi::PyObject,
    vals: *const pyz3_value,
    none_mask: u64,
) -> *mut ffi::PyObject {
    // SAFETY: forwarded from `invoke`.
    unsafe {
        let kind = if f.ret_type == TypeCode::List {
            OutKind::List
        } else {
            OutKind::Dict
        };
        let mut builder = OutBuilder::new(kind, f.ret_facts.elem);
        let mut ret = pyz3_value::ZERO;
        ret.out = &mut builder.out;
        let status = call::<RELEASE_GIL, M>(f, this, vals, &mut ret, none_mask);
        if succeeded(status) {
            return builder.finish(&f.display);
        }
        builder.release();
        finish_unusual(f, status, &pyz3_value::ZERO)
    }
}

/// A tuple result: one zeroed `pyz3_value` per item, `result` pointing at the first.
#[inline(never)]
unsafe fn tuple_result<const RELEASE_GIL: bool, const M: bool>(
    f: &Function,
    this: *mut ffi::PyObject,
    vals: *const pyz3_value,
    none_mask: u64,
) -> *mut ffi::PyObject {
    // SAFETY: forwarded from `invoke`; `ret_items` has at most PYZ3_MAX_ITEMS entries.
    unsafe {
        let n = f.ret_items.len();
        let mut slots = [MaybeUninit::<pyz3_value>::uninit(); PYZ3_MAX_ITEMS as usize];
        for s in &mut slots[..n] {
            s.write(pyz3_value::ZERO);
        }
        let slots = core::slice::from_raw_parts_mut(slots.as_mut_ptr().cast(), n);
        let status = call::<RELEASE_GIL, M>(f, this, vals, slots.as_mut_ptr(), none_mask);
        if succeeded(status) {
            return make_tuple(f, slots);
        }
        drop_object_items(f, slots, 0);
        finish_unusual(f, status, &pyz3_value::ZERO)
    }
}

/// A clean success: `PYZ3_OK` and no exception set (the error hint is a cheap first check).
#[inline(always)]
unsafe fn succeeded(status: i32) -> bool {
    // SAFETY: GIL held.
    status == PYZ3_OK && !(tls::take_error_hint() && unsafe { error::occurred() })
}

/// Runs the plugin function, inside the plugin's lock (or the receiver's critical section) on
/// free-threaded builds, as `call::invoke_ret` does.
#[inline(always)]
unsafe fn call<const RELEASE_GIL: bool, const M: bool>(
    f: &Function,
    this: *mut ffi::PyObject,
    vals: *const pyz3_value,
    result: *mut pyz3_value,
    none_mask: u64,
) -> i32 {
    // SAFETY: forwarded from `invoke`.
    unsafe {
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
        let fn_ = f.fn_.unwrap_unchecked();
        gil::enter_call();
        let run = || {
            if RELEASE_GIL {
                let region = gil::release_begin();
                let s = fn_(vals, result, call);
                gil::release_end(region);
                s
            } else {
                fn_(vals, result, call)
            }
        };
        let status = if M {
            plugin_lock::with_receiver(f, this, run)
        } else {
            plugin_lock::with(f, run)
        };
        gil::leave_call();
        status
    }
}

#[inline(always)]
unsafe fn make_tuple(f: &Function, slots: &mut [pyz3_value]) -> *mut ffi::PyObject {
    // SAFETY: GIL held; slot `i` holds the member `ret_items[i]` names; `ret_objects` has bit `i`
    // set exactly when item `i` is an object.
    unsafe {
        let n = slots.len();
        let t = ffi::PyTuple_New(n as ffi::Py_ssize_t);
        if t.is_null() {
            tls::note_error();
            drop_object_items(f, slots, 0);
            return t;
        }
        let pooled = opts::pool();
        for i in 0..n {
            let ty = *f.ret_items.get_unchecked(i);
            let slot = slots.get_unchecked_mut(i);
            let obj = if f.ret_objects & (1 << i) != 0 {
                object_item(f, ty, slot, i)
            } else {
                convert::from_value_with(ty, slot, pooled)
            };
            if obj.is_null() {
                // Items before `i` go with the tuple (in debug mode, out of the call's account).
                for j in 0..i {
                    pyz3_core::debug::untrack(ffi::PyTuple_GET_ITEM(t, j as ffi::Py_ssize_t));
                }
                drop_object_items(f, slots, i + 1);
                ffi::Py_DECREF(t);
                return ptr::null_mut();
            }
            ffi::PyTuple_SET_ITEM(t, i as ffi::Py_ssize_t, obj);
        }
        t
    }
}

/// Object item `i` of a tuple result, checked, taken out of its slot.
#[inline(never)]
unsafe fn object_item(
    f: &Function,
    ty: TypeCode,
    slot: &mut pyz3_value,
    i: usize,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held; the slot holds NULL or a new reference the plugin made.
    unsafe {
        let obj = core::mem::replace(&mut slot.obj, ptr::null_mut());
        out::checked_item(ty, obj, || {
            format!("{}: item {i} of its tuple result", f.display)
        })
    }
}

/// Drops the references held by object items `from..` of a tuple result.
unsafe fn drop_object_items(f: &Function, slots: &mut [pyz3_value], from: usize) {
    for (slot, ty) in slots.iter_mut().zip(f.ret_items.iter()).skip(from) {
        if ty.info().result_is_object() {
            // SAFETY: GIL held; an object item is NULL or a new reference the plugin made.
            unsafe {
                let obj = core::mem::replace(&mut slot.obj, ptr::null_mut());
                // In debug mode the reference leaves the call's account.
                pyz3_core::debug::untrack(obj);
                ffi::Py_XDECREF(obj);
            }
        }
    }
}

/// An iterator result: a `pyz3.Iterator` (made with `pyz3_iterator_new`) whose item type is
/// the declared one. Takes over `obj`.
#[inline(never)]
pub(super) unsafe fn iterator_result(f: &Function, obj: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: GIL held; `obj` is NULL or a new reference owned by us.
    unsafe {
        if obj.is_null() {
            error::raise_str(
                ffi::PyExc_SystemError,
                &format!(
                    "{} returned PYZ3_OK but no iterator (result.obj is NULL)",
                    f.display
                ),
            );
            return obj;
        }
        match iterator::element_type(obj) {
            Some(elem) if elem == f.ret_facts.elem => {
                iterator::attach_lock(obj, f);
                obj
            }
            found => {
                let what = match found {
                    Some(elem) => format!("an iterator of {}", elem.name()),
                    None => format!(
                        "{} (not a pyz3_iterator_new iterator)",
                        convert::object_type_name(obj)
                    ),
                };
                ffi::Py_DECREF(obj);
                error::raise_str(
                    ffi::PyExc_SystemError,
                    &format!(
                        "{} declared an iterator of {} result but returned {what}",
                        f.display,
                        f.ret_facts.elem.name()
                    ),
                );
                ptr::null_mut()
            }
        }
    }
}
