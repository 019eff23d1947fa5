//! sdk/rust/src/lib.rs: pyz3-plugin — write pyz3 plugins in Rust.
//!
//! Ordinary Rust functions inside [`plugin!`] become Python functions; the macro generates the
//! descriptor and one `extern "C"` wrapper per function with the ABI's uniform signature. The
//! crate depends on nothing but libpyz3's C ABI (`-lpyz3`), so a Rust plugin, like a C one,
//! references no CPython symbol and loads under every supported Python.
//!
//! ```ignore
//! pyz3_plugin::plugin! {
//!     name = "hello_rs";
//!     doc = "A Rust plugin.";
//!
//!     /// Add two integers.
//!     fn add(a: i64, b: i64) -> i64 { a + b }
//!
//!     /// Greet someone (`name` defaults to "world").
//!     fn greet(name: &str = "world") -> String { format!("hello, {name}") }
//! }
//! ```
//!
//! Types: `i8..i64`, `u8..u64`, `f32`, `f64`, `bool`, `&str`, `&[u8]`, [`Object`], `Option<T>`
//! for arguments, and buffers: `&[T]`, `&mut [T]`, [`View`], [`ViewMut`], [`ByteView`]
//! (docs/buffers.md); the same scalars plus `()`, `String`, `Vec<u8>`, [`NewObject`], [`Array`]
//! and `Result<T, PyErr>` for results. Container types ([`compound`], docs/containers.md):
//! `Vec<T>`, [`Seq`], `HashMap<String, T>`, [`Dict`] and [`Callable`] arguments; `Vec<T>`,
//! `HashMap<String, T>`, tuples and `impl Iterator<Item = T>` results. A panic becomes
//! `RuntimeError`, never an abort. abi_stable's `RStr`, `RSlice<u8>`, `RString`,
//! `RVec<u8>` and `ROption<T>` go wherever their std counterparts go. The crate's ABI declarations
//! come from `pyz3-abi`, with abi_stable layouts: each plugin exports its layout, which the loader
//! checks before it reads the descriptor.
//!
//! A `struct` and its `impl` inside the macro are a class (docs/rust.md, "Classes"): `new` is the
//! constructor, `&self`/`&mut self` functions are methods, `#[getter]`/`#[setter(name)]` make
//! properties, `Drop` is the destructor; `&Class` parameters and `Class` results pass instances.

use core::cell::UnsafeCell;
use core::ffi::{c_char, c_void};
use core::sync::atomic::{AtomicIsize, Ordering};
use std::ffi::CString;

pub mod buffer;
pub mod compound;
pub mod names;
#[macro_use]
pub mod registry;
mod stable;
pub mod sys;

pub use buffer::{Array, ByteView, Element, View, ViewMut};
pub use compound::{Callable, Dict, Seq};
/// The ABI's structs and constants, with their abi_stable layouts: the `pyz3-abi` crate
/// (generated from libpyz3's own declarations).
pub use pyz3_abi as abi;
/// abi_stable, for its FFI-safe types (`RString`, `RVec`, `RSlice`, `RStr`, `ROption`), which
/// plugin functions accept and return.
pub use pyz3_abi::abi_stable;
/// CPython's object, opaque: plugins handle it only through libpyz3.
pub use pyz3_abi::PyObject;

use abi::*;
use registry::*;

// ---- errors -------------------------------------------------------------------------------------

/// A Python exception to raise: a `PYZ3_EXC_*` kind and a message; or one of the plugin's own
/// exception classes ([`Exception::err`]); or "already raised" ([`PyErr::already_set`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyErr {
    /// `PYZ3_EXC_*` (0 and up); that of [`PyErr::already_set`]; or `-2 - index` for the plugin's exception
    /// class `index`.
    pub kind: i32,
    /// The message.
    pub message: String,
}

/// One of the plugin's own exception classes (the `exceptions { ... }` section of [`plugin!`]),
/// by its index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exception(pub u32);

impl Exception {
    /// An error that raises this class with `message`.
    pub fn err(self, message: impl Into<String>) -> PyErr {
        PyErr {
            kind: -2 - self.0 as i32,
            message: message.into(),
        }
    }
}

// One constructor per exception kind of the registry (registry.rs is generated from it).
macro_rules! err_ctor {
    ($($name:ident => $kind:ident, $class:literal;)*) => {
        impl PyErr {
            $(
                #[doc = concat!("A `", $class, "` with `message`.")]
                pub fn $name(message: impl Into<String>) -> PyErr {
                    PyErr { kind: $kind, message: message.into() }
                }
            )*

            /// The error of the kind named `snake_name` (`"value_error"`: the constructor's
            /// name), for code that picks the kind at run time; `None` for an unknown name.
            pub fn of_kind_named(snake_name: &str, message: impl Into<String>) -> Option<PyErr> {
                match snake_name {
                    $( stringify!($name) => Some(PyErr::$name(message)), )*
                    _ => None,
                }
            }
        }
    };
}

for_each_exception!(err_ctor);

impl PyErr {
    /// The kind of [`PyErr::already_set`].
    const ALREADY_SET: i32 = i32::MIN;

    /// "A Python exception is already set" (a callback raised, a failing libpyz3 call such as
    /// [`Array::new`]): returning it passes that exception on unchanged.
    pub fn already_set() -> PyErr {
        PyErr {
            kind: Self::ALREADY_SET,
            message: String::new(),
        }
    }

    /// Raises this error in Python and returns `PYZ3_ERROR`. The plugin's own exception classes
    /// need the call's module: use [`PyErr::raise_in`] (what a `plugin!` function's `Err` does).
    pub fn raise(&self) -> i32 {
        // SAFETY: no module: a plugin exception class raises SystemError instead.
        unsafe { self.raise_in(core::ptr::null()) }
    }

    /// Raises this error for the call `call` (a plugin function's third argument, or NULL).
    ///
    /// # Safety
    /// `call` is NULL or the `pyz3_call` of a running plugin function.
    pub unsafe fn raise_in(&self, call: *const pyz3_call) -> i32 {
        let (p, n) = (self.message.as_ptr().cast(), self.message.len());
        // SAFETY: the message is valid for `n` bytes; libpyz3 copies it; `call` per the contract.
        unsafe {
            match self.kind {
                Self::ALREADY_SET => PYZ3_ERROR,
                k if k >= 0 => sys::pyz3_raise_len(k, p, n),
                k => {
                    let module = call.as_ref().map_or(core::ptr::null(), |c| c.module);
                    sys::pyz3_raise_exception_len(module, (-2 - k) as u32, p, n)
                }
            }
        }
    }
}

/// Marker for "an exception is already set in Python" (a failing `sys` call).
pub const ALREADY_RAISED: i32 = PYZ3_ERROR;

// ---- arguments ----------------------------------------------------------------------------------

/// A borrowed Python object argument (`PYZ3_T_OBJECT`), valid for the call.
#[derive(Clone, Copy, Debug)]
pub struct Object(pub *mut PyObject);

/// A new reference to return (`PYZ3_T_OBJECT` result); NULL means "an exception is set".
#[derive(Debug)]
pub struct NewObject(pub *mut PyObject);

/// A Python object held in a class's state (docs/classes.md, "Python objects in native state"):
/// pyz3 owns the reference, the garbage collector visits it (cycles through instances are
/// collected), and pyz3 releases it after the destructor (`Drop` does not: this type has no
/// drop glue). After the collector broke a cycle the field is empty.
#[repr(transparent)]
#[derive(Debug)]
pub struct ObjectField(*mut PyObject);

impl ObjectField {
    /// A field holding a new reference to `obj`.
    pub fn new(obj: Object) -> ObjectField {
        // SAFETY: `obj` is a live object (a borrowed argument); the GIL is held in calls.
        unsafe { sys::pyz3_incref(obj.0) };
        ObjectField(obj.0)
    }

    /// An empty field.
    pub const fn empty() -> ObjectField {
        ObjectField(core::ptr::null_mut())
    }

    /// The object, borrowed; `None` when the field is empty.
    pub fn get(&self) -> Option<Object> {
        (!self.0.is_null()).then_some(Object(self.0))
    }

    /// A new reference to the object, or to `None` when the field is empty (a result).
    pub fn new_ref(&self) -> NewObject {
        // SAFETY: the field holds a live reference or NULL; the GIL is held in calls.
        unsafe {
            if self.0.is_null() {
                return NewObject(sys::pyz3_none());
            }
            sys::pyz3_incref(self.0);
        }
        NewObject(self.0)
    }

    /// Stores `obj` (keeping a new reference) and releases what the field held.
    pub fn set(&mut self, obj: Object) {
        // SAFETY: as in `new`; the old value is a reference this field owned.
        unsafe {
            sys::pyz3_incref(obj.0);
            let old = core::mem::replace(&mut self.0, obj.0);
            sys::pyz3_decref(old);
        }
    }
}

/// A Rust type a Python argument converts to.
///
/// # Safety
/// `TYPE` must name the `pyz3_value` member `from_value` reads.
pub unsafe trait FromArg<'a>: Sized {
    /// `PYZ3_T_*` code.
    const TYPE: u8;
    /// Whether `None` is accepted (`Option<T>`).
    const OPTIONAL: bool = false;
    /// Compound types: the element type (`pyz3_param.elem`).
    const ELEM: u8 = 0;
    /// Compound types: `pyz3_param.type_flags` (buffers: `PYZ3_BUF_*`).
    const TYPE_FLAGS: u8 = 0;
    /// Buffers: the dimensions (`pyz3_param.ndim`, 0 = any).
    const NDIM: u8 = 0;
    /// `PYZ3_T_INSTANCE`: the class's index among the plugin's classes.
    const CLASS_INDEX: u16 = 0;
    /// Reads the converted value (`none` is the parameter's bit in `none_mask`). An instance
    /// argument is borrowed (shared) until `guards` drops at the end of the call, so a method of
    /// it that takes `&mut self` cannot run meanwhile; it fails when such a method is running.
    ///
    /// # Safety
    /// `v` holds the member `TYPE` names, valid for `'a`.
    unsafe fn from_value(
        v: &'a pyz3_value,
        none: bool,
        guards: &mut rt::Guards,
    ) -> Result<Self, PyErr>;
}

macro_rules! scalar_arg {
    ($($t:ty => $code:ident . $field:ident),* $(,)?) => {$(
        // SAFETY: reads the member the type code names.
        unsafe impl FromArg<'_> for $t {
            const TYPE: u8 = $code;
            unsafe fn from_value(v: &pyz3_value, _none: bool, _: &mut rt::Guards) -> Result<Self, PyErr> {
                // SAFETY: per the trait contract.
                Ok(unsafe { v.$field })
            }
        }
    )*};
}

scalar_arg! {
    i8 => PYZ3_T_I8.i8, i16 => PYZ3_T_I16.i16, i32 => PYZ3_T_I32.i32, i64 => PYZ3_T_I64.i64,
    u8 => PYZ3_T_U8.u8, u16 => PYZ3_T_U16.u16, u32 => PYZ3_T_U32.u32, u64 => PYZ3_T_U64.u64,
    f32 => PYZ3_T_F32.f32, f64 => PYZ3_T_F64.f64, bool => PYZ3_T_BOOL.b,
}

