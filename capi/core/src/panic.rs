//! capi/core/src/panic.rs: the one panic boundary of libpyz3.
//!
//! Every entry point that CPython or a plugin calls into — the `pyz3_*` exports, the loader's
//! type slots and module functions, the call trampolines and their error helpers — runs its body
//! inside [`guard`], so a Rust panic never unwinds into C. On the path that does not panic,
//! `catch_unwind` costs no instruction (the landing pad is out of line; docs/design.md has the
//! measurement).

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`; if it panics, reports the panic and returns `default` instead of unwinding into C.
///
/// The report is a Python `SystemError` when this thread holds the GIL (through pyz3 or
/// otherwise), and a line on stderr when it does not (there is no one else to tell).
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

/// The message of a panic payload (`panic!("...")` gives a `&str` or a `String`).
pub fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

#[cold]
#[inline(never)]
fn report(payload: &(dyn std::any::Any + Send)) {
    let msg = format!(
        "internal error in libpyz3 (Rust panic): {}",
        payload_message(payload)
    );
    if crate::gil::held() {
        // SAFETY: this thread holds the GIL.
        unsafe {
            if crate::error::occurred() {
                crate::error::raise_system_error_chained(&msg);
            } else {
                crate::error::raise_str(pyo3_ffi::PyExc_SystemError, &msg);
            }
        }
    } else {
        eprintln!("{msg}");
    }
}
