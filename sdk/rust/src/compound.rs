//! sdk/rust/src/compound.rs: the compound types of ABI 1.1 as Rust types — sequences and dicts
//! in, lists, dicts, tuples and iterators out, callables.
//!
//! | Rust | Python |
//! |---|---|
//! | `Vec<T>` parameter (copied), `Seq<'_, T>` (borrowed view) | a sequence of `T` |
//! | `HashMap<String, T>` parameter (copied), `Dict<'_, T>` (borrowed view) | `dict[str, T]` |
//! | `Vec<T>` result | `list[T]` |
//! | `HashMap<String, T>` result | `dict[str, T]` |
//! | `(A, B, ...)` result | `tuple[A, B, ...]` |
//! | `impl Iterator<Item = T>` result | a lazy iterator of `T` |
//! | `Callable` parameter | any callable, called back with typed arguments |
//!
//! `T` is a scalar: an integer (`u8` only as `Seq<u8>` / in results as `Vec<Vec<u8>>` items, since
//! `Vec<u8>` and `&[u8]` are `bytes`), `f32`, `f64`, `bool`, `&str`/`String`, `Vec<u8>` (bytes
//! items of results), `Object` (parameters) / `NewObject` (results).

use core::ffi::c_char;
use core::marker::PhantomData;
use std::collections::HashMap;

use crate::abi::*;
use crate::registry::*;
use crate::{sys, NewObject, Object, PyErr, PyObject};

// ---- items of sequence and dict arguments -------------------------------------------------------

/// A scalar that can be an item of a sequence argument or a value of a dict argument, read from
/// the loader's converted items.
///
/// # Safety
/// `TYPE` must name the items `read` reads (`pyz3_items` member of that type as an argument).
pub unsafe trait ArgItem<'a>: Sized {
    /// `PYZ3_T_*` code of the items.
    const TYPE: u8;
    /// Item `i`.
    ///
    /// # Safety
    /// `items` holds more than `i` converted items of `TYPE`, valid for `'a`.
    unsafe fn read(items: pyz3_items, i: usize) -> Self;
}

macro_rules! scalar_arg_item {
    ($($t:ty => $code:ident . $field:ident),* $(,)?) => {$(
        // SAFETY: reads the member the code names.
        unsafe impl ArgItem<'_> for $t {
            const TYPE: u8 = $code;
            unsafe fn read(items: pyz3_items, i: usize) -> Self {
                // SAFETY: per the trait contract.
                unsafe { *items.$field.add(i) }
            }
        }
    )*};
}

scalar_arg_item! {
    i8 => PYZ3_T_I8.i8, i16 => PYZ3_T_I16.i16, i32 => PYZ3_T_I32.i32, i64 => PYZ3_T_I64.i64,
    u8 => PYZ3_T_U8.u8, u16 => PYZ3_T_U16.u16, u32 => PYZ3_T_U32.u32, u64 => PYZ3_T_U64.u64,
    f32 => PYZ3_T_F32.f32, f64 => PYZ3_T_F64.f64, bool => PYZ3_T_BOOL.b,
}

/// The text of a borrowed `pyz3_str` (valid UTF-8 when it came from a `str`).
unsafe fn text<'a>(s: pyz3_str) -> &'a str {
    if s.len == 0 {
        return "";
    }
    // SAFETY: the loader's UTF-8 for a `str`, borrowed for the call.
    unsafe { core::str::from_utf8_unchecked(core::slice::from_raw_parts(s.ptr.cast(), s.len)) }
}

/// The bytes of a borrowed `pyz3_str`.
unsafe fn bytes<'a>(s: pyz3_str) -> &'a [u8] {
    if s.len == 0 {
        return &[];
    }
    // SAFETY: borrowed for the call.
    unsafe { core::slice::from_raw_parts(s.ptr.cast(), s.len) }
}

// SAFETY: reads `str` items.
unsafe impl<'a> ArgItem<'a> for &'a str {
    const TYPE: u8 = PYZ3_T_STR;
    unsafe fn read(items: pyz3_items, i: usize) -> Self {
        // SAFETY: per the trait contract.
        unsafe { text(*items.str.add(i)) }
    }
}

