//! loader/src/plugin/cache.rs: the outcome of each library's validation, by library handle.
//!
//! A plugin's entry point runs once per library in the process; later opens of the same library
//! (`load` under another name, `describe`, the CLI) reuse what was decided then: the validated
//! descriptor, or the reason it was refused (a library whose constructor raised stays refused,
//! though its constructors do not run again). Guarded by a
//! spin lock rather than a mutex: the critical sections are a few pointer comparisons, and a
//! `fork` handler resets the lock in the child, so a fork while another thread holds it cannot
//! leave the child's next load waiting forever.

use core::sync::atomic::{AtomicBool, Ordering};
use std::cell::UnsafeCell;
use std::sync::Once;

use super::PluginSpec;

/// What validating a library decided.
pub type Outcome = Result<PluginSpec, String>;

struct Cache {
    locked: AtomicBool,
    specs: UnsafeCell<Vec<(usize, Outcome)>>,
}

// SAFETY: `specs` is only touched between a successful `lock()` and `unlock()`.
unsafe impl Sync for Cache {}

static CACHE: Cache = Cache {
    locked: AtomicBool::new(false),
    specs: UnsafeCell::new(Vec::new()),
};
static ATFORK: Once = Once::new();

extern "C" fn reset_in_child() {
    // The child has one thread: whoever held the lock in the parent does not exist here.
    CACHE.locked.store(false, Ordering::Release);
}

fn with_lock<R>(f: impl FnOnce(&mut Vec<(usize, Outcome)>) -> R) -> R {
    ATFORK.call_once(|| {
        // SAFETY: registers a handler that only stores to an atomic.
        unsafe { libc::pthread_atfork(None, None, Some(reset_in_child)) };
    });
    while CACHE
        .locked
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        std::thread::yield_now();
    }
    // SAFETY: the lock is held.
    let r = f(unsafe { &mut *CACHE.specs.get() });
    CACHE.locked.store(false, Ordering::Release);
    r
}

/// What was decided for the library `handle`, if it was validated before.
pub fn get(handle: usize) -> Option<Outcome> {
    with_lock(|specs| {
        specs
            .iter()
            .find(|(h, _)| *h == handle)
            .map(|(_, s)| s.clone())
    })
}

/// Remembers what was decided for `handle`.
pub fn put(handle: usize, outcome: &Outcome) {
    with_lock(|specs| {
        if !specs.iter().any(|(h, _)| *h == handle) {
            specs.push((handle, outcome.clone()));
        }
    });
}
