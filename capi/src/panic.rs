//! capi/src/panic.rs: the panic boundary every export runs inside.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`; if it panics, reports the panic and returns `default` instead of unwinding into C.
///
/// The report goes to a Python `SystemError` when this thread holds the GIL through pyz3, and to
/// stderr otherwise (there is no one else to tell).
#[inline(always)]
pub fn guard<R>(default: R, f: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            report(&*payload);
            default
        }
    }
}

#[cold]
fn report(payload: &(dyn std::any::Any + Send)) {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    let msg = format!("internal error in libpyz3 (Rust panic): {what}");
    if pyz3_sdk::gil::held_by_pyz3() {
        // SAFETY: this thread holds the GIL.
        unsafe { pyz3_sdk::error::raise_str(pyo3_ffi::PyExc_SystemError, &msg) };
    } else {
        eprintln!("{msg}");
    }
}