// SAFETY: reads `str` items and copies them.
unsafe impl ArgItem<'_> for String {
    const TYPE: u8 = PYZ3_T_STR;
    unsafe fn read(items: pyz3_items, i: usize) -> Self {
        // SAFETY: per the trait contract.
        unsafe { text(*items.str.add(i)) }.to_owned()
    }
}

// SAFETY: reads `bytes` items.
unsafe impl<'a> ArgItem<'a> for &'a [u8] {
    const TYPE: u8 = PYZ3_T_BYTES;
    unsafe fn read(items: pyz3_items, i: usize) -> Self {
        // SAFETY: per the trait contract.
        unsafe { bytes(*items.bytes.add(i)) }
    }
}

// SAFETY: reads `object` items (borrowed for the call).
unsafe impl ArgItem<'_> for Object {
    const TYPE: u8 = PYZ3_T_OBJECT;
    unsafe fn read(items: pyz3_items, i: usize) -> Self {
        // SAFETY: per the trait contract.
        Object(unsafe { *items.obj.add(i) })
    }
}

/// A sequence argument, borrowed for the call: a `list`, `tuple` or other sequence whose items
/// the loader converted to `T`. `Seq<i64>` (any numeric `T`) is also a slice: `xs.as_slice()`.
#[derive(Clone, Copy)]
pub struct Seq<'a, T> {
    view: &'a pyz3_seq,
    _items: PhantomData<T>,
}

impl<'a, T: ArgItem<'a>> Seq<'a, T> {
    /// Number of items.
    pub fn len(&self) -> usize {
        self.view.len
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.view.len == 0
    }

    /// Item `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<T> {
        // SAFETY: the view holds `len` items of `T::TYPE`, valid for `'a`.
        (i < self.view.len).then(|| unsafe { T::read(self.view.items, i) })
    }

    /// The items in order.
    pub fn iter(&self) -> impl Iterator<Item = T> + 'a {
        let view = self.view;
        // SAFETY: as in `get`.
        (0..view.len).map(move |i| unsafe { T::read(view.items, i) })
    }

    /// The sequence object (borrowed for the call).
    pub fn object(&self) -> Object {
        Object(self.view.obj)
    }
}

macro_rules! seq_slice {
    ($($t:ty => $field:ident),*) => {$(
        impl<'a> Seq<'a, $t> {
            /// The items as a slice (no copy).
            pub fn as_slice(&self) -> &'a [$t] {
                if self.view.len == 0 {
                    return &[];
                }
                // SAFETY: `len` contiguous items of this type, valid for the call.
                unsafe { core::slice::from_raw_parts(self.view.items.$field, self.view.len) }
            }
        }
    )*};
}

seq_slice!(i8 => i8, i16 => i16, i32 => i32, i64 => i64, u8 => u8, u16 => u16, u32 => u32,
    u64 => u64, f32 => f32, f64 => f64, bool => b);

// SAFETY: reads `seq`, a view the loader owns for the call.
unsafe impl<'a, T: ArgItem<'a>> crate::FromArg<'a> for Seq<'a, T> {
    const TYPE: u8 = PYZ3_T_SEQUENCE;
    const ELEM: u8 = T::TYPE;
    unsafe fn from_value(
        v: &'a pyz3_value,
        _none: bool,
        _: &mut crate::rt::Guards,
    ) -> Result<Self, crate::PyErr> {
        Ok(Seq {
            // SAFETY: the loader passes a valid view for a sequence parameter.
            view: unsafe { &*v.seq },
            _items: PhantomData,
        })
    }
}

