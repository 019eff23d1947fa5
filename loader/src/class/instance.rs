//! loader/src/class/instance.rs: the instance layout and lifetime — allocation, construction,
//! the destructor (exactly once), the garbage collector's traverse and clear.
//!
//! An instance is `[PyObject header | Instance fields | padding | state]`. `Instance::class` is
//! NULL until the state is made (by the constructor, a function with an instance result, or a
//! state import) and is the made-state flag: methods refuse an instance whose state was never
//! made, and the destructor runs only for made state, once (the flag is cleared first).

use core::ffi::{c_int, c_void};
use core::ptr;

use pyo3_ffi as ffi;
use pyz3_core::panic::guard;
use pyz3_core::{convert, error, gil, tls};

use super::{class_in_bases, class_of_type, ClassData};

/// The fields every instance has before its state.
#[repr(C)]
pub(crate) struct Instance {
    pub(crate) ob_base: ffi::PyObject,
    /// The class whose state this instance holds, once made; NULL before.
    pub(crate) class: *const ClassData,
    /// The instance's vectorcall (`__vectorcalloffset__`), for classes with `__call__`.
    pub(crate) vectorcall: Option<ffi::vectorcallfunc>,
    /// Weak references (`__weaklistoffset__`), for classes with `PYZ3_CLASS_WEAKREF`.
    pub(crate) weaklist: *mut ffi::PyObject,
}

/// Is `tp` one of the types [`super::build_classes`] made (not a Python subclass)? Their
/// deallocator is [`tp_dealloc`] or [`tp_dealloc_plain`] (a Python subclass has CPython's
/// `subtype_dealloc`); libpyz3 is one codegen unit, so each function has one address.
///
/// # Safety
/// `tp` a valid type.
#[inline]
pub(crate) unsafe fn is_pyz3_type(tp: *mut ffi::PyTypeObject) -> bool {
    // SAFETY: reads a slot of a valid type.
    let dealloc = unsafe { (*tp).tp_dealloc };
    dealloc.is_some_and(|d| {
        core::ptr::fn_addr_eq(d, tp_dealloc as ffi::destructor)
            || core::ptr::fn_addr_eq(d, tp_dealloc_plain as ffi::destructor)
    })
}

/// A new instance of `tp` (the class's type or a subclass) with zeroed, not-yet-made state, or
/// NULL with an exception set.
///
/// # Safety
/// GIL held; `tp` is `class`'s type or a subclass of it.
#[inline(always)]
pub(crate) unsafe fn alloc(tp: *mut ffi::PyTypeObject, class: &ClassData) -> *mut ffi::PyObject {
    // SAFETY: GIL held; tp_alloc (PyType_GenericAlloc) zeroes the object.
    unsafe {
        let alloc = (*tp).tp_alloc.unwrap_or(ffi::PyType_GenericAlloc);
        let obj = alloc(tp, 0);
        if obj.is_null() {
            tls::note_error();
            return obj;
        }
        if class.has_call {
            (*(obj as *mut Instance)).vectorcall = Some(super::slots::instance_call);
        }
        obj
    }
}

/// The `RuntimeError` for an instance whose state was never made.
///
/// # Safety
/// GIL held; `obj` valid.
#[cold]
pub(crate) unsafe fn raise_not_ready(obj: *mut ffi::PyObject) {
    // SAFETY: GIL held.
    unsafe {
        let name = convert::object_type_name(obj);
        let base = class_in_bases(ffi::Py_TYPE(obj)).map_or(String::new(), |c| c.name.clone());
        error::raise_str(
            ffi::PyExc_RuntimeError,
            &format!(
                "this {name} object is not initialised: {base}.__init__() was not called (or \
                 failed)"
            ),
        );
    }
}

