//! capi/core/src/containers.rs: sequence and dict arguments (ABI 1.1) — a `list`, `tuple` or
//! other sequence converted into a `pyz3_seq`, a `dict` into a `pyz3_dict`, as per-call views
//! (views.rs) the trampoline releases on every path; and finding keys in a dict view.
//!
//! What a view holds, and why:
//!
//! * the converted items, in the view's slot when they fit ([`INLINE_BYTES`]) and on CPython's
//!   allocator when not (a long sequence);
//! * for items that borrow from objects (`str`, `bytes`, `object` items, and every dict key) taken
//!   from a *mutable* container (a list, a dict), a strong reference to each of those objects: a
//!   callback the plugin makes may empty the list or the dict, and the borrowed UTF-8 or object
//!   must outlive that. A tuple keeps its items itself, so its items are not referenced again;
//! * for a sequence that is neither a list nor a tuple (`range`, `array.array`, a user's
//!   `Sequence`), the list `PySequence_Fast` made of it, which nobody else can change.
//!
//! Numbers are copied, so a list of numbers needs neither references nor a copy of the list; a
//! conversion that runs Python code (`__index__`, `__float__`) and changes the list's size is
//! refused with `RuntimeError` instead of reading past its end.

use core::ffi::c_void;
use core::mem::size_of;
use core::ptr;

use pyo3_ffi as ffi;

use crate::abi::*;
use crate::convert::{self, ConvError, ConvResult};
use crate::types::{Repr, TypeCode};
use crate::views::{CallViews, ViewSlot, VIEW_STATE_BYTES};
use crate::{alloc, error, tls};

/// Header bytes of a sequence view's state (the view, an owned object, heap storage, references).
const SEQ_HEADER: usize = size_of::<pyz3_seq>() + 4 * size_of::<usize>();
/// Bytes of items (and references) a sequence view keeps in its slot.
pub const INLINE_BYTES: usize = (VIEW_STATE_BYTES - SEQ_HEADER) / 8 * 8;

/// A sequence argument's state in its view slot.
#[repr(C)]
struct SeqState {
    /// What the plugin sees (must be first: `pyz3_value.seq` points here).
    seq: pyz3_seq,
    /// A reference this view owns: the list `PySequence_Fast` made (NULL when none).
    owned: *mut ffi::PyObject,
    /// Heap storage of the items and references (NULL when they fit inline).
    heap: *mut u8,
    /// Strong references to `nrefs` item objects, or NULL.
    refs: *mut *mut ffi::PyObject,
    nrefs: usize,
    inline: [u64; INLINE_BYTES / 8],
}

/// A dict argument's state in its view slot.
#[repr(C)]
struct DictState {
    /// What the plugin sees (must be first: `pyz3_value.dict` points here).
    dict: pyz3_dict,
    /// Heap storage (NULL when everything fits inline).
    heap: *mut u8,
    /// Strong references to the keys and values (`2 * nrefs`), or NULL.
    refs: *mut *mut ffi::PyObject,
    nrefs: usize,
    inline: [u64; (VIEW_STATE_BYTES - size_of::<pyz3_dict>() - 3 * size_of::<usize>()) / 8],
}

const _: () = assert!(size_of::<SeqState>() <= VIEW_STATE_BYTES);
const _: () = assert!(size_of::<DictState>() <= VIEW_STATE_BYTES);

/// The storage a view needs: `bytes` bytes, inline when they fit, else from the heap (NULL with
/// `MemoryError` when that fails). `heap` receives the block to free.
unsafe fn storage(inline: *mut u8, inline_len: usize, bytes: usize, heap: &mut *mut u8) -> *mut u8 {
    if bytes <= inline_len {
        return inline;
    }
    // SAFETY: GIL held by the caller; freed by the view's release.
    let p = unsafe { alloc::alloc(bytes, 0, false) };
    if p.is_null() {
        // SAFETY: GIL held.
        unsafe {
            error::raise_str(
                ffi::PyExc_MemoryError,
                "out of memory converting a sequence",
            )
        };
    }
    *heap = p;
    p
}

