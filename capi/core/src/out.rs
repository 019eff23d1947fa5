//! capi/core/src/out.rs: list and dict results — the memory a plugin fills, and the object made
//! from it.
//!
//! For a `PYZ3_T_LIST` or `PYZ3_T_DICT` result the trampoline puts an [`OutBuilder`] on its
//! stack and points `result->out` at it before the call; `pyz3_result_list` / `pyz3_result_dict`
//! give the plugin room for its items ([`OutBuilder::resize`]), inline up to [`INLINE_BYTES`]
//! of items and [`INLINE_KEYS`] keys, on CPython's allocator beyond that. After the call
//! [`OutBuilder::finish`] turns the items into the list or dict, and [`OutBuilder::release`]
//! drops what an unfinished builder holds (references in object items and keys, heap memory) —
//! on every path, so a plugin that fails part-way leaks nothing.

use core::mem::MaybeUninit;
use core::ptr;

use pyo3_ffi as ffi;

use crate::abi::*;
use crate::types::{Repr, TypeCode};
use crate::{alloc, convert, debug, error, gil, pool, tls};

/// Bytes of items kept on the trampoline's stack (32 `int64` items).
pub const INLINE_BYTES: usize = 256;
/// Keys kept on the trampoline's stack.
pub const INLINE_KEYS: usize = 16;

const MAGIC: u32 = 0x7079_6f75; // "pyou"

/// Which result a builder makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutKind {
    /// `PYZ3_T_LIST`.
    List,
    /// `PYZ3_T_DICT` (keys are `str` objects).
    Dict,
}

/// A list or dict result being built. `out` comes first, so `result->out` (a `*mut pyz3_out`)
/// is also the builder's address.
#[repr(C)]
pub struct OutBuilder {
    /// What the plugin sees.
    pub out: pyz3_out,
    magic: u32,
    kind: OutKind,
    elem: TypeCode,
    item_size: usize,
    /// Items of the current storage (`out.items` has room for `cap`).
    cap: usize,
    heap_items: bool,
    heap_keys: bool,
    inline_items: MaybeUninit<[u64; INLINE_BYTES / 8]>,
    inline_keys: MaybeUninit<[*mut ffi::PyObject; INLINE_KEYS]>,
}

impl OutBuilder {
    /// An empty builder for items of `elem` (a result element type).
    #[inline(always)]
    pub fn new(kind: OutKind, elem: TypeCode) -> OutBuilder {
        OutBuilder {
            out: pyz3_out {
                len: 0,
                items: pyz3_items {
                    ptr: ptr::null_mut(),
                },
                keys: ptr::null_mut(),
            },
            magic: MAGIC,
            kind,
            elem,
            item_size: elem.info().item_size(true),
            cap: 0,
            heap_items: false,
            heap_keys: false,
            inline_items: MaybeUninit::uninit(),
            inline_keys: MaybeUninit::uninit(),
        }
    }

    /// The builder `result->out` points to, if it is one of ours and of `kind`.
    ///
    /// # Safety
    /// `out` is NULL or points to readable memory the size of a `pyz3_out` at least (a plugin
    /// may pass anything; the loader only ever points it at a live builder).
    pub unsafe fn from_out<'a>(out: *mut pyz3_out, kind: OutKind) -> Option<&'a mut OutBuilder> {
        if out.is_null() {
            return None;
        }
        // SAFETY: the loader set `result->out` to a builder on its stack for list and dict
        // results; for any other result `out` is zero (NULL) or the plugin's own value, which
        // the magic rules out before any other field is read.
        unsafe {
            let b = out as *mut OutBuilder;
            if ptr::addr_of!((*b).magic).read_unaligned() != MAGIC || (*b).kind != kind {
                return None;
            }
            Some(&mut *b)
        }
    }

    fn holds_objects(&self) -> bool {
        self.elem.info().result_is_object()
    }

    /// Makes room for exactly `len` items (and keys for dicts), keeping the first
    /// `min(len, old len)` items; new items are zeroed. False (with `MemoryError`) when memory
    /// runs out, in which case the builder is unchanged.
    ///
    /// # Safety
    /// The builder is live; the GIL is held, or the items hold no objects beyond `len`.
    #[inline(always)]
    pub unsafe fn resize(&mut self, len: usize) -> bool {
        // The usual call: the first sizing, to a length that fits the inline storage.
        if self.cap == 0
            && len <= INLINE_BYTES
            && len * self.item_size <= INLINE_BYTES
            && (self.kind == OutKind::List || len <= INLINE_KEYS)
        {
            let items = self.inline_items.as_mut_ptr().cast::<u8>();
            // SAFETY: the inline storage holds INLINE_BYTES (>= SHORT) bytes and INLINE_KEYS keys.
            unsafe {
                zero(items, len * self.item_size);
                self.out.items.ptr = items.cast();
                if self.kind == OutKind::Dict {
                    let keys = self.inline_keys.as_mut_ptr().cast::<*mut ffi::PyObject>();
                    zero(keys.cast(), len * size_of::<*mut ffi::PyObject>());
                    self.out.keys = keys;
                }
            }
            self.cap = len;
            self.out.len = len;
            return true;
        }
        // SAFETY: forwarded.
        unsafe { self.resize_slow(len) }
    }