// SAFETY: reads `str`, which the loader fills with valid UTF-8 borrowed for the call.
unsafe impl<'a> FromArg<'a> for &'a str {
    const TYPE: u8 = PYZ3_T_STR;
    unsafe fn from_value(
        v: &'a pyz3_value,
        _none: bool,
        _: &mut rt::Guards,
    ) -> Result<Self, PyErr> {
        // SAFETY: Python's UTF-8 encoding of a str is valid UTF-8; the buffer lives for the call.
        unsafe {
            let s = v.str;
            if s.len == 0 {
                return Ok("");
            }
            Ok(core::str::from_utf8_unchecked(core::slice::from_raw_parts(
                s.ptr.cast(),
                s.len,
            )))
        }
    }
}

// SAFETY: reads `bytes`, borrowed for the call.
unsafe impl<'a> FromArg<'a> for &'a [u8] {
    const TYPE: u8 = PYZ3_T_BYTES;
    unsafe fn from_value(
        v: &'a pyz3_value,
        _none: bool,
        _: &mut rt::Guards,
    ) -> Result<Self, PyErr> {
        // SAFETY: the buffer lives for the call.
        unsafe {
            let s = v.bytes;
            if s.len == 0 {
                return Ok(&[]);
            }
            Ok(core::slice::from_raw_parts(s.ptr.cast(), s.len))
        }
    }
}

// SAFETY: reads `obj`.
unsafe impl FromArg<'_> for Object {
    const TYPE: u8 = PYZ3_T_OBJECT;
    unsafe fn from_value(v: &pyz3_value, _none: bool, _: &mut rt::Guards) -> Result<Self, PyErr> {
        // SAFETY: per the trait contract.
        Ok(Object(unsafe { v.obj }))
    }
}

// SAFETY: delegates to T for non-None values.
unsafe impl<'a, T: FromArg<'a>> FromArg<'a> for Option<T> {
    const TYPE: u8 = T::TYPE;
    const OPTIONAL: bool = true;
    const ELEM: u8 = T::ELEM;
    const TYPE_FLAGS: u8 = T::TYPE_FLAGS;
    const NDIM: u8 = T::NDIM;
    const CLASS_INDEX: u16 = T::CLASS_INDEX;
    unsafe fn from_value(
        v: &'a pyz3_value,
        none: bool,
        guards: &mut rt::Guards,
    ) -> Result<Self, PyErr> {
        if none {
            return Ok(None);
        }
        // SAFETY: per the trait contract.
        unsafe { T::from_value(v, false, guards) }.map(Some)
    }
}

// ---- results ------------------------------------------------------------------------------------

/// A Rust value a function can return.
pub trait IntoResult {
    /// `PYZ3_T_*` code of the result.
    const TYPE: u8;
    /// The item types of a tuple result (`ret_items`); empty for others.
    const ITEMS: &'static [u8] = &[];
    /// Whether the result may be `None` (`PYZ3_RETURN_OPTIONAL`).
    const OPTIONAL: bool = false;
    /// `PYZ3_T_INSTANCE`: the class's index among the plugin's classes.
    const CLASS_INDEX: u16 = 0;
    /// Compound results: the element type (`pyz3_function_def.ret_elem`): an array's, a list's,
    /// a dict's values'.
    const RET_ELEM: u8 = 0;
    /// Compound results: `ret_type_flags` (arrays: `PYZ3_ARRAY_*`).
    const RET_TYPE_FLAGS: u8 = 0;
    /// Arrays: the dimensions (`ret_ndim`).
    const RET_NDIM: u8 = 0;
    /// Writes the result and returns the status (`PYZ3_OK`, `PYZ3_RETURN_NONE`, `PYZ3_ERROR`).
    ///
    /// # Safety
    /// `out` is the function's `result` argument (for a tuple, `ITEMS.len()` values); `call` is
    /// its `call` argument or NULL.
    unsafe fn write(self, out: *mut pyz3_value, call: *const pyz3_call) -> i32;
}

macro_rules! scalar_result {
    ($($t:ty => $code:ident . $field:ident),* $(,)?) => {$(
        impl IntoResult for $t {
            const TYPE: u8 = $code;
            unsafe fn write(self, out: *mut pyz3_value, _call: *const pyz3_call) -> i32 {
                // SAFETY: per the trait contract.
                unsafe { (*out).$field = self };
                PYZ3_OK
            }
        }
    )*};
}

scalar_result! {
    i8 => PYZ3_T_I8.i8, i16 => PYZ3_T_I16.i16, i32 => PYZ3_T_I32.i32, i64 => PYZ3_T_I64.i64,
    u8 => PYZ3_T_U8.u8, u16 => PYZ3_T_U16.u16, u32 => PYZ3_T_U32.u32, u64 => PYZ3_T_U64.u64,
    f32 => PYZ3_T_F32.f32, f64 => PYZ3_T_F64.f64, bool => PYZ3_T_BOOL.b,
}

impl IntoResult for () {
    const TYPE: u8 = PYZ3_T_VOID;
    unsafe fn write(self, _out: *mut pyz3_value, _call: *const pyz3_call) -> i32 {
        PYZ3_OK
    }
}

unsafe fn object_status(obj: *mut PyObject, out: *mut pyz3_value) -> i32 {
    // SAFETY: `out` is the result slot per the callers' contract.
    unsafe { (*out).obj = obj };
    if obj.is_null() {
        PYZ3_ERROR
    } else {
        PYZ3_OK
    }
}

impl IntoResult for &str {
    const TYPE: u8 = PYZ3_T_STR;
    unsafe fn write(self, out: *mut pyz3_value, _call: *const pyz3_call) -> i32 {
        // SAFETY: the text is valid for `len` bytes; libpyz3 copies it; `out` per the contract.
        unsafe { object_status(sys::pyz3_from_str(self.as_ptr().cast(), self.len()), out) }
    }
}

impl IntoResult for String {
    const TYPE: u8 = PYZ3_T_STR;
    unsafe fn write(self, out: *mut pyz3_value, call: *const pyz3_call) -> i32 {
        // SAFETY: forwarded.
        unsafe { self.as_str().write(out, call) }
    }
}

impl IntoResult for &[u8] {
    const TYPE: u8 = PYZ3_T_BYTES;
    unsafe fn write(self, out: *mut pyz3_value, _call: *const pyz3_call) -> i32 {
        // SAFETY: the data is valid for `len` bytes; libpyz3 copies it; `out` per the contract.
        unsafe { object_status(sys::pyz3_from_bytes(self.as_ptr().cast(), self.len()), out) }
    }
}

impl IntoResult for Vec<u8> {
    const TYPE: u8 = PYZ3_T_BYTES;
    unsafe fn write(self, out: *mut pyz3_value, call: *const pyz3_call) -> i32 {
        // SAFETY: forwarded.
        unsafe { self.as_slice().write(out, call) }
    }
}

impl IntoResult for NewObject {
    const TYPE: u8 = PYZ3_T_OBJECT;
    unsafe fn write(self, out: *mut pyz3_value, _call: *const pyz3_call) -> i32 {
        // SAFETY: forwarded.
        unsafe { object_status(self.0, out) }
    }
}

impl<T: IntoResult> IntoResult for Option<T> {
    const TYPE: u8 = T::TYPE;
    const ITEMS: &'static [u8] = T::ITEMS;
    const OPTIONAL: bool = true;
    const CLASS_INDEX: u16 = T::CLASS_INDEX;
    const RET_ELEM: u8 = T::RET_ELEM;
    const RET_TYPE_FLAGS: u8 = T::RET_TYPE_FLAGS;
    const RET_NDIM: u8 = T::RET_NDIM;
    unsafe fn write(self, out: *mut pyz3_value, call: *const pyz3_call) -> i32 {
        match self {
            // SAFETY: forwarded.
            Some(v) => unsafe { v.write(out, call) },
            None => PYZ3_RETURN_NONE,
        }
    }
}

impl<T: IntoResult> IntoResult for Result<T, PyErr> {
    const TYPE: u8 = T::TYPE;
    const ITEMS: &'static [u8] = T::ITEMS;
    const OPTIONAL: bool = T::OPTIONAL;
    const CLASS_INDEX: u16 = T::CLASS_INDEX;
    const RET_ELEM: u8 = T::RET_ELEM;
    const RET_TYPE_FLAGS: u8 = T::RET_TYPE_FLAGS;
    const RET_NDIM: u8 = T::RET_NDIM;
    unsafe fn write(self, out: *mut pyz3_value, call: *const pyz3_call) -> i32 {
        // SAFETY: forwarded.
        unsafe {
            match self {
                Ok(v) => v.write(out, call),
                Err(e) => e.raise_in(call),
            }
        }
    }
}

/// The type of a module constant (the `constants { ... }` section of [`plugin!`]).
pub trait ConstantType: PyLiteral {
    /// `PYZ3_T_*` code of the constant.
    const TYPE: u8;
}

macro_rules! constant_type {
    ($($t:ty => $code:ident),* $(,)?) => {$( impl ConstantType for $t { const TYPE: u8 = $code; } )*};
}

constant_type! {
    i8 => PYZ3_T_I8, i16 => PYZ3_T_I16, i32 => PYZ3_T_I32, i64 => PYZ3_T_I64, u8 => PYZ3_T_U8,
    u16 => PYZ3_T_U16, u32 => PYZ3_T_U32, u64 => PYZ3_T_U64, f32 => PYZ3_T_F32, f64 => PYZ3_T_F64,
    bool => PYZ3_T_BOOL, &str => PYZ3_T_STR, &[u8] => PYZ3_T_BYTES, () => PYZ3_T_VOID,
}

// ---- defaults -----------------------------------------------------------------------------------

/// A Rust value that can be written as a Python literal (parameter defaults).
pub trait PyLiteral {
    /// The Python source text of the value.
    fn py_literal(&self) -> String;
}

macro_rules! int_literal {
    ($($t:ty),*) => {$(
        impl PyLiteral for $t {
            fn py_literal(&self) -> String { self.to_string() }
        }
    )*};
}

int_literal!(i8, i16, i32, i64, u8, u16, u32, u64);

impl PyLiteral for f64 {
    fn py_literal(&self) -> String {
        if self.is_nan() {
            // No Python literal: `plugin!` refuses a NaN default at compile time, and the loader
            // refuses this text if a descriptor built by hand carries it.
            "nan".to_owned()
        } else if self.is_infinite() {
            if *self > 0.0 { "1e999" } else { "-1e999" }.to_owned()
        } else {
            format!("{self:?}")
        }
    }
}

impl PyLiteral for f32 {
    fn py_literal(&self) -> String {
        (*self as f64).py_literal()
    }
}

impl PyLiteral for bool {
    fn py_literal(&self) -> String {
        if *self { "True" } else { "False" }.to_owned()
    }
}

impl PyLiteral for &str {
    fn py_literal(&self) -> String {
        let mut s = String::with_capacity(self.len() + 2);
        s.push('\'');
        for c in self.chars() {
            match c {
                '\\' => s.push_str("\\\\"),
                '\'' => s.push_str("\\'"),
                '\n' => s.push_str("\\n"),
                c if (c as u32) < 0x20 => s.push_str(&format!("\\x{:02x}", c as u32)),
                c => s.push(c),
            }
        }
        s.push('\'');
        s
    }
}

