//! capi/src/result.rs: filling compound results — lists, dicts (ABI 1.1) — and making native
//! iterators.
//!
//! A function declared to return `PYZ3_T_LIST` or `PYZ3_T_DICT` does not build the object: it
//! asks for room for its items and writes C values there; the loader makes the list or dict
//! after the function returns, and drops what the items hold on every path.

use core::ffi::c_void;

use pyo3_ffi::{self as ffi, PyObject};
use pyz3_core::abi::*;
use pyz3_core::out::{OutBuilder, OutKind};
use pyz3_core::panic::guard;
use pyz3_core::types::TypeCode;
use pyz3_core::{error, gil};

#[cold]
fn not_a_builder(kind: OutKind) -> *mut pyz3_out {
    let (func, ty) = match kind {
        OutKind::List => ("pyz3_result_list", "PYZ3_T_LIST"),
        OutKind::Dict => ("pyz3_result_dict", "PYZ3_T_DICT"),
    };
    // SAFETY: raising takes the GIL if the thread lacks it.
    gil::with_gil(|| unsafe {
        error::raise_str(
            ffi::PyExc_SystemError,
            &format!(
                "{func}: `result` is not the result of a function declared to return {ty} (pass \
                 the `result` argument unchanged)"
            ),
        )
    });
    core::ptr::null_mut()
}

unsafe fn result_items(result: *mut pyz3_value, len: usize, kind: OutKind) -> *mut pyz3_out {
    guard(core::ptr::null_mut(), || {
        // SAFETY: `result` is the function's result argument per the contract; `from_out`
        // checks that it holds a builder of this kind.
        unsafe {
            if result.is_null() {
                return not_a_builder(kind);
            }
            let Some(b) = OutBuilder::from_out((*result).out, kind) else {
                return not_a_builder(kind);
            };
            if !b.resize(len) {
                return core::ptr::null_mut();
            }
            &mut b.out
        }
    })
}

/// Makes room for `len` items of a `PYZ3_T_LIST` result and returns them (`out->items`, of the
/// function's `ret_elem` type, zeroed). Pass the function's `result` argument unchanged. Write
/// each item as a result of the element type is written: `out->items.i64[i] = v`;
/// `out->items.obj[i] = pyz3_from_str(...)` for `str`, `bytes` and `object` items (new
/// references the list takes over). Calling it again changes the length and keeps the first
/// items (dropping the references of items beyond a shorter length), so a function can reserve
/// an upper bound and shrink. Not calling it gives an empty list.
///
/// Returns NULL with `MemoryError` when memory runs out, or `SystemError` when `result` is not
/// a list result. The memory belongs to the loader: valid until the function returns, freed
/// (and its references dropped) whether the function succeeds or fails. Works without the GIL
/// (in a `PYZ3_FN_RELEASE_GIL` function), though making object items needs it.
#[no_mangle]
pub unsafe extern "C" fn pyz3_result_list(result: *mut pyz3_value, len: usize) -> *mut pyz3_out {
    // SAFETY: forwarded.
    unsafe { result_items(result, len, OutKind::List) }
}

/// As `pyz3_result_list`, for a `PYZ3_T_DICT` result: room for `len` entries, keys in
/// `out->keys` (each a `str`, new reference: `out->keys[i] = pyz3_from_str(...)`) and values
/// in `out->items` (of `ret_elem`). A key that appears twice keeps its last value.
#[no_mangle]
pub unsafe extern "C" fn pyz3_result_dict(result: *mut pyz3_value, len: usize) -> *mut pyz3_out {
    // SAFETY: forwarded.
    unsafe { result_items(result, len, OutKind::Dict) }
}

/// Makes a native iterator (a `pyz3.Iterator`, new reference) whose items come from `next`,
/// each of type `elem` (a `PYZ3_T_*` code: an integer, float, bool, str, bytes or object type,
/// the function's `ret_elem` for a `PYZ3_T_ITERATOR` result). `state_size` bytes of zeroed
/// state live inside the object (aligned to 16); their address goes to `*state` (if `state` is
/// not NULL) for the function to fill, and is passed to every `next` call and to `drop` (may be
/// NULL) when the iterator goes away.
///
/// `next` runs with the GIL held, one call at a time per iterator; after it returns
/// `PYZ3_ITER_END` the iterator is exhausted and `next` is not called again. The state is not
/// visited by the garbage collector: references it holds must not form cycles through the
/// iterator. Returns NULL with an exception set (`SystemError` for a bad `elem` or a NULL
/// `next`, `MemoryError`). Requires the GIL.
#[no_mangle]
pub unsafe extern "C" fn pyz3_iterator_new(
    elem: u8,
    state_size: usize,
    next: pyz3_iter_next_fn,
    drop: pyz3_iter_drop_fn,
    state: *mut *mut c_void,
) -> *mut PyObject {
    guard(core::ptr::null_mut(), || {
        // SAFETY: GIL held per the contract; `state` is writable or NULL.
        unsafe {
            let Some(elem) = TypeCode::from_u8(elem) else {
                error::raise_str(
                    ffi::PyExc_SystemError,
                    &format!("pyz3_iterator_new: {elem} is not a type code"),
                );
                return core::ptr::null_mut();
            };
            pyz3_loader::iterator::new_iterator(elem, state_size, next, drop, state)
        }
    })
}