/// A scalar a `Vec<T>` parameter can hold: every `ArgItem` but `u8` (a `Vec<u8>` is `bytes`;
/// use `Seq<u8>` for a sequence of small ints).
pub trait VecItem<'a>: ArgItem<'a> {}
macro_rules! vec_item {
    ($($t:ty),*) => {$( impl VecItem<'_> for $t {} )*};
}
vec_item!(i8, i16, i32, i64, u16, u32, u64, f32, f64, bool, String, Object);
impl<'a> VecItem<'a> for &'a str {}
impl<'a> VecItem<'a> for &'a [u8] {}

// SAFETY: reads `seq` and copies its items.
unsafe impl<'a, T: VecItem<'a>> crate::FromArg<'a> for Vec<T> {
    const TYPE: u8 = PYZ3_T_SEQUENCE;
    const ELEM: u8 = T::TYPE;
    unsafe fn from_value(
        v: &'a pyz3_value,
        none: bool,
        guards: &mut crate::rt::Guards,
    ) -> Result<Self, crate::PyErr> {
        // SAFETY: forwarded.
        let seq = unsafe { <Seq<'a, T> as crate::FromArg>::from_value(v, none, guards) }?;
        Ok(seq.iter().collect())
    }
}

/// A `dict[str, T]` argument, borrowed for the call: its keys and converted values in the dict's
/// order, and lookups by key.
#[derive(Clone, Copy)]
pub struct Dict<'a, T> {
    view: &'a pyz3_dict,
    _values: PhantomData<T>,
}

impl<'a, T: ArgItem<'a>> Dict<'a, T> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.view.len
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.view.len == 0
    }

    /// The value of `key`, if the dict has it.
    pub fn get(&self, key: &str) -> Option<T> {
        let mut i = 0usize;
        // SAFETY: the view is valid for the call; the key is readable for its length.
        let found =
            unsafe { sys::pyz3_dict_find(self.view, key.as_ptr().cast(), key.len(), &mut i) };
        // SAFETY: `i` is a position the runtime found in the view.
        (found == PYZ3_OK).then(|| unsafe { T::read(self.view.values, i) })
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, T)> + 'a {
        let view = self.view;
        // SAFETY: the view holds `len` keys and values, valid for `'a`.
        (0..view.len).map(move |i| unsafe { (text(*view.keys.add(i)), T::read(view.values, i)) })
    }
}

// SAFETY: reads `dict`, a view the loader owns for the call.
unsafe impl<'a, T: ArgItem<'a>> crate::FromArg<'a> for Dict<'a, T> {
    const TYPE: u8 = PYZ3_T_DICT;
    const ELEM: u8 = T::TYPE;
    unsafe fn from_value(
        v: &'a pyz3_value,
        _none: bool,
        _: &mut crate::rt::Guards,
    ) -> Result<Self, crate::PyErr> {
        Ok(Dict {
            // SAFETY: the loader passes a valid view for a dict parameter.
            view: unsafe { &*v.dict },
            _values: PhantomData,
        })
    }
}

