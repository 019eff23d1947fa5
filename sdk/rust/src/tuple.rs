//! sdk/rust/src/tuple.rs: Rust tuples as Python `tuple` results, through `ToObject`.
//!
//! A function returning `(A, B, ...)` (up to six items, each `ToObject`) returns a Python `tuple`
//! made with `pyz3_tuple_new`; its annotation is `object` until the ABI's typed tuple results
//! (`PYZ3_T_TUPLE`) land. An item whose conversion fails leaves its exception set: the items
//! already made are released and the call raises it.

use crate::abi::{pyz3_value, PYZ3_ERROR, PYZ3_OK};
use crate::registry::PYZ3_T_OBJECT;
use crate::{sys, IntoResult, NewObject, PyObject};

/// A Rust value that becomes a new Python object (requires the GIL, as every object does).
pub trait ToObject {
    /// A new reference, or NULL with an exception set.
    fn to_object(self) -> *mut PyObject;
}

macro_rules! to_object_via {
    ($($t:ty => $f:ident as $as:ty),* $(,)?) => {$(
        impl ToObject for $t {
            fn to_object(self) -> *mut PyObject {
                // SAFETY: a plain value in, a new reference (or NULL with an exception) out.
                unsafe { sys::$f(self as $as) }
            }
        }
    )*};
}

to_object_via! {
    i8 => pyz3_from_i64 as i64, i16 => pyz3_from_i64 as i64, i32 => pyz3_from_i64 as i64,
    i64 => pyz3_from_i64 as i64, u8 => pyz3_from_u64 as u64, u16 => pyz3_from_u64 as u64,
    u32 => pyz3_from_u64 as u64, u64 => pyz3_from_u64 as u64, f32 => pyz3_from_f64 as f64,
    f64 => pyz3_from_f64 as f64, bool => pyz3_from_bool as bool,
}

impl ToObject for &str {
    fn to_object(self) -> *mut PyObject {
        // SAFETY: the text is valid UTF-8 for `len` bytes; libpyz3 copies it.
        unsafe { sys::pyz3_from_str(self.as_ptr().cast(), self.len()) }
    }
}

impl ToObject for String {
    fn to_object(self) -> *mut PyObject {
        self.as_str().to_object()
    }
}

impl ToObject for &[u8] {
    fn to_object(self) -> *mut PyObject {
        // SAFETY: the data is valid for `len` bytes; libpyz3 copies it.
        unsafe { sys::pyz3_from_bytes(self.as_ptr().cast(), self.len()) }
    }
}

impl ToObject for Vec<u8> {
    fn to_object(self) -> *mut PyObject {
        self.as_slice().to_object()
    }
}

impl ToObject for NewObject {
    fn to_object(self) -> *mut PyObject {
        self.0
    }
}

impl<T: ToObject> ToObject for Option<T> {
    fn to_object(self) -> *mut PyObject {
        match self {
            Some(v) => v.to_object(),
            // SAFETY: a new reference to None.
            None => unsafe { sys::pyz3_none() },
        }
    }
}

/// Makes a tuple of `items` (new references, or NULL for a failed conversion).
fn tuple_of(items: &[*mut PyObject], out: &mut pyz3_value) -> i32 {
    if items.iter().any(|p| p.is_null()) {
        for &p in items.iter().filter(|p| !p.is_null()) {
            // SAFETY: a new reference this function owns.
            unsafe { sys::pyz3_decref(p) };
        }
        return PYZ3_ERROR;
    }
    // SAFETY: every item is a non-NULL new reference, stolen by the tuple.
    let tuple = unsafe { sys::pyz3_tuple_new(items.as_ptr(), items.len()) };
    out.obj = tuple;
    if tuple.is_null() {
        PYZ3_ERROR
    } else {
        PYZ3_OK
    }
}

macro_rules! tuple_result {
    ($(($($t:ident $v:ident),+)),* $(,)?) => {$(
        impl<$($t: ToObject),+> IntoResult for ($($t,)+) {
            const TYPE: u8 = PYZ3_T_OBJECT;
            fn write(self, out: &mut pyz3_value) -> i32 {
                let ($($v,)+) = self;
                tuple_of(&[$($v.to_object()),+], out)
            }
        }
    )*};
}

tuple_result! {
    (A a),
    (A a, B b),
    (A a, B b, C c),
    (A a, B b, C c, D d),
    (A a, B b, C c, D d, E e),
    (A a, B b, C c, D d, E e, F f),
}
