// tests/rust/compile_pass.rs: the control for tests/rust/compile_fail: the same crate setup
// compiles a plugin with defaults of every kind the SDK's const checks look at.
pyz3_plugin::plugin! {
    name = "good";
    doc = "";
    fn fill(fill: f64 = 1e300, inf: f32 = f32::INFINITY, none: Option<f64> = None) -> f64 { fill + inf as f64 + none.unwrap_or(0.0) }
    fn text(s: &str = "it's", b: &[u8] = b"\x00", flag: bool = true, n: u8 = 255) -> i64 { (s.len() + b.len() + flag as usize + n as usize) as i64 }
}
