//! loader/src/iterator.rs: native iterators — `pyz3.Iterator` objects whose items come from a
//! plugin's `next` function (ABI 1.1, `PYZ3_T_ITERATOR` results).
//!
//! `pyz3_iterator_new` makes one: the plugin's state lives inline in the object (one
//! allocation), `next` writes each item as a result of the element type is written, and
//! `tp_iternext` converts it. The end of the iteration is `tp_iternext` returning NULL without
//! an exception, which `for`, `list()` and generator expressions take as exhaustion: no
//! `StopIteration` object is made on that path. An exhausted iterator stays exhausted; a `next`
//! that re-enters its own iterator (through Python code it calls) gets `ValueError`.

use core::ffi::c_void;
use core::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use pyo3_ffi as ffi;
use pyz3_core::abi::*;
use pyz3_core::owned::{Owned, PyResult};
use pyz3_core::panic::guard;
use pyz3_core::types::TypeCode;
use pyz3_core::{convert, error, gil, out, pool, tls};

static ITER_TYPE: AtomicPtr<ffi::PyObject> = AtomicPtr::new(ptr::null_mut());

/// The state is aligned like `pyz3_alloc`'s default.
const STATE_ALIGN: usize = 16;

#[repr(C)]
struct IterObject {
    ob_base: ffi::PyObject,
    next: pyz3_iter_next_fn,
    drop: pyz3_iter_drop_fn,
    elem: TypeCode,
    /// The items are objects the plugin made (str, bytes, object), not C values to convert.
    objects: bool,
    /// `READY`, `RUNNING` (inside `next`) or `DONE` (exhausted): one byte to test per item.
    state: u8,
    /// The size of the plugin's state, which follows the header at `STATE_OFFSET`.
    state_size: usize,
    /// Free-threaded builds: the lock of the plugin whose function returned the iterator (when
    /// that plugin is not declared free-threaded), held around `next` and `drop` as around the
    /// plugin's functions. Set by [`attach_lock`]; NULL when none.
    #[cfg(Py_GIL_DISABLED)]
    lock: *const crate::plugin_lock::PluginLock,
}

const READY: u8 = 0;
const RUNNING: u8 = 1;
const DONE: u8 = 2;

/// Where the state starts, from the object's address.
const STATE_OFFSET: usize = core::mem::size_of::<IterObject>().next_multiple_of(STATE_ALIGN);

/// The element type of a `pyz3.Iterator` made by this runtime, or `None` for any other object.
///
/// # Safety
/// GIL held; `obj` a valid object.
pub unsafe fn element_type(obj: *mut ffi::PyObject) -> Option<TypeCode> {
    let tp = ITER_TYPE.load(Ordering::Acquire);
    // SAFETY: `obj` is valid; a `pyz3.Iterator` is an IterObject.
    unsafe {
        (!tp.is_null() && ffi::Py_TYPE(obj) == tp.cast()).then(|| (*(obj as *mut IterObject)).elem)
    }
}

/// The plugin's state of a `pyz3.Iterator` made by this runtime, as the pointer-sized words it
/// holds (debug mode looks there for the references a function handed to its iterator), or
/// `None` for any other object.
///
/// # Safety
/// GIL held; `obj` a valid object. The slice lives as long as `obj` and must not be kept.
pub unsafe fn state_words<'a>(obj: *mut ffi::PyObject) -> Option<&'a [usize]> {
    // SAFETY: per the contract; the state is `state_size` bytes at `STATE_OFFSET`, 16-aligned.
    unsafe {
        element_type(obj)?;
        let n = (*(obj as *mut IterObject)).state_size / core::mem::size_of::<usize>();
        Some(core::slice::from_raw_parts(
            obj.cast::<u8>().add(STATE_OFFSET).cast(),
            n,
        ))
    }
}

