//! capi/core/src/gil.rs: the GIL-state cache — a per-thread depth counter of pyz3 scopes holding the GIL.
//!
//! Invariant: `gil_depth > 0` on a thread implies that thread holds the GIL. The counter is
//! bumped by the loader's trampoline (the caller holds the GIL) and by explicit acquire scopes,
//! and saved and zeroed around GIL-released regions. With the cache on, code that needs the GIL
//! (allocation, raising) skips `PyGILState_Ensure/Release` when the counter is non-zero; the
//! counter is maintained whether or not the cache is on, so switching it is always safe.
//!
//! On free-threaded CPython (`Py_GIL_DISABLED`) read "holds the GIL" as "has its thread state
//! attached": `PyGILState_Ensure` attaches, `PyEval_SaveThread` detaches, and the same counter
//! says the thread is attached through pyz3. Nothing here changes (docs/free-threading.md).

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use pyo3_ffi as ffi;

use crate::tls;

/// GIL scopes taken with `PyGILState_Ensure` and not yet released, counted from before the
/// `Ensure` to after the `Release`.
static SCOPES: AtomicU32 = AtomicU32::new(0);
/// Set when the main interpreter begins to exit ([`close`]): from then on a thread that does not
/// already hold the GIL through pyz3 gets no scope, so nothing touches CPython while it is torn
/// down.
static CLOSING: AtomicBool = AtomicBool::new(false);

/// How long [`close`] waits for scopes in progress to end before letting the exit go on.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Re-opens for a new main interpreter (an embedding application may finalise and initialise
/// Python again). Called when `pyz3._pyz3` is initialised in the main interpreter.
pub fn open() {
    CLOSING.store(false, Ordering::SeqCst);
}

/// The exit handshake, run from the main interpreter's `atexit` (after non-daemon threads were
/// joined, before the interpreter is torn down): refuse new scopes, then let the scopes in
/// progress finish — with the GIL released, since a native thread inside `PyGILState_Ensure` is
/// waiting for it — for up to [`CLOSE_WAIT`]. Returns the number of scopes still open then.
///
/// # Safety
/// GIL held, on the main thread.
pub unsafe fn close() -> u32 {
    CLOSING.store(true, Ordering::SeqCst);
    if SCOPES.load(Ordering::SeqCst) == 0 {
        return 0;
    }
    // SAFETY: the caller holds the GIL; it is taken back below.
    let saved = unsafe { ffi::PyEval_SaveThread() };
    let start = std::time::Instant::now();
    let mut open = SCOPES.load(Ordering::SeqCst);
    while open > 0 && start.elapsed() < CLOSE_WAIT {
        std::thread::sleep(std::time::Duration::from_micros(200));
        open = SCOPES.load(Ordering::SeqCst);
    }
    // SAFETY: pairs with PyEval_SaveThread above, on this thread.
    unsafe { ffi::PyEval_RestoreThread(saved) };
    open
}

/// Has the main interpreter begun to exit ([`close`])?
pub fn closing() -> bool {
    CLOSING.load(Ordering::SeqCst)
}

/// Marks entry into a pyz3 call made by Python (the GIL is held). Pair with [`leave_call`].
#[inline(always)]
pub fn enter_call() {
    tls::enter()
}

/// Undoes [`enter_call`].
#[inline(always)]
pub fn leave_call() {
    tls::leave()
}

/// Does this thread hold the GIL through a pyz3 scope?
#[inline(always)]
pub fn held_by_pyz3() -> bool {
    tls::gil_depth() > 0
}

/// Does this thread hold the GIL, by any means? Uses the counter first, then asks CPython.
pub fn held() -> bool {
    // SAFETY: PyGILState_Check may be called on any thread once Python is initialised.
    held_by_pyz3() || (is_initialized() && unsafe { ffi::PyGILState_Check() } != 0)
}

/// Is the interpreter initialised and not finalising (so `PyGILState_Ensure` is safe)?
pub fn is_initialized() -> bool {
    // SAFETY: both may be called without the GIL.
    unsafe { ffi::Py_IsInitialized() != 0 && !is_finalizing() }
}

#[cfg(Py_3_13)]
unsafe fn is_finalizing() -> bool {
    // SAFETY: callable without the GIL.
    unsafe { ffi::Py_IsFinalizing() != 0 }
}

