//! capi/core/src/owned.rs: owned references for load-time code.
//!
//! Module and function building, `describe()` and the loader's other cold paths create many
//! objects, and every creation can fail. [`Owned`] holds one strong reference and drops it when
//! it goes out of scope, so an early `?` return cannot leak; [`Owned::new`] turns the NULL of a
//! failed CPython call into [`Raised`]. The call path does not use it: there each reference is
//! counted by hand where the instruction budget is measured.

use core::ptr::NonNull;

use pyo3_ffi as ffi;

/// A Python exception is set on this thread: the error of a failed CPython call, to be
/// propagated as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raised;

/// The result of load-time code that can fail only with a Python exception.
pub type PyResult<T> = Result<T, Raised>;

/// One strong reference to a Python object, released on drop. Requires the GIL throughout (the
/// loader's cold paths always hold it).
#[derive(Debug)]
pub struct Owned(NonNull<ffi::PyObject>);

impl Owned {
    /// Takes over the new reference a CPython call returned; NULL (the call failed) is
    /// [`Raised`] and marks the thread's error hint.
    ///
    /// # Safety
    /// GIL held; `obj` is NULL or a new reference the caller owns.
    #[inline]
    pub unsafe fn new(obj: *mut ffi::PyObject) -> PyResult<Owned> {
        match NonNull::new(obj) {
            Some(p) => Ok(Owned(p)),
            None => {
                crate::tls::note_error();
                Err(Raised)
            }
        }
    }

    /// A new reference to a borrowed object.
    ///
    /// # Safety
    /// GIL held; `obj` is a valid, non-NULL object.
    #[inline]
    pub unsafe fn from_borrowed(obj: *mut ffi::PyObject) -> Owned {
        // SAFETY: the caller passes a valid object.
        unsafe {
            ffi::Py_INCREF(obj);
            Owned(NonNull::new_unchecked(obj))
        }
    }

    /// `None`, owned.
    ///
    /// # Safety
    /// GIL held.
    #[inline]
    pub unsafe fn none() -> Owned {
        // SAFETY: `Py_None` is a valid object.
        unsafe { Owned::from_borrowed(ffi::Py_None()) }
    }

    /// A new `str` from Rust text.
    ///
    /// # Safety
    /// GIL held.
    pub unsafe fn str(s: &str) -> PyResult<Owned> {
        // SAFETY: GIL held; `s` is valid UTF-8 of `s.len()` bytes.
        unsafe {
            Owned::new(ffi::PyUnicode_FromStringAndSize(
                s.as_ptr().cast(),
                s.len() as ffi::Py_ssize_t,
            ))
        }
    }

    /// A new `int`.
    ///
    /// # Safety
    /// GIL held.
    pub unsafe fn int(v: i64) -> PyResult<Owned> {
        // SAFETY: GIL held.
        unsafe { Owned::new(ffi::PyLong_FromLongLong(v)) }
    }

    /// `True` or `False`.
    ///
    /// # Safety
    /// GIL held.
    pub unsafe fn bool(b: bool) -> Owned {
        // SAFETY: GIL held; the bool singletons are valid objects.
        unsafe { Owned::from_borrowed(if b { ffi::Py_True() } else { ffi::Py_False() }) }
    }

    /// A new `str`, or `None` when `s` is `None`.
    ///
    /// # Safety
    /// GIL held.
    pub unsafe fn str_or_none(s: Option<&str>) -> PyResult<Owned> {
        // SAFETY: GIL held.
        unsafe {
            match s {
                Some(s) => Owned::str(s),
                None => Ok(Owned::none()),
            }
        }
    }

    /// A new tuple of `items` (each reference is moved into the tuple).
    ///
    /// # Safety
    /// GIL held.
    pub unsafe fn tuple(items: Vec<Owned>) -> PyResult<Owned> {
        // SAFETY: GIL held; PyTuple_SET_ITEM steals each reference into a fresh tuple.
        unsafe {
            let t = Owned::new(ffi::PyTuple_New(items.len() as ffi::Py_ssize_t))?;
            for (i, item) in items.into_iter().enumerate() {
                ffi::PyTuple_SET_ITEM(t.as_ptr(), i as ffi::Py_ssize_t, item.into_raw());
            }
            Ok(t)
        }
    }

