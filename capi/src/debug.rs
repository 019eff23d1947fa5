//! capi/src/debug.rs: the checking wrappers a debug-mode plugin calls instead of libpyz3's own.
//!
//! The loader writes their addresses into a debug-mode plugin's GOT entries for the `pyz3_*`
//! functions below (pyz3_loader::debug), so release-mode plugins — and the release-mode path
//! of every function — run exactly the code they ran before. Each wrapper checks the GIL
//! contract before forwarding (a violation is recorded for the call, and the wrapper returns
//! the function's failure value without touching Python), and keeps the per-call account of new
//! references (pyz3_core::debug). They are not exported: only their addresses are handed out.

use core::ffi::{c_char, c_void};

use pyo3_ffi::PyObject;
use pyz3_core::abi::{
    pyz3_buffer, pyz3_iter_drop_fn, pyz3_iter_next_fn, pyz3_str, pyz3_value, PYZ3_ERROR, PYZ3_OK,
};
use pyz3_core::debug::{gil_ok, is_borrowed_argument, report, track, untrack};
use pyz3_core::types::TypeCode;

use crate::{access, array, callback, class, convert, error, object, pool, result};

macro_rules! to_value {
    ($($wrapper:ident => $api:ident($out:ty)),* $(,)?) => {$(
        unsafe extern "C" fn $wrapper(obj: *mut PyObject, out: *mut $out) -> i32 {
            if !gil_ok(stringify!($api)) {
                return PYZ3_ERROR;
            }
            // SAFETY: forwarded with the caller's contract; the GIL is held.
            unsafe { convert::$api(obj, out) }
        }
    )*};
}

to_value!(
    to_i8 => pyz3_to_i8(i8),
    to_i16 => pyz3_to_i16(i16),
    to_i32 => pyz3_to_i32(i32),
    to_i64 => pyz3_to_i64(i64),
    to_u8 => pyz3_to_u8(u8),
    to_u16 => pyz3_to_u16(u16),
    to_u32 => pyz3_to_u32(u32),
    to_u64 => pyz3_to_u64(u64),
    to_f64 => pyz3_to_f64(f64),
    to_f32 => pyz3_to_f32(f32),
    to_bool => pyz3_to_bool(bool),
    to_str => pyz3_to_str(pyz3_str),
    to_bytes => pyz3_to_bytes(pyz3_str),
);

/// A wrapper of a function returning a new reference: GIL checked, the result tracked.
macro_rules! new_ref {
    ($($wrapper:ident => $module:ident::$api:ident($($a:ident: $t:ty),*)),* $(,)?) => {$(
        unsafe extern "C" fn $wrapper($($a: $t),*) -> *mut PyObject {
            if !gil_ok(stringify!($api)) {
                return core::ptr::null_mut();
            }
            // SAFETY: forwarded with the caller's contract; the GIL is held.
            #[allow(unused_unsafe, reason = "some of the forwarded functions are safe")]
            let r = unsafe { $module::$api($($a),*) };
            track(r, stringify!($api));
            r
        }
    )*};
}

new_ref!(
    from_i64 => convert::pyz3_from_i64(value: i64),
    from_u64 => convert::pyz3_from_u64(value: u64),
    from_f64 => convert::pyz3_from_f64(value: f64),
    from_bool => convert::pyz3_from_bool(value: bool),
    from_str => convert::pyz3_from_str(utf8: *const c_char, len: usize),
    from_cstr => convert::pyz3_from_cstr(utf8: *const c_char),
    from_bytes => convert::pyz3_from_bytes(data: *const c_char, len: usize),
    dict_new => object::pyz3_dict_new(),
    list_new => object::pyz3_list_new(),
    none => pool::pyz3_none(),
    empty_tuple => pool::pyz3_empty_tuple(),
    intern => pool::pyz3_intern(name: *const c_char),
    get_iter => access::pyz3_get_iter(obj: *mut PyObject),
    getattr => access::pyz3_getattr(obj: *mut PyObject, name: *const c_char),
    getitem => access::pyz3_getitem(obj: *mut PyObject, key: *mut PyObject),
    getitem_index => access::pyz3_getitem_index(obj: *mut PyObject, index: isize),
    call_kw => callback::pyz3_call_kw(
        callable: *mut PyObject,
        args: *const *mut PyObject,
        nargs: usize,
        kwnames: *const *const c_char,
        nkw: usize
    ),
    call_method => callback::pyz3_call_method(
        obj: *mut PyObject,
        name: *const c_char,
        args: *const *mut PyObject,
        nargs: usize,
        kwnames: *const *const c_char,
        nkw: usize
    ),
    iterator_new => result::pyz3_iterator_new(
        elem: u8,
        state_size: usize,
        next: pyz3_iter_next_fn,
        drop: pyz3_iter_drop_fn,
        state: *mut *mut c_void
    ),
);

