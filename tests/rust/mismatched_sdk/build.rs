// tests/rust/mismatched_sdk/build.rs: where libpyz3.so is (PYZ3_LIB_DIR, set by plugins.mk).
fn main() {
    let dir = std::env::var("PYZ3_LIB_DIR").expect("PYZ3_LIB_DIR: the directory of libpyz3.so");
    println!("cargo:rustc-link-search=native={dir}");
    println!("cargo:rerun-if-env-changed=PYZ3_LIB_DIR");
}