/// Converts one item object to the C value of `elem` into slot `i` of `items`, on the generic
/// path: may run Python code (an object's `__index__`, ...).
unsafe fn convert_item(
    elem: TypeCode,
    o: *mut ffi::PyObject,
    items: pyz3_items,
    i: usize,
    fast: bool,
) -> ConvResult<()> {
    // SAFETY: GIL held; `items` has room for item `i` of `elem`.
    unsafe {
        match elem {
            TypeCode::I64 => *items.i64.add(i) = convert::to_i64_with(o, fast)?,
            TypeCode::F64 => *items.f64.add(i) = convert::to_f64_with(o, fast)?,
            TypeCode::Str => *items.str.add(i) = convert::to_str_with(o, fast)?,
            TypeCode::Bytes => *items.bytes.add(i) = convert::to_bytes_with(o, fast)?,
            TypeCode::Bool => *items.b.add(i) = convert::to_bool(o)?,
            TypeCode::Object => *items.obj.add(i) = o,
            TypeCode::I8 => *items.i8.add(i) = convert::to_signed_with(o, 8, fast)? as i8,
            TypeCode::I16 => *items.i16.add(i) = convert::to_signed_with(o, 16, fast)? as i16,
            TypeCode::I32 => *items.i32.add(i) = convert::to_signed_with(o, 32, fast)? as i32,
            TypeCode::U8 => *items.u8.add(i) = convert::to_unsigned_with(o, 8, fast)? as u8,
            TypeCode::U16 => *items.u16.add(i) = convert::to_unsigned_with(o, 16, fast)? as u16,
            TypeCode::U32 => *items.u32.add(i) = convert::to_unsigned_with(o, 32, fast)? as u32,
            TypeCode::U64 => *items.u64.add(i) = convert::to_unsigned_with(o, 64, fast)?,
            TypeCode::F32 => *items.f32.add(i) = convert::to_f32_with(o, fast)?,
            // Not element types: the loader refuses them in a descriptor.
            TypeCode::Void
            | TypeCode::Buffer
            | TypeCode::Array
            | TypeCode::Sequence
            | TypeCode::Dict
            | TypeCode::List
            | TypeCode::Tuple
            | TypeCode::Callable
            | TypeCode::Iterator
            | TypeCode::Instance => return Err(ConvError::WrongType),
        }
    }
    Ok(())
}

/// Converts the `n` items of `seq` (a list or tuple) into `items`. With `try_pure`, items that
/// convert without running Python code take `pure` (no references moved, no checks), in a loop
/// of its own; the others take the generic path, holding the item and re-reading the list
/// afterwards, since that code may change it. The error carries the failing index.
#[inline(always)]
unsafe fn fill<T>(
    seq: *mut ffi::PyObject,
    n: usize,
    mutable: bool,
    out: *mut T,
    try_pure: bool,
    pure: impl Fn(*mut ffi::PyObject) -> Option<T>,
    generic: impl Fn(*mut ffi::PyObject) -> ConvResult<T>,
) -> Result<(), (usize, ConvError)> {
    // SAFETY: GIL held; `seq` holds `n` items (checked again after generic conversions); `out`
    // has room for `n` values.
    unsafe {
        let mut i = 0;
        loop {
            if try_pure {
                let src = sequence_items(seq);
                while i < n {
                    match pure(*src.add(i)) {
                        Some(v) => out.add(i).write(v),
                        None => break,
                    }
                    i += 1;
                }
            }
            if i == n {
                return Ok(());
            }
            let o = *sequence_items(seq).add(i);
            let v = generic_item(seq, o, mutable, &generic).map_err(|e| (i, e))?;
            out.add(i).write(v);
            if mutable && sequence_len(seq) != n {
                return Err((i, ConvError::Raised)).inspect_err(|_| changed_size());
            }
            i += 1;
        }
    }
}

#[cold]
#[inline(never)]
unsafe fn generic_item<T>(
    _seq: *mut ffi::PyObject,
    o: *mut ffi::PyObject,
    mutable: bool,
    generic: &impl Fn(*mut ffi::PyObject) -> ConvResult<T>,
) -> ConvResult<T> {
    // SAFETY: GIL held; `o` is alive (held here while code the conversion runs may drop it from
    // a list).
    unsafe {
        if mutable {
            ffi::Py_INCREF(o);
        }
        let r = generic(o);
        if mutable {
            ffi::Py_DECREF(o);
        }
        r
    }
}

#[cold]
fn changed_size() {
    // SAFETY: GIL held by the callers.
    unsafe {
        error::raise_str(
            ffi::PyExc_RuntimeError,
            "list changed size while its items were converted",
        )
    }
}