/// A wrapper of a function that needs the GIL and neither hands out nor takes a reference.
macro_rules! gil_only {
    ($($wrapper:ident => $module:ident::$api:ident($($a:ident: $t:ty),*) -> $r:ty = $fail:expr),* $(,)?) => {$(
        unsafe extern "C" fn $wrapper($($a: $t),*) -> $r {
            if !gil_ok(stringify!($api)) {
                return $fail;
            }
            // SAFETY: forwarded with the caller's contract; the GIL is held.
            unsafe { $module::$api($($a),*) }
        }
    )*};
}

gil_only!(
    len => access::pyz3_len(obj: *mut PyObject) -> isize = -1,
    isinstance => access::pyz3_isinstance(obj: *mut PyObject, builtin: u32) -> i32 = -1,
    instance_state => class::pyz3_instance_state(obj: *mut PyObject) -> *mut c_void =
        core::ptr::null_mut(),
);

/// A wrapper of a function that stores new references through its out-pointers on `PYZ3_OK`.
macro_rules! out_refs {
    ($($wrapper:ident => $module:ident::$api:ident($($a:ident: $t:ty),*) stores [$($out:ident),*]),* $(,)?) => {$(
        unsafe extern "C" fn $wrapper($($a: $t),*) -> i32 {
            if !gil_ok(stringify!($api)) {
                return PYZ3_ERROR;
            }
            // SAFETY: forwarded with the caller's contract; the GIL is held.
            let status = unsafe { $module::$api($($a),*) };
            if status == PYZ3_OK {
                // SAFETY: on success each non-NULL out-pointer holds a new reference.
                $(if !$out.is_null() { track(unsafe { *$out }, stringify!($api)); })*
            }
            status
        }
    )*};
}

out_refs!(
    next => access::pyz3_next(iter: *mut PyObject, item: *mut *mut PyObject) stores [item],
    dict_get_item => access::pyz3_dict_get_item(
        dict: *mut PyObject,
        key: *const c_char,
        value: *mut *mut PyObject
    ) stores [value],
    dict_next => access::pyz3_dict_next(
        dict: *mut PyObject,
        pos: *mut usize,
        key: *mut *mut PyObject,
        value: *mut *mut PyObject
    ) stores [key, value],
);

/// A wrapper of a function that steals one of its arguments: GIL checked, the reference leaves the account.
macro_rules! steals_value {
    ($($wrapper:ident => $module:ident::$api:ident($($a:ident: $t:ty),*) steals $stolen:ident),* $(,)?) => {$(
        unsafe extern "C" fn $wrapper($($a: $t),*) -> i32 {
            if !gil_ok(stringify!($api)) {
                return PYZ3_ERROR;
            }
            untrack($stolen);
            // SAFETY: forwarded with the caller's contract; the GIL is held.
            unsafe { $module::$api($($a),*) }
        }
    )*};
}

steals_value!(
    dict_set => object::pyz3_dict_set(dict: *mut PyObject, key: *const c_char, value: *mut PyObject) steals value,
    list_append => object::pyz3_list_append(list: *mut PyObject, value: *mut PyObject) steals value,
    setattr => access::pyz3_setattr(obj: *mut PyObject, name: *const c_char, value: *mut PyObject) steals value,
    setitem => access::pyz3_setitem(obj: *mut PyObject, key: *mut PyObject, value: *mut PyObject) steals value,
);

unsafe extern "C" fn incref(obj: *mut PyObject) {
    if !gil_ok("pyz3_incref") {
        return;
    }
    // SAFETY: forwarded; the GIL is held.
    unsafe { object::pyz3_incref(obj) };
    track(obj, "pyz3_incref");
}

unsafe extern "C" fn decref(obj: *mut PyObject) {
    if !gil_ok("pyz3_decref") {
        return;
    }
    if !untrack(obj) && is_borrowed_argument(obj) {
        // Releasing it would free an object the caller still uses: report, and do not.
        report("called pyz3_decref() on one of its arguments, which are borrowed".to_owned());
        return;
    }
    // SAFETY: forwarded; the GIL is held.
    unsafe { object::pyz3_decref(obj) }
}

unsafe extern "C" fn tuple_new(items: *const *mut PyObject, count: usize) -> *mut PyObject {
    if !gil_ok("pyz3_tuple_new") {
        return core::ptr::null_mut();
    }
    if !items.is_null() {
        for i in 0..count {
            // SAFETY: `items` holds `count` pointers per the contract.
            untrack(unsafe { *items.add(i) });
        }
    }
    // SAFETY: forwarded; the GIL is held.
    let r = unsafe { object::pyz3_tuple_new(items, count) };
    track(r, "pyz3_tuple_new");
    r
}

unsafe extern "C" fn call_object(
    callable: *mut PyObject,
    args: *const *mut PyObject,
    nargs: usize,
) -> *mut PyObject {
    if !gil_ok("pyz3_call_object") {
        return core::ptr::null_mut();
    }
    // SAFETY: forwarded; the GIL is held.
    let r = unsafe { object::pyz3_call_object(callable, args, nargs) };
    track(r, "pyz3_call_object");
    r
}

