//! bench/pyo3/src/scalar.rs: the scalar cases (bench/harness.py's CASES), one `#[pyfunction]`
//! each, mirroring bench/floor/floor.c function for function.

use std::thread;

use pyo3::exceptions::{PyMemoryError, PyRuntimeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::common::{
    BENCH_ALLOC_COUNT, BENCH_ALLOC_SIZE, BENCH_GREET_BUF, BENCH_GREET_PREFIX,
    BENCH_GREET_PREFIX_LEN, BENCH_ROUNDTRIPS, BENCH_THREAD_ALLOCS,
};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(noop, m)?)?;
    m.add_function(wrap_pyfunction!(add, m)?)?;
    m.add_function(wrap_pyfunction!(fadd, m)?)?;
    m.add_function(wrap_pyfunction!(slen, m)?)?;
    m.add_function(wrap_pyfunction!(greet, m)?)?;
    m.add_function(wrap_pyfunction!(kwargs, m)?)?;
    m.add_function(wrap_pyfunction!(alloc10, m)?)?;
    m.add_function(wrap_pyfunction!(thread_alloc_scoped, m)?)?;
    m.add_function(wrap_pyfunction!(thread_alloc_unscoped, m)?)?;
    m.add_function(wrap_pyfunction!(roundtrip1000, m)?)?;
    Ok(())
}

#[pyfunction]
fn noop() {}

#[pyfunction]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

#[pyfunction]
fn fadd(a: f64, b: f64) -> f64 {
    a + b
}

#[pyfunction]
fn slen(s: &str) -> i64 {
    s.len() as i64
}

#[pyfunction]
fn greet<'py>(py: Python<'py>, s: &str) -> PyResult<Bound<'py, PyString>> {
    let mut buf = [0u8; BENCH_GREET_BUF];
    if s.len() > BENCH_GREET_BUF - BENCH_GREET_PREFIX_LEN {
        return Err(PyValueError::new_err("name too long"));
    }
    let n = BENCH_GREET_PREFIX_LEN + s.len();
    buf[..BENCH_GREET_PREFIX_LEN].copy_from_slice(BENCH_GREET_PREFIX.as_bytes());
    buf[BENCH_GREET_PREFIX_LEN..n].copy_from_slice(s.as_bytes());
    // SAFETY: both pieces are whole `str`s, so their concatenation is valid UTF-8 (the C peers
    // do not re-validate either).
    let text = unsafe { std::str::from_utf8_unchecked(&buf[..n]) };
    Ok(PyString::new(py, text))
}

#[pyfunction]
fn kwargs(a: i64, b: i64, c: i64) -> i64 {
    a + b + c
}

/// PyMem_Malloc with the GIL held (the `Python` token proves it), like the floor.
#[pyfunction]
fn alloc10(_py: Python<'_>) -> PyResult<()> {
    let mut blocks = [std::ptr::null_mut::<std::ffi::c_void>(); BENCH_ALLOC_COUNT];
    for i in 0..BENCH_ALLOC_COUNT {
        // SAFETY: the GIL is held for the whole call (a `#[pyfunction]` runs attached).
        let p = unsafe { ffi::PyMem_Malloc(BENCH_ALLOC_SIZE) };
        if p.is_null() {
            for &q in &blocks[..i] {
                // SAFETY: q came from PyMem_Malloc above and is freed once; GIL held.
                unsafe { ffi::PyMem_Free(q) };
            }
            return Err(PyMemoryError::new_err(()));
        }
        // SAFETY: p points to BENCH_ALLOC_SIZE writable bytes; volatile so the write stays.
        unsafe { p.cast::<u8>().write_volatile(i as u8) };
        blocks[i] = p;
    }
    for &p in &blocks {
        // SAFETY: every block came from PyMem_Malloc above and is freed once; GIL held.
        unsafe { ffi::PyMem_Free(p) };
    }
    Ok(())
}

/// One allocate + free pair; the caller holds the GIL through `_py`.
fn alloc_free_pair(_py: Python<'_>, i: usize) -> bool {
    // SAFETY: the `Python` token proves the GIL is held.
    let p = unsafe { ffi::PyMem_Malloc(BENCH_ALLOC_SIZE) };
    if p.is_null() {
        return false;
    }
    // SAFETY: p points to BENCH_ALLOC_SIZE writable bytes and is freed once, GIL held.
    unsafe {
        p.cast::<u8>().write_volatile(i as u8);
        ffi::PyMem_Free(p);
    }
    true
}

/// A native thread Python never saw attaches once for the whole loop.
fn worker_scoped() {
    Python::attach(|py| {
        for i in 0..BENCH_THREAD_ALLOCS {
            if !alloc_free_pair(py, i) {
                break;
            }
        }
    });
}

/// The same thread attaching around each allocation and each free.
fn worker_unscoped() {
    for i in 0..BENCH_THREAD_ALLOCS {
        // SAFETY: PyMem_Malloc runs attached (inside Python::attach).
        let p = Python::attach(|_py| unsafe { ffi::PyMem_Malloc(BENCH_ALLOC_SIZE) });
        if p.is_null() {
            break;
        }
        // SAFETY: p points to BENCH_ALLOC_SIZE writable bytes, not yet freed.
        unsafe { p.cast::<u8>().write_volatile(i as u8) };
        // SAFETY: p came from PyMem_Malloc and is freed once, attached.
        Python::attach(|_py| unsafe { ffi::PyMem_Free(p) });
    }
}

/// Runs `worker` on a new thread and joins it, detached from Python meanwhile.
fn run_worker(py: Python<'_>, worker: fn()) -> PyResult<()> {
    let spawned = py.detach(|| thread::Builder::new().spawn(worker).map(|t| t.join()));
    match spawned {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(PyRuntimeError::new_err("worker thread panicked")),
        Err(e) => Err(PyRuntimeError::new_err(format!("thread spawn failed: {e}"))),
    }
}

#[pyfunction]
fn thread_alloc_scoped(py: Python<'_>) -> PyResult<()> {
    run_worker(py, worker_scoped)
}

#[pyfunction]
fn thread_alloc_unscoped(py: Python<'_>) -> PyResult<()> {
    run_worker(py, worker_unscoped)
}

#[pyfunction]
fn roundtrip1000(py: Python<'_>) -> PyResult<i64> {
    let mut acc = 0i64;
    for i in 0..BENCH_ROUNDTRIPS as i64 {
        let o = i.into_pyobject(py)?;
        acc += o.extract::<i64>()?;
    }
    Ok(acc)
}