#[cfg(not(Py_3_13))]
unsafe fn is_finalizing() -> bool {
    extern "C" {
        fn _Py_IsFinalizing() -> core::ffi::c_int;
    }
    // SAFETY: callable without the GIL (reads a runtime field).
    unsafe { _Py_IsFinalizing() != 0 }
}

/// A scope that holds the GIL; see [`acquire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// The thread already held the GIL through pyz3; only the counter moved.
    Nested,
    /// `PyGILState_Ensure` was called and returned this state.
    Ensured(ffi::PyGILState_STATE),
    /// Python is not initialised (or is finalising); nothing was taken.
    Unavailable,
}

/// Takes the GIL for a scope, once: nested scopes on the same thread only move the counter.
///
/// `Unavailable` when Python is not running, or is exiting and this thread does not already hold
/// the GIL through pyz3: then nothing is taken, and the caller must not touch Python objects.
pub fn acquire() -> Token {
    let depth = tls::gil_depth();
    if depth > 0 && crate::opts::gil_cache() {
        tls::set_gil_depth(depth + 1);
        return Token::Nested;
    }
    // Count the scope before looking at CLOSING, and `close` sets CLOSING before looking at the
    // count (both SeqCst): either this thread sees CLOSING, or `close` waits for this scope.
    SCOPES.fetch_add(1, Ordering::SeqCst);
    if (CLOSING.load(Ordering::SeqCst) && depth == 0) || !is_initialized() {
        SCOPES.fetch_sub(1, Ordering::SeqCst);
        return Token::Unavailable;
    }
    // SAFETY: Python is initialised and not exiting; PyGILState_Ensure works on any thread.
    let state = unsafe { ffi::PyGILState_Ensure() };
    tls::set_gil_depth(depth + 1);
    Token::Ensured(state)
}

/// Ends a scope started by [`acquire`]. Scopes must end in reverse order on the same thread.
pub fn release(token: Token) {
    match token {
        Token::Unavailable => {}
        Token::Nested => tls::set_gil_depth(tls::gil_depth().saturating_sub(1)),
        Token::Ensured(state) => {
            tls::set_gil_depth(tls::gil_depth().saturating_sub(1));
            // SAFETY: pairs with the PyGILState_Ensure in `acquire` on this thread.
            unsafe { ffi::PyGILState_Release(state) };
            SCOPES.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Runs `f` holding the GIL, taking it only if this thread does not hold it through pyz3.
#[inline]
pub fn with_gil<R>(f: impl FnOnce() -> R) -> Option<R> {
    if crate::opts::gil_cache() && held_by_pyz3() {
        return Some(f());
    }
    let token = acquire();
    if token == Token::Unavailable {
        return None;
    }
    let r = f();
    release(token);
    Some(r)
}

/// A GIL-released region; see [`release_begin`].
#[derive(Debug)]
pub struct Released {
    tstate: *mut ffi::PyThreadState,
    saved_depth: u32,
}

impl Released {
    /// A region that released nothing (the thread did not hold the GIL).
    pub const NOTHING: Released = Released {
        tstate: core::ptr::null_mut(),
        saved_depth: 0,
    };

    /// The saved thread state (NULL when nothing was released).
    pub fn tstate(&self) -> *mut ffi::PyThreadState {
        self.tstate
    }

    /// The saved depth.
    pub fn saved_depth(&self) -> u32 {
        self.saved_depth
    }

    /// Rebuilds a region from its parts (used by the C API, which hands them to C as a struct).
    pub fn from_parts(tstate: *mut ffi::PyThreadState, saved_depth: u32) -> Released {
        Released {
            tstate,
            saved_depth,
        }
    }
}

/// Releases the GIL if this thread holds it through pyz3, saving and zeroing the counter.
pub fn release_begin() -> Released {
    let depth = tls::gil_depth();
    if depth == 0 {
        return Released::NOTHING;
    }
    tls::set_gil_depth(0);
    // SAFETY: depth > 0 means this thread holds the GIL.
    let tstate = unsafe { ffi::PyEval_SaveThread() };
    Released {
        tstate,
        saved_depth: depth,
    }
}

/// Re-takes the GIL released by [`release_begin`] and restores the counter.
pub fn release_end(region: Released) {
    if region.tstate.is_null() {
        return;
    }
    // SAFETY: the thread state was saved by PyEval_SaveThread on this thread.
    unsafe { ffi::PyEval_RestoreThread(region.tstate) };
    tls::set_gil_depth(region.saved_depth);
}
