//! capi/core/src/debug.rs: per-call bookkeeping of debug mode (docs/reliability.md, "Debug mode").
//!
//! A plugin loaded in debug mode calls libpyz3 through checking wrappers (the capi crate's
//! `debug` module, patched into the plugin's GOT by the loader) and is called through a debug
//! trampoline. The trampoline pushes a [`Frame`] on this thread for the duration of the call; the
//! wrappers record into it what they see: calls made without the GIL, and the new references the
//! plugin received and handed back. Release-mode code never touches anything here.

use core::cell::Cell;
use core::ptr;

use pyo3_ffi as ffi;

use crate::gil;

/// One debug-mode call in progress on this thread.
pub struct Frame {
    /// The function, for reports: `module.add()`.
    pub function: String,
    /// New references handed to the plugin during the call and not yet given back (stolen by a
    /// container, released, or returned as the result), with the libpyz3 function that made each.
    pub refs: Vec<(*mut ffi::PyObject, &'static str)>,
    /// The first contract violation a wrapper saw (reported by the trampoline after the call).
    pub misuse: Option<String>,
    /// The call's arguments, borrowed: the plugin must not release them.
    pub borrowed: Vec<*mut ffi::PyObject>,
    /// The frame of the call this one is nested in (a plugin calling Python calling a plugin).
    outer: *mut Frame,
}

thread_local! {
    static CURRENT: Cell<*mut Frame> = const { Cell::new(ptr::null_mut()) };
}

impl Frame {
    /// A frame for a call of `function`.
    pub fn new(function: String) -> Frame {
        Frame {
            function,
            refs: Vec::new(),
            misuse: None,
            borrowed: Vec::new(),
            outer: ptr::null_mut(),
        }
    }
}

/// Makes `frame` this thread's current call until [`leave`].
///
/// # Safety
/// `frame` stays at its address until the matching [`leave`].
pub unsafe fn enter(frame: &mut Frame) {
    frame.outer = CURRENT.with(Cell::get);
    CURRENT.with(|c| c.set(frame));
}

/// Undoes [`enter`] for `frame`.
pub fn leave(frame: &mut Frame) {
    CURRENT.with(|c| c.set(frame.outer));
}

/// Runs `f` on this thread's current frame, if a debug-mode call is in progress here.
fn with_frame<R>(f: impl FnOnce(&mut Frame) -> R) -> Option<R> {
    let p = CURRENT.with(Cell::get);
    // SAFETY: a non-NULL current frame lives on the stack of the trampoline that entered it,
    // below us on this thread, until it leaves; nothing else holds a reference to it meanwhile.
    (!p.is_null()).then(|| f(unsafe { &mut *p }))
}

/// Records a misuse `what` (a sentence naming the libpyz3 function) for the current call, or, on a
/// thread with no debug-mode call in progress (a plugin's own thread), writes it to stderr: there
/// is no call to fail and, without the GIL, no exception to raise.
pub fn report(what: String) {
    let recorded = with_frame(|f| {
        if f.misuse.is_none() {
            f.misuse = Some(what.clone());
        }
    });
    if recorded.is_none() {
        eprintln!("pyz3 debug mode: a debug-mode plugin {what} (outside any plugin call)");
    }
}

/// The GIL contract of a libpyz3 function that touches Python objects: true when the calling
/// thread may touch Python (holds the GIL, or is attached on free-threaded builds); otherwise
/// the misuse is reported and the wrapper must return its failure value without calling `api`.
pub fn gil_ok(api: &'static str) -> bool {
    if gil::held() {
        return true;
    }
    report(format!(
        "called {api}() without holding the GIL (inside a PYZ3_FN_RELEASE_GIL function or \
         a nogil region, or on a thread Python does not know; take it with pyz3_gil_acquire)"
    ));
    false
}

/// Notes that the plugin received the new reference `obj` from `api` during the current call.
pub fn track(obj: *mut ffi::PyObject, api: &'static str) {
    if !obj.is_null() {
        with_frame(|f| f.refs.push((obj, api)));
    }
}

/// Notes that the plugin gave one reference to `obj` back (stolen, released or returned);
/// returns whether it was one the current call received.
pub fn untrack(obj: *mut ffi::PyObject) -> bool {
    if obj.is_null() {
        return false;
    }
    with_frame(|f| untrack_in(f, obj)).unwrap_or(false)
}

/// Is `obj` one of the current call's borrowed arguments (and not also a reference the call
/// received, which the plugin may release)?
pub fn is_borrowed_argument(obj: *mut ffi::PyObject) -> bool {
    with_frame(|f| f.borrowed.contains(&obj) && !f.refs.iter().any(|&(o, _)| o == obj))
        .unwrap_or(false)
}

/// [`untrack`] on a frame that is no longer current (the trampoline, after the call).
pub fn untrack_in(frame: &mut Frame, obj: *mut ffi::PyObject) -> bool {
    match frame.refs.iter().rposition(|&(o, _)| o == obj) {
        Some(i) => {
            frame.refs.swap_remove(i);
            true
        }
        None => false,
    }
}