// SAFETY: reads `dict` and copies its entries.
unsafe impl<'a, T: ArgItem<'a>> crate::FromArg<'a> for HashMap<String, T> {
    const TYPE: u8 = PYZ3_T_DICT;
    const ELEM: u8 = T::TYPE;
    unsafe fn from_value(
        v: &'a pyz3_value,
        none: bool,
        guards: &mut crate::rt::Guards,
    ) -> Result<Self, crate::PyErr> {
        // SAFETY: forwarded.
        let dict = unsafe { <Dict<'a, T> as crate::FromArg>::from_value(v, none, guards) }?;
        Ok(dict.iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }
}

// ---- items of results ----------------------------------------------------------------------------

/// A scalar result value: an item of a list, dict, tuple or iterator result, written as a result
/// of its type is (`str`, `bytes` and objects are made as new references, which needs the GIL).
pub trait Item: Sized {
    /// `PYZ3_T_*` code.
    const TYPE: u8;
    /// The value in its result member; NULL in `obj` (with an exception set) when making the
    /// object failed.
    fn into_value(self) -> pyz3_value;
}

macro_rules! scalar_item {
    ($($t:ty => $code:ident . $field:ident),* $(,)?) => {$(
        impl Item for $t {
            const TYPE: u8 = $code;
            fn into_value(self) -> pyz3_value {
                let mut v = pyz3_value::ZERO;
                v.$field = self;
                v
            }
        }
    )*};
}

scalar_item! {
    i8 => PYZ3_T_I8.i8, i16 => PYZ3_T_I16.i16, i32 => PYZ3_T_I32.i32, i64 => PYZ3_T_I64.i64,
    u8 => PYZ3_T_U8.u8, u16 => PYZ3_T_U16.u16, u32 => PYZ3_T_U32.u32, u64 => PYZ3_T_U64.u64,
    f32 => PYZ3_T_F32.f32, f64 => PYZ3_T_F64.f64, bool => PYZ3_T_BOOL.b,
}

fn object_value(obj: *mut PyObject) -> pyz3_value {
    let mut v = pyz3_value::ZERO;
    v.obj = obj;
    v
}

impl Item for &str {
    const TYPE: u8 = PYZ3_T_STR;
    fn into_value(self) -> pyz3_value {
        // SAFETY: the text is valid for `len` bytes; libpyz3 copies it.
        object_value(unsafe { sys::pyz3_from_str(self.as_ptr().cast(), self.len()) })
    }
}

impl Item for String {
    const TYPE: u8 = PYZ3_T_STR;
    fn into_value(self) -> pyz3_value {
        self.as_str().into_value()
    }
}

impl Item for &[u8] {
    const TYPE: u8 = PYZ3_T_BYTES;
    fn into_value(self) -> pyz3_value {
        // SAFETY: the data is valid for `len` bytes; libpyz3 copies it.
        object_value(unsafe { sys::pyz3_from_bytes(self.as_ptr().cast(), self.len()) })
    }
}

impl Item for Vec<u8> {
    const TYPE: u8 = PYZ3_T_BYTES;
    fn into_value(self) -> pyz3_value {
        self.as_slice().into_value()
    }
}

impl Item for NewObject {
    const TYPE: u8 = PYZ3_T_OBJECT;
    fn into_value(self) -> pyz3_value {
        object_value(self.0)
    }
}

/// Whether a result item of code `ty` is an object (`str`, `bytes`, `object`).
const fn is_object(ty: u8) -> bool {
    ty == PYZ3_T_STR || ty == PYZ3_T_BYTES || ty == PYZ3_T_OBJECT
}

/// Whether `v`, an item of result type `ty` from `Item::into_value`, is an object that could not
/// be made (NULL, with an exception set).
fn failed(ty: u8, v: &pyz3_value) -> bool {
    // SAFETY: an object item's value is in `obj` (`Item::into_value`).
    is_object(ty) && unsafe { v.obj }.is_null()
}

/// Stores value `v` of result type `ty` as item `i` of `items`.
///
/// # Safety
/// `items` has room for more than `i` items of `ty`.
unsafe fn store(items: pyz3_items, i: usize, ty: u8, v: pyz3_value) {
    // SAFETY: per the contract; each arm writes the member of the type's width.
    unsafe {
        match ty {
            PYZ3_T_I8 | PYZ3_T_U8 | PYZ3_T_BOOL => *items.u8.add(i) = v.u8,
            PYZ3_T_I16 | PYZ3_T_U16 => *items.u16.add(i) = v.u16,
            PYZ3_T_I32 | PYZ3_T_U32 | PYZ3_T_F32 => *items.u32.add(i) = v.u32,
            PYZ3_T_STR | PYZ3_T_BYTES | PYZ3_T_OBJECT => *items.obj.add(i) = v.obj,
            _ => *items.u64.add(i) = v.u64,
        }
    }
}

/// A scalar a `Vec<T>` result can hold: every `Item` but `u8` (a `Vec<u8>` is `bytes`).
pub trait ListItem: Item {}
macro_rules! list_item {
    ($($t:ty),*) => {$( impl ListItem for $t {} )*};
}
list_item!(
    i8,
    i16,
    i32,
    i64,
    u16,
    u32,
    u64,
    f32,
    f64,
    bool,
    String,
    Vec<u8>,
    NewObject
);
impl ListItem for &str {}
impl ListItem for &[u8] {}

/// Fills the `pyz3_out` of a list or dict result from `items` (and `keys` for a dict).
fn fill_out<T: Item>(out: *mut pyz3_out, items: impl Iterator<Item = (Option<String>, T)>) -> i32 {
    for (i, (key, item)) in items.enumerate() {
        let v = item.into_value();
        // SAFETY: `out` has room for every item (the caller made it with their count).
        unsafe {
            store((*out).items, i, T::TYPE, v);
            if failed(T::TYPE, &v) {
                return PYZ3_ERROR;
            }
            if let Some(k) = key {
                let obj = sys::pyz3_from_str(k.as_ptr().cast(), k.len());
                *(*out).keys.add(i) = obj;
                if obj.is_null() {
                    return PYZ3_ERROR;
                }
            }
        }
    }
    PYZ3_OK
}

impl<T: ListItem> crate::IntoResult for Vec<T> {
    const TYPE: u8 = PYZ3_T_LIST;
    const RET_ELEM: u8 = T::TYPE;
    unsafe fn write(self, out: *mut pyz3_value, _call: *const pyz3_call) -> i32 {
        // SAFETY: `out` is the list result the loader passed.
        let items = unsafe { sys::pyz3_result_list(out, self.len()) };
        if items.is_null() {
            return PYZ3_ERROR;
        }
        fill_out(items, self.into_iter().map(|v| (None, v)))
    }
}

impl<T: Item, S> crate::IntoResult for HashMap<String, T, S> {
    const TYPE: u8 = PYZ3_T_DICT;
    const RET_ELEM: u8 = T::TYPE;
    unsafe fn write(self, out: *mut pyz3_value, _call: *const pyz3_call) -> i32 {
        // SAFETY: `out` is the dict result the loader passed.
        let items = unsafe { sys::pyz3_result_dict(out, self.len()) };
        if items.is_null() {
            return PYZ3_ERROR;
        }
        fill_out(items, self.into_iter().map(|(k, v)| (Some(k), v)))
    }
}

macro_rules! tuple_result {
    ($($n:tt $name:ident),+) => {
        impl<$($name: Item),+> crate::IntoResult for ($($name,)+) {
            const TYPE: u8 = PYZ3_T_TUPLE;
            const ITEMS: &'static [u8] = &[$($name::TYPE),+];
            unsafe fn write(self, out: *mut pyz3_value, _call: *const pyz3_call) -> i32 {
                let mut status = PYZ3_OK;
                $(
                    let v = self.$n.into_value();
                    // SAFETY: a tuple result points to one value per item.
                    unsafe { *out.add($n) = v };
                    if failed($name::TYPE, &v) {
                        status = PYZ3_ERROR;
                    }
                )+
                status
            }
        }
    };
}

tuple_result!(0 A);
tuple_result!(0 A, 1 B);
tuple_result!(0 A, 1 B, 2 C);
tuple_result!(0 A, 1 B, 2 C, 3 D);
tuple_result!(0 A, 1 B, 2 C, 3 D, 4 E);
tuple_result!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F);

