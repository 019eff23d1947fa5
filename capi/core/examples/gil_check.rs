//! capi/core/examples/gil_check.rs: what it costs to ask "does this thread hold the GIL?".
//!
//! Built as a shared library by `make bench-gil` and called by bench/gil_check.py through
//! `ctypes.PyDLL` (so the GIL is held), which makes its thread-locals those of a `dlopen`ed
//! library, as in libpyz3: the initial-exec read the runtime uses, a `thread_local!` read (the
//! global-dynamic model a plain Rust cdylib gets), `PyGILState_Check()`, and
//! `PyGILState_Ensure/Release` with the GIL already held — each timed in a native loop, all in one
//! process run. docs/optimizations.md quotes the numbers.

use std::hint::black_box;
use std::time::Instant;

use pyo3_ffi as ffi;

/// Fills `out[0..4]` with ns per operation over `n` iterations: initial-exec TLS read,
/// `thread_local!` read, `PyGILState_Check`, `PyGILState_Ensure`+`Release`. Returns 0, or -1 for
/// a bad argument.
///
/// # Safety
/// The GIL is held; `out` points to 4 writable doubles.
#[no_mangle]
pub unsafe extern "C" fn pyz3_bench_gil_check(n: u64, out: *mut f64) -> i32 {
    if n == 0 || out.is_null() {
        return -1;
    }
    let per_op = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        f();
        start.elapsed().as_nanos() as f64 / n as f64
    };
    let mut acc = 0u32;
    let initial_exec = per_op(&mut || {
        for _ in 0..n {
            acc = acc.wrapping_add(black_box(pyz3_core::tls::gil_depth()));
        }
    });
    let thread_local = per_op(&mut || {
        for _ in 0..n {
            acc = acc.wrapping_add(black_box(pyz3_core::tls::read_thread_local_gd()));
        }
    });
    let check = per_op(&mut || {
        for _ in 0..n {
            // SAFETY: callable with the GIL held.
            acc = acc.wrapping_add(black_box(unsafe { ffi::PyGILState_Check() }) as u32);
        }
    });
    let ensure = per_op(&mut || {
        for _ in 0..n {
            // SAFETY: the GIL is held; each Ensure is paired with a Release.
            unsafe {
                let g = ffi::PyGILState_Ensure();
                ffi::PyGILState_Release(black_box(g));
            }
        }
    });
    black_box(acc);
    // SAFETY: `out` holds 4 doubles per the contract.
    unsafe {
        for (i, v) in [initial_exec, thread_local, check, ensure]
            .into_iter()
            .enumerate()
        {
            out.add(i).write(v);
        }
    }
    0
}
