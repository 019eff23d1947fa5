// loader/build.rs: expose pyo3's Python version cfgs (Py_3_12, ...) to the loader's code, and the
// version this build targets as PYZ3_PYTHON_VERSION ("3.14"), which build_info() reports.
fn main() {
    pyo3_build_config::use_pyo3_cfgs();
    let version = pyo3_build_config::get().version();
    println!(
        "cargo:rustc-env=PYZ3_PYTHON_VERSION={}.{}",
        version.major, version.minor
    );
    println!("cargo:rerun-if-changed=build.rs");
}