impl PyLiteral for &[u8] {
    fn py_literal(&self) -> String {
        let mut s = String::with_capacity(self.len() + 3);
        s.push_str("b'");
        for &b in self.iter() {
            match b {
                b'\\' => s.push_str("\\\\"),
                b'\'' => s.push_str("\\'"),
                0x20..=0x7e => s.push(b as char),
                _ => s.push_str(&format!("\\x{b:02x}")),
            }
        }
        s.push('\'');
        s
    }
}

impl PyLiteral for () {
    fn py_literal(&self) -> String {
        "None".to_owned()
    }
}

impl<T: PyLiteral> PyLiteral for Option<T> {
    fn py_literal(&self) -> String {
        match self {
            Some(v) => v.py_literal(),
            None => "None".to_owned(),
        }
    }
}

// ---- GIL and allocation -------------------------------------------------------------------------

/// A scope holding the GIL (`pyz3_gil_acquire`); released when dropped. Nestable and cheap
/// when the thread already holds the GIL through pyz3.
pub struct Gil(pyz3_gil);

impl Gil {
    /// Takes the GIL for this scope.
    pub fn acquire() -> Gil {
        // SAFETY: callable from any thread.
        Gil(unsafe { sys::pyz3_gil_acquire() })
    }

    /// Whether this scope holds the GIL. False when nothing was taken: Python is not running,
    /// or the interpreter is exiting and this thread did not hold the GIL through pyz3; then no
    /// Python object may be touched.
    pub fn acquired(&self) -> bool {
        // SAFETY: reads the token; callable from any thread.
        unsafe { sys::pyz3_gil_acquired(self.0) }
    }

    /// Whether this thread holds the GIL.
    pub fn held() -> bool {
        // SAFETY: callable from any thread.
        unsafe { sys::pyz3_gil_held() }
    }
}

impl Drop for Gil {
    fn drop(&mut self) {
        // SAFETY: releases the scope taken in `acquire`, on the same thread.
        unsafe { sys::pyz3_gil_release(self.0) }
    }
}

/// Runs `f` with the GIL released (other Python threads run meanwhile); `f` must not touch
/// Python objects.
pub fn without_gil<R>(f: impl FnOnce() -> R) -> R {
    struct Region(pyz3_nogil);
    impl Drop for Region {
        fn drop(&mut self) {
            // SAFETY: ends the region begun below, on the same thread.
            unsafe { sys::pyz3_nogil_end(self.0) }
        }
    }
    // SAFETY: begins a region that `Region::drop` ends, even if `f` panics.
    let _region = Region(unsafe { sys::pyz3_nogil_begin() });
    f()
}

/// A byte buffer on libpyz3's GIL-cached allocator (CPython's `PyMem`), freed when dropped.
pub struct Buffer {
    ptr: *mut u8,
    len: usize,
    align: usize,
}

impl Buffer {
    /// `len` zeroed bytes aligned to `align` (0 = default), or `None` when out of memory.
    pub fn zeroed(len: usize, align: usize) -> Option<Buffer> {
        // SAFETY: callable from any thread; NULL means failure.
        let ptr = unsafe { sys::pyz3_calloc(1, len, align) }.cast::<u8>();
        (!ptr.is_null()).then_some(Buffer { ptr, len, align })
    }

    /// The bytes.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: `ptr` holds `len` initialised bytes owned by this buffer.
        unsafe { core::slice::from_raw_parts_mut(self.ptr, self.len) }
    }

    /// The address (for alignment checks).
    pub fn addr(&self) -> usize {
        self.ptr as usize
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        // SAFETY: allocated by pyz3_calloc with this alignment.
        unsafe { sys::pyz3_free(self.ptr.cast(), self.align) }
    }
}

// ---- descriptor building (used by the macro) ----------------------------------------------------

#[doc(hidden)]
pub mod rt {
    use super::*;
    use crate::names::bytes_eq;

    /// Can `name` name a function or parameter? The loader's rule (an ASCII identifier that is
    /// not a keyword), as a `const fn` so `plugin!` checks it at compile time.
    pub const fn is_python_name(name: &str) -> bool {
        crate::names::is_python_name(name)
    }

    /// Compile-time checks of a default of type `T` (`DefaultCheck::<T>::valid(default)`): the
    /// registry's default-literal rules for what a Rust value can break — a float default must
    /// not be NaN. Every parameter type with a `PyLiteral` has an impl.
    pub struct DefaultCheck<T: ?Sized>(core::marker::PhantomData<T>);

    macro_rules! always_valid {
        ($($t:ty),*) => {$(
            impl DefaultCheck<$t> {
                /// Any value is a valid default.
                pub const fn valid(_: $t) -> bool { true }
            }
            impl DefaultCheck<Option<$t>> {
                /// Any value is a valid default.
                pub const fn valid(_: Option<$t>) -> bool { true }
            }
        )*};
    }
    always_valid!(i8, i16, i32, i64, u8, u16, u32, u64, bool, &str, &[u8]);

    macro_rules! not_nan {
        ($($t:ty),*) => {$(
            impl DefaultCheck<$t> {
                /// A float default must not be NaN.
                pub const fn valid(v: $t) -> bool { !v.is_nan() }
            }
            impl DefaultCheck<Option<$t>> {
                /// A float default must not be NaN.
                pub const fn valid(v: Option<$t>) -> bool {
                    match v {
                        Some(v) => !v.is_nan(),
                        None => true,
                    }
                }
            }
        )*};
    }
    not_nan!(f32, f64);

    /// Writes a function's result. In a `#[release_gil]` function the result is written after
    /// the body, still without the GIL; a result that creates a Python object (the registry's
    /// `result_needs_gil`) is then made inside a GIL scope.
    ///
    /// # Safety
    /// `out` and `call` are the plugin function's `result` and `call` arguments.
    pub unsafe fn write_result<R: IntoResult>(
        value: R,
        out: *mut pyz3_value,
        call: *const pyz3_call,
        released: bool,
    ) -> i32 {
        let needs_gil = TYPES
            .iter()
            .any(|t| t.code == R::TYPE && t.result_needs_gil);
        // SAFETY: forwarded.
        unsafe {
            if released && needs_gil {
                let _gil = Gil::acquire();
                value.write(out, call)
            } else {
                value.write(out, call)
            }
        }
    }

    /// Never called: stands for an argument of type `T` where `plugin!` only needs a function
    /// call's type (its result type), not its value.
    pub fn never<T>() -> T {
        unreachable!("pyz3: a type probe was evaluated")
    }

    /// The `PYZ3_EXC_*` kind of a built-in exception class name (`"ValueError"`), or -1.
    pub const fn exception_kind(class: &str) -> i32 {
        let mut k = 0;
        while k < EXCEPTION_CLASSES.len() {
            if bytes_eq(EXCEPTION_CLASSES[k].0.as_bytes(), class.as_bytes()) {
                return EXCEPTION_CLASSES[k].1;
            }
            k += 1;
        }
        -1
    }

    macro_rules! exception_classes {
        ($($snake:ident => $kind:ident, $class:literal;)*) => {
            const EXCEPTION_CLASSES: &[(&str, i32)] = &[$(($class, $kind)),*];
        };
    }
    for_each_exception!(exception_classes);

    /// One parameter as the macro sees it.
    pub struct ParamInfo {
        pub name: &'static str,
        pub ty: u8,
        /// Compound types' facts: element type, type flags, dimensions.
        pub facts: (u8, u8, u8),
        pub optional: bool,
        pub default: Option<String>,
        pub class_index: u16,
    }

    /// One function as the macro sees it.
    pub struct FunctionInfo {
        pub name: &'static str,
        pub doc: String,
        pub params: Vec<ParamInfo>,
        pub ret: compound::ResultFacts,
        pub release_gil: bool,
        /// A static method of a class.
        pub static_: bool,
        pub shape: CallShape,
        pub fn_: pyz3_fn,
    }

    /// One module constant as the macro sees it.
    pub struct ConstantInfo {
        pub name: &'static str,
        pub doc: String,
        pub ty: u8,
        pub literal: String,
    }

    /// One exception class as the macro sees it.
    pub struct ExceptionInfo {
        pub name: &'static str,
        pub doc: String,
        pub base: i32,
    }

    /// One property as the macro sees it.
    pub struct PropertyInfo {
        pub name: &'static str,
        pub doc: String,
        pub get: pyz3_fn,
        pub set: pyz3_fn,
        pub ty: u8,
        pub optional: bool,
        pub class_index: u16,
    }

    /// One class as the macro sees it.
    pub struct ClassInfo {
        pub name: &'static str,
        pub doc: String,
        pub size: usize,
        pub align: usize,
        pub flags: u32,
        pub object_fields: Vec<u32>,
        pub init: Option<FunctionInfo>,
        pub deinit: pyz3_deinit_fn,
        pub methods: Vec<FunctionInfo>,
        pub properties: Vec<PropertyInfo>,
        pub export_state: Option<FunctionInfo>,
        pub import_state: Option<FunctionInfo>,
    }

    impl ClassInfo {
        /// A class whose state is a [`Slot<T>`], destroyed by `T`'s `Drop`.
        pub fn new<T>(name: &'static str, doc: String) -> ClassInfo {
            unsafe extern "C" fn drop_state<T>(state: *mut c_void) {
                // SAFETY: pyz3 calls the destructor once, for a state that holds a made `T`.
                unsafe { core::ptr::drop_in_place((*state.cast::<Slot<T>>()).value.get()) }
            }
            ClassInfo {
                name,
                doc,
                size: core::mem::size_of::<Slot<T>>(),
                align: core::mem::align_of::<Slot<T>>(),
                flags: 0,
                object_fields: Vec::new(),
                init: None,
                deinit: core::mem::needs_drop::<T>().then_some(drop_state::<T> as _),
                methods: Vec::new(),
                properties: Vec::new(),
                export_state: None,
                import_state: None,
            }
        }

        /// Declares field `offset` (within `T`) an object field when its type is
        /// [`ObjectField`](crate::ObjectField).
        pub fn field<T, F: 'static>(&mut self, offset: usize) {
            if core::any::TypeId::of::<F>() == core::any::TypeId::of::<crate::ObjectField>() {
                self.object_fields
                    .push((core::mem::offset_of!(Slot<T>, value) + offset) as u32);
            }
        }

