//! bench/pyo3/src/lib.rs: the `pyo3_bench` module, the benchmark functions through PyO3.
//!
//! Written the way PyO3 users write them (plain `#[pyfunction]`s, PyO3's own conversions); the
//! work per case is bench/common's, whose constants build.rs translates into `common`. One file
//! per family of cases: a new case is a `#[pyfunction]` in its family's file plus one line in
//! that file's `register`; a new family (buffers with rust-numpy, classes, containers) is a new
//! file and one more `register` call below.

use pyo3::prelude::*;

mod buffers;
mod classes;
mod containers;
mod scalar;

/// bench/common/bench_common.h, translated by build.rs.
mod common {
    include!(concat!(env!("OUT_DIR"), "/bench_common.rs"));
}

#[pymodule]
fn pyo3_bench(m: &Bound<'_, PyModule>) -> PyResult<()> {
    scalar::register(m)?;
    buffers::register(m)?;
    classes::register(m)?;
    containers::register(m)
}