    /// [`OutBuilder::resize`] for a builder already sized, or a length beyond the inline storage.
    #[inline(never)]
    unsafe fn resize_slow(&mut self, len: usize) -> bool {
        let old = self.out.len;
        // SAFETY: forwarded.
        unsafe {
            if len < old {
                self.drop_items(len, old);
            }
            let Some(bytes) = len.checked_mul(self.item_size) else {
                return out_of_memory();
            };
            let key_bytes = if self.kind == OutKind::Dict {
                match len.checked_mul(core::mem::size_of::<*mut ffi::PyObject>()) {
                    Some(b) => b,
                    None => return out_of_memory(),
                }
            } else {
                0
            };
            if len > self.cap {
                // `old < len` here: every old item is kept.
                let inline_items = self.inline_items.as_mut_ptr().cast::<u8>();
                let items = if !self.heap_items && bytes <= INLINE_BYTES {
                    inline_items
                } else {
                    let p = alloc::alloc(bytes, 0, false);
                    if p.is_null() {
                        return out_of_memory();
                    }
                    p
                };
                let inline_keys = self.inline_keys.as_mut_ptr().cast::<*mut ffi::PyObject>();
                let keys = if self.kind != OutKind::Dict {
                    ptr::null_mut()
                } else if !self.heap_keys && len <= INLINE_KEYS {
                    inline_keys
                } else {
                    let p = alloc::alloc(key_bytes, 0, false).cast::<*mut ffi::PyObject>();
                    if p.is_null() {
                        if items != inline_items {
                            alloc::free(items, 0);
                        }
                        return out_of_memory();
                    }
                    p
                };
                let current = self.out.items.ptr.cast::<u8>();
                if items != current {
                    if old > 0 {
                        ptr::copy_nonoverlapping(current, items, old * self.item_size);
                    }
                    if self.heap_items {
                        alloc::free(current, 0);
                    }
                    self.heap_items = items != inline_items;
                    self.out.items.ptr = items.cast();
                }
                if keys != self.out.keys {
                    if old > 0 {
                        ptr::copy_nonoverlapping(self.out.keys, keys, old);
                    }
                    if self.heap_keys {
                        alloc::free(self.out.keys.cast(), 0);
                    }
                    self.heap_keys = keys != inline_keys;
                    self.out.keys = keys;
                }
                self.cap = len;
            }
            if len > old {
                ptr::write_bytes(
                    self.out.items.ptr.cast::<u8>().add(old * self.item_size),
                    0,
                    (len - old) * self.item_size,
                );
                if self.kind == OutKind::Dict {
                    ptr::write_bytes(self.out.keys.add(old), 0, len - old);
                }
            }
            self.out.len = len;
        }
        true
    }

    /// Drops the references held by items (and keys) `from..to`.
    unsafe fn drop_items(&mut self, from: usize, to: usize) {
        if from >= to || (!self.holds_objects() && self.kind != OutKind::Dict) {
            return;
        }
        let objs = self.holds_objects();
        // SAFETY: items and keys `from..to` are initialised (zeroed when made, then written by
        // the plugin); dropping a reference needs the GIL, taken here if the thread lacks it.
        gil::with_gil(|| unsafe {
            // Each reference was the plugin's: in debug mode it leaves the call's account.
            for i in from..to {
                if objs {
                    debug::untrack(*self.out.items.obj.add(i));
                    ffi::Py_XDECREF(*self.out.items.obj.add(i));
                }
                if self.kind == OutKind::Dict {
                    debug::untrack(*self.out.keys.add(i));
                    ffi::Py_XDECREF(*self.out.keys.add(i));
                }
            }
        });
    }

    /// Frees the heap memory, after dropping every reference the items and keys hold. Safe to
    /// call on a finished builder (it then holds nothing).
    ///
    /// # Safety
    /// The builder is live.
    pub unsafe fn release(&mut self) {
        // SAFETY: forwarded.
        unsafe {
            self.drop_items(0, self.out.len);
            self.free_memory();
        }
    }

    unsafe fn free_memory(&mut self) {
        // SAFETY: heap storage came from `alloc::alloc` with the default alignment.
        unsafe {
            if self.heap_items {
                alloc::free(self.out.items.ptr.cast(), 0);
                self.heap_items = false;
            }
            if self.heap_keys {
                alloc::free(self.out.keys.cast(), 0);
                self.heap_keys = false;
            }
        }
        self.out.len = 0;
        self.cap = 0;
    }

