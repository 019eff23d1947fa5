// capi/build.rs: give libpyz3 its versioned soname, libpyz3.so.<ABI major>. The major version is
// read from capi/core/src/abi.rs, the single source of truth that cbindgen also turns into
// PYZ3_ABI_MAJOR in include/pyz3.h.
fn abi_major() -> String {
    let abi = std::fs::read_to_string("core/src/abi.rs").expect("read core/src/abi.rs");
    abi.lines()
        .find_map(|l| l.strip_prefix("pub const PYZ3_ABI_MAJOR: u16 = "))
        .and_then(|rest| rest.strip_suffix(';'))
        .expect("PYZ3_ABI_MAJOR in capi/core/src/abi.rs")
        .to_owned()
}

fn main() {
    let major = abi_major();
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libpyz3.so.{major}");
    }
    println!("cargo:rustc-env=PYZ3_ABI_MAJOR={major}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=core/src/abi.rs");
}