    /// A new list of `items`.
    ///
    /// # Safety
    /// GIL held.
    pub unsafe fn list(items: Vec<Owned>) -> PyResult<Owned> {
        // SAFETY: GIL held; PyList_SET_ITEM steals each reference into a fresh list.
        unsafe {
            let l = Owned::new(ffi::PyList_New(items.len() as ffi::Py_ssize_t))?;
            for (i, item) in items.into_iter().enumerate() {
                ffi::PyList_SET_ITEM(l.as_ptr(), i as ffi::Py_ssize_t, item.into_raw());
            }
            Ok(l)
        }
    }

    /// A new dict of `(key, value)` pairs.
    ///
    /// # Safety
    /// GIL held.
    pub unsafe fn dict(items: Vec<(&core::ffi::CStr, Owned)>) -> PyResult<Owned> {
        // SAFETY: GIL held.
        unsafe {
            let d = Owned::new(ffi::PyDict_New())?;
            for (key, value) in items {
                d.set_item_str(key, &value)?;
            }
            Ok(d)
        }
    }

    /// `self[key] = value` for a dict, with a C-string key.
    ///
    /// # Safety
    /// GIL held; `self` is a dict.
    pub unsafe fn set_item_str(&self, key: &core::ffi::CStr, value: &Owned) -> PyResult<()> {
        // SAFETY: GIL held; PyDict_SetItemString does not steal.
        unsafe {
            check(ffi::PyDict_SetItemString(
                self.as_ptr(),
                key.as_ptr(),
                value.as_ptr(),
            ))
        }
    }

    /// `setattr(self, name, value)`.
    ///
    /// # Safety
    /// GIL held.
    pub unsafe fn set_attr(&self, name: &core::ffi::CStr, value: &Owned) -> PyResult<()> {
        // SAFETY: GIL held; PyObject_SetAttrString does not steal.
        unsafe {
            check(ffi::PyObject_SetAttrString(
                self.as_ptr(),
                name.as_ptr(),
                value.as_ptr(),
            ))
        }
    }

    /// `getattr(self, name)`.
    ///
    /// # Safety
    /// GIL held.
    pub unsafe fn get_attr(&self, name: &core::ffi::CStr) -> PyResult<Owned> {
        // SAFETY: GIL held.
        unsafe { Owned::new(ffi::PyObject_GetAttrString(self.as_ptr(), name.as_ptr())) }
    }

    /// Adds `value` to a module as `name` (`PyModule_AddObjectRef`: no reference is stolen, so
    /// a failure leaks nothing).
    ///
    /// # Safety
    /// GIL held; `self` is a module.
    pub unsafe fn add_to_module(&self, name: &core::ffi::CStr, value: &Owned) -> PyResult<()> {
        // SAFETY: GIL held.
        unsafe {
            check(ffi::PyModule_AddObjectRef(
                self.as_ptr(),
                name.as_ptr(),
                value.as_ptr(),
            ))
        }
    }

    /// The object, borrowed for as long as `self` lives.
    #[inline]
    pub fn as_ptr(&self) -> *mut ffi::PyObject {
        self.0.as_ptr()
    }

    /// Gives up ownership: the caller now owns the reference.
    #[inline]
    pub fn into_raw(self) -> *mut ffi::PyObject {
        let p = self.0.as_ptr();
        core::mem::forget(self);
        p
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: we own one reference; load-time code holds the GIL.
        unsafe { ffi::Py_DECREF(self.0.as_ptr()) }
    }
}

/// A CPython status (`< 0` is failure with an exception set) as a [`PyResult`].
#[inline]
pub fn check(rc: core::ffi::c_int) -> PyResult<()> {
    if rc < 0 {
        crate::tls::note_error();
        Err(Raised)
    } else {
        Ok(())
    }
}