    /// Makes the list or dict (a new reference), consuming the items' references; NULL with
    /// an exception set when an item is missing or of the wrong type (`what` names the function
    /// in the message) or memory runs out. Always leaves the builder empty.
    ///
    /// # Safety
    /// GIL held; the builder is live.
    #[inline(always)]
    pub unsafe fn finish(&mut self, what: &str) -> *mut ffi::PyObject {
        // SAFETY: GIL held; items and keys `0..len` are initialised.
        unsafe {
            let r = match self.kind {
                OutKind::List => self.make_list(what),
                OutKind::Dict => self.make_dict(what),
            };
            self.free_memory();
            r
        }
    }

    unsafe fn make_list(&mut self, what: &str) -> *mut ffi::PyObject {
        let n = self.out.len;
        // SAFETY: GIL held.
        unsafe {
            let list = ffi::PyList_New(n as ffi::Py_ssize_t);
            if list.is_null() {
                tls::note_error();
                self.drop_items(0, n);
                return list;
            }
            let items = self.out.items;
            // The loop is compiled per common item type (no dispatch per item).
            let filled = match self.elem {
                TypeCode::I64 => {
                    let pooled = pool::ready();
                    fill_list(list, n, |i| {
                        convert::from_i64_with(*items.i64.add(i), pooled)
                    })
                }
                TypeCode::F64 => fill_list(list, n, |i| convert::from_f64(*items.f64.add(i))),
                _ => fill_list(list, n, |i| item_object(self.elem, items, i, what)),
            };
            if let Err(i) = filled {
                // Items before `i` moved into the list; `i` itself was consumed.
                hand_over_list_items(list, i);
                self.drop_items(i + 1, n);
                ffi::Py_DECREF(list);
                return ptr::null_mut();
            }
            list
        }
    }

    unsafe fn make_dict(&mut self, what: &str) -> *mut ffi::PyObject {
        // SAFETY: forwarded; the loop is compiled per common value type, as for lists.
        unsafe {
            let items = self.out.items;
            match self.elem {
                TypeCode::I64 => {
                    let pooled = pool::ready();
                    self.fill_dict(what, |i| convert::from_i64_with(*items.i64.add(i), pooled))
                }
                TypeCode::F64 => self.fill_dict(what, |i| convert::from_f64(*items.f64.add(i))),
                elem => self.fill_dict(what, |i| item_object(elem, items, i, what)),
            }
        }
    }

    #[inline(always)]
    unsafe fn fill_dict(
        &mut self,
        what: &str,
        item: impl Fn(usize) -> *mut ffi::PyObject,
    ) -> *mut ffi::PyObject {
        let n = self.out.len;
        // SAFETY: GIL held; each key is NULL or a new reference the builder owns.
        unsafe {
            let dict = ffi::PyDict_New();
            if dict.is_null() {
                tls::note_error();
                self.drop_items(0, n);
                return dict;
            }
            for i in 0..n {
                let key = *self.out.keys.add(i);
                *self.out.keys.add(i) = ptr::null_mut();
                let value = item(i);
                let failed = if key.is_null() || ffi::PyUnicode_Check(key) == 0 {
                    if !value.is_null() {
                        let found = if key.is_null() {
                            "no key (NULL)".to_owned()
                        } else {
                            format!("a {} key", convert::object_type_name(key))
                        };
                        error::raise_str(
                            ffi::PyExc_SystemError,
                            &format!(
                                "{what} declared a dict[str, ...] result but entry {i} has {found}"
                            ),
                        );
                    }
                    true
                } else {
                    value.is_null() || ffi::PyDict_SetItem(dict, key, value) < 0
                };
                if failed {
                    // Entries before `i` are in the dict; key and value `i` are consumed here.
                    hand_over_dict_entries(dict);
                    debug::untrack(key);
                    debug::untrack(value);
                }
                ffi::Py_XDECREF(key);
                ffi::Py_XDECREF(value);
                if failed {
                    tls::note_error();
                    self.drop_items(i + 1, n);
                    ffi::Py_DECREF(dict);
                    return ptr::null_mut();
                }
            }
            dict
        }
    }
}

/// A list result that failed at item `filled`: the plugin's references among items
/// `0..filled` go with the list, out of a debug-mode call's account (a failure path only).
#[cold]
unsafe fn hand_over_list_items(list: *mut ffi::PyObject, filled: usize) {
    for j in 0..filled {
        // SAFETY: GIL held; items `0..filled` of the new list are set.
        debug::untrack(unsafe { ffi::PyList_GET_ITEM(list, j as ffi::Py_ssize_t) });
    }
}