        /// A class constant of the `impl`: `FINAL` (no Python subclasses) and `WEAKREF` (weak
        /// references) set class flags; others are plain constants.
        pub fn flag(&mut self, name: &str, on: bool) {
            let bit = match name {
                "FINAL" => PYZ3_CLASS_FINAL,
                "WEAKREF" => PYZ3_CLASS_WEAKREF,
                _ => return,
            };
            if on {
                self.flags |= bit;
            }
        }
    }

    /// A class of the plugin, implemented by `plugin!` for each `struct` with an `impl`.
    pub trait PyClass: Sized {
        /// The class's index among the plugin's classes.
        const INDEX: u16;
        /// The class's description.
        fn info() -> ClassInfo;
    }

    /// The index of `name` in `names` (the plugin's classes in declaration order).
    pub const fn class_index(names: &[&str], name: &str) -> u16 {
        let mut i = 0;
        while i < names.len() {
            if bytes_eq(names[i].as_bytes(), name.as_bytes()) {
                return i as u16;
            }
            i += 1;
        }
        panic!("pyz3: not a class of this plugin")
    }

    /// How a function's parameters may be passed: its `#[positional_only]` attribute (every
    /// parameter, `/` in the signature) or `#[keyword_only(name)]` (`name` and the parameters
    /// after it, `*` before `name`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum CallShape {
        /// Positional or keyword.
        Plain,
        /// `#[positional_only]`.
        PositionalOnly,
        /// `#[keyword_only(name)]`.
        KeywordOnlyFrom(&'static str),
    }

    impl CallShape {
        /// The shape a function's attributes give (one entry per attribute, `Plain` for
        /// attributes that are not about the shape).
        pub const fn of(attrs: &[CallShape]) -> CallShape {
            let mut shape = CallShape::Plain;
            let mut i = 0;
            while i < attrs.len() {
                if !matches!(attrs[i], CallShape::Plain) {
                    shape = attrs[i];
                }
                i += 1;
            }
            shape
        }

        /// At most one shape attribute, and `keyword_only` names one of `params`.
        pub const fn valid(attrs: &[CallShape], params: &[&str]) -> bool {
            let mut shapes = 0;
            let mut i = 0;
            while i < attrs.len() {
                match attrs[i] {
                    CallShape::Plain => {}
                    CallShape::PositionalOnly => shapes += 1,
                    CallShape::KeywordOnlyFrom(name) => {
                        shapes += 1;
                        let mut k = 0;
                        let mut found = false;
                        while k < params.len() {
                            found |= same(params[k], name);
                            k += 1;
                        }
                        if !found {
                            return false;
                        }
                    }
                }
                i += 1;
            }
            shapes <= 1
        }
    }

    const fn same(a: &str, b: &str) -> bool {
        bytes_eq(a.as_bytes(), b.as_bytes())
    }

    /// An instance's state: a borrow flag and the value (`#[repr(C)]`, so pyz3 knows where the
    /// value is). The flag makes re-entrant calls sound: a method taking `&mut self` refuses to
    /// run while another call holds the instance, instead of aliasing it. It is atomic because a
    /// `#[release_gil]` method (or any method on free-threaded CPython, in a plugin declared
    /// free-threaded) takes it without the GIL.
    #[repr(C)]
    pub struct Slot<T> {
        /// 0: free; n > 0: n shared borrows; -1: borrowed mutably.
        borrow: AtomicIsize,
        value: UnsafeCell<T>,
    }

    impl<T> Slot<T> {
        /// The slot at an instance's state pointer (`args[0].inst`, `result->inst`).
        ///
        /// # Safety
        /// `state` is the state of an instance of the class whose state is `Slot<T>`.
        pub unsafe fn at<'a>(state: *mut c_void) -> &'a Slot<T> {
            // SAFETY: per the contract.
            unsafe { &*state.cast::<Slot<T>>() }
        }

        /// Makes the state: writes `value` into a zeroed, not yet made state.
        ///
        /// # Safety
        /// As for [`Slot::at`]; the state holds no value yet.
        pub unsafe fn make(state: *mut c_void, value: T) {
            let slot = Slot {
                borrow: AtomicIsize::new(0),
                value: UnsafeCell::new(value),
            };
            // SAFETY: per the contract (pyz3 aligned the state for `Slot<T>`).
            unsafe { core::ptr::write(state.cast::<Slot<T>>(), slot) }
        }

        /// A shared borrow for the duration of a `&self` call.
        pub fn shared(&self, class: &str) -> Result<Shared<'_, T>, PyErr> {
            self.share(class)?;
            Ok(Shared(self))
        }

        /// Counts one more shared borrow, unless the value is borrowed mutably.
        #[inline]
        fn share(&self, class: &str) -> Result<(), PyErr> {
            let mut b = self.borrow.load(Ordering::Relaxed);
            loop {
                if b < 0 {
                    return Err(already_borrowed(class));
                }
                match self.borrow.compare_exchange_weak(
                    b,
                    b + 1,
                    Ordering::Acquire,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return Ok(()),
                    Err(now) => b = now,
                }
            }
        }

        /// An exclusive borrow for the duration of a `&mut self` call.
        pub fn exclusive(&self, class: &str) -> Result<Exclusive<'_, T>, PyErr> {
            if self
                .borrow
                .compare_exchange(0, -1, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                return Err(already_borrowed(class));
            }
            Ok(Exclusive(self))
        }

        /// A shared borrow held by `guards` until the call ends (instance arguments).
        pub fn shared_until<'a>(
            &'a self,
            class: &str,
            guards: &mut Guards,
        ) -> Result<&'a T, PyErr> {
            self.share(class)?;
            guards.hold(&self.borrow);
            // SAFETY: the flag says no `&mut` exists, and none can until `guards` drops.
            Ok(unsafe { &*self.value.get() })
        }
    }

    #[cold]
    fn already_borrowed(class: &str) -> PyErr {
        PyErr::runtime_error(format!(
            "{class} is in use by a call that changes it (a re-entrant call, or a call on another \
             thread that released the GIL); it cannot be used until that call returns"
        ))
    }

    /// A shared borrow of an instance's value, released when dropped.
    pub struct Shared<'a, T>(&'a Slot<T>);

    impl<T> core::ops::Deref for Shared<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            // SAFETY: the flag counts this borrow; no `&mut` exists meanwhile.
            unsafe { &*self.0.value.get() }
        }
    }

    impl<T> Drop for Shared<'_, T> {
        fn drop(&mut self) {
            self.0.borrow.fetch_sub(1, Ordering::Release);
        }
    }

    /// An exclusive borrow of an instance's value, released when dropped.
    pub struct Exclusive<'a, T>(&'a Slot<T>);

    impl<T> core::ops::Deref for Exclusive<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            // SAFETY: this is the only borrow (the flag is -1).
            unsafe { &*self.0.value.get() }
        }
    }

    impl<T> core::ops::DerefMut for Exclusive<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            // SAFETY: this is the only borrow (the flag is -1).
            unsafe { &mut *self.0.value.get() }
        }
    }

    impl<T> Drop for Exclusive<'_, T> {
        fn drop(&mut self) {
            self.0.borrow.store(0, Ordering::Release);
        }
    }

    /// The shared borrows of a call's instance arguments, released when the call ends.
    pub struct Guards {
        held: [*const AtomicIsize; PYZ3_MAX_PARAMS as usize],
        count: usize,
    }

    impl Guards {
        /// No borrows yet.
        pub fn new() -> Guards {
            Guards {
                held: [core::ptr::null(); PYZ3_MAX_PARAMS as usize],
                count: 0,
            }
        }

        fn hold(&mut self, flag: &AtomicIsize) {
            self.held[self.count] = flag;
            self.count += 1;
        }
    }

    impl Default for Guards {
        fn default() -> Guards {
            Guards::new()
        }
    }

    impl Drop for Guards {
        fn drop(&mut self) {
            for &flag in &self.held[..self.count] {
                // SAFETY: each flag belongs to an argument the caller keeps alive for the call.
                unsafe { (*flag).fetch_sub(1, Ordering::Release) };
            }
        }
    }

    /// What a constructor returns: the value, or a `PyErr` (`Self` or `Result<Self, PyErr>`).
    pub trait IntoInit<T> {
        /// The value or the error.
        fn into_init(self) -> Result<T, PyErr>;
    }

    impl<T> IntoInit<T> for T {
        fn into_init(self) -> Result<T, PyErr> {
            Ok(self)
        }
    }

    impl<T> IntoInit<T> for Result<T, PyErr> {
        fn into_init(self) -> Result<T, PyErr> {
            self
        }
    }

    /// Makes an instance's state from a constructor's return (`new`, `__setstate__`).
    ///
    /// # Safety
    /// `state` is the zeroed state of an instance of the class whose state is `Slot<T>`.
    pub unsafe fn construct<T>(state: *mut c_void, made: impl IntoInit<T>) -> i32 {
        match made.into_init() {
            // SAFETY: forwarded.
            Ok(value) => unsafe {
                Slot::make(state, value);
                PYZ3_OK
            },
            Err(e) => e.raise(),
        }
    }

    fn leak_cstr(s: &str) -> *const c_char {
        CString::new(s.replace('\0', "\\0"))
            .unwrap_or_default()
            .into_raw()
    }

    fn leak_doc(doc: &str) -> *const c_char {
        if doc.is_empty() {
            core::ptr::null()
        } else {
            leak_cstr(doc)
        }
    }

    fn leak_slice<T>(items: Vec<T>) -> *const T {
        if items.is_empty() {
            core::ptr::null()
        } else {
            Box::leak(items.into_boxed_slice()).as_ptr()
        }
    }

    fn function_def(f: FunctionInfo) -> pyz3_function_def {
        let keyword_from = match f.shape {
            CallShape::KeywordOnlyFrom(first) => f.params.iter().position(|p| p.name == first),
            _ => None,
        };
        let params: Vec<pyz3_param> = f
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| pyz3_param {
                name: leak_cstr(p.name),
                default_value: p.default.as_deref().map_or(core::ptr::null(), leak_cstr),
                type_: p.ty,
                flags: (if p.optional { PYZ3_PARAM_OPTIONAL } else { 0 })
                    | if keyword_from.is_some_and(|k| i >= k) {
                        PYZ3_PARAM_KEYWORD_ONLY
                    } else {
                        0
                    },
                elem: p.facts.0,
                type_flags: p.facts.1,
                ndim: p.facts.2,
                reserved: 0,
                class_index: p.class_index,
            })
            .collect();
        let count = params.len() as u32;
        let params = Box::leak(params.into_boxed_slice());
        pyz3_function_def {
            name: leak_cstr(f.name),
            doc: if f.doc.is_empty() {
                core::ptr::null()
            } else {
                leak_cstr(&f.doc)
            },
            params: if count == 0 {
                core::ptr::null()
            } else {
                params.as_ptr()
            },
            fn_: f.fn_,
            raw: None,
            user_data: core::ptr::null_mut(),
            param_count: count,
            return_type: f.ret.ty,
            return_flags: if f.ret.optional {
                PYZ3_RETURN_OPTIONAL
            } else {
                0
            },
            flags: (if f.release_gil {
                PYZ3_FN_RELEASE_GIL
            } else {
                0
            }) | (if f.static_ { PYZ3_FN_STATIC } else { 0 })
                | (if f.shape == CallShape::PositionalOnly {
                    PYZ3_FN_POSITIONAL_ONLY
                } else {
                    0
                }),
            ret_elem: f.ret.elem,
            ret_type_flags: f.ret.type_flags,
            ret_ndim: f.ret.ndim,
            ret_reserved: 0,
            ret_class_index: f.ret.class_index,
            ret_item_count: f.ret.items.len() as u16,
            ret_items: if f.ret.items.is_empty() {
                core::ptr::null()
            } else {
                f.ret.items.as_ptr()
            },
        }
    }

    fn leak_function(f: Option<FunctionInfo>) -> *const pyz3_function_def {
        f.map_or(core::ptr::null(), |f| Box::leak(Box::new(function_def(f))))
    }

    fn class_def(c: ClassInfo) -> pyz3_class_def {
        let properties: Vec<pyz3_property_def> = c
            .properties
            .into_iter()
            .map(|p| pyz3_property_def {
                name: leak_cstr(p.name),
                doc: leak_doc(&p.doc),
                get: p.get,
                set: p.set,
                user_data: core::ptr::null_mut(),
                type_: p.ty,
                flags: if p.optional { PYZ3_PARAM_OPTIONAL } else { 0 },
                class_index: p.class_index,
                reserved: 0,
            })
            .collect();
        let methods: Vec<pyz3_function_def> = c.methods.into_iter().map(function_def).collect();
        pyz3_class_def {
            name: leak_cstr(c.name),
            doc: leak_doc(&c.doc),
            state_size: c.size as u32,
            state_align: c.align as u32,
            flags: c.flags,
            object_field_count: c.object_fields.len() as u32,
            object_fields: leak_slice(c.object_fields),
            init: leak_function(c.init),
            deinit: c.deinit,
            method_count: methods.len() as u32,
            methods: leak_slice(methods),
            property_count: properties.len() as u32,
            properties: leak_slice(properties),
            property_size: core::mem::size_of::<pyz3_property_def>() as u32,
            reserved: 0,
            export_state: leak_function(c.export_state),
            import_state: leak_function(c.import_state),
        }
    }

    /// Builds the descriptor once (the strings and arrays live for the process, as the ABI asks).
    /// `flags` are its `PYZ3_PLUGIN_*` bits.
    pub fn build(
        name: &str,
        doc: &str,
        flags: u32,
        functions: Vec<FunctionInfo>,
        classes: Vec<ClassInfo>,
        constants: Vec<ConstantInfo>,
        exceptions: Vec<ExceptionInfo>,
    ) -> *const pyz3_plugin {
        install_panic_hook();
        let optional_doc = |d: &str| {
            if d.is_empty() {
                core::ptr::null()
            } else {
                leak_cstr(d)
            }
        };
        let defs: Vec<pyz3_function_def> = functions.into_iter().map(function_def).collect();
        let constant_defs: Vec<pyz3_constant_def> = constants
            .iter()
            .map(|c| pyz3_constant_def {
                name: leak_cstr(c.name),
                doc: optional_doc(&c.doc),
                value: leak_cstr(&c.literal),
                type_: c.ty,
                reserved: [0; 7],
            })
            .collect();
        let exception_defs: Vec<pyz3_exception_def> = exceptions
            .iter()
            .map(|e| pyz3_exception_def {
                name: leak_cstr(e.name),
                doc: optional_doc(&e.doc),
                base: e.base,
                reserved: 0,
            })
            .collect();
        let (nconstants, nexceptions) = (constant_defs.len() as u32, exception_defs.len() as u32);
        let constant_defs = Box::leak(constant_defs.into_boxed_slice());
        let exception_defs = Box::leak(exception_defs.into_boxed_slice());
        let count = defs.len() as u32;
        let defs = Box::leak(defs.into_boxed_slice());
        let class_count = classes.len() as u32;
        let classes: Vec<pyz3_class_def> = classes.into_iter().map(class_def).collect();
        Box::leak(Box::new(pyz3_plugin {
            header: pyz3_plugin_header {
                magic: PYZ3_ABI_MAGIC,
                abi_major: PYZ3_ABI_MAJOR,
                abi_minor: PYZ3_ABI_MINOR,
                struct_size: core::mem::size_of::<pyz3_plugin>() as u32,
                reserved: 0,
            },
            name: leak_cstr(name),
            doc: if doc.is_empty() {
                core::ptr::null()
            } else {
                leak_cstr(doc)
            },
            functions: defs.as_ptr(),
            function_count: count,
            function_size: core::mem::size_of::<pyz3_function_def>() as u32,
            param_size: core::mem::size_of::<pyz3_param>() as u32,
            flags,
            classes: leak_slice(classes),
            class_count,
            class_size: core::mem::size_of::<pyz3_class_def>() as u32,
            constants: constant_defs.as_ptr(),
            constant_count: nconstants,
            constant_size: core::mem::size_of::<pyz3_constant_def>() as u32,
            exceptions: exception_defs.as_ptr(),
            exception_count: nexceptions,
            exception_size: core::mem::size_of::<pyz3_exception_def>() as u32,
        }))
    }

    /// Joins doc-comment lines (other attributes give `None`), dropping the one leading space
    /// rustdoc keeps.
    pub fn doc(lines: &[Option<&str>]) -> String {
        lines
            .iter()
            .flatten()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
    }

    thread_local! {
        /// How many plugin function bodies this thread is inside (the panic hook stays quiet for
        /// the panics `guard` catches). One thread-local access per call; const-initialised, no
        /// destructor.
        static IN_GUARD: core::cell::Cell<u32> = const { core::cell::Cell::new(0) };
    }

    /// Installs the SDK's panic hook once: quiet for a panic inside a plugin function body (it
    /// becomes `RuntimeError`; Rust's default hook would also print "panicked at" and, with
    /// `RUST_BACKTRACE` set, a backtrace on the user's terminal); every other panic goes to the
    /// hook that was there before, so the plugin's other Rust code (its own threads, a thread
    /// pool) reports panics as usual. A plugin that sets its own hook later replaces this one.
    /// The hook is this plugin's own: a cdylib links its own copy of std, so no other library's
    /// panics reach it.
    pub fn install_panic_hook() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if IN_GUARD.with(|depth| depth.get()) == 0 {
                    previous(info);
                }
            }));
        });
    }

    /// Runs a plugin function body: a panic becomes `RuntimeError` instead of unwinding into C.
    pub fn guard(name: &str, f: impl FnOnce() -> i32) -> i32 {
        let caught = IN_GUARD.with(|depth| {
            depth.set(depth.get() + 1);
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            depth.set(depth.get() - 1);
            caught
        });
        match caught {
            Ok(status) => status,
            Err(payload) => {
                let what = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_owned());
                PyErr::runtime_error(format!("{name}() panicked: {what}")).raise()
            }
        }
    }
}