/// A new iterator yielding items of `elem` (a result element type) with `state_size` bytes of
/// zeroed state, whose address goes to `*state`. NULL with an exception set on failure.
///
/// # Safety
/// GIL held; `state` writable or NULL.
pub unsafe fn new_iterator(
    elem: TypeCode,
    state_size: usize,
    next: pyz3_iter_next_fn,
    drop: pyz3_iter_drop_fn,
    state: *mut *mut c_void,
) -> *mut ffi::PyObject {
    let tp = ITER_TYPE.load(Ordering::Acquire);
    // SAFETY: GIL held; the object is allocated with room for the header and the state, and
    // initialised (type, refcount, fields) before anyone else sees it.
    unsafe {
        if tp.is_null() {
            error::raise_str(ffi::PyExc_SystemError, "pyz3 runtime is not initialised");
            return ptr::null_mut();
        }
        if next.is_none() {
            error::raise_str(ffi::PyExc_SystemError, "pyz3_iterator_new: next is NULL");
            return ptr::null_mut();
        }
        if !elem.info().is_result_elem() {
            error::raise_str(
                ffi::PyExc_SystemError,
                &format!(
                    "pyz3_iterator_new: {} cannot be an iterator's item type",
                    elem.name()
                ),
            );
            return ptr::null_mut();
        }
        let Some(size) = STATE_OFFSET.checked_add(state_size) else {
            error::raise_str(ffi::PyExc_MemoryError, "iterator state too large");
            return ptr::null_mut();
        };
        let mem = ffi::PyObject_Malloc(size).cast::<u8>();
        if mem.is_null() {
            tls::note_error();
            ffi::PyErr_NoMemory();
            return ptr::null_mut();
        }
        ptr::write_bytes(mem.add(STATE_OFFSET), 0, state_size);
        let obj = ffi::PyObject_Init(mem.cast(), tp.cast());
        let it = obj as *mut IterObject;
        (*it).next = next;
        (*it).drop = drop;
        (*it).elem = elem;
        (*it).objects = elem.info().result_is_object();
        (*it).state = READY;
        (*it).state_size = state_size;
        #[cfg(Py_GIL_DISABLED)]
        {
            (*it).lock = ptr::null();
        }
        if !state.is_null() {
            *state = mem.add(STATE_OFFSET).cast();
        }
        obj
    }
}

/// Records the lock of the plugin whose function returned iterator `obj` (a `pyz3.Iterator`):
/// free-threaded, its `next` and `drop` then run under that lock. Nothing under a GIL.
///
/// # Safety
/// `obj` is a `pyz3.Iterator` no other thread has seen yet.
pub unsafe fn attach_lock(obj: *mut ffi::PyObject, f: &crate::function::Function) {
    #[cfg(Py_GIL_DISABLED)]
    if let Some(lock) = f.plugin_lock {
        // SAFETY: per the contract.
        unsafe { (*(obj as *mut IterObject)).lock = lock };
    }
    #[cfg(not(Py_GIL_DISABLED))]
    let _ = (obj, f);
}

/// Runs `body` (a call of the plugin's `next` or `drop`) as the plugin's functions run: under
/// a GIL as it is; free-threaded, inside a critical section on the iterator (so two threads
/// never step one iterator at once, and its state byte is read and written by one thread at a
/// time, as CPython's own iterators do) and under the plugin's lock when it has one.
#[inline(always)]
unsafe fn locked<R>(it: *mut IterObject, body: impl FnOnce() -> R) -> R {
    #[cfg(Py_GIL_DISABLED)]
    {
        // SAFETY: attached thread state (called from tp_iternext or tp_dealloc); `it` is valid.
        unsafe {
            let mut section = core::mem::MaybeUninit::<ffi::PyCriticalSection>::uninit();
            ffi::PyCriticalSection_Begin(section.as_mut_ptr(), it.cast());
            let r = match (*it).lock.as_ref() {
                Some(lock) => lock.with(body),
                None => body(),
            };
            ffi::PyCriticalSection_End(section.as_mut_ptr());
            r
        }
    }
    #[cfg(not(Py_GIL_DISABLED))]
    {
        let _ = it;
        body()
    }
}

unsafe extern "C" fn iter_dealloc(slf: *mut ffi::PyObject) {
    // SAFETY: `slf` is an IterObject made by `new_iterator`; the GIL is held in tp_dealloc.
    guard((), || unsafe {
        let it = slf as *mut IterObject;
        if let Some(drop) = (*it).drop {
            // Deallocation may happen while an exception propagates: keep it aside, and report
            // one that `drop` raises as unraisable (there is nobody to raise it to).
            let in_flight = error::fetch();
            gil::enter_call();
            locked(it, || drop(slf.cast::<u8>().add(STATE_OFFSET).cast()));
            gil::leave_call();
            tls::take_error_hint();
            if error::occurred() {
                ffi::PyErr_WriteUnraisable(ptr::null_mut());
            }
            if !in_flight.is_null() {
                error::restore(in_flight);
            }
        }
        let tp = ffi::Py_TYPE(slf);
        ffi::PyObject_Free(slf.cast());
        ffi::Py_DECREF(tp.cast());
    })
}

unsafe extern "C" fn iter_next(slf: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: `slf` is an IterObject; GIL held (called by CPython).
    guard(ptr::null_mut(), || unsafe {
        let it = slf as *mut IterObject;
        let mut item = pyz3_value::ZERO;
        let status = locked(it, || {
            if (*it).state != READY {
                return None;
            }
            let next = (*it).next.unwrap_unchecked();
            (*it).state = RUNNING;
            gil::enter_call();
            let status = next(slf.cast::<u8>().add(STATE_OFFSET).cast(), &mut item);
            gil::leave_call();
            // The end is recorded here, inside the section, like every change of the state.
            (*it).state = if status == PYZ3_ITER_END && !error::occurred() {
                DONE
            } else {
                READY
            };
            Some(status)
        });
        let Some(status) = status else {
            return not_ready(it);
        };
        if status == PYZ3_OK && !tls::take_error_hint() {
            // The common item types first, without a dispatch on the type.
            return match (*it).elem {
                TypeCode::I64 => convert::from_i64_with(item.i64, pool::ready()),
                TypeCode::F64 => convert::from_f64(item.f64),
                elem if (*it).objects => item_object(elem, &item),
                elem => convert::from_value_with(elem, &item, pool::ready()),
            };
        }
        next_unusual((*it).elem, status, &item)
    })
}