/// Converts every item of `seq` to `elem` into `items`, with the loop compiled per element type.
unsafe fn fill_items(
    elem: TypeCode,
    seq: *mut ffi::PyObject,
    n: usize,
    mutable: bool,
    items: pyz3_items,
    fast: bool,
) -> Result<(), (usize, ConvError)> {
    // SAFETY: forwarded; each arm writes the member `elem` names.
    unsafe {
        match elem {
            TypeCode::I64 => fill(
                seq,
                n,
                mutable,
                items.i64,
                fast,
                |o| convert::exact_i64(o),
                |o| convert::to_i64_with(o, fast),
            ),
            TypeCode::F64 => fill(
                seq,
                n,
                mutable,
                items.f64,
                fast,
                |o| convert::exact_f64(o),
                |o| convert::to_f64_with(o, fast),
            ),
            // A str never runs Python code to give its UTF-8 (subclasses included).
            TypeCode::Str => fill(
                seq,
                n,
                mutable,
                items.str,
                true,
                |o| convert::to_str_with(o, fast).ok(),
                |o| convert::to_str_with(o, fast),
            ),
            TypeCode::Bytes => fill(
                seq,
                n,
                mutable,
                items.bytes,
                true,
                |o| convert::to_bytes_with(o, fast).ok(),
                |o| convert::to_bytes_with(o, fast),
            ),
            TypeCode::Bool => fill(
                seq,
                n,
                mutable,
                items.b,
                true,
                |o| convert::to_bool(o).ok(),
                |o| convert::to_bool(o),
            ),
            // The narrower integers and float32: range checks on the generic path.
            _ => {
                for i in 0..n {
                    let o = *sequence_items(seq).add(i);
                    let one = pyz3_items {
                        ptr: items
                            .ptr
                            .cast::<u8>()
                            .add(i * elem.info().item_size(false))
                            .cast(),
                    };
                    let r = generic_item(seq, o, mutable, &|o| convert_item(elem, o, one, 0, fast));
                    r.map_err(|e| (i, e))?;
                    if mutable && sequence_len(seq) != n {
                        changed_size();
                        return Err((i, ConvError::Raised));
                    }
                }
                Ok(())
            }
        }
    }
}

/// Converts `n` items held in `refs` (references this view owns, so nothing can free them).
unsafe fn fill_refs(
    elem: TypeCode,
    refs: *mut *mut ffi::PyObject,
    n: usize,
    items: pyz3_items,
    fast: bool,
) -> Result<(), (usize, ConvError)> {
    for i in 0..n {
        // SAFETY: `refs` holds `n` owned references; `items` has room for `n` items.
        unsafe { convert_item(elem, *refs.add(i), items, i, fast).map_err(|e| (i, e))? };
    }
    Ok(())
}

/// Whether an item of `elem` borrows from its object (which must then stay alive).
fn borrows(elem: TypeCode) -> bool {
    matches!(elem.info().repr, Repr::Text | Repr::Bytes | Repr::Object)
}

/// Converts `op` into a sequence view of `elem` items in the next slot of `views`, pointing
/// `(*out).seq` at it.
///
/// # Safety
/// GIL held; `op` valid and kept alive by the caller for the call; `out` writable; `views`
/// outlives every use of `*out`.
#[inline(always)]
pub unsafe fn seq_to_view(
    op: *mut ffi::PyObject,
    elem: TypeCode,
    out: *mut pyz3_value,
    views: &mut CallViews,
    fast: bool,
) -> ConvResult<()> {
    // SAFETY: forwarded; each numeric arm writes the items of its own type.
    unsafe {
        match elem {
            TypeCode::I64 => numbers(
                op,
                elem,
                out,
                views,
                fast,
                |o| convert::exact_i64(o),
                |o| convert::to_i64_with(o, fast),
            ),
            TypeCode::F64 => numbers(
                op,
                elem,
                out,
                views,
                fast,
                |o| convert::exact_f64(o),
                |o| convert::to_f64_with(o, fast),
            ),
            _ => seq_general(op, elem, out, views, fast),
        }
    }
}