/// Declares a plugin: its name, doc, classes, module constants, exception classes and functions —
/// ordinary Rust `fn` items whose `///` docs become Python doc strings, with optional
/// `= default` values after a parameter's type, `#[release_gil]` before `fn` to run without
/// the GIL, and `#[positional_only]` (`/`) or `#[keyword_only(param)]` (`*` before `param`) for
/// the call shape. `free_threaded = true;` after the doc declares the plugin safe to run without the GIL
/// on free-threaded CPython (`PYZ3_PLUGIN_FREE_THREADED`). Exports `pyz3_plugin_entry` and
/// `pyz3_plugin_layout`. Use once per cdylib crate.
///
/// Classes, functions and the `constants { ... }` and `exceptions { ... }` sections come in any
/// order: a class is a `struct` followed by its `impl` (docs/rust.md, "Classes").
///
/// ```ignore
/// pyz3_plugin::plugin! {
///     name = "words";
///     doc = "Words.";
///     constants {
///         /// The version.
///         VERSION: &str = "1.0";
///     }
///     exceptions {
///         /// Malformed input.
///         ParseError: ValueError;
///     }
///     fn split(text: &str) -> Vec<String> { text.split_whitespace().map(str::to_owned).collect() }
///     fn first(text: &str) -> Result<String, PyErr> {
///         text.split_whitespace().next().map(str::to_owned).ok_or_else(|| ParseError.err("empty"))
///     }
/// }
/// ```
///
/// Each constant is also a Rust `const` of its type, each exception class a
/// [`Exception`] constant whose `err(message)` makes the `PyErr` that raises it.
#[macro_export]
macro_rules! plugin {
    (
        name = $modname:literal;
        doc = $moddoc:literal;
        free_threaded = $free_threaded:literal;
        $($items:tt)*
    ) => {
        $crate::__pyz3_items! {
            @name $modname @doc $moddoc @ft [$free_threaded] @consts [] @excs []
            @classes [] @fns [] $($items)*
        }
    };
    (name = $modname:literal; doc = $moddoc:literal; $($items:tt)*) => {
        $crate::__pyz3_items! {
            @name $modname @doc $moddoc @ft [] @consts [] @excs [] @classes [] @fns [] $($items)*
        }
    };
}

