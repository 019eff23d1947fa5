//! capi/src/containers.rs: reading sequence and dict arguments (ABI 1.1).
//!
//! The views themselves are plain structs (`pyz3_seq`, `pyz3_dict`) a plugin reads directly;
//! this is the one operation that needs code: finding a key in a dict argument.

use core::ffi::c_char;

use pyz3_core::abi::*;
use pyz3_core::panic::guard;

/// Finds `key` (`len` bytes of UTF-8, need not be NUL-terminated) among the keys of dict
/// argument `dict`: `PYZ3_OK` with its position in `*index` (for `dict->keys` and
/// `dict->values`), or `PYZ3_NOT_FOUND`. Keys compare by their bytes, as equal `str` keys do.
/// Needs no GIL (the view is the loader's, for the call). `PYZ3_NOT_FOUND` for a NULL `dict`
/// or `key` (with `len` > 0).
#[no_mangle]
pub unsafe extern "C" fn pyz3_dict_find(
    dict: *const pyz3_dict,
    key: *const c_char,
    len: usize,
    index: *mut usize,
) -> i32 {
    guard(PYZ3_NOT_FOUND, || {
        // SAFETY: `dict` is a dict argument's view (valid for the call) or NULL; `key` is
        // readable for `len` bytes per the contract.
        unsafe {
            if dict.is_null() || (key.is_null() && len != 0) {
                return PYZ3_NOT_FOUND;
            }
            let wanted: &[u8] = if len == 0 {
                &[]
            } else {
                core::slice::from_raw_parts(key.cast(), len)
            };
            match pyz3_core::containers::dict_find(&*dict, wanted) {
                Some(i) => {
                    if !index.is_null() {
                        *index = i;
                    }
                    PYZ3_OK
                }
                None => PYZ3_NOT_FOUND,
            }
        }
    })
}