// ---- iterator results --------------------------------------------------------------------------

/// Where a Rust iterator lives inside the `pyz3.Iterator` object.
struct IterState<I> {
    iter: Option<I>,
}

unsafe extern "C" fn iter_next<I>(state: *mut core::ffi::c_void, item: *mut pyz3_value) -> i32
where
    I: Iterator,
    I::Item: Item,
{
    crate::rt::guard("iterator next", || {
        // SAFETY: the state was written by `write_iterator` and stays in place (it lives inside
        // the iterator object); the loader calls `next` one at a time.
        let state = unsafe { &mut *state.cast::<IterState<I>>() };
        let Some(it) = state.iter.as_mut() else {
            return PYZ3_ITER_END;
        };
        match it.next() {
            Some(v) => {
                let v = v.into_value();
                // SAFETY: `item` is the loader's slot for this item.
                unsafe { *item = v };
                if failed(I::Item::TYPE, &v) {
                    PYZ3_ERROR
                } else {
                    PYZ3_OK
                }
            }
            None => {
                // Dropped now: an exhausted iterator's resources go before the object does.
                state.iter = None;
                PYZ3_ITER_END
            }
        }
    })
}

unsafe extern "C" fn iter_drop<I>(state: *mut core::ffi::c_void) {
    // SAFETY: the state was written by `write_iterator`; the loader calls `drop` once.
    unsafe { core::ptr::drop_in_place(state.cast::<IterState<I>>()) };
}

/// Makes the iterator result for `iter` (state inline in the object).
///
/// # Safety
/// `out` is the function's result slot; GIL held.
pub(crate) unsafe fn write_iterator<I>(iter: I, out: *mut pyz3_value) -> i32
where
    I: Iterator + Send + 'static,
    I::Item: Item,
{
    const {
        assert!(
            core::mem::align_of::<IterState<I>>() <= 16,
            "pyz3: an iterator result must not need more than 16-byte alignment (box it)"
        )
    };
    let mut state: *mut core::ffi::c_void = core::ptr::null_mut();
    // SAFETY: GIL held per the contract; the runtime gives zeroed, 16-aligned state memory.
    unsafe {
        let obj = sys::pyz3_iterator_new(
            I::Item::TYPE,
            core::mem::size_of::<IterState<I>>(),
            Some(iter_next::<I>),
            Some(iter_drop::<I>),
            &mut state,
        );
        (*out).obj = obj;
        if obj.is_null() {
            return PYZ3_ERROR;
        }
        state
            .cast::<IterState<I>>()
            .write(IterState { iter: Some(iter) });
    }
    PYZ3_OK
}