/// Sorts a plugin's items (classes, functions, constants and exceptions sections, in any order)
/// for `plugin!`, one at a time.
#[doc(hidden)]
#[macro_export]
macro_rules! __pyz3_items {
    // The module constants.
    (@name $n:literal @doc $d:literal @ft $ft:tt @consts [$($k:tt)*] @excs $e:tt
        @classes $c:tt @fns $f:tt
        constants { $($kbody:tt)* } $($rest:tt)*) => {
        $crate::__pyz3_items! {
            @name $n @doc $d @ft $ft @consts [$($k)* $($kbody)*] @excs $e
            @classes $c @fns $f
            $($rest)*
        }
    };
    // The exception classes.
    (@name $n:literal @doc $d:literal @ft $ft:tt @consts $k:tt @excs [$($e:tt)*]
        @classes $c:tt @fns $f:tt
        exceptions { $($ebody:tt)* } $($rest:tt)*) => {
        $crate::__pyz3_items! {
            @name $n @doc $d @ft $ft @consts $k @excs [$($e)* $($ebody)*]
            @classes $c @fns $f
            $($rest)*
        }
    };
    // A class: a struct and its impl.
    (@name $n:literal @doc $d:literal @ft $ft:tt @consts $k:tt @excs $e:tt
        @classes [$($c:tt)*] @fns [$($f:tt)*]
        $(#[$($cattr:tt)*])* $cvis:vis struct $cname:ident { $($fields:tt)* }
        impl $cname2:ident { $($cbody:tt)* } $($rest:tt)*) => {
        $crate::__pyz3_items! {
            @name $n @doc $d @ft $ft @consts $k @excs $e
            @classes [$($c)* { $(#[$($cattr)*])* $cvis struct $cname { $($fields)* } impl $cname2 { $($cbody)* } }]
            @fns [$($f)*]
            $($rest)*
        }
    };
    // A function.
    (@name $n:literal @doc $d:literal @ft $ft:tt @consts $k:tt @excs $e:tt
        @classes [$($c:tt)*] @fns [$($f:tt)*]
        $(#[$($attr:tt)*])* fn $name:ident ( $($params:tt)* ) $(-> $r:ty)? $body:block $($rest:tt)*) => {
        $crate::__pyz3_items! {
            @name $n @doc $d @ft $ft @consts $k @excs $e
            @classes [$($c)*]
            @fns [$($f)* { $(#[$($attr)*])* fn $name ( $($params)* ) $(-> $r)? $body }]
            $($rest)*
        }
    };
    // Everything sorted: the plugin.
    (
        @name $modname:literal @doc $moddoc:literal @ft [$($free_threaded:literal)?]
        @consts [$( $(#[doc = $kdoc:literal])* $kname:ident : $kty:ty = $kval:expr ; )*]
        @excs [$( $(#[doc = $edoc:literal])* $ename:ident : $ebase:ident ; )*]
        @classes [$({
            $(#[$($cattr:tt)*])*
            $cvis:vis struct $cname:ident {
                $( $(#[$fattr:meta])* $fvis:vis $fname:ident : $fty:ty ),* $(,)?
            }
            impl $cname2:ident { $($cbody:tt)* }
        })*]
        @fns [$({
            $(#[$($attr:tt)*])*
            fn $name:ident ( $( $p:ident : $t:ty $(= $default:expr)? ),* $(,)? ) $(-> $r:ty)? $body:block
        })*]
    ) => {
        $(
            #[allow(dead_code, reason = "a constant the plugin's Rust code may not use")]
            const $kname: $kty = $kval;
            const _: () = assert!(
                $crate::rt::is_python_name(stringify!($kname)),
                concat!("pyz3: `", stringify!($kname), "` cannot name a Python constant"),
            );
        )*
        $crate::__pyz3_exceptions!($($ename : $ebase),*);

        // The plugin's classes in declaration order: what `class_index` numbers.
        const __PYZ3_CLASSES: &[&str] = &[$(stringify!($cname)),*];

        $(
            $(#[$($cattr)*])*
            $cvis struct $cname {
                $( $(#[$fattr])* $fvis $fname : $fty ),*
            }

            // `impl X` must be the impl of the struct before it.
            const _: fn($cname) -> $cname2 = |x| x;

            // SAFETY: an instance argument's state is a `Slot<$cname>` (rt::ClassInfo::new).
            unsafe impl<'a> $crate::FromArg<'a> for &'a $cname {
                const TYPE: u8 = $crate::registry::PYZ3_T_INSTANCE;
                const CLASS_INDEX: u16 = $crate::rt::class_index(__PYZ3_CLASSES, stringify!($cname));
                unsafe fn from_value(
                    v: &'a $crate::abi::pyz3_value,
                    _none: bool,
                    guards: &mut $crate::rt::Guards,
                ) -> Result<Self, $crate::PyErr> {
                    // SAFETY: the loader checked the argument is an instance of this class.
                    unsafe { $crate::rt::Slot::<$cname>::at(v.inst) }
                        .shared_until(stringify!($cname), guards)
                }
            }

            impl $crate::IntoResult for $cname {
                const TYPE: u8 = $crate::registry::PYZ3_T_INSTANCE;
                const CLASS_INDEX: u16 = $crate::rt::class_index(__PYZ3_CLASSES, stringify!($cname));
                unsafe fn write(
                    self,
                    out: *mut $crate::abi::pyz3_value,
                    _call: *const $crate::abi::pyz3_call,
                ) -> i32 {
                    // SAFETY: `out.inst` is the zeroed state of a new instance of this class.
                    unsafe { $crate::rt::Slot::make((*out).inst, self) };
                    $crate::abi::PYZ3_OK
                }
            }

            $crate::__pyz3_class! {
                @class $cname
                @doc [$([$($cattr)*])*]
                @fields [$($fname : $fty),*]
                @impl []
                @info []
                $($cbody)*
            }
        )*

        $(
            #[allow(clippy::unnecessary_wraps, reason = "the body is the plugin author's")]
            fn $name( $( $p : $t ),* ) $(-> $r)? $body

            // What the loader would refuse at load time, refused at compile time.
            const _: () = assert!(
                $crate::rt::CallShape::valid(&[$($crate::__call_shape!($($attr)*)),*], &[$(stringify!($p)),*]),
                concat!("pyz3: `", stringify!($name), "` takes at most one of #[positional_only] \
                    and #[keyword_only(param)], which must name one of its parameters"),
            );
            const _: () = assert!(
                $crate::rt::is_python_name(stringify!($name)),
                concat!("pyz3: `", stringify!($name), "` cannot name a Python function: it must \
                    be an ASCII identifier that is not a Python keyword"),
            );
            $crate::__pyz3_check_params!($( $p : $t $(= $default)? ),*);
        )*

        mod __pyz3_wrappers {
            #[allow(unused_imports, reason = "used by the generated wrappers")]
            use super::*;
            #[allow(unused_imports, reason = "the result kinds some functions need")]
            use $crate::compound::{ViaIntoResult, ViaIterator, WriteViaIntoResult, WriteViaIterator};
            $(
                pub(super) unsafe extern "C" fn $name(
                    args: *const $crate::abi::pyz3_value,
                    result: *mut $crate::abi::pyz3_value,
                    call: *const $crate::abi::pyz3_call,
                ) -> i32 {
                    $crate::rt::guard(stringify!($name), || {
                        #[allow(unused_variables, unused_mut, reason = "functions without parameters")]
                        let mut guards = $crate::rt::Guards::new();
                        // SAFETY: the loader passes one converted value per declared parameter,
                        // of the declared type, valid for the call; `result` and `call` are the
                        // loader's.
                        #[allow(unused_unsafe, reason = "functions without parameters")]
                        unsafe {
                            $crate::__pyz3_args!(args, call, guards, 0usize; $($p : $t),*);
                            let value = $crate::compound::Returned(core::cell::Cell::new(Some(
                                super::$name($($p),*),
                            )));
                            let released = false $(|| $crate::__is_release_gil!($($attr)*))*;
                            (&&value).write_out(result, call, released)
                        }
                    })
                }
            )*
        }

        /// This plugin's layout of every ABI struct (abi_stable's), which the loader checks
        /// against its own before it reads the descriptor.
        #[no_mangle]
        #[allow(non_upper_case_globals, reason = "a C symbol name")]
        pub static pyz3_plugin_layout: $crate::abi::pyz3_rust_layout =
            $crate::abi::pyz3_rust_layout::CURRENT;

        #[no_mangle]
        pub extern "C" fn pyz3_plugin_entry() -> *const $crate::abi::pyz3_plugin {
            #[allow(unused_imports, reason = "the result kinds some functions need")]
            use $crate::compound::{ViaIntoResult, ViaIterator};
            struct Descriptor(*const $crate::abi::pyz3_plugin);
            // SAFETY: the descriptor is immutable once built.
            unsafe impl Send for Descriptor {}
            // SAFETY: as above.
            unsafe impl Sync for Descriptor {}
            static DESCRIPTOR: std::sync::OnceLock<Descriptor> = std::sync::OnceLock::new();
            DESCRIPTOR
                .get_or_init(|| {
                    let flags = if false $(|| $free_threaded)? {
                        $crate::abi::PYZ3_PLUGIN_FREE_THREADED
                    } else {
                        0
                    };
                    Descriptor($crate::rt::build(
                        $modname,
                        $moddoc,
                        flags,
                        vec![$(
                            $crate::rt::FunctionInfo {
                                name: stringify!($name),
                                doc: $crate::rt::doc(&[$($crate::__doc_line!($($attr)*)),*]),
                                params: $crate::__param_infos!($( $p : $t $(= $default)? ),*),
                                // The result type, found from a call that is never made.
                                #[allow(unreachable_code, reason = "a type probe, never called")]
                                ret: (&&$crate::compound::probe(|| {
                                    $name($($crate::rt::never::<$t>()),*)
                                }))
                                .facts(),
                                release_gil: false $(|| $crate::__is_release_gil!($($attr)*))*,
                                static_: false,
                                shape: $crate::rt::CallShape::of(&[$($crate::__call_shape!($($attr)*)),*]),
                                fn_: Some(__pyz3_wrappers::$name),
                            }
                        ),*],
                        vec![$(<$cname as $crate::rt::PyClass>::info()),*],
                        vec![$(
                            $crate::rt::ConstantInfo {
                                name: stringify!($kname),
                                doc: $crate::rt::doc(&[$(Some($kdoc)),*]),
                                ty: <$kty as $crate::ConstantType>::TYPE,
                                literal: $crate::PyLiteral::py_literal(&$kname),
                            }
                        ),*],
                        vec![$(
                            $crate::rt::ExceptionInfo {
                                name: stringify!($ename),
                                doc: $crate::rt::doc(&[$(Some($edoc)),*]),
                                base: $crate::rt::exception_kind(stringify!($ebase)),
                            }
                        ),*],
                    ))
                })
                .0
        }
    };
}

/// The exception classes of `plugin!`: one [`Exception`] constant each, numbered in order.
#[doc(hidden)]
#[macro_export]
macro_rules! __pyz3_exceptions {
    () => {};
    ($($ename:ident : $ebase:ident),+) => {
        #[allow(non_camel_case_types, dead_code, reason = "one variant per exception class, named as in Python")]
        #[repr(u32)]
        enum __Pyz3Exceptions { $($ename),+ }
        $(
            #[allow(non_upper_case_globals, dead_code, reason = "named as the Python class")]
            const $ename: $crate::Exception = $crate::Exception(__Pyz3Exceptions::$ename as u32);
            const _: () = assert!(
                $crate::rt::exception_kind(stringify!($ebase)) >= 0,
                concat!("pyz3: `", stringify!($ebase), "` is not a built-in exception class \
                    pyz3 can derive from (ValueError, KeyError, RuntimeError, ...)"),
            );
        )+
    };
}

/// Checks parameter names and defaults at compile time.
#[doc(hidden)]
#[macro_export]
macro_rules! __pyz3_check_params {
    ($( $p:ident : $t:ty $(= $default:expr)? ),*) => {
        $(
            const _: () = assert!(
                $crate::rt::is_python_name(stringify!($p)),
                concat!("pyz3: `", stringify!($p), "` cannot name a Python parameter: it must \
                    be an ASCII identifier that is not a Python keyword"),
            );
            $(
                const _: () = assert!(
                    $crate::rt::DefaultCheck::<$t>::valid($default),
                    concat!("pyz3: the default of `", stringify!($p), "` is NaN, which no \
                        signature can show: choose another default or make it Option<f64> = None"),
                );
            )?
        )*
    };
}

/// `let p = <T as FromArg>::from_value(&args[i], none_mask bit, guards)?` for each parameter,
/// starting at argument `$first` (1 after a receiver's state).
#[doc(hidden)]
#[macro_export]
macro_rules! __pyz3_args {
    ($args:ident, $call:ident, $guards:ident, $first:expr; $($p:ident : $t:ty),*) => {
        #[allow(unused_variables, unused_mut, reason = "functions without parameters")]
        let mut index = 0usize;
        $(
            let $p = match <$t as $crate::FromArg>::from_value(
                &*$args.add($first + index),
                (*$call).none_mask & (1u64 << index) != 0,
                &mut $guards,
            ) {
                Ok(v) => v,
                Err(e) => return e.raise(),
            };
            index += 1;
        )*
    };
}

/// The `ParamInfo`s of a parameter list.
#[doc(hidden)]
#[macro_export]
macro_rules! __param_infos {
    ($( $p:ident : $t:ty $(= $default:expr)? ),*) => {
        vec![$(
            $crate::rt::ParamInfo {
                name: stringify!($p),
                ty: <$t as $crate::FromArg>::TYPE,
                optional: <$t as $crate::FromArg>::OPTIONAL,
                default: None $(.or(Some($crate::PyLiteral::py_literal(&{ let d: $t = $default; d }))))?,
                class_index: <$t as $crate::FromArg>::CLASS_INDEX,
                facts: (
                    <$t as $crate::FromArg>::ELEM,
                    <$t as $crate::FromArg>::TYPE_FLAGS,
                    <$t as $crate::FromArg>::NDIM,
                ),
            }
        ),*]
    };
}

/// A function of a class as a `FunctionInfo` whose wrapper receives the instance's state in
/// `args[0]` and borrows it as `$borrow` (`shared`, `exclusive`) for the call.
#[doc(hidden)]
#[macro_export]
macro_rules! __pyz3_method_info {
    (
        $c:ident, $borrow:ident, [$($mutability:tt)*], $static_:expr,
        [$([$($attr:tt)*])*], $name:ident, [$( $p:ident : $t:ty $(= $default:expr)? ),*], [$($r:ty)?]
    ) => {{
        unsafe extern "C" fn wrapper(
            args: *const $crate::abi::pyz3_value,
            result: *mut $crate::abi::pyz3_value,
            call: *const $crate::abi::pyz3_call,
        ) -> i32 {
            $crate::rt::guard(concat!(stringify!($c), ".", stringify!($name)), || {
                #[allow(unused_variables, unused_mut, reason = "methods without parameters")]
                let mut guards = $crate::rt::Guards::new();
                // SAFETY: `args[0].inst` is the state of an instance of the class; one converted
                // value per declared parameter follows.
                #[allow(unused_unsafe, reason = "methods without parameters")]
                unsafe {
                    let slot = $crate::rt::Slot::<$c>::at((*args).inst);
                    let mut this = match slot.$borrow(stringify!($c)) {
                        Ok(b) => b,
                        Err(e) => return e.raise(),
                    };
                    $crate::__pyz3_args!(args, call, guards, 1usize; $($p : $t),*);
                    let value = <$c>::$name(&$($mutability)* *this, $($p),*);
                    drop(guards);
                    drop(this);
                    let released = false $(|| $crate::__is_release_gil!($($attr)*))*;
                    $crate::rt::write_result(value, result, call, released)
                }
            })
        }
        $crate::rt::FunctionInfo {
            name: stringify!($name),
            doc: $crate::rt::doc(&[$($crate::__doc_line!($($attr)*)),*]),
            params: $crate::__param_infos!($( $p : $t $(= $default)? ),*),
            ret: $crate::__ret_facts!($($r)?),
            release_gil: false $(|| $crate::__is_release_gil!($($attr)*))*,
            static_: $static_,
            shape: $crate::rt::CallShape::Plain,
            fn_: Some(wrapper),
        }
    }};
}

/// A constructor (`new`, `__setstate__`) as a `FunctionInfo`: its wrapper fills the state in
/// `args[0]` with what the function returns (`Self` or `Result<Self, PyErr>`).
#[doc(hidden)]
#[macro_export]
macro_rules! __pyz3_ctor_info {
    ($c:ident, [$([$($attr:tt)*])*], $name:ident, [$( $p:ident : $t:ty $(= $default:expr)? ),*]) => {{
        unsafe extern "C" fn wrapper(
            args: *const $crate::abi::pyz3_value,
            _result: *mut $crate::abi::pyz3_value,
            call: *const $crate::abi::pyz3_call,
        ) -> i32 {
            $crate::rt::guard(concat!(stringify!($c), ".", stringify!($name)), || {
                #[allow(unused_variables, unused_mut, reason = "constructors without parameters")]
                let mut guards = $crate::rt::Guards::new();
                // SAFETY: `args[0].inst` is the zeroed state of a new instance of the class.
                #[allow(unused_unsafe, reason = "constructors without parameters")]
                unsafe {
                    $crate::__pyz3_args!(args, call, guards, 1usize; $($p : $t),*);
                    let made = <$c>::$name($($p),*);
                    drop(guards);
                    $crate::rt::construct::<$c>((*args).inst, made)
                }
            })
        }
        $crate::rt::FunctionInfo {
            name: stringify!($name),
            doc: $crate::rt::doc(&[$($crate::__doc_line!($($attr)*)),*]),
            params: $crate::__param_infos!($( $p : $t $(= $default)? ),*),
            ret: $crate::__ret_facts!(),
            release_gil: false,
            static_: false,
            shape: $crate::rt::CallShape::Plain,
            fn_: Some(wrapper),
        }
    }};
}

/// The items of a class's `impl`, one at a time: each is re-emitted into the `impl` (defaults
/// stripped) and described in `info` (its wrapper and facts); the last rule emits both.
#[doc(hidden)]
#[macro_export]
macro_rules! __pyz3_class {
    // Done.
    (@class $c:ident @doc [$([$($cattr:tt)*])*] @fields [$($fname:ident : $fty:ty),*] @impl [$($impl:tt)*] @info [$($info:tt)*]) => {
        impl $c { $($impl)* }

        impl $crate::rt::PyClass for $c {
            const INDEX: u16 = $crate::rt::class_index(__PYZ3_CLASSES, stringify!($c));
            fn info() -> $crate::rt::ClassInfo {
                let mut ci = $crate::rt::ClassInfo::new::<$c>(
                    stringify!($c),
                    $crate::rt::doc(&[$($crate::__doc_line!($($cattr)*)),*]),
                );
                $( ci.field::<$c, $fty>(core::mem::offset_of!($c, $fname)); )*
                $( $info(&mut ci); )*
                ci
            }
        }
    };
    // `const FINAL: bool = true;` and `const WEAKREF: bool = true;` set class flags.
    (@class $c:ident @doc $doc:tt @fields $fields:tt @impl [$($impl:tt)*] @info [$($info:tt)*]
        const $k:ident : $kt:ty = $kv:expr; $($rest:tt)*) => {
        $crate::__pyz3_class! {
            @class $c @doc $doc @fields $fields
            @impl [$($impl)* const $k: $kt = $kv;]
            @info [$($info)* (|ci: &mut $crate::rt::ClassInfo| ci.flag(stringify!($k), <$c>::$k))]
            $($rest)*
        }
    };
    // A getter: `#[getter] fn name(&self) -> T`.
    (@class $c:ident @doc $doc:tt @fields $fields:tt @impl [$($impl:tt)*] @info [$($info:tt)*]
        $(#[doc = $d:literal])* #[getter] fn $name:ident (& $s:ident $(,)?) -> $r:ty $body:block $($rest:tt)*) => {
        $crate::__pyz3_class! {
            @class $c @doc $doc @fields $fields
            @impl [$($impl)* $(#[doc = $d])* fn $name(&$s) -> $r $body]
            @info [$($info)* (|ci: &mut $crate::rt::ClassInfo| {
                let f = $crate::__pyz3_method_info!($c, shared, [], false, [$([doc = $d])*], $name, [], [$r]);
                ci.properties.push($crate::rt::PropertyInfo {
                    name: stringify!($name),
                    doc: f.doc,
                    get: f.fn_,
                    set: None,
                    ty: f.ret.ty,
                    optional: f.ret.optional,
                    class_index: f.ret.class_index,
                });
            })]
            $($rest)*
        }
    };
    // A setter: `#[setter(name)] fn set_name(&mut self, value: T)`.
    (@class $c:ident @doc $doc:tt @fields $fields:tt @impl [$($impl:tt)*] @info [$($info:tt)*]
        $(#[doc = $d:literal])* #[setter($prop:ident)] fn $name:ident (&mut $s:ident, $v:ident : $t:ty $(,)?) $(-> $r:ty)? $body:block $($rest:tt)*) => {
        $crate::__pyz3_class! {
            @class $c @doc $doc @fields $fields
            @impl [$($impl)* $(#[doc = $d])* fn $name(&mut $s, $v: $t) $(-> $r)? $body]
            @info [$($info)* (|ci: &mut $crate::rt::ClassInfo| {
                let f = $crate::__pyz3_method_info!($c, exclusive, [mut], false, [], $name, [$v : $t], [$($r)?]);
                match ci.properties.iter_mut().find(|p| p.name == stringify!($prop)) {
                    Some(p) => p.set = f.fn_,
                    None => panic!(concat!("pyz3: setter of `", stringify!($prop), "` before its #[getter]")),
                }
            })]
            $($rest)*
        }
    };
    // The constructor: `fn new(...) -> Self` (or `Result<Self, PyErr>`).
    (@class $c:ident @doc $doc:tt @fields $fields:tt @impl [$($impl:tt)*] @info [$($info:tt)*]
        $(#[$($attr:tt)*])* fn new ( $( $p:ident : $t:ty $(= $default:expr)? ),* $(,)? ) -> $r:ty $body:block $($rest:tt)*) => {
        $crate::__pyz3_check_params!($( $p : $t $(= $default)? ),*);
        $crate::__pyz3_class! {
            @class $c @doc $doc @fields $fields
            @impl [$($impl)* $(#[$($attr)*])* fn new($( $p : $t ),*) -> $r $body]
            @info [$($info)* (|ci: &mut $crate::rt::ClassInfo| ci.init = Some($crate::__pyz3_ctor_info!($c, [$([$($attr)*])*], new, [$( $p : $t $(= $default)? ),*])))]
            $($rest)*
        }
    };
    // Pickling: `fn __getstate__(&self) -> T` and `fn __setstate__(state: T) -> Self`.
    (@class $c:ident @doc $doc:tt @fields $fields:tt @impl [$($impl:tt)*] @info [$($info:tt)*]
        $(#[$($attr:tt)*])* fn __getstate__ (& $s:ident $(,)?) -> $r:ty $body:block $($rest:tt)*) => {
        $crate::__pyz3_class! {
            @class $c @doc $doc @fields $fields
            @impl [$($impl)* $(#[$($attr)*])* fn __getstate__(&$s) -> $r $body]
            @info [$($info)* (|ci: &mut $crate::rt::ClassInfo| ci.export_state = Some($crate::__pyz3_method_info!($c, shared, [], false, [$([$($attr)*])*], __getstate__, [], [$r])))]
            $($rest)*
        }
    };
    (@class $c:ident @doc $doc:tt @fields $fields:tt @impl [$($impl:tt)*] @info [$($info:tt)*]
        $(#[$($attr:tt)*])* fn __setstate__ ( $p:ident : $t:ty $(,)? ) -> $r:ty $body:block $($rest:tt)*) => {
        $crate::__pyz3_class! {
            @class $c @doc $doc @fields $fields
            @impl [$($impl)* $(#[$($attr)*])* fn __setstate__($p: $t) -> $r $body]
            @info [$($info)* (|ci: &mut $crate::rt::ClassInfo| ci.import_state = Some($crate::__pyz3_ctor_info!($c, [$([$($attr)*])*], __setstate__, [$p : $t])))]
            $($rest)*
        }
    };
    // A method taking `&mut self`.
    (@class $c:ident @doc $doc:tt @fields $fields:tt @impl [$($impl:tt)*] @info [$($info:tt)*]
        $(#[$($attr:tt)*])* fn $name:ident (&mut $s:ident $(, $p:ident : $t:ty $(= $default:expr)?)* $(,)?) $(-> $r:ty)? $body:block $($rest:tt)*) => {
        $crate::__pyz3_check_params!($( $p : $t $(= $default)? ),*);
        $crate::__pyz3_class! {
            @class $c @doc $doc @fields $fields
            @impl [$($impl)* $(#[$($attr)*])* fn $name(&mut $s $(, $p: $t)*) $(-> $r)? $body]
            @info [$($info)* (|ci: &mut $crate::rt::ClassInfo| ci.methods.push($crate::__pyz3_method_info!($c, exclusive, [mut], false, [$([$($attr)*])*], $name, [$( $p : $t $(= $default)? ),*], [$($r)?])))]
            $($rest)*
        }
    };
    // A method taking `&self`.
    (@class $c:ident @doc $doc:tt @fields $fields:tt @impl [$($impl:tt)*] @info [$($info:tt)*]
        $(#[$($attr:tt)*])* fn $name:ident (& $s:ident $(, $p:ident : $t:ty $(= $default:expr)?)* $(,)?) $(-> $r:ty)? $body:block $($rest:tt)*) => {
        $crate::__pyz3_check_params!($( $p : $t $(= $default)? ),*);
        $crate::__pyz3_class! {
            @class $c @doc $doc @fields $fields
            @impl [$($impl)* $(#[$($attr)*])* fn $name(&$s $(, $p: $t)*) $(-> $r)? $body]
            @info [$($info)* (|ci: &mut $crate::rt::ClassInfo| ci.methods.push($crate::__pyz3_method_info!($c, shared, [], false, [$([$($attr)*])*], $name, [$( $p : $t $(= $default)? ),*], [$($r)?])))]
            $($rest)*
        }
    };
    // A static method (no receiver).
    (@class $c:ident @doc $doc:tt @fields $fields:tt @impl [$($impl:tt)*] @info [$($info:tt)*]
        $(#[$($attr:tt)*])* fn $name:ident ( $( $p:ident : $t:ty $(= $default:expr)? ),* $(,)? ) $(-> $r:ty)? $body:block $($rest:tt)*) => {
        $crate::__pyz3_check_params!($( $p : $t $(= $default)? ),*);
        $crate::__pyz3_class! {
            @class $c @doc $doc @fields $fields
            @impl [$($impl)* $(#[$($attr)*])* fn $name($( $p : $t ),*) $(-> $r)? $body]
            @info [$($info)* (|ci: &mut $crate::rt::ClassInfo| ci.methods.push($crate::__pyz3_static_info!($c, [$([$($attr)*])*], $name, [$( $p : $t $(= $default)? ),*], [$($r)?])))]
            $($rest)*
        }
    };
}

/// A static method as a `FunctionInfo` (its arguments start at `args[0]`).
#[doc(hidden)]
#[macro_export]
macro_rules! __pyz3_static_info {
    ($c:ident, [$([$($attr:tt)*])*], $name:ident, [$( $p:ident : $t:ty $(= $default:expr)? ),*], [$($r:ty)?]) => {{
        unsafe extern "C" fn wrapper(
            args: *const $crate::abi::pyz3_value,
            result: *mut $crate::abi::pyz3_value,
            call: *const $crate::abi::pyz3_call,
        ) -> i32 {
            $crate::rt::guard(concat!(stringify!($c), ".", stringify!($name)), || {
                #[allow(unused_variables, unused_mut, reason = "methods without parameters")]
                let mut guards = $crate::rt::Guards::new();
                // SAFETY: one converted value per declared parameter.
                #[allow(unused_unsafe, reason = "methods without parameters")]
                unsafe {
                    $crate::__pyz3_args!(args, call, guards, 0usize; $($p : $t),*);
                    let value = <$c>::$name($($p),*);
                    drop(guards);
                    let released = false $(|| $crate::__is_release_gil!($($attr)*))*;
                    $crate::rt::write_result(value, result, call, released)
                }
            })
        }
        $crate::rt::FunctionInfo {
            name: stringify!($name),
            doc: $crate::rt::doc(&[$($crate::__doc_line!($($attr)*)),*]),
            params: $crate::__param_infos!($( $p : $t $(= $default)? ),*),
            ret: $crate::__ret_facts!($($r)?),
            release_gil: false $(|| $crate::__is_release_gil!($($attr)*))*,
            static_: true,
            shape: $crate::rt::CallShape::Plain,
            fn_: Some(wrapper),
        }
    }};
}

/// The result facts of a declared result type (none: `()`), for functions of classes.
#[doc(hidden)]
#[macro_export]
macro_rules! __ret_facts {
    () => {
        $crate::compound::result_facts::<()>()
    };
    ($r:ty) => {
        $crate::compound::result_facts::<$r>()
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __doc_line {
    (doc = $line:literal) => {
        Some($line)
    };
    ($($other:tt)*) => {
        None
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __call_shape {
    (positional_only) => {
        $crate::rt::CallShape::PositionalOnly
    };
    (keyword_only($first:ident)) => {
        $crate::rt::CallShape::KeywordOnlyFrom(stringify!($first))
    };
    ($($other:tt)*) => {
        $crate::rt::CallShape::Plain
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __is_release_gil {
    (release_gil) => {
        true
    };
    ($($other:tt)*) => {
        false
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registry_type_has_a_rust_spelling() {
        // The hand-written FromArg / IntoResult impls, checked against the generated registry.
        let params = [
            <i8 as FromArg>::TYPE,
            <i16 as FromArg>::TYPE,
            <i32 as FromArg>::TYPE,
            <i64 as FromArg>::TYPE,
            <u8 as FromArg>::TYPE,
            <u16 as FromArg>::TYPE,
            <u32 as FromArg>::TYPE,
            <u64 as FromArg>::TYPE,
            <f32 as FromArg>::TYPE,
            <f64 as FromArg>::TYPE,
            <bool as FromArg>::TYPE,
            <&str as FromArg>::TYPE,
            <&[u8] as FromArg>::TYPE,
            <Object as FromArg>::TYPE,
            <Vec<i64> as FromArg>::TYPE,
            <Seq<f64> as FromArg>::TYPE,
            <std::collections::HashMap<String, i64> as FromArg>::TYPE,
            <Dict<&str> as FromArg>::TYPE,
            <Callable as FromArg>::TYPE,
            <ByteView as FromArg>::TYPE,
            // `&Class`: generated per class by `plugin!` (plugins/rust/classes_rs uses it).
            PYZ3_T_INSTANCE,
        ];
        let results = [
            <() as IntoResult>::TYPE,
            <i8 as IntoResult>::TYPE,
            <i16 as IntoResult>::TYPE,
            <i32 as IntoResult>::TYPE,
            <i64 as IntoResult>::TYPE,
            <u8 as IntoResult>::TYPE,
            <u16 as IntoResult>::TYPE,
            <u32 as IntoResult>::TYPE,
            <u64 as IntoResult>::TYPE,
            <f32 as IntoResult>::TYPE,
            <f64 as IntoResult>::TYPE,
            <bool as IntoResult>::TYPE,
            <String as IntoResult>::TYPE,
            <Vec<u8> as IntoResult>::TYPE,
            <NewObject as IntoResult>::TYPE,
            <Vec<i64> as IntoResult>::TYPE,
            <std::collections::HashMap<String, f64> as IntoResult>::TYPE,
            <(i64, String) as IntoResult>::TYPE,
            {
                use compound::ViaIterator;
                #[allow(clippy::needless_borrow, reason = "the autoref dispatch plugin! uses")]
                (&&compound::probe(|| 0..3i64)).facts().ty
            },
            <Array<f64, 1> as IntoResult>::TYPE,
            // A class value: generated per class by `plugin!`.
            PYZ3_T_INSTANCE,
        ];
        for t in TYPES {
            assert_eq!(t.param, params.contains(&t.code), "{}: parameter", t.name);
            assert_eq!(t.result, results.contains(&t.code), "{}: result", t.name);
        }
    }

    #[test]
    #[allow(clippy::needless_borrow, reason = "the autoref dispatch plugin! uses")]
    fn compound_types_carry_their_facts() {
        use compound::{ViaIntoResult, ViaIterator};
        assert_eq!(<Vec<i64> as FromArg>::ELEM, PYZ3_T_I64);
        assert_eq!(<Option<Seq<&str>> as FromArg>::ELEM, PYZ3_T_STR);
        assert_eq!(<Vec<String> as IntoResult>::RET_ELEM, PYZ3_T_STR);
        assert_eq!(<Vec<u8> as IntoResult>::TYPE, PYZ3_T_BYTES);
        assert_eq!(<(f64, f64) as IntoResult>::ITEMS, [PYZ3_T_F64, PYZ3_T_F64]);
        assert_eq!(
            <Result<Option<(bool, NewObject)>, PyErr> as IntoResult>::ITEMS,
            [PYZ3_T_BOOL, PYZ3_T_OBJECT]
        );
        let facts = (&&compound::probe(|| vec!["a".to_owned()].into_iter())).facts();
        assert_eq!((facts.ty, facts.elem), (PYZ3_T_ITERATOR, PYZ3_T_STR));
        let facts = (&&compound::probe(|| 7i64)).facts();
        assert_eq!((facts.ty, facts.elem), (PYZ3_T_I64, 0));
        assert_eq!(rt::exception_kind("ValueError"), PYZ3_EXC_VALUE_ERROR);
        assert_eq!(rt::exception_kind("NoSuchError"), -1);
        assert_eq!(Exception(2).err("x").kind, -4);
    }

    #[test]
    fn buffer_types_declare_their_facts() {
        let facts = |t: u8, e: u8, f: u8, n: u8| (t, e, f, n);
        assert_eq!(
            facts(
                <&[f64] as FromArg>::TYPE,
                <&[f64] as FromArg>::ELEM,
                <&[f64] as FromArg>::TYPE_FLAGS,
                <&[f64] as FromArg>::NDIM
            ),
            (PYZ3_T_BUFFER, PYZ3_T_F64, PYZ3_BUF_CONTIGUOUS, 1)
        );
        assert_eq!(
            <&mut [u8] as FromArg>::TYPE_FLAGS,
            PYZ3_BUF_CONTIGUOUS | PYZ3_BUF_WRITABLE
        );
        assert_eq!(
            <&[u8] as FromArg>::TYPE,
            PYZ3_T_BYTES,
            "&[u8] stays a bytes argument"
        );
        assert_eq!(<View<i32, 2> as FromArg>::NDIM, 2);
        assert_eq!(<View<i32, 2> as FromArg>::TYPE_FLAGS, 0);
        assert_eq!(<ViewMut<bool> as FromArg>::TYPE_FLAGS, PYZ3_BUF_WRITABLE);
        assert_eq!(<Option<ByteView> as FromArg>::ELEM, PYZ3_T_BYTES);
        assert_eq!(
            (
                <Array<u16, 2> as IntoResult>::RET_ELEM,
                <Array<u16, 2> as IntoResult>::RET_NDIM
            ),
            (PYZ3_T_U16, 2)
        );
    }

    #[test]
    fn python_names_follow_the_loaders_rule() {
        assert!(rt::is_python_name("add_2"));
        assert!(rt::is_python_name("_"));
        assert!(!rt::is_python_name("lambda"));
        assert!(!rt::is_python_name("from"));
        assert!(!rt::is_python_name("r#type"));
        assert!(!rt::is_python_name("größe"));
        assert!(!rt::is_python_name("2x"));
        assert!(!rt::is_python_name(""));
    }

    #[test]
    fn defaults_are_checked_for_nan() {
        assert!(rt::DefaultCheck::<f64>::valid(1.5));
        assert!(!rt::DefaultCheck::<f64>::valid(f64::NAN));
        assert!(!rt::DefaultCheck::<Option<f32>>::valid(Some(f32::NAN)));
        assert!(rt::DefaultCheck::<Option<f32>>::valid(None));
        assert!(rt::DefaultCheck::<&str>::valid("x"));
    }

    #[test]
    fn literals_are_python_source() {
        assert_eq!(3i64.py_literal(), "3");
        assert_eq!(2.0f64.py_literal(), "2.0");
        assert_eq!(f64::INFINITY.py_literal(), "1e999");
        assert_eq!(true.py_literal(), "True");
        assert_eq!("it's\n".py_literal(), "'it\\'s\\n'");
        assert_eq!(None::<i64>.py_literal(), "None");
        assert_eq!((&b"a'\\\x00"[..]).py_literal(), "b'a\\'\\\\\\x00'");
    }

    #[test]
    fn doc_lines_lose_rustdocs_leading_space() {
        assert_eq!(
            rt::doc(&[Some(" Adds."), None, Some(""), Some(" More.")]),
            "Adds.\n\nMore."
        );
    }
}