/// As [`hand_over_list_items`], for the entries of a dict result that failed.
#[cold]
unsafe fn hand_over_dict_entries(dict: *mut ffi::PyObject) {
    let mut pos: ffi::Py_ssize_t = 0;
    let (mut key, mut value) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: GIL held; `dict` is the new dict only this call has seen.
    while unsafe { ffi::PyDict_Next(dict, &mut pos, &mut key, &mut value) } != 0 {
        debug::untrack(key);
        debug::untrack(value);
    }
}

/// Zeroes `bytes` bytes at `p`, which has room for at least [`SHORT`]: a short length takes a
/// fixed-size store of SHORT bytes (inline, no `memset` call).
#[inline(always)]
unsafe fn zero(p: *mut u8, bytes: usize) {
    // SAFETY: per the contract.
    unsafe {
        if bytes <= SHORT {
            p.cast::<[u8; SHORT]>().write_unaligned([0; SHORT]);
        } else {
            ptr::write_bytes(p, 0, bytes);
        }
    }
}

/// The zeroing [`zero`] does with one fixed-size store.
const SHORT: usize = 64;
const _: () =
    assert!(SHORT <= INLINE_BYTES && SHORT <= INLINE_KEYS * size_of::<*mut ffi::PyObject>());

/// Sets items `0..n` of the new list `list` to `item(i)`; the index of the first NULL item.
#[inline(always)]
unsafe fn fill_list(
    list: *mut ffi::PyObject,
    n: usize,
    item: impl Fn(usize) -> *mut ffi::PyObject,
) -> Result<(), usize> {
    for i in 0..n {
        let obj = item(i);
        if obj.is_null() {
            return Err(i);
        }
        // SAFETY: `list` is a new list of `n` items.
        unsafe { ffi::PyList_SET_ITEM(list, i as ffi::Py_ssize_t, obj) };
    }
    Ok(())
}

#[cold]
fn out_of_memory() -> bool {
    // SAFETY: raising needs the GIL, taken if the thread lacks it.
    gil::with_gil(|| unsafe {
        error::raise_str(ffi::PyExc_MemoryError, "out of memory for a result's items")
    });
    false
}

/// The object for item `i` of `items` (of result element type `elem`), a new reference; an
/// object item's reference is taken over (its slot set to NULL). NULL with an exception set
/// for a missing or mistyped object item.
///
/// # Safety
/// GIL held; `items` holds more than `i` initialised items of `elem`.
pub unsafe fn item_object(
    elem: TypeCode,
    items: pyz3_items,
    i: usize,
    what: &str,
) -> *mut ffi::PyObject {
    // SAFETY: per the contract; each arm reads the member `elem` names.
    unsafe {
        let mut v = pyz3_value::ZERO;
        match elem.info().repr {
            Repr::Int { bits: 8, .. } | Repr::Bool => v.u8 = *items.u8.add(i),
            Repr::Int { bits: 16, .. } => v.u16 = *items.u16.add(i),
            Repr::Int { bits: 32, .. } | Repr::Float { bits: 32 } => v.u32 = *items.u32.add(i),
            Repr::Int { .. } | Repr::Float { .. } => v.u64 = *items.u64.add(i),
            Repr::Text | Repr::Bytes | Repr::Object => {
                let slot = items.obj.add(i);
                let obj = *slot;
                *slot = ptr::null_mut();
                return checked_item(elem, obj, || format!("{what}: item {i} of its result"));
            }
            _ => {
                error::raise_str(
                    ffi::PyExc_SystemError,
                    &format!("{what}: {} cannot be an item type", elem.name()),
                );
                return ptr::null_mut();
            }
        }
        convert::from_value(elem, &v)
    }
}

/// Checks an object item the plugin made: not NULL, and a `str`/`bytes` where declared. Takes
/// over `obj`; returns it, or NULL with `SystemError` whose message starts with `describe()`
/// ("add(): item 3 of its result").
///
/// # Safety
/// GIL held; `obj` NULL or a new reference.
pub unsafe fn checked_item(
    elem: TypeCode,
    obj: *mut ffi::PyObject,
    describe: impl Fn() -> String,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held.
    unsafe {
        if obj.is_null() {
            if !error::occurred() {
                error::raise_str(ffi::PyExc_SystemError, &format!("{} is NULL", describe()));
            }
            tls::note_error();
            return obj;
        }
        let ok = match elem.info().repr {
            Repr::Text => ffi::PyUnicode_Check(obj) != 0,
            Repr::Bytes => ffi::PyBytes_Check(obj) != 0,
            _ => true,
        };
        if ok {
            return obj;
        }
        let msg = format!(
            "{} should be {} but is {}",
            describe(),
            elem.name(),
            convert::object_type_name(obj)
        );
        debug::untrack(obj);
        ffi::Py_DECREF(obj);
        error::raise_str(ffi::PyExc_SystemError, &msg);
        ptr::null_mut()
    }
}
