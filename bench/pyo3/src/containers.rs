//! bench/pyo3/src/containers.rs: the container cases (list_sum10, tuple_ret, callback, iter10,
//! dict_ret), written the way PyO3 users write them: `Vec<T>` and `HashMap` conversions, a
//! `#[pyclass]` iterator, `Bound::call1` for the callback; mirroring bench/floor/floor.c.

use std::collections::HashMap;

use pyo3::exceptions::{PyOverflowError, PyValueError};
use pyo3::prelude::*;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sum_list, m)?)?;
    m.add_function(wrap_pyfunction!(minmax, m)?)?;
    m.add_function(wrap_pyfunction!(apply, m)?)?;
    m.add_class::<CountUp>()?;
    m.add_function(wrap_pyfunction!(count_up, m)?)?;
    m.add_function(wrap_pyfunction!(word_counts, m)?)?;
    Ok(())
}

#[pyfunction]
fn sum_list(xs: Vec<i64>) -> PyResult<i64> {
    xs.iter()
        .try_fold(0i64, |sum, &x| sum.checked_add(x))
        .ok_or_else(|| PyOverflowError::new_err("sum does not fit in int64"))
}

#[pyfunction]
fn minmax(xs: Vec<f64>) -> PyResult<(f64, f64)> {
    let first = *xs
        .first()
        .ok_or_else(|| PyValueError::new_err("minmax: empty sequence"))?;
    Ok(xs
        .iter()
        .fold((first, first), |(lo, hi), &x| (lo.min(x), hi.max(x))))
}

#[pyfunction]
fn apply(f: &Bound<'_, PyAny>, xs: Vec<i64>) -> PyResult<Vec<i64>> {
    xs.iter()
        .map(|&x| f.call1((x,))?.extract::<i64>())
        .collect()
}

#[pyclass]
struct CountUp {
    next: i64,
    stop: i64,
}

#[pymethods]
impl CountUp {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(mut slf: PyRefMut<'_, Self>) -> Option<i64> {
        if slf.next >= slf.stop {
            return None;
        }
        slf.next += 1;
        Some(slf.next - 1)
    }
}

#[pyfunction]
fn count_up(n: i64) -> CountUp {
    CountUp { next: 0, stop: n }
}

/// bench/common/containers_work.h's word counting: ASCII whitespace, distinct words counted.
#[pyfunction]
fn word_counts(text: &str) -> HashMap<&str, i64> {
    let mut counts = HashMap::new();
    for w in text
        .split(|c: char| c == ' ' || ('\t'..='\r').contains(&c))
        .filter(|w| !w.is_empty())
    {
        *counts.entry(w).or_insert(0) += 1;
    }
    counts
}