/// `Class(...)` on a class without a constructor (the type's `tp_vectorcall`; a class with one
/// has its constructor's, function/special.rs).
pub(crate) unsafe extern "C" fn no_constructor(
    callable: *mut ffi::PyObject,
    _args: *const *mut ffi::PyObject,
    _nargsf: usize,
    _kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: `callable` is one of our types (tp_vectorcall is not inherited).
    guard(ptr::null_mut(), || unsafe {
        cannot_create(class_of_type(callable as *mut ffi::PyTypeObject))
    })
}

#[cold]
unsafe fn cannot_create(class: &ClassData) -> *mut ffi::PyObject {
    // SAFETY: GIL held.
    unsafe {
        error::raise_str(
            ffi::PyExc_TypeError,
            &format!(
                "cannot create '{}.{}' instances: the class has no constructor (functions of the \
                 plugin make them)",
                class.module_name, class.name
            ),
        );
    }
    ptr::null_mut()
}

/// `tp_new`: an instance whose state is not made yet (`tp_init` makes it). Arguments are left
/// to `tp_init`, so a subclass may take other ones.
pub(crate) unsafe extern "C" fn tp_new(
    subtype: *mut ffi::PyTypeObject,
    _args: *mut ffi::PyObject,
    _kwds: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held (a slot); `subtype` derives from one of our types.
    guard(ptr::null_mut(), || unsafe {
        let Some(class) = class_in_bases(subtype) else {
            error::raise_str(ffi::PyExc_SystemError, "pyz3 tp_new on a foreign type");
            return ptr::null_mut();
        };
        if !class.instantiable() {
            return cannot_create(class);
        }
        alloc(subtype, class)
    })
}

/// `tp_init`, `Class.__init__(self, ...)`: the constructor, for instances made by `tp_new`
/// (Python subclasses, `super().__init__(...)`). Once per instance.
pub(crate) unsafe extern "C" fn tp_init(
    slf: *mut ffi::PyObject,
    args: *mut ffi::PyObject,
    kwds: *mut ffi::PyObject,
) -> c_int {
    // SAFETY: GIL held (a slot); `slf` is an instance of one of our types or a subclass.
    guard(-1, || unsafe {
        let Some(class) = class_in_bases(ffi::Py_TYPE(slf)) else {
            error::raise_str(ffi::PyExc_SystemError, "pyz3 tp_init on a foreign type");
            return -1;
        };
        let Some(init) = class.init.get() else {
            cannot_create(class);
            return -1;
        };
        if !(*(slf as *mut Instance)).class.is_null() {
            error::raise_str(
                ffi::PyExc_RuntimeError,
                &format!(
                    "{}.__init__() called on an object that is already initialised",
                    class.name
                ),
            );
            return -1;
        }
        // Tuple and dict to the vectorcall layout.
        let nargs = ffi::PyTuple_GET_SIZE(args);
        let nkw = if kwds.is_null() {
            0
        } else {
            ffi::PyDict_Size(kwds)
        };
        let r = if nkw == 0 {
            let items = (*(args as *mut ffi::PyTupleObject)).ob_item.as_ptr();
            (init.method_entry)(init, slf, items, nargs, ptr::null_mut())
        } else {
            let mut vector: Vec<*mut ffi::PyObject> = Vec::with_capacity((nargs + nkw) as usize);
            for i in 0..nargs {
                vector.push(ffi::PyTuple_GET_ITEM(args, i));
            }
            let Ok(names) = pyz3_core::owned::Owned::new(ffi::PyTuple_New(nkw)) else {
                return -1;
            };
            let mut pos: ffi::Py_ssize_t = 0;
            let mut key = ptr::null_mut();
            let mut value = ptr::null_mut();
            let mut k = 0;
            while ffi::PyDict_Next(kwds, &mut pos, &mut key, &mut value) != 0 {
                ffi::Py_INCREF(key);
                ffi::PyTuple_SET_ITEM(names.as_ptr(), k, key);
                vector.push(value);
                k += 1;
            }
            (init.method_entry)(init, slf, vector.as_ptr(), nargs, names.as_ptr())
        };
        if r.is_null() {
            return -1;
        }
        ffi::Py_DECREF(r);
        0
    })
}

