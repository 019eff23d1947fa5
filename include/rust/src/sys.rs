//! include/rust/src/sys.rs: the libpyz3 C API, declared for Rust plugins.
//!
//! These mirror the prototypes in include/pyz3.h (a test compares the two); a plugin links
//! `-lpyz3` and never references a CPython symbol.

use core::ffi::{c_char, c_void};

use crate::abi::{pyz3_gil, pyz3_nogil, pyz3_str};
use crate::PyObject;

#[cfg_attr(not(test), link(name = "pyz3"))]
extern "C" {
    pub fn pyz3_alloc(size: usize, align: usize) -> *mut c_void;
    pub fn pyz3_calloc(count: usize, size: usize, align: usize) -> *mut c_void;
    pub fn pyz3_realloc(ptr: *mut c_void, new_size: usize, align: usize) -> *mut c_void;
    pub fn pyz3_free(ptr: *mut c_void, align: usize);
    pub fn pyz3_to_i64(obj: *mut PyObject, out: *mut i64) -> i32;
    pub fn pyz3_to_u64(obj: *mut PyObject, out: *mut u64) -> i32;
    pub fn pyz3_to_f64(obj: *mut PyObject, out: *mut f64) -> i32;
    pub fn pyz3_to_bool(obj: *mut PyObject, out: *mut bool) -> i32;
    pub fn pyz3_to_str(obj: *mut PyObject, out: *mut pyz3_str) -> i32;
    pub fn pyz3_to_bytes(obj: *mut PyObject, out: *mut pyz3_str) -> i32;
    pub fn pyz3_from_i64(value: i64) -> *mut PyObject;
    pub fn pyz3_from_u64(value: u64) -> *mut PyObject;
    pub fn pyz3_from_f64(value: f64) -> *mut PyObject;
    pub fn pyz3_from_bool(value: bool) -> *mut PyObject;
    pub fn pyz3_from_str(utf8: *const c_char, len: usize) -> *mut PyObject;
    pub fn pyz3_from_bytes(data: *const c_char, len: usize) -> *mut PyObject;
    pub fn pyz3_raise_len(kind: i32, message: *const c_char, len: usize) -> i32;
    pub fn pyz3_error_occurred() -> bool;
    pub fn pyz3_gil_acquire() -> pyz3_gil;
    pub fn pyz3_gil_release(token: pyz3_gil);
    pub fn pyz3_gil_held() -> bool;
    pub fn pyz3_nogil_begin() -> pyz3_nogil;
    pub fn pyz3_nogil_end(region: pyz3_nogil);
    pub fn pyz3_incref(obj: *mut PyObject);
    pub fn pyz3_decref(obj: *mut PyObject);
    pub fn pyz3_dict_new() -> *mut PyObject;
    pub fn pyz3_dict_set(dict: *mut PyObject, key: *const c_char, value: *mut PyObject) -> i32;
    pub fn pyz3_list_new() -> *mut PyObject;
    pub fn pyz3_list_append(list: *mut PyObject, value: *mut PyObject) -> i32;
    pub fn pyz3_call_object(
        callable: *mut PyObject,
        args: *const *mut PyObject,
        nargs: usize,
    ) -> *mut PyObject;
    pub fn pyz3_none() -> *mut PyObject;
    pub fn pyz3_intern(name: *const c_char) -> *mut PyObject;
    pub fn pyz3_runtime_id() -> usize;
}
