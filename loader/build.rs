// loader/build.rs: expose pyo3's Python version cfgs (Py_3_12, ...) to the loader's code.
fn main() {
    pyo3_build_config::use_pyo3_cfgs();
    println!("cargo:rerun-if-changed=build.rs");
}
