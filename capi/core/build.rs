// sdk/build.rs: expose the Python version cfgs (Py_3_11, Py_3_12, ...) that pyo3-ffi uses, so
// the runtime can read CPython's per-version object layouts.
fn main() {
    pyo3_build_config::use_pyo3_cfgs();
    println!("cargo:rerun-if-changed=build.rs");
}