/// `tp_dealloc` of a class without object fields, weak references or the garbage collector
/// (most classes): the destructor for made state (once), the memory. A Python subclass's
/// instance arrives here untracked, its weak references cleared (CPython's `subtype_dealloc`
/// does both when the base has neither).
pub(crate) unsafe extern "C" fn tp_dealloc_plain(slf: *mut ffi::PyObject) {
    // SAFETY: GIL held (a slot); `slf` is an instance of one of our types or a subclass, with no
    // references left. Nothing here can panic (the destructor is C, and cannot unwind).
    unsafe {
        let inst = slf as *mut Instance;
        let made = (*inst).class;
        if !made.is_null() {
            // Cleared first: the destructor runs once even if it resurrects the object.
            (*inst).class = ptr::null();
            if let Some(deinit) = (*made).deinit {
                run_deinit(deinit, &*made, slf);
            }
        }
        let tp = ffi::Py_TYPE(slf);
        let free = (*tp).tp_free.unwrap_or(ffi::PyObject_Free);
        free(slf.cast());
        ffi::Py_DECREF(tp.cast());
    }
}

/// `tp_dealloc`: the destructor for made state (once), the object fields, the memory.
pub(crate) unsafe extern "C" fn tp_dealloc(slf: *mut ffi::PyObject) {
    // SAFETY: GIL held (a slot); `slf` is an instance of one of our types or a subclass, with no
    // references left.
    guard((), || unsafe {
        let tp = ffi::Py_TYPE(slf);
        let inst = slf as *mut Instance;
        if ffi::PyType_IS_GC(tp) != 0 || !(*inst).weaklist.is_null() {
            untrack_and_clear_weakrefs(slf, tp);
        }
        let made = (*inst).class;
        if !made.is_null() {
            // Cleared first: the destructor runs once even if it resurrects the object.
            (*inst).class = ptr::null();
            let class = &*made;
            if let Some(deinit) = class.deinit {
                run_deinit(deinit, class, slf);
            }
            if !class.object_fields.is_empty() {
                clear_fields(class, slf);
            }
        } else if let Some(class) = class_in_bases(tp) {
            // Never made: no destructor, but a failed constructor may have stored objects.
            clear_fields(class, slf);
        }
        let free = (*tp).tp_free.unwrap_or(ffi::PyObject_Free);
        free(slf.cast());
        ffi::Py_DECREF(tp.cast());
    })
}

#[cold]
unsafe fn untrack_and_clear_weakrefs(slf: *mut ffi::PyObject, tp: *mut ffi::PyTypeObject) {
    // SAFETY: GIL held; `slf` is being deallocated.
    unsafe {
        if ffi::PyType_IS_GC(tp) != 0 {
            ffi::PyObject_GC_UnTrack(slf.cast());
        }
        if !(*(slf as *mut Instance)).weaklist.is_null() {
            ffi::PyObject_ClearWeakRefs(slf);
        }
    }
}

/// Calls the destructor, keeping any exception that is in flight (a deallocation can happen
/// while one propagates) and reporting one the destructor raises as unraisable.
unsafe fn run_deinit(
    deinit: unsafe extern "C" fn(*mut c_void),
    class: &ClassData,
    slf: *mut ffi::PyObject,
) {
    // SAFETY: GIL held; the state is made and about to go.
    unsafe {
        let pending = if error::occurred() {
            Some(PendingError::take())
        } else {
            None
        };
        gil::enter_call();
        let state = class.state_of(slf);
        // Under the plugin's lock on free-threaded builds, like every call into the plugin.
        #[cfg(Py_GIL_DISABLED)]
        match class.plugin_lock {
            Some(lock) => lock.with(|| deinit(state)),
            None => deinit(state),
        }
        #[cfg(not(Py_GIL_DISABLED))]
        deinit(state);
        gil::leave_call();
        // Every pyz3 function that raises sets the hint; a destructor has no caller to tell.
        // Reported against the type: the object itself is being freed (the hook would keep a
        // reference to it).
        if tls::take_error_hint() && error::occurred() {
            ffi::PyErr_WriteUnraisable(ffi::Py_TYPE(slf).cast());
        }
        if let Some(p) = pending {
            p.restore();
        }
    }
}

