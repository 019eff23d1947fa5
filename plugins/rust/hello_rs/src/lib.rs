//! plugins/rust/hello_rs/src/lib.rs: the sample Rust plugin — the hello plugin's behaviour,
//! written as ordinary Rust functions with pyz3-plugin. Built by `make plugins` into
//! build/plugins/libhello_rs.so; it references no CPython symbol.

use pyz3_plugin::abi_stable::std_types::{ROption, RSlice, RStr, RString, RVec};
use pyz3_plugin::{plugin, without_gil, Buffer, Gil, NewObject, Object, PyErr};

plugin! {
    name = "hello_rs";
    doc = "The pyz3 sample Rust plugin: types, defaults, optional values, errors, the GIL.";
    // No state of its own: safe to run on several threads at once on free-threaded CPython.
    free_threaded = true;

    /// Add two integers.
    fn add(a: i64, b: i64) -> Result<i64, PyErr> {
        a.checked_add(b).ok_or_else(|| PyErr::overflow_error("add: result does not fit in int64"))
    }

    /// Greet someone by name.
    fn greet(name: &str = "world") -> String {
        format!("hello, {name}")
    }

    /// Multiply x by factor.
    fn scale(x: f64, factor: f64 = 2.0) -> f64 {
        x * factor
    }

    /// Divide a by b; b == 0 raises ZeroDivisionError.
    fn divide(a: f64, b: f64) -> Result<f64, PyErr> {
        if b == 0.0 {
            return Err(PyErr::zero_division_error("divide: division by zero"));
        }
        Ok(a / b)
    }

    /// Half of x, or None when x is None.
    fn half(x: Option<f64>) -> Option<f64> {
        x.map(|v| v / 2.0)
    }

    /// 1, 2 or 3 for 'one', 'two', 'three'; KeyError otherwise.
    fn lookup(key: &str) -> Result<i64, PyErr> {
        match key {
            "one" => Ok(1),
            "two" => Ok(2),
            "three" => Ok(3),
            other => Err(PyErr::key_error(other)),
        }
    }

    /// Length of s in UTF-8 bytes.
    fn strlen(s: &str) -> i64 {
        s.len() as i64
    }

    /// Concatenate two bytes objects.
    fn concat(a: &[u8], b: &[u8]) -> Vec<u8> {
        [a, b].concat()
    }

    /// Does nothing and returns None.
    fn nothing() {}

    /// Returns its argument unchanged.
    fn echo_i8(x: i8) -> i8 { x }
    /// Returns its argument unchanged.
    fn echo_u16(x: u16) -> u16 { x }
    /// Returns its argument unchanged.
    fn echo_i32(x: i32) -> i32 { x }
    /// Returns its argument unchanged.
    fn echo_u64(x: u64) -> u64 { x }
    /// Returns its argument unchanged.
    fn echo_f32(x: f32) -> f32 { x }
    /// Returns its argument unchanged.
    fn echo_bool(x: bool) -> bool { x }

    /// The same object, as a new reference.
    fn echo_object(x: Object) -> NewObject {
        // SAFETY: `x` is a live borrowed object; the result is a new reference to it.
        unsafe { pyz3_plugin::sys::pyz3_incref(x.0) };
        NewObject(x.0)
    }

    /// Panics, which pyz3-plugin turns into RuntimeError.
    fn explode(message: &str) -> i64 {
        panic!("{message}")
    }

    /// Format n with a label; sep is keyword-only.
    #[keyword_only(sep)]
    fn describe(n: i64, label: &str = "n", sep: &str = ": ") -> String {
        format!("{label}{sep}{n}")
    }

    /// a - b, positional-only.
    #[positional_only]
    fn sub(a: i64, b: i64) -> i64 {
        a.wrapping_sub(b)
    }

    /// (a // b, a % b): a Rust tuple is a Python tuple.
    fn divmod_rs(a: i64, b: i64) -> Result<(i64, i64), PyErr> {
        if b == 0 {
            return Err(PyErr::zero_division_error("divmod_rs: division by zero"));
        }
        Ok((a.div_euclid(b), a.rem_euclid(b)))
    }

    /// n as every kind of scalar tuple item: int, float, bool, str, bytes.
    fn as_items(n: i64) -> (i64, f64, bool, String, Vec<u8>) {
        (n, n as f64 / 2.0, n > 0, n.to_string(), n.to_le_bytes()[..1].to_vec())
    }

    /// text, upper-cased: abi_stable's RStr in, RString out.
    fn shout_stable(text: RStr<'_>) -> RString {
        RString::from(text.as_str().to_uppercase())
    }

    /// The bytes reversed, or None for None: abi_stable's ROption, RSlice and RVec.
    fn reverse_stable(data: ROption<RSlice<'_, u8>>) -> ROption<RVec<u8>> {
        data.map(|d| d.iter().rev().copied().collect())
    }

    /// Whether a thread this function starts panics (outside any plugin function body, so its
    /// panic is reported on stderr as Rust reports any thread's).
    fn panic_in_thread(message: &str) -> bool {
        let message = message.to_owned();
        std::thread::spawn(move || panic!("{message}")).join().is_err()
    }

    /// Sum of n zeroed 256-byte buffers' lengths, allocated on libpyz3's allocator with the
    /// GIL released (each allocation takes the GIL briefly).
    #[release_gil]
    fn allocate_released(n: i64) -> Result<i64, PyErr> {
        let mut total = 0i64;
        for _ in 0..n {
            let mut buf = Buffer::zeroed(256, 64).ok_or_else(|| PyErr::memory_error("allocate_released"))?;
            if buf.addr() % 64 != 0 || buf.as_mut_slice().iter().any(|&b| b != 0) {
                return Err(PyErr::runtime_error("misaligned or dirty buffer"));
            }
            total += buf.as_mut_slice().len() as i64;
        }
        Ok(total)
    }

    /// Whether the GIL is held: inside the call, inside a released region, inside a scope.
    fn gil_states() -> String {
        let call = Gil::held();
        let (released, scoped) = without_gil(|| {
            let released = Gil::held();
            let _scope = Gil::acquire();
            (released, Gil::held())
        });
        format!("{call} {released} {scoped}")
    }

    /// Raises the exception of the kind named `kind` ("value_error", ...) with `message`.
    fn raise_named(kind: &str, message: &str) -> Result<(), PyErr> {
        Err(PyErr::of_kind_named(kind, message)
            .unwrap_or_else(|| PyErr::value_error(format!("no exception kind {kind:?}"))))
    }

    /// "hello, <name>", made by a function that runs with the GIL released: its `str` result
    /// is built inside a GIL scope.
    #[release_gil]
    fn greet_released(name: &str) -> String {
        format!("hello, {name}")
    }

    /// pyz3_runtime_id() as this plugin sees it.
    fn runtime_id() -> u64 {
        // SAFETY: callable from any thread.
        unsafe { pyz3_plugin::sys::pyz3_runtime_id() as u64 }
    }
}