// ---- callables ----------------------------------------------------------------------------------

/// A callable argument (`PYZ3_T_CALLABLE`), borrowed for the call. Call it back with typed
/// arguments (`f.call((1i64, "x"))`) or with objects and keywords (`f.call_objects`); what it
/// raises comes back as `Err(PyErr::already_set())`, which returned from the plugin function passes
/// the exception on unchanged.
#[derive(Clone, Copy, Debug)]
pub struct Callable(pub *mut PyObject);

// SAFETY: reads `obj`, a callable the loader checked.
unsafe impl crate::FromArg<'_> for Callable {
    const TYPE: u8 = PYZ3_T_CALLABLE;
    unsafe fn from_value(
        v: &pyz3_value,
        _none: bool,
        _: &mut crate::rt::Guards,
    ) -> Result<Self, crate::PyErr> {
        // SAFETY: per the trait contract.
        Ok(Callable(unsafe { v.obj }))
    }
}

/// A value passed to a callback: a scalar argument as a plugin receives one.
pub trait CallArg {
    /// `PYZ3_T_*` code.
    const TYPE: u8;
    /// The argument value (borrowing `self`'s memory for the call).
    fn to_value(&self) -> pyz3_value;
}

macro_rules! scalar_call_arg {
    ($($t:ty => $code:ident . $field:ident),* $(,)?) => {$(
        impl CallArg for $t {
            const TYPE: u8 = $code;
            fn to_value(&self) -> pyz3_value {
                let mut v = pyz3_value::ZERO;
                v.$field = *self;
                v
            }
        }
    )*};
}

scalar_call_arg! {
    i8 => PYZ3_T_I8.i8, i16 => PYZ3_T_I16.i16, i32 => PYZ3_T_I32.i32, i64 => PYZ3_T_I64.i64,
    u8 => PYZ3_T_U8.u8, u16 => PYZ3_T_U16.u16, u32 => PYZ3_T_U32.u32, u64 => PYZ3_T_U64.u64,
    f32 => PYZ3_T_F32.f32, f64 => PYZ3_T_F64.f64, bool => PYZ3_T_BOOL.b,
}

impl CallArg for &str {
    const TYPE: u8 = PYZ3_T_STR;
    fn to_value(&self) -> pyz3_value {
        let mut v = pyz3_value::ZERO;
        v.str = pyz3_str {
            ptr: self.as_ptr().cast(),
            len: self.len(),
        };
        v
    }
}

impl CallArg for &[u8] {
    const TYPE: u8 = PYZ3_T_BYTES;
    fn to_value(&self) -> pyz3_value {
        let mut v = pyz3_value::ZERO;
        v.bytes = pyz3_str {
            ptr: self.as_ptr().cast(),
            len: self.len(),
        };
        v
    }
}

impl CallArg for Object {
    const TYPE: u8 = PYZ3_T_OBJECT;
    fn to_value(&self) -> pyz3_value {
        object_value(self.0)
    }
}

/// The arguments of a typed callback: a tuple of `CallArg`s (or `()`).
pub trait CallArgs {
    /// Their codes and values.
    fn encode(&self) -> (Vec<u8>, Vec<pyz3_value>);
}

impl CallArgs for () {
    fn encode(&self) -> (Vec<u8>, Vec<pyz3_value>) {
        (Vec::new(), Vec::new())
    }
}

macro_rules! call_args {
    ($($n:tt $name:ident),+) => {
        impl<$($name: CallArg),+> CallArgs for ($($name,)+) {
            fn encode(&self) -> (Vec<u8>, Vec<pyz3_value>) {
                (vec![$($name::TYPE),+], vec![$(self.$n.to_value()),+])
            }
        }
    };
}

call_args!(0 A);
call_args!(0 A, 1 B);
call_args!(0 A, 1 B, 2 C);
call_args!(0 A, 1 B, 2 C, 3 D);
call_args!(0 A, 1 B, 2 C, 3 D, 4 E);
call_args!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F);

/// What a typed callback's result converts to.
pub trait CallResult: Sized {
    /// `PYZ3_T_*` code the result converts to.
    const TYPE: u8;
    /// The converted value.
    ///
    /// # Safety
    /// `v` holds the result member of `TYPE` as `pyz3_call_typed` wrote it.
    unsafe fn from_result(v: pyz3_value) -> Self;
}

