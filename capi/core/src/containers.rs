//! capi/core/src/containers.rs: sequence and dict arguments (ABI 1.1) — converting a `list`,
//! `tuple` or other sequence into a `pyz3_seq`, a `dict` into a `pyz3_dict`, and finding keys.

use crate::abi::*;

/// Finds `key` among the keys of a dict argument.
///
/// # Safety
/// `dict` is a dict argument's view, valid for the call.
pub unsafe fn dict_find(dict: &pyz3_dict, key: &[u8]) -> Option<usize> {
    // SAFETY: the view holds `len` keys, each readable for its length.
    unsafe {
        (0..dict.len).find(|&i| {
            let k = *dict.keys.add(i);
            k.len == key.len()
                && (k.len == 0 || core::slice::from_raw_parts(k.ptr.cast::<u8>(), k.len) == key)
        })
    }
}
