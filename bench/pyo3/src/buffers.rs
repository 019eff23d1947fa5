//! bench/pyo3/src/buffers.rs: the buffer cases, the way PyO3 users write them — rust-numpy's
//! `PyReadonlyArray1` for numpy input and `PyArray1` for results, PyO3's `PyBuffer` for any
//! bytes-like object — doing bench/common/bench_common.h's work (the same loops, in Rust).

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sum_f64, m)?)?;
    m.add_function(wrap_pyfunction!(crc32, m)?)?;
    m.add_function(wrap_pyfunction!(linspace, m)?)?;
    m.add_function(wrap_pyfunction!(linspace_np, m)?)?;
    Ok(())
}

/// bench_crc32's table (zlib's reflected polynomial), built at compile time.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

#[pyfunction]
fn sum_f64(x: PyReadonlyArray1<'_, f64>) -> f64 {
    match x.as_slice() {
        Ok(d) => d.iter().sum(),
        Err(_) => x.as_array().iter().sum(),
    }
}

#[pyfunction]
#[pyo3(signature = (data, value=0))]
fn crc32(data: PyBuffer<u8>, value: u32) -> PyResult<u32> {
    if !data.is_c_contiguous() {
        return Err(PyValueError::new_err("crc32: data is not C-contiguous"));
    }
    // SAFETY: a C-contiguous buffer of `item_count` bytes, held by `data` for the call.
    let bytes =
        unsafe { std::slice::from_raw_parts(data.buf_ptr() as *const u8, data.item_count()) };
    let mut c = !value;
    for &b in bytes {
        c = CRC_TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
    }
    Ok(!c)
}

#[pyfunction]
fn linspace(py: Python<'_>, start: f64, stop: f64, n: usize) -> Bound<'_, PyArray1<f64>> {
    let step = if n > 1 {
        (stop - start) / (n - 1) as f64
    } else {
        0.0
    };
    // SAFETY: every element is written below before the array is returned.
    let out = unsafe { PyArray1::<f64>::new(py, [n], false) };
    // SAFETY: the new array is C-contiguous and not shared yet.
    let d = unsafe { out.as_slice_mut() }.expect("a new array is contiguous");
    for (i, x) in d.iter_mut().enumerate() {
        *x = i as f64 * step + start;
    }
    if n > 1 {
        d[n - 1] = stop;
    }
    out
}

/// The same function: PyO3's array results are numpy arrays already.
#[pyfunction]
fn linspace_np(py: Python<'_>, start: f64, stop: f64, n: usize) -> Bound<'_, PyArray1<f64>> {
    linspace(py, start, stop, n)
}