/// The exception in flight, taken and put back unchanged (no context chaining).
#[cfg(Py_3_12)]
struct PendingError(*mut ffi::PyObject);

#[cfg(Py_3_12)]
impl PendingError {
    unsafe fn take() -> PendingError {
        // SAFETY: GIL held by the caller.
        PendingError(unsafe { ffi::PyErr_GetRaisedException() })
    }

    unsafe fn restore(self) {
        // SAFETY: GIL held by the caller; hands the reference back.
        unsafe { ffi::PyErr_SetRaisedException(self.0) }
    }
}

/// The exception in flight, taken and put back unchanged (no context chaining).
#[cfg(not(Py_3_12))]
struct PendingError(*mut ffi::PyObject, *mut ffi::PyObject, *mut ffi::PyObject);

#[cfg(not(Py_3_12))]
impl PendingError {
    unsafe fn take() -> PendingError {
        let mut e = PendingError(ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
        // SAFETY: GIL held by the caller.
        unsafe { ffi::PyErr_Fetch(&mut e.0, &mut e.1, &mut e.2) };
        e
    }

    unsafe fn restore(self) {
        // SAFETY: GIL held by the caller; hands the references back.
        unsafe { ffi::PyErr_Restore(self.0, self.1, self.2) }
    }
}

/// Releases the object fields (after the destructor, which may still read them).
unsafe fn clear_fields(class: &ClassData, slf: *mut ffi::PyObject) {
    // SAFETY: GIL held; each offset was checked to lie inside the state (validate).
    unsafe {
        let state = class.state_of(slf).cast::<u8>();
        for &off in class.object_fields.iter() {
            let field = state.add(off as usize).cast::<*mut ffi::PyObject>();
            let old = *field;
            if !old.is_null() {
                *field = ptr::null_mut();
                ffi::Py_DECREF(old);
            }
        }
    }
}

/// `tp_traverse`: the type and every non-NULL object field, with no hand-written code.
pub(crate) unsafe extern "C" fn tp_traverse(
    slf: *mut ffi::PyObject,
    visit: ffi::visitproc,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: called by the collector with the GIL held; fields hold NULL or live references.
    unsafe {
        let tp = ffi::Py_TYPE(slf);
        let rc = visit(tp.cast(), arg);
        if rc != 0 {
            return rc;
        }
        let made = (*(slf as *mut Instance)).class;
        let Some(class) = (if made.is_null() {
            class_in_bases(tp)
        } else {
            Some(&*made)
        }) else {
            return 0;
        };
        let state = class.state_of(slf).cast::<u8>();
        for &off in class.object_fields.iter() {
            let o = *state.add(off as usize).cast::<*mut ffi::PyObject>();
            if !o.is_null() {
                let rc = visit(o, arg);
                if rc != 0 {
                    return rc;
                }
            }
        }
        0
    }
}

/// `tp_clear`: breaks a cycle by releasing the object fields; the state stays made (methods see
/// NULL fields), the destructor runs when the instance is freed.
pub(crate) unsafe extern "C" fn tp_clear(slf: *mut ffi::PyObject) -> c_int {
    // SAFETY: called by the collector with the GIL held.
    guard(0, || unsafe {
        if let Some(class) = class_in_bases(ffi::Py_TYPE(slf)) {
            clear_fields(class, slf);
        }
        0
    })
}
