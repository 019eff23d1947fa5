//! loader/src/plugin_lock.rs: on free-threaded CPython, one lock per plugin library that did not
//! declare `PYZ3_PLUGIN_FREE_THREADED`, held around every call into that plugin.
//!
//! Under a CPython with a GIL this file compiles to nothing: [`with`] is the call itself.
//!
//! Under `Py_GIL_DISABLED` the lock is a `PyMutex` taken through a CPython critical section
//! (`PyCriticalSection_BeginMutex`), not a Rust mutex, because a critical section behaves like the
//! GIL it replaces (docs/free-threading.md has the cases):
//!
//! * it is released whenever the thread detaches its thread state — a `PYZ3_FN_RELEASE_GIL`
//!   call, `pyz3_nogil_begin`, a blocking call in a Python callback — and taken back when the
//!   thread attaches again, so a call that waits for another thread which calls the same plugin
//!   does not deadlock;
//! * a thread waiting for it is detached, so a stop-the-world pause (the GC) never waits for a
//!   thread that waits for the lock;
//! * a call made from inside the plugin's own call on the same thread (a callback calling back
//!   into the plugin) re-enters: CPython skips the lock when the innermost critical section
//!   holds it, and otherwise suspends the outer sections while it waits.

use crate::function::Function;
use crate::plugin::PluginSpec;

/// The lock of one plugin library (free-threaded builds only).
#[cfg(Py_GIL_DISABLED)]
#[derive(Debug)]
pub struct PluginLock {
    mutex: pyo3_ffi::PyMutex,
}

#[cfg(Py_GIL_DISABLED)]
impl Default for PluginLock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(Py_GIL_DISABLED)]
impl PluginLock {
    /// An unlocked lock.
    pub const fn new() -> PluginLock {
        PluginLock {
            mutex: pyo3_ffi::PyMutex::new(),
        }
    }

    /// Runs `body` holding the lock, in a critical section of the calling thread.
    ///
    /// # Safety
    /// The thread state is attached (the trampoline's caller holds it).
    #[inline]
    pub unsafe fn with<R>(&self, body: impl FnOnce() -> R) -> R {
        use pyo3_ffi as ffi;
        /// Ends the section on every path out of `with`, a panic in `body` included.
        struct End(*mut ffi::PyCriticalSection);
        impl Drop for End {
            fn drop(&mut self) {
                // SAFETY: the section began below, on this thread, and has not moved.
                unsafe { ffi::PyCriticalSection_End(self.0) }
            }
        }
        let mut section = core::mem::MaybeUninit::<ffi::PyCriticalSection>::uninit();
        // The PyMutex is an atomic byte: CPython changes it through this pointer.
        let mutex = core::ptr::from_ref(&self.mutex).cast_mut();
        // SAFETY: attached thread state per the contract; `section` stays at this address until
        // `End` drops (CPython links it into the thread's list of sections).
        unsafe { ffi::PyCriticalSection_BeginMutex(section.as_mut_ptr(), mutex) };
        let _end = End(section.as_mut_ptr());
        body()
    }
}

/// Gives a validated plugin that did not declare `PYZ3_PLUGIN_FREE_THREADED` its lock (on
/// free-threaded builds; elsewhere returns `spec` unchanged). Called once per library: the spec
/// is cached by library handle and cloned for every module made from it, so they share the lock.
pub fn attach(spec: PluginSpec) -> PluginSpec {
    #[cfg(Py_GIL_DISABLED)]
    {
        let mut spec = spec;
        if !spec.free_threaded {
            // Plugins are never unloaded, and neither is their lock.
            spec.lock = Some(Box::leak(Box::new(PluginLock::new())));
        }
        spec
    }
    #[cfg(not(Py_GIL_DISABLED))]
    spec
}

/// The hook every trampoline calls the plugin through: `body` (the call into the plugin, with
/// its GIL bookkeeping) under the plugin's lock when it has one — on free-threaded builds, a
/// plugin without `PYZ3_PLUGIN_FREE_THREADED`. Under a GIL it is `body()` and costs nothing.
///
/// # Safety
/// The thread state is attached (the trampoline's caller holds it).
#[inline(always)]
pub unsafe fn with<R>(f: &Function, body: impl FnOnce() -> R) -> R {
    #[cfg(Py_GIL_DISABLED)]
    if let Some(lock) = f.plugin_lock {
        // SAFETY: forwarded.
        return unsafe { lock.with(body) };
    }
    #[cfg(not(Py_GIL_DISABLED))]
    let _ = f;
    body()
}

/// [`with`] for a call with a receiver (a method, constructor, property accessor or special
/// method of a class, `this` its receiver). In a plugin declared free-threaded, which has no
/// lock, a call on an instance runs in a critical section on that instance, as CPython's own
/// `list` and `dict` methods do: two threads never run calls on one instance at once, calls on
/// different instances run in parallel (docs/free-threading.md, "Class instance state"). Under
/// a GIL it is `body()`.
///
/// # Safety
/// As for [`with`]; `this` is the live receiver.
#[inline(always)]
pub unsafe fn with_receiver<R>(
    f: &Function,
    this: *mut pyo3_ffi::PyObject,
    body: impl FnOnce() -> R,
) -> R {
    #[cfg(Py_GIL_DISABLED)]
    if f.plugin_lock.is_none() && f.state_slot {
        // SAFETY: forwarded.
        return unsafe { instance_section(this, body) };
    }
    #[cfg(not(Py_GIL_DISABLED))]
    let _ = this;
    // SAFETY: forwarded.
    unsafe { with(f, body) }
}

/// Runs `body` in a critical section on `obj` (free-threaded builds only).
///
/// # Safety
/// The thread state is attached; `obj` is live.
#[cfg(Py_GIL_DISABLED)]
unsafe fn instance_section<R>(obj: *mut pyo3_ffi::PyObject, body: impl FnOnce() -> R) -> R {
    use pyo3_ffi as ffi;
    /// Ends the section on every path out, a panic in `body` included.
    struct End(*mut ffi::PyCriticalSection);
    impl Drop for End {
        fn drop(&mut self) {
            // SAFETY: the section began below, on this thread, and has not moved.
            unsafe { ffi::PyCriticalSection_End(self.0) }
        }
    }
    let mut section = core::mem::MaybeUninit::<ffi::PyCriticalSection>::uninit();
    // SAFETY: per the contract; `section` stays at this address until `End` drops.
    unsafe { ffi::PyCriticalSection_Begin(section.as_mut_ptr(), obj) };
    let _end = End(section.as_mut_ptr());
    body()
}

/// Runs `body` — opening and validating a plugin library — as under a GIL: one thread at a time
/// on free-threaded builds, so a library's entry point still runs once however many threads
/// load it at the same moment (the validation cache, `plugin/cache.rs`, is only consulted and
/// filled inside). Under a GIL it is `body()`.
///
/// # Safety
/// The thread state is attached.
pub unsafe fn loading<R>(body: impl FnOnce() -> R) -> R {
    #[cfg(Py_GIL_DISABLED)]
    {
        static LOADING: PluginLock = PluginLock::new();
        // SAFETY: forwarded.
        unsafe { LOADING.with(body) }
    }
    #[cfg(not(Py_GIL_DISABLED))]
    body()
}