/// The common case, compiled per number type: an exact list or tuple whose items fit the slot.
/// The view holds nothing to release (numbers are copied), so it commits without a hook.
#[inline(always)]
unsafe fn numbers<T>(
    op: *mut ffi::PyObject,
    elem: TypeCode,
    out: *mut pyz3_value,
    views: &mut CallViews,
    fast: bool,
    pure: impl Fn(*mut ffi::PyObject) -> Option<T>,
    generic: impl Fn(*mut ffi::PyObject) -> ConvResult<T>,
) -> ConvResult<()> {
    // SAFETY: GIL held; `op` is an exact list or tuple; the items fit the slot's inline area.
    unsafe {
        // Free-threaded, another thread may change a list while its items are read: lists
        // take the general path, which converts a snapshot.
        #[cfg(Py_GIL_DISABLED)]
        if ffi::PyList_Check(op) != 0 {
            return seq_general(op, elem, out, views, fast);
        }
        let mutable = if ffi::PyList_CheckExact(op) != 0 {
            true
        } else if ffi::PyTuple_CheckExact(op) != 0 {
            false
        } else {
            return seq_general(op, elem, out, views, fast);
        };
        let n = sequence_len(op);
        if n * size_of::<T>() > INLINE_BYTES {
            return seq_general(op, elem, out, views, fast);
        }
        let slot = views.slot();
        let st = ViewSlot::state::<SeqState>(slot);
        let items = (*st).inline.as_mut_ptr().cast::<T>();
        fill(op, n, mutable, items, fast, pure, generic).map_err(|(i, e)| element_error(e, i))?;
        (*st).seq = pyz3_seq {
            len: n,
            items: pyz3_items { ptr: items.cast() },
            obj: op,
        };
        (*out).seq = &(*st).seq;
        views.commit(None);
        Ok(())
    }
}

/// Every other sequence argument: any element type, any sequence, any length.
unsafe fn seq_general(
    op: *mut ffi::PyObject,
    elem: TypeCode,
    out: *mut pyz3_value,
    views: &mut CallViews,
    fast: bool,
) -> ConvResult<()> {
    // SAFETY: GIL held; the state is written before it is committed.
    unsafe {
        let slot = views.slot();
        let st = ViewSlot::state::<SeqState>(slot);
        let (seq, owned, mutable) = if ffi::PyList_Check(op) != 0 {
            list_source(op)?
        } else if ffi::PyTuple_Check(op) != 0 {
            (op, ptr::null_mut(), false)
        } else if ffi::PyUnicode_Check(op) != 0
            || ffi::PyBytes_Check(op) != 0
            || ffi::PyByteArray_Check(op) != 0
            || ffi::PySequence_Check(op) == 0
        {
            return Err(ConvError::WrongType);
        } else {
            let fast_seq = ffi::PySequence_Fast(op, c"".as_ptr());
            if fast_seq.is_null() {
                tls::note_error();
                return Err(ConvError::Raised);
            }
            (fast_seq, fast_seq, false)
        };
        let n = sequence_len(seq);
        let item_size = elem.info().item_size(false);
        let take_refs = mutable && borrows(elem);
        // Object items point at the container's own array when it cannot change.
        let items_bytes = if elem == TypeCode::Object {
            0
        } else {
            n * item_size
        };
        let refs_bytes = if take_refs { n * size_of::<usize>() } else { 0 };
        (*st).owned = owned;
        (*st).heap = ptr::null_mut();
        (*st).refs = ptr::null_mut();
        (*st).nrefs = 0;
        let base = storage(
            (*st).inline.as_mut_ptr().cast(),
            INLINE_BYTES,
            items_bytes + refs_bytes,
            &mut (*st).heap,
        );
        if base.is_null() {
            release_seq(st.cast());
            return Err(ConvError::Raised);
        }
        let mut items = pyz3_items {
            ptr: base.cast::<c_void>(),
        };
        if take_refs {
            (*st).refs = base.add(items_bytes).cast();
        }
        if elem == TypeCode::Object {
            items.obj = if take_refs {
                (*st).refs
            } else {
                sequence_items(seq)
            };
        }
        if take_refs {
            let src = sequence_items(seq);
            for i in 0..n {
                let o = *src.add(i);
                ffi::Py_INCREF(o);
                *(*st).refs.add(i) = o;
            }
            (*st).nrefs = n;
        }
        if elem != TypeCode::Object {
            // With the references taken, the items' own array is what converts.
            let from = if take_refs {
                (*st).refs
            } else {
                ptr::null_mut()
            };
            let r = if from.is_null() {
                fill_items(elem, seq, n, mutable, items, fast)
            } else {
                fill_refs(elem, from, n, items, fast)
            };
            if let Err((i, e)) = r {
                release_seq(st.cast());
                return Err(element_error(e, i));
            }
        }
        (*st).seq = pyz3_seq {
            len: n,
            items,
            obj: op,
        };
        (*out).seq = &(*st).seq;
        let needs_release = !(*st).owned.is_null() || !(*st).heap.is_null() || (*st).nrefs != 0;
        views.commit(if needs_release {
            Some(release_seq)
        } else {
            None
        });
        Ok(())
    }
}

