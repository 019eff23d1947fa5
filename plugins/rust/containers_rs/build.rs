// plugins/rust/containers_rs/build.rs: where to find libpyz3.so to link against. Outside this repo,
// set PYZ3_LIB_DIR (e.g. to the output of `python -c "import pyz3; print(pyz3.get_library_dir())"`).
fn main() {
    let dir = std::env::var("PYZ3_LIB_DIR").unwrap_or_else(|_| {
        let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
        format!("{manifest}/../../../build/lib")
    });
    println!("cargo:rustc-link-search=native={dir}");
    println!("cargo:rerun-if-env-changed=PYZ3_LIB_DIR");
}
