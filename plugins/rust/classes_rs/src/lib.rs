//! plugins/rust/classes_rs/src/lib.rs: the sample classes plugin in Rust, the twin of
//! plugins/c/classes/classes.c (tests/python/test_classes.py runs the same suite on both).
//! Built by `make plugins` into build/plugins/libclasses_rs.so.
//!
//! A `struct` and its `impl` inside `plugin!` are a class: `new` is the constructor, methods take
//! `&self` or `&mut self`, `#[getter]`/`#[setter(name)]` make properties, `Drop` is the
//! destructor, `__getstate__`/`__setstate__` make it picklable, and `ObjectField` fields hold
//! Python objects the garbage collector sees.

use std::sync::atomic::{AtomicI64, Ordering};

use pyz3_plugin::{plugin, NewObject, Object, ObjectField, PyErr};

/// Instances of every class whose state exists.
static LIVE: AtomicI64 = AtomicI64::new(0);

fn born() {
    LIVE.fetch_add(1, Ordering::Relaxed);
}

impl Drop for Counter {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Drop for RollingStats {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

impl RollingStats {
    fn with_window(window: usize) -> RollingStats {
        born();
        RollingStats {
            window,
            values: std::collections::VecDeque::with_capacity(window),
        }
    }

    fn add(&mut self, x: f64) {
        if self.values.len() == self.window {
            self.values.pop_front();
        }
        self.values.push_back(x);
    }

    fn average(&self) -> f64 {
        self.values.iter().sum::<f64>() / self.values.len() as f64
    }
}

plugin! {
    name = "classes_rs";
    doc = "Native classes: Counter, RollingStats, Node.";

    /// A counter that starts at `start`.
    pub struct Counter {
        value: i64,
    }

    impl Counter {
        fn new(start: i64 = 0) -> Self {
            born();
            Counter { value: start }
        }

        /// Add `by` and return the new value.
        fn inc(&mut self, by: i64 = 1) -> Result<i64, PyErr> {
            self.value = self
                .value
                .checked_add(by)
                .ok_or_else(|| PyErr::overflow_error("Counter.inc: the value does not fit in int64"))?;
            Ok(self.value)
        }

        /// Set the value to 0.
        fn reset(&mut self) {
            self.value = 0;
        }

        fn __repr__(&self) -> String {
            format!("Counter(value={})", self.value)
        }

        /// The current value.
        #[getter]
        fn value(&self) -> i64 {
            self.value
        }

        #[setter(value)]
        fn set_value(&mut self, value: i64) {
            self.value = value;
        }

        fn __getstate__(&self) -> i64 {
            self.value
        }

        fn __setstate__(value: i64) -> Self {
            Counter::new(value)
        }
    }

    /// Mean and variance of the last `window` values.
    pub struct RollingStats {
        window: usize,
        values: std::collections::VecDeque<f64>,
    }

    impl RollingStats {
        fn new(window: i64) -> Result<Self, PyErr> {
            if window <= 0 {
                return Err(PyErr::value_error("RollingStats: window must be positive"));
            }
            if window > 1 << 28 {
                return Err(PyErr::value_error("RollingStats: window is too large"));
            }
            Ok(RollingStats::with_window(window as usize))
        }

        /// Add a value; the oldest goes once `window` are held.
        fn push(&mut self, x: f64) {
            self.add(x);
        }

        fn __len__(&self) -> i64 {
            self.values.len() as i64
        }

        /// How many values are held.
        #[getter]
        fn count(&self) -> i64 {
            self.values.len() as i64
        }

        /// Mean of the values held.
        #[getter]
        fn mean(&self) -> Result<f64, PyErr> {
            if self.values.is_empty() {
                return Err(PyErr::value_error("RollingStats.mean: no values"));
            }
            Ok(self.average())
        }

        /// Sample variance of the values held (ValueError with fewer than 2).
        #[getter]
        fn variance(&self) -> Result<f64, PyErr> {
            let n = self.values.len();
            if n < 2 {
                return Err(PyErr::value_error("RollingStats.variance: needs at least 2 values"));
            }
            let m = self.average();
            Ok(self.values.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64)
        }
    }

    /// Holds one Python object.
    pub struct Node {
        value: ObjectField,
    }

    impl Node {
        fn new(value: Object) -> Self {
            born();
            Node { value: ObjectField::new(value) }
        }

        /// Any Python object.
        #[getter]
        fn value(&self) -> NewObject {
            // Empty once the collector broke a cycle through the node: None.
            self.value.new_ref()
        }

        #[setter(value)]
        fn set_value(&mut self, value: Object) {
            self.value.set(value);
        }
    }

    /// A new RollingStats holding the values of a, then b.
    fn merge(a: &RollingStats, b: &RollingStats) -> RollingStats {
        let mut out = RollingStats::with_window(a.window + b.window);
        for &x in a.values.iter().chain(b.values.iter()) {
            out.add(x);
        }
        out
    }

    /// How many instances of this plugin's classes exist.
    fn live_count() -> i64 {
        LIVE.load(Ordering::Relaxed)
    }
}