/// What a list argument's items are read from, as `(sequence, owned reference, mutable)`: the
/// list itself under a GIL (its items are referenced or re-checked where code may change it);
/// free-threaded, a tuple snapshot taken under the list's critical section
/// (`PyList_AsTuple`), since another thread may change the list at any moment.
#[inline(always)]
unsafe fn list_source(
    op: *mut ffi::PyObject,
) -> ConvResult<(*mut ffi::PyObject, *mut ffi::PyObject, bool)> {
    #[cfg(not(Py_GIL_DISABLED))]
    {
        Ok((op, ptr::null_mut(), true))
    }
    #[cfg(Py_GIL_DISABLED)]
    {
        // SAFETY: attached to the interpreter; `op` is a list.
        let snapshot = unsafe { ffi::PyList_AsTuple(op) };
        if snapshot.is_null() {
            tls::note_error();
            return Err(ConvError::Raised);
        }
        Ok((snapshot, snapshot, false))
    }
}

/// The dict a dict argument's entries are read from, as a new reference: the dict itself under
/// a GIL; free-threaded, a copy (`PyDict_Copy` holds the dict's critical section), since
/// another thread may change the dict while `PyDict_Next` walks it.
unsafe fn dict_source(op: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: attached to the interpreter; `op` is a dict.
    unsafe {
        #[cfg(not(Py_GIL_DISABLED))]
        {
            ffi::Py_INCREF(op);
            op
        }
        #[cfg(Py_GIL_DISABLED)]
        {
            let copy = ffi::PyDict_Copy(op);
            if copy.is_null() {
                tls::note_error();
            }
            copy
        }
    }
}

#[inline(always)]
unsafe fn sequence_len(seq: *mut ffi::PyObject) -> usize {
    // SAFETY: `seq` is a list or tuple.
    unsafe {
        if ffi::PyList_Check(seq) != 0 {
            ffi::PyList_GET_SIZE(seq) as usize
        } else {
            ffi::PyTuple_GET_SIZE(seq) as usize
        }
    }
}

#[inline(always)]
unsafe fn sequence_items(seq: *mut ffi::PyObject) -> *mut *mut ffi::PyObject {
    // SAFETY: `seq` is a list or tuple; both keep their items in `ob_item`.
    unsafe {
        if ffi::PyList_Check(seq) != 0 {
            (*(seq as *mut ffi::PyListObject)).ob_item
        } else {
            (*(seq as *mut ffi::PyTupleObject)).ob_item.as_mut_ptr()
        }
    }
}

/// Releases a sequence view: its references, its owned list, its heap storage.
unsafe fn release_seq(state: *mut c_void) {
    // SAFETY: `state` is a SeqState whose fields are initialised; GIL held.
    unsafe {
        let st = state.cast::<SeqState>();
        for i in 0..(*st).nrefs {
            ffi::Py_DECREF(*(*st).refs.add(i));
        }
        (*st).nrefs = 0;
        if !(*st).owned.is_null() {
            ffi::Py_DECREF((*st).owned);
            (*st).owned = ptr::null_mut();
        }
        if !(*st).heap.is_null() {
            alloc::free((*st).heap, 0);
            (*st).heap = ptr::null_mut();
        }
    }
}

/// The error of item `index`: its own when it raised, else one that names the index.
fn element_error(e: ConvError, index: usize) -> ConvError {
    match e {
        ConvError::WrongType => ConvError::Element {
            index,
            out_of_range: false,
        },
        ConvError::OutOfRange => ConvError::Element {
            index,
            out_of_range: true,
        },
        other => other,
    }
}

/// Converts `op`, a `dict` with `str` keys, into a dict view of `elem` values in the next slot
/// of `views`, pointing `(*out).dict` at it.
///
/// # Safety
/// As [`seq_to_view`].
pub unsafe fn dict_to_view(
    op: *mut ffi::PyObject,
    elem: TypeCode,
    out: *mut pyz3_value,
    views: &mut CallViews,
    fast: bool,
) -> ConvResult<()> {
    // SAFETY: GIL held; the state is written before it is committed.
    unsafe {
        if ffi::PyDict_Check(op) == 0 {
            return Err(ConvError::WrongType);
        }
        let src = dict_source(op);
        if src.is_null() {
            return Err(ConvError::Raised);
        }
        let r = dict_fill(op, src, elem, out, views, fast);
        ffi::Py_DECREF(src);
        r
    }
}

