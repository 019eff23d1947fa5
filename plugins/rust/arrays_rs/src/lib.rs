//! plugins/rust/arrays_rs/src/lib.rs: the Rust twin of plugins/c/arrays — buffers in (slices and
//! strided views), arrays out, with the same functions and signatures. Built by `make plugins`
//! into build/plugins/libarrays_rs.so; it references no CPython symbol.

use pyz3_plugin::{Array, ByteView, PyErr, View, ViewMut};

/// zlib's CRC-32 table (reflected polynomial 0xEDB88320), built at compile time.
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

const FILL_THREADS: usize = 4;

fn fill_range(mut x: ViewMut<f64>, value: f64) {
    for i in 0..x.len() {
        x.set([i], value);
    }
}

pyz3_plugin::plugin! {
    name = "arrays_rs";
    doc = "Buffers in, arrays out: numpy, bytearray, memoryview, array.array, bytes.";

    /// Sum of a 1-D float64 buffer (any strides, read-only accepted).
    fn sum_f64(x: View<f64>) -> f64 {
        match x.as_slice() {
            Some(d) => d.iter().sum(),
            None => (0..x.len()).map(|i| x.at([i])).sum(),
        }
    }

    /// Multiply a writable 1-D float64 buffer by factor, in place.
    fn scale(x: ViewMut<f64>, factor: f64) {
        let mut x = x;
        for i in 0..x.len() {
            let v = x.at([i]);
            x.set([i], v * factor);
        }
    }

    /// Inner product of two 1-D float64 buffers of the same length.
    fn dot(a: View<f64>, b: View<f64>) -> Result<f64, PyErr> {
        if a.len() != b.len() {
            return Err(PyErr::value_error("dot: a and b have different lengths"));
        }
        Ok((0..a.len()).map(|i| a.at([i]) * b.at([i])).sum())
    }

    /// CRC-32 of a bytes-like object, continuing from value (as zlib.crc32).
    fn crc32(data: ByteView, value: u32 = 0) -> u32 {
        let mut c = !value;
        for &b in data.iter() {
            c = CRC_TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
        }
        !c
    }

    /// n evenly spaced float64 values from start to stop, as a new array.
    fn linspace(start: f64, stop: f64, n: i64) -> Result<Array<f64>, PyErr> {
        let len = usize::try_from(n)
            .map_err(|_| PyErr::value_error("linspace: n must be non-negative"))?;
        let mut a = Array::<f64>::new([len])?;
        let step = if len > 1 { (stop - start) / (len - 1) as f64 } else { 0.0 };
        let d = a.as_mut_slice();
        for (i, x) in d.iter_mut().enumerate() {
            *x = i as f64 * step + start;
        }
        if len > 1 {
            d[len - 1] = stop;
        }
        Ok(a)
    }

    /// Sum of a 2-D float64 buffer (any strides).
    fn sum_2d(m: View<f64, 2>) -> f64 {
        let [rows, cols] = m.shape();
        (0..rows).flat_map(|i| (0..cols).map(move |j| (i, j))).map(|(i, j)| m.at([i, j])).sum()
    }

    /// The transpose of a 2-D float64 buffer, as a new C-contiguous array.
    fn transpose_copy(m: View<f64, 2>) -> Result<Array<f64, 2>, PyErr> {
        let [rows, cols] = m.shape();
        let mut out = Array::<f64, 2>::new([cols, rows])?;
        let d = out.as_mut_slice();
        for i in 0..rows {
            for j in 0..cols {
                d[j * rows + i] = m.at([i, j]);
            }
        }
        Ok(out)
    }

    /// Set every element of a writable 1-D float64 buffer to value, from four native threads
    /// with the GIL released.
    #[release_gil]
    fn fill_parallel(x: ViewMut<f64>, value: f64) {
        let n = x.len();
        let mut parts = Vec::with_capacity(FILL_THREADS);
        let mut rest = x;
        for t in 0..FILL_THREADS {
            let (head, tail) = rest.split_at(n * (t + 1) / FILL_THREADS - n * t / FILL_THREADS);
            parts.push(head);
            rest = tail;
        }
        std::thread::scope(|s| {
            for part in parts {
                s.spawn(move || fill_range(part, value));
            }
        });
    }
}