macro_rules! scalar_call_result {
    ($($t:ty => $code:ident . $field:ident),* $(,)?) => {$(
        impl CallResult for $t {
            const TYPE: u8 = $code;
            unsafe fn from_result(v: pyz3_value) -> Self {
                // SAFETY: per the trait contract.
                unsafe { v.$field }
            }
        }
    )*};
}

scalar_call_result! {
    i8 => PYZ3_T_I8.i8, i16 => PYZ3_T_I16.i16, i32 => PYZ3_T_I32.i32, i64 => PYZ3_T_I64.i64,
    u8 => PYZ3_T_U8.u8, u16 => PYZ3_T_U16.u16, u32 => PYZ3_T_U32.u32, u64 => PYZ3_T_U64.u64,
    f32 => PYZ3_T_F32.f32, f64 => PYZ3_T_F64.f64,
}

impl CallResult for bool {
    const TYPE: u8 = PYZ3_T_BOOL;
    unsafe fn from_result(v: pyz3_value) -> Self {
        // SAFETY: per the trait contract; read as a byte (any non-zero is true).
        unsafe { v.u8 != 0 }
    }
}

impl CallResult for () {
    const TYPE: u8 = PYZ3_T_VOID;
    unsafe fn from_result(_v: pyz3_value) -> Self {}
}

impl CallResult for NewObject {
    const TYPE: u8 = PYZ3_T_OBJECT;
    unsafe fn from_result(v: pyz3_value) -> Self {
        // SAFETY: per the trait contract: a new reference.
        NewObject(unsafe { v.obj })
    }
}

impl CallResult for String {
    const TYPE: u8 = PYZ3_T_STR;
    unsafe fn from_result(v: pyz3_value) -> Self {
        // SAFETY: `v.obj` is a new reference to a `str` (the runtime checked its type); its UTF-8
        // is copied before the reference goes.
        unsafe {
            let mut s = pyz3_str {
                ptr: core::ptr::null(),
                len: 0,
            };
            let out = if sys::pyz3_to_str(v.obj, &mut s) == PYZ3_OK {
                text(s).to_owned()
            } else {
                sys::pyz3_error_clear();
                String::new()
            };
            sys::pyz3_decref(v.obj);
            out
        }
    }
}

impl Callable {
    /// Calls the callable with typed `args` and converts its result to `R` (a `TypeError` or
    /// `OverflowError` naming the callable when it does not fit). Takes the GIL if the thread
    /// does not hold it. `Err(PyErr::already_set())` when it raised: return that error to pass the
    /// exception on unchanged.
    pub fn call<R: CallResult>(&self, args: impl CallArgs) -> Result<R, PyErr> {
        let (types, values) = args.encode();
        let mut result = pyz3_value::ZERO;
        // SAFETY: the arrays hold one code and one value per argument; borrowed text lives in
        // `args` until the call returns.
        let status = unsafe {
            sys::pyz3_call_typed(
                self.0,
                types.as_ptr(),
                values.as_ptr(),
                values.len(),
                R::TYPE,
                &mut result,
            )
        };
        if status != PYZ3_OK {
            return Err(PyErr::already_set());
        }
        // SAFETY: the runtime wrote the result member of `R::TYPE`.
        Ok(unsafe { R::from_result(result) })
    }

    /// Calls the callable with positional objects and keyword arguments (`(name, value)` pairs,
    /// names NUL-terminated: `c"key"`). Requires the GIL.
    pub fn call_objects(
        &self,
        args: &[Object],
        kwargs: &[(&core::ffi::CStr, Object)],
    ) -> Result<NewObject, PyErr> {
        let mut objects: Vec<*mut PyObject> = args.iter().map(|o| o.0).collect();
        objects.extend(kwargs.iter().map(|(_, v)| v.0));
        let names: Vec<*const c_char> = kwargs.iter().map(|(k, _)| k.as_ptr()).collect();
        // SAFETY: `objects` holds the positional then the keyword values, `names` one name per
        // keyword; all borrowed for the call.
        let r = unsafe {
            sys::pyz3_call_kw(
                self.0,
                objects.as_ptr(),
                args.len(),
                names.as_ptr(),
                names.len(),
            )
        };
        if r.is_null() {
            Err(PyErr::already_set())
        } else {
            Ok(NewObject(r))
        }
    }
}