/// [`dict_to_view`] reading the entries of `src` (`op` itself, or its copy).
unsafe fn dict_fill(
    op: *mut ffi::PyObject,
    src: *mut ffi::PyObject,
    elem: TypeCode,
    out: *mut pyz3_value,
    views: &mut CallViews,
    fast: bool,
) -> ConvResult<()> {
    // SAFETY: GIL held; the state is written before it is committed.
    unsafe {
        let slot = views.slot();
        let st = ViewSlot::state::<DictState>(slot);
        let n = ffi::PyDict_Size(src) as usize;
        let value_size = elem.info().item_size(false);
        let key_bytes = n * size_of::<pyz3_str>();
        let value_bytes = n * value_size.max(1);
        let refs_bytes = 2 * n * size_of::<usize>();
        // Keys first (aligned), then references, then values.
        let total = key_bytes + refs_bytes + value_bytes;
        (*st).heap = ptr::null_mut();
        (*st).refs = ptr::null_mut();
        (*st).nrefs = 0;
        let base = storage(
            (*st).inline.as_mut_ptr().cast(),
            size_of::<u64>() * (*st).inline.len(),
            total,
            &mut (*st).heap,
        );
        if base.is_null() {
            release_dict(st.cast());
            return Err(ConvError::Raised);
        }
        let keys = base.cast::<pyz3_str>();
        (*st).refs = base.add(key_bytes).cast();
        let values = pyz3_items {
            ptr: base.add(key_bytes + refs_bytes).cast(),
        };
        let mut pos: ffi::Py_ssize_t = 0;
        let (mut k, mut v) = (ptr::null_mut(), ptr::null_mut());
        let mut i = 0;
        while ffi::PyDict_Next(src, &mut pos, &mut k, &mut v) != 0 {
            if i == n {
                break; // grew while values converted: caught below
            }
            // References first: the conversions below may run code that changes the dict.
            ffi::Py_INCREF(k);
            ffi::Py_INCREF(v);
            *(*st).refs.add(2 * i) = k;
            *(*st).refs.add(2 * i + 1) = v;
            (*st).nrefs = i + 1;
            let key = match convert::to_str_with(k, fast) {
                Ok(s) => s,
                Err(ConvError::WrongType) => {
                    release_dict(st.cast());
                    return Err(ConvError::Key { index: i });
                }
                Err(e) => {
                    release_dict(st.cast());
                    return Err(e);
                }
            };
            *keys.add(i) = key;
            if let Err(e) = convert_item(elem, v, values, i, fast) {
                release_dict(st.cast());
                return Err(element_error(e, i));
            }
            i += 1;
        }
        if i != n || ffi::PyDict_Size(src) as usize != n {
            release_dict(st.cast());
            error::raise_str(
                ffi::PyExc_RuntimeError,
                "dict changed size while its values were converted",
            );
            return Err(ConvError::Raised);
        }
        (*st).dict = pyz3_dict {
            len: n,
            keys,
            values: if elem == TypeCode::Object {
                // The values are the references themselves, every other one.
                pyz3_items {
                    obj: objects_every_other((*st).refs, values, n),
                }
            } else {
                values
            },
            obj: op,
        };
        (*out).dict = &(*st).dict;
        let needs_release = !(*st).heap.is_null() || (*st).nrefs != 0;
        views.commit(if needs_release {
            Some(release_dict)
        } else {
            None
        });
        Ok(())
    }
}

/// Object values as a plain array: the values of `refs` (keys and values interleaved) copied
/// into `values` (room for `n` pointers), which is returned.
unsafe fn objects_every_other(
    refs: *mut *mut ffi::PyObject,
    values: pyz3_items,
    n: usize,
) -> *mut *mut ffi::PyObject {
    // SAFETY: `refs` holds 2n references, `values` room for n pointers.
    unsafe {
        for i in 0..n {
            *values.obj.add(i) = *refs.add(2 * i + 1);
        }
        values.obj
    }
}

