//! capi/core/src/panic.rs: the one panic boundary of libpyz3.
//!
//! Every entry point that CPython or a plugin calls into — the `pyz3_*` exports, the loader's
//! type slots and module functions, the call trampolines and their error helpers — runs its body
//! inside [`guard`], so a Rust panic never unwinds into C. On the path that does not panic,
//! `catch_unwind` costs no instruction (the landing pad is out of line; docs/design.md has the
//! measurement).
//!
//! A handled panic is reported once, as the `SystemError` (or stderr line) below: Rust's default
//! panic hook would also print "thread panicked at" and, with `RUST_BACKTRACE` set, a whole
//! backtrace on the user's terminal. [`install_hook`] (called by `PyInit__pyz3`) replaces it with
//! a hook that defers the report instead: `guard` drops the deferred report of a panic it caught;
//! one that nobody caught is printed when the next panic happens on the thread (an unwind into C
//! aborts with a second panic, so that report still reaches stderr, with the abort's) or when the
//! thread exits (a thread killed by the panic). Knowing "inside a guard"
//! at the hook would need a thread-local write on every call, which the call path cannot afford;
//! deferring needs none. The hook is libpyz3's own: a cdylib links its own copy of std, so the
//! hook sees only panics of libpyz3's code — all of which run inside a guard (libpyz3 starts no
//! thread) — never the host application's or a plugin's.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;

/// Runs `f`; if it panics, reports the panic and returns `default` instead of unwinding into C.
///
/// The report is a Python `SystemError` when this thread holds the GIL (through pyz3 or
/// otherwise), and a line on stderr when it does not (there is no one else to tell).
#[inline(always)]
pub fn guard<R>(default: R, f: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            handled();
            report(&*payload);
            default
        }
    }
}

/// The hook's report of this thread's latest panic, until a guard catches that panic; printed if
/// the thread exits first.
struct Deferred(RefCell<Option<String>>);

impl Drop for Deferred {
    fn drop(&mut self) {
        if let Some(report) = self.0.get_mut().take() {
            eprint!("{report}");
        }
    }
}

thread_local! {
    static DEFERRED: Deferred = const { Deferred(RefCell::new(None)) };
}

/// Installs libpyz3's panic hook (once per process): reports of panics a [`guard`] catches are
/// dropped; any other panic's report is printed, at the latest when the next panic happens.
pub fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(deferring_hook)));
}

fn deferring_hook(info: &PanicHookInfo<'_>) {
    let thread = std::thread::current();
    let mut report = format!(
        "thread '{}' panicked at {}:\n{}\n",
        thread.name().unwrap_or("<unnamed>"),
        info.location()
            .map_or_else(|| "<unknown>".to_owned(), |l| l.to_string()),
        payload_message(info.payload())
    );
    // Backtrace::capture honours RUST_BACKTRACE / RUST_LIB_BACKTRACE, as the default hook does.
    let backtrace = std::backtrace::Backtrace::capture();
    if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
        report.push_str(&format!("stack backtrace:\n{backtrace}\n"));
    }
    let _ = DEFERRED.try_with(|slot| {
        let Ok(mut slot) = slot.0.try_borrow_mut() else {
            eprint!("{report}");
            return;
        };
        // The previous panic was not caught by a guard (this one may be the abort it led to):
        // print both now.
        if let Some(unhandled) = slot.take() {
            eprint!("{unhandled}{report}");
        } else {
            *slot = Some(report);
        }
    });
}

/// A guard caught this thread's latest panic: its deferred report is not printed.
#[cold]
fn handled() {
    let _ = DEFERRED.try_with(|slot| slot.0.try_borrow_mut().map(|mut s| s.take()));
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

// Not in `make check-free-threaded`: guard links the error paths, which need libpython, and that
// check links no interpreter.
#[cfg(all(test, not(Py_GIL_DISABLED)))]
mod tests {
    use std::process::Command;

    /// Runs this test binary's `child` test in a new process with RUST_BACKTRACE=1, returning its
    /// stderr: the hook is process-wide, so each case gets a process of its own.
    fn child_stderr(case: &str) -> String {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "panic::tests::child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("PYZ3_PANIC_CASE", case)
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "{case}: {out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    #[test]
    fn child() {
        let Ok(case) = std::env::var("PYZ3_PANIC_CASE") else {
            return;
        };
        super::install_hook();
        match case.as_str() {
            "guarded" => {
                assert_eq!(super::guard(1, || -> i32 { panic!("handled boom") }), 1);
            }
            "thread" => {
                // Not caught by a guard: the thread dies, and its report is printed as it exits.
                let joined = std::thread::spawn(|| panic!("thread boom")).join();
                assert!(joined.is_err());
                assert_eq!(super::guard(1, || -> i32 { panic!("handled boom") }), 1);
            }
            other => panic!("unknown case {other}"),
        }
    }

    #[test]
    fn a_caught_panic_prints_only_the_guards_report() {
        // No "panicked at", no backtrace: only guard's own line (no GIL here, so stderr).
        let err = child_stderr("guarded");
        let lines: Vec<_> = err.lines().filter(|l| l.contains("boom")).collect();
        assert_eq!(
            lines,
            ["internal error in libpyz3 (Rust panic): handled boom"],
            "{err}"
        );
        assert!(!err.contains("stack backtrace"), "{err}");
    }

    #[test]
    fn a_panic_no_guard_caught_is_still_printed_with_its_backtrace() {
        let err = child_stderr("thread");
        assert_eq!(err.matches("panicked at").count(), 1, "{err}");
        assert!(err.contains("panicked at capi/core/src/panic.rs:"), "{err}");
        assert!(err.contains("thread boom\nstack backtrace:"), "{err}");
        assert!(
            err.contains("internal error in libpyz3 (Rust panic): handled boom"),
            "{err}"
        );
    }
}