// ---- telling result kinds apart (used by `plugin!`) -----------------------------------------------

/// The result facts of a function, found from its return type by `plugin!`: a type that
/// implements `IntoResult`, or an `impl Iterator` (autoref dispatch, since no blanket impl can
/// cover every iterator).
#[derive(Clone, Copy, Debug)]
pub struct ResultFacts {
    /// `PYZ3_T_*` code.
    pub ty: u8,
    /// `ret_elem`.
    pub elem: u8,
    /// `ret_type_flags`.
    pub type_flags: u8,
    /// `ret_ndim`.
    pub ndim: u8,
    /// `ret_items`.
    pub items: &'static [u8],
    /// `PYZ3_RETURN_OPTIONAL`.
    pub optional: bool,
    /// `ret_class_index` (instances).
    pub class_index: u16,
    /// Making the result needs the GIL.
    pub needs_gil: bool,
}

#[doc(hidden)]
pub struct Probe<R>(PhantomData<R>);

#[doc(hidden)]
pub fn probe<R>(_f: impl FnOnce() -> R) -> Probe<R> {
    Probe(PhantomData)
}

#[doc(hidden)]
pub trait ViaIntoResult {
    fn facts(&self) -> ResultFacts;
}

impl<R: crate::IntoResult> ViaIntoResult for &Probe<R> {
    fn facts(&self) -> ResultFacts {
        result_facts::<R>()
    }
}

/// The facts of result type `R` (functions of classes, whose results are never iterators).
#[doc(hidden)]
pub fn result_facts<R: crate::IntoResult>() -> ResultFacts {
    ResultFacts {
        ty: R::TYPE,
        elem: R::RET_ELEM,
        type_flags: R::RET_TYPE_FLAGS,
        ndim: R::RET_NDIM,
        items: R::ITEMS,
        optional: R::OPTIONAL,
        class_index: R::CLASS_INDEX,
        needs_gil: TYPES
            .iter()
            .any(|t| t.code == R::TYPE && t.result_needs_gil),
    }
}

#[doc(hidden)]
pub trait ViaIterator {
    fn facts(&self) -> ResultFacts;
}

impl<I> ViaIterator for Probe<I>
where
    I: Iterator + Send + 'static,
    I::Item: Item,
{
    fn facts(&self) -> ResultFacts {
        ResultFacts {
            ty: PYZ3_T_ITERATOR,
            elem: I::Item::TYPE,
            type_flags: 0,
            ndim: 0,
            items: &[],
            optional: false,
            class_index: 0,
            needs_gil: true,
        }
    }
}

#[doc(hidden)]
pub struct Returned<R>(pub core::cell::Cell<Option<R>>);

#[doc(hidden)]
pub trait WriteViaIntoResult {
    /// # Safety
    /// `out` and `call` are the wrapper's arguments.
    unsafe fn write_out(&self, out: *mut pyz3_value, call: *const pyz3_call, released: bool)
        -> i32;
}

impl<R: crate::IntoResult> WriteViaIntoResult for &Returned<R> {
    unsafe fn write_out(
        &self,
        out: *mut pyz3_value,
        call: *const pyz3_call,
        released: bool,
    ) -> i32 {
        let Some(value) = self.0.take() else {
            return PYZ3_ERROR;
        };
        // SAFETY: forwarded.
        unsafe { crate::rt::write_result(value, out, call, released) }
    }
}

#[doc(hidden)]
pub trait WriteViaIterator {
    /// # Safety
    /// `out` and `call` are the wrapper's arguments.
    unsafe fn write_out(&self, out: *mut pyz3_value, call: *const pyz3_call, released: bool)
        -> i32;
}

impl<I> WriteViaIterator for Returned<I>
where
    I: Iterator + Send + 'static,
    I::Item: Item,
{
    unsafe fn write_out(
        &self,
        out: *mut pyz3_value,
        _call: *const pyz3_call,
        released: bool,
    ) -> i32 {
        let Some(iter) = self.0.take() else {
            return PYZ3_ERROR;
        };
        let _gil = released.then(crate::Gil::acquire);
        // SAFETY: the GIL is held (taken above in a GIL-released function).
        unsafe { write_iterator(iter, out) }
    }
}
