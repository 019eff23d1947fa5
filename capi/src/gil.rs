//! capi/src/gil.rs: GIL scopes for native threads and GIL-released regions.

use pyz3_core::abi::{pyz3_gil, pyz3_nogil};
use pyz3_core::gil;

use pyz3_core::panic::guard;

const NESTED: i32 = -1;
const UNAVAILABLE: i32 = -2;

/// Takes the GIL for a scope and returns its token. Nestable: if this thread already holds the
/// GIL through pyz3, only a per-thread counter moves, so allocations and nested scopes inside
/// cost no GIL call. Use it on native threads that call pyz3 functions repeatedly.
///
/// Scopes must be released in reverse order on the thread that took them (release the token
/// even when it holds nothing). Check `pyz3_gil_acquired(token)` before touching Python objects:
/// it is false when Python is not running, or has begun to exit and this thread did not already
/// hold the GIL through pyz3 — then nothing was taken. When the interpreter exits, it waits (up
/// to 10 s) for scopes in progress to be released, so end scopes promptly.
///
/// On free-threaded CPython a scope attaches the thread's state instead (Python objects may be
/// used inside it, as here); it does not take the lock that serialises the calls of a plugin not
/// declared `PYZ3_PLUGIN_FREE_THREADED`, so state such a plugin shares between its native threads
/// and its functions needs a lock of its own there (docs/free-threading.md).
#[no_mangle]
pub extern "C" fn pyz3_gil_acquire() -> pyz3_gil {
    guard(pyz3_gil { state: UNAVAILABLE }, || {
        let state = match gil::acquire() {
            gil::Token::Nested => NESTED,
            gil::Token::Unavailable => UNAVAILABLE,
            gil::Token::Ensured(s) => s as i32,
        };
        pyz3_gil { state }
    })
}

/// Ends a scope from `pyz3_gil_acquire`.
#[no_mangle]
pub extern "C" fn pyz3_gil_release(token: pyz3_gil) {
    guard((), || {
        let t = match token.state {
            NESTED => gil::Token::Nested,
            UNAVAILABLE => gil::Token::Unavailable,
            0 => gil::Token::Ensured(pyo3_ffi::PyGILState_STATE::PyGILState_LOCKED),
            _ => gil::Token::Ensured(pyo3_ffi::PyGILState_STATE::PyGILState_UNLOCKED),
        };
        gil::release(t)
    })
}

/// True when `token` (from `pyz3_gil_acquire`) holds the GIL: Python objects may be used until
/// it is released. False when nothing was taken (Python not running or exiting). Any thread.
#[no_mangle]
pub extern "C" fn pyz3_gil_acquired(token: pyz3_gil) -> bool {
    token.state != UNAVAILABLE
}

/// True when the calling thread holds the GIL (by pyz3 or otherwise). Any thread.
#[no_mangle]
pub extern "C" fn pyz3_gil_held() -> bool {
    guard(false, gil::held)
}

/// Releases the GIL so other Python threads run while this thread does native work; end the
/// region with `pyz3_nogil_end`. Inside the region do not touch Python objects; pyz3
/// allocation and `pyz3_raise` still work (they take the GIL briefly). If the thread does not
/// hold the GIL through pyz3, nothing is released and the region is inert.
#[no_mangle]
pub extern "C" fn pyz3_nogil_begin() -> pyz3_nogil {
    let inert = pyz3_nogil {
        tstate: core::ptr::null_mut(),
        depth: 0,
        reserved: 0,
    };
    guard(inert, || {
        let r = gil::release_begin();
        pyz3_nogil {
            tstate: r.tstate().cast(),
            depth: r.saved_depth(),
            reserved: 0,
        }
    })
}

/// Re-takes the GIL released by `pyz3_nogil_begin` (blocks until it is available).
#[no_mangle]
pub extern "C" fn pyz3_nogil_end(region: pyz3_nogil) {
    guard((), || {
        gil::release_end(gil::Released::from_parts(
            region.tstate.cast(),
            region.depth,
        ))
    })
}
