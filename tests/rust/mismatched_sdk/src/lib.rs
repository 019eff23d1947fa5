//! tests/rust/mismatched_sdk/src/lib.rs: an ordinary plugin; what is wrong with it is the SDK it
//! was built with (see Cargo.toml).
pyz3_plugin::plugin! {
    name = "mismatched_sdk";
    doc = "Built with a Rust SDK whose pyz3_function_def differs from the runtime's.";

    /// Add two integers.
    fn add(a: i64, b: i64) -> i64 { a.wrapping_add(b) }
}