#[inline(always)]
unsafe fn item_object(elem: TypeCode, item: &pyz3_value) -> *mut ffi::PyObject {
    // SAFETY: GIL held; `item` holds the member `elem` names.
    unsafe {
        if elem.info().result_is_object() {
            out::checked_item(elem, item.obj, || "an item of a pyz3 iterator".to_owned())
        } else {
            convert::from_value(elem, item)
        }
    }
}

/// `next` on an exhausted iterator (NULL: the end again) or from inside its own `next`.
#[cold]
unsafe fn not_ready(it: *mut IterObject) -> *mut ffi::PyObject {
    // SAFETY: GIL held.
    unsafe {
        if (*it).state == RUNNING {
            error::raise_str(ffi::PyExc_ValueError, "iterator already executing");
        }
    }
    ptr::null_mut()
}

/// Everything but a clean item: the end, errors, bad statuses.
#[cold]
unsafe fn next_unusual(elem: TypeCode, status: i32, item: &pyz3_value) -> *mut ffi::PyObject {
    // SAFETY: GIL held.
    unsafe {
        let has_error = error::occurred();
        let owns = elem.info().result_is_object();
        match status {
            PYZ3_OK if !has_error => item_object(elem, item),
            PYZ3_ITER_END if !has_error => ptr::null_mut(),
            PYZ3_ERROR if has_error => ptr::null_mut(),
            PYZ3_ERROR => {
                error::raise_str(
                    ffi::PyExc_SystemError,
                    "a pyz3 iterator's next failed without setting an exception",
                );
                ptr::null_mut()
            }
            other => {
                if owns && other == PYZ3_OK {
                    ffi::Py_XDECREF(item.obj);
                }
                let msg = match other {
                    PYZ3_OK | PYZ3_ITER_END => {
                        "a pyz3 iterator's next returned with an exception set".to_owned()
                    }
                    _ => format!(
                        "a pyz3 iterator's next returned the invalid status {other} (expected \
                         PYZ3_OK, PYZ3_ITER_END or PYZ3_ERROR)"
                    ),
                };
                if has_error {
                    error::raise_system_error_chained(&msg);
                } else {
                    error::raise_str(ffi::PyExc_SystemError, &msg);
                }
                ptr::null_mut()
            }
        }
    }
}

/// Creates the `pyz3.Iterator` type for this interpreter. Called from the module's init.
///
/// # Safety
/// GIL held.
pub unsafe fn init_type() -> PyResult<()> {
    if !ITER_TYPE.load(Ordering::Acquire).is_null() {
        return Ok(());
    }
    let mut slots = [
        ffi::PyType_Slot {
            slot: ffi::Py_tp_dealloc,
            pfunc: iter_dealloc as *mut c_void,
        },
        ffi::PyType_Slot {
            slot: ffi::Py_tp_iter,
            pfunc: ffi::PyObject_SelfIter as *mut c_void,
        },
        ffi::PyType_Slot {
            slot: ffi::Py_tp_iternext,
            pfunc: iter_next as *mut c_void,
        },
        ffi::PyType_Slot {
            slot: ffi::Py_tp_doc,
            pfunc: c"An iterator whose items a pyz3 plugin produces.".as_ptr() as *mut c_void,
        },
        ffi::PyType_Slot {
            slot: 0,
            pfunc: ptr::null_mut(),
        },
    ];
    let mut spec = ffi::PyType_Spec {
        name: c"pyz3.Iterator".as_ptr(),
        basicsize: STATE_OFFSET as i32,
        itemsize: 0,
        // Only plugins make them (with their `next`).
        flags: (ffi::Py_TPFLAGS_DEFAULT | ffi::Py_TPFLAGS_DISALLOW_INSTANTIATION) as u32,
        slots: slots.as_mut_ptr(),
    };
    // SAFETY: GIL held; the spec is fully initialised and copied by CPython.
    let tp = unsafe { Owned::new(ffi::PyType_FromSpec(&mut spec))? };
    ITER_TYPE.store(tp.into_raw(), Ordering::Release);
    Ok(())
}

/// Forgets the type when the interpreter finalises (it is gone with it).
pub fn forget_type() {
    ITER_TYPE.store(ptr::null_mut(), Ordering::Release);
}