unsafe extern "C" fn error_occurred() -> bool {
    // Without the GIL there is no exception state to read: report, and say "none".
    gil_ok("pyz3_error_occurred") && error::pyz3_error_occurred()
}

unsafe extern "C" fn error_clear() {
    if gil_ok("pyz3_error_clear") {
        error::pyz3_error_clear();
    }
}

/// Callable from any thread (it takes the GIL when needed): an object result is tracked.
unsafe extern "C" fn call_typed(
    callable: *mut PyObject,
    arg_types: *const u8,
    args: *const pyz3_value,
    nargs: usize,
    result_type: u8,
    result: *mut pyz3_value,
) -> i32 {
    // SAFETY: forwarded with the caller's contract.
    let status =
        unsafe { callback::pyz3_call_typed(callable, arg_types, args, nargs, result_type, result) };
    let object_result = TypeCode::from_u8(result_type).is_some_and(|t| t.info().result_is_object());
    if status == PYZ3_OK && object_result && !result.is_null() {
        // SAFETY: on success an object result is a new reference in `result->obj`.
        track(unsafe { (*result).obj }, "pyz3_call_typed");
    }
    status
}

/// Callable without the GIL (it takes it): only the reference is tracked.
unsafe extern "C" fn array_new(
    elem: u8,
    ndim: usize,
    shape: *const usize,
    out: *mut *mut PyObject,
) -> *mut pyz3_buffer {
    // SAFETY: forwarded with the caller's contract.
    let view = unsafe { array::pyz3_array_new(elem, ndim, shape, out) };
    if !view.is_null() {
        // SAFETY: on success `*out` holds the new array.
        track(unsafe { *out }, "pyz3_array_new");
    }
    view
}

/// `(libpyz3 function, its checking wrapper)`: what the loader patches into a debug-mode plugin.
pub fn wrappers() -> Vec<(&'static str, *const c_void)> {
    vec![
        ("pyz3_to_i8", to_i8 as *const c_void),
        ("pyz3_to_i16", to_i16 as *const c_void),
        ("pyz3_to_i32", to_i32 as *const c_void),
        ("pyz3_to_i64", to_i64 as *const c_void),
        ("pyz3_to_u8", to_u8 as *const c_void),
        ("pyz3_to_u16", to_u16 as *const c_void),
        ("pyz3_to_u32", to_u32 as *const c_void),
        ("pyz3_to_u64", to_u64 as *const c_void),
        ("pyz3_to_f64", to_f64 as *const c_void),
        ("pyz3_to_f32", to_f32 as *const c_void),
        ("pyz3_to_bool", to_bool as *const c_void),
        ("pyz3_to_str", to_str as *const c_void),
        ("pyz3_to_bytes", to_bytes as *const c_void),
        ("pyz3_from_i64", from_i64 as *const c_void),
        ("pyz3_from_u64", from_u64 as *const c_void),
        ("pyz3_from_f64", from_f64 as *const c_void),
        ("pyz3_from_bool", from_bool as *const c_void),
        ("pyz3_from_str", from_str as *const c_void),
        ("pyz3_from_cstr", from_cstr as *const c_void),
        ("pyz3_from_bytes", from_bytes as *const c_void),
        ("pyz3_dict_new", dict_new as *const c_void),
        ("pyz3_list_new", list_new as *const c_void),
        ("pyz3_none", none as *const c_void),
        ("pyz3_empty_tuple", empty_tuple as *const c_void),
        ("pyz3_intern", intern as *const c_void),
        ("pyz3_incref", incref as *const c_void),
        ("pyz3_decref", decref as *const c_void),
        ("pyz3_dict_set", dict_set as *const c_void),
        ("pyz3_list_append", list_append as *const c_void),
        ("pyz3_tuple_new", tuple_new as *const c_void),
        ("pyz3_call_object", call_object as *const c_void),
        ("pyz3_error_occurred", error_occurred as *const c_void),
        ("pyz3_error_clear", error_clear as *const c_void),
        ("pyz3_array_new", array_new as *const c_void),
        ("pyz3_get_iter", get_iter as *const c_void),
        ("pyz3_getattr", getattr as *const c_void),
        ("pyz3_getitem", getitem as *const c_void),
        ("pyz3_getitem_index", getitem_index as *const c_void),
        ("pyz3_call_kw", call_kw as *const c_void),
        ("pyz3_call_method", call_method as *const c_void),
        ("pyz3_call_typed", call_typed as *const c_void),
        ("pyz3_iterator_new", iterator_new as *const c_void),
        ("pyz3_len", len as *const c_void),
        ("pyz3_isinstance", isinstance as *const c_void),
        ("pyz3_instance_state", instance_state as *const c_void),
        ("pyz3_next", next as *const c_void),
        ("pyz3_dict_get_item", dict_get_item as *const c_void),
        ("pyz3_dict_next", dict_next as *const c_void),
        ("pyz3_setattr", setattr as *const c_void),
        ("pyz3_setitem", setitem as *const c_void),
    ]
}
