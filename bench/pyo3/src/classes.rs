//! bench/pyo3/src/classes.rs: the class benchmarks as `#[pyclass]`es, written the way PyO3 users
//! write them (`#[new]`, `#[getter]`/`#[setter]`, `PyRef` arguments). RollingStats keeps the
//! same ring buffer as bench/common/rolling.h (here on Rust's allocator); every constructor and
//! `Drop` keeps the live-instance count the pyz3 sample plugin keeps.

use std::sync::atomic::{AtomicI64, Ordering};

use pyo3::exceptions::{PyOverflowError, PyValueError};
use pyo3::prelude::*;

static LIVE: AtomicI64 = AtomicI64::new(0);

#[pyclass]
struct Counter {
    value: i64,
}

#[pymethods]
impl Counter {
    #[new]
    #[pyo3(signature = (start = 0))]
    fn new(start: i64) -> Self {
        LIVE.fetch_add(1, Ordering::Relaxed);
        Counter { value: start }
    }

    #[pyo3(signature = (by = 1))]
    fn inc(&mut self, by: i64) -> PyResult<i64> {
        self.value = self
            .value
            .checked_add(by)
            .ok_or_else(|| PyOverflowError::new_err("Counter.inc: overflow"))?;
        Ok(self.value)
    }

    fn reset(&mut self) {
        self.value = 0;
    }

    #[getter]
    fn value(&self) -> i64 {
        self.value
    }

    #[setter]
    fn set_value(&mut self, value: i64) {
        self.value = value;
    }

    fn __repr__(&self) -> String {
        format!("Counter(value={})", self.value)
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

#[pyclass]
struct RollingStats {
    window: usize,
    count: usize,
    next: usize,
    values: Vec<f64>,
}

impl RollingStats {
    fn with_window(window: usize) -> Self {
        LIVE.fetch_add(1, Ordering::Relaxed);
        RollingStats {
            window,
            count: 0,
            next: 0,
            values: vec![0.0; window],
        }
    }

    fn add(&mut self, x: f64) {
        self.values[self.next] = x;
        self.next = (self.next + 1) % self.window;
        if self.count < self.window {
            self.count += 1;
        }
    }

    fn at(&self, i: usize) -> f64 {
        let first = (self.next + self.window - self.count) % self.window;
        self.values[(first + i) % self.window]
    }
}

#[pymethods]
impl RollingStats {
    #[new]
    fn new(window: i64) -> PyResult<Self> {
        if window <= 0 {
            return Err(PyValueError::new_err(
                "RollingStats: window must be positive",
            ));
        }
        Ok(RollingStats::with_window(window as usize))
    }

    fn push(&mut self, x: f64) {
        self.add(x);
    }

    #[getter]
    fn count(&self) -> i64 {
        self.count as i64
    }

    fn __len__(&self) -> usize {
        self.count
    }
}

impl Drop for RollingStats {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A new RollingStats holding the values of a, then b.
#[pyfunction]
fn merge(a: PyRef<'_, RollingStats>, b: PyRef<'_, RollingStats>) -> RollingStats {
    let mut out = RollingStats::with_window(a.window + b.window);
    for i in 0..a.count {
        out.add(a.at(i));
    }
    for i in 0..b.count {
        out.add(b.at(i));
    }
    out
}

#[pyfunction]
fn live_count() -> i64 {
    LIVE.load(Ordering::Relaxed)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Counter>()?;
    m.add_class::<RollingStats>()?;
    m.add_function(wrap_pyfunction!(merge, m)?)?;
    m.add_function(wrap_pyfunction!(live_count, m)?)
}