/// Releases a dict view: its references to keys and values, its heap storage.
unsafe fn release_dict(state: *mut c_void) {
    // SAFETY: `state` is a DictState whose fields are initialised; GIL held.
    unsafe {
        let st = state.cast::<DictState>();
        for i in 0..2 * (*st).nrefs {
            ffi::Py_DECREF(*(*st).refs.add(i));
        }
        (*st).nrefs = 0;
        if !(*st).heap.is_null() {
            alloc::free((*st).heap, 0);
            (*st).heap = ptr::null_mut();
        }
    }
}

/// Raises the error of a failed sequence or dict conversion of `op` (`what`: "f() argument 'x'").
///
/// # Safety
/// GIL held; `op` the argument object.
pub unsafe fn raise_error(
    err: ConvError,
    ty: TypeCode,
    elem: TypeCode,
    op: *mut ffi::PyObject,
    what: &str,
) {
    // SAFETY: GIL held by the caller.
    unsafe {
        match err {
            ConvError::WrongType if ty == TypeCode::Sequence => {
                let msg = if ffi::PyUnicode_Check(op) != 0
                    || ffi::PyBytes_Check(op) != 0
                    || ffi::PyByteArray_Check(op) != 0
                {
                    format!(
                        "{what} must be a sequence of items (a list, tuple, ...), not {}",
                        convert::object_type_name(op)
                    )
                } else {
                    format!(
                        "{what} must be a sequence, not {}",
                        convert::object_type_name(op)
                    )
                };
                error::raise_str(ffi::PyExc_TypeError, &msg);
            }
            ConvError::Element {
                index,
                out_of_range,
            } => {
                let (item, name) = item_at(ty, op, index);
                let kind = if out_of_range {
                    ConvError::OutOfRange
                } else {
                    ConvError::WrongType
                };
                match item {
                    Some(o) => {
                        convert::raise_conversion_error(kind, elem, o, &format!("{what}{name}"));
                        ffi::Py_DECREF(o);
                    }
                    None => error::raise_str(
                        ffi::PyExc_TypeError,
                        &format!("{what}{name} does not convert to {}", elem.name()),
                    ),
                }
            }
            ConvError::Key { index } => {
                let found = match nth_entry(op, index) {
                    Some((k, _)) => {
                        let name = convert::object_type_name(k);
                        ffi::Py_DECREF(k);
                        name
                    }
                    None => "another type".to_owned(),
                };
                error::raise_str(
                    ffi::PyExc_TypeError,
                    &format!("{what} keys must be str, not {found}"),
                );
            }
            other => convert::raise_conversion_error(other, ty, op, what),
        }
    }
}

/// Item `index` of a sequence argument (a new reference, if it is still there) and how to name
/// it: `[3]`, or `['key']` for a dict's value.
unsafe fn item_at(
    ty: TypeCode,
    op: *mut ffi::PyObject,
    index: usize,
) -> (Option<*mut ffi::PyObject>, String) {
    // SAFETY: GIL held.
    unsafe {
        if ty == TypeCode::Dict {
            return match nth_entry(op, index) {
                Some((k, v)) => {
                    let name = format!("[{}]", convert::short_repr(k, 40));
                    ffi::Py_DECREF(k);
                    (Some(v), name)
                }
                None => (None, format!("[{index}]")),
            };
        }
        let o = ffi::PySequence_GetItem(op, index as ffi::Py_ssize_t);
        if o.is_null() {
            ffi::PyErr_Clear();
        }
        ((!o.is_null()).then_some(o), format!("[{index}]"))
    }
}

/// Entry `index` of a dict, as new references.
unsafe fn nth_entry(
    d: *mut ffi::PyObject,
    index: usize,
) -> Option<(*mut ffi::PyObject, *mut ffi::PyObject)> {
    // SAFETY: GIL held; `d` is a dict.
    unsafe {
        let src = dict_source(d);
        if src.is_null() {
            ffi::PyErr_Clear();
            return None;
        }
        let mut pos: ffi::Py_ssize_t = 0;
        let (mut k, mut v) = (ptr::null_mut(), ptr::null_mut());
        let mut i = 0;
        let mut found = None;
        while ffi::PyDict_Next(src, &mut pos, &mut k, &mut v) != 0 {
            if i == index {
                ffi::Py_INCREF(k);
                ffi::Py_INCREF(v);
                found = Some((k, v));
                break;
            }
            i += 1;
        }
        ffi::Py_DECREF(src);
        found
    }
}

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
