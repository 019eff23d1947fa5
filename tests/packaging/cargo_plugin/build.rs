// tests/packaging/cargo_plugin/build.rs: compile the C plugin body against the installed pyz3
// (found through `pyz3-loader config`) and link libpyz3.
use std::process::Command;

fn pyz3_config(option: &str) -> String {
    let out = Command::new("pyz3-loader")
        .args(["config", option])
        .output()
        .expect("pyz3-loader not found: install pyz3 in the active environment");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn main() {
    let include = pyz3_config("--includedir");
    let libdir = pyz3_config("--libdir");
    cc::Build::new()
        .file("src/hello.c")
        .include(&include)
        .flag("-std=c11")
        // The Rust side exports the entry point (a cdylib exports only Rust symbols).
        .define("pyz3_plugin_entry", "hello_c_plugin_entry")
        .compile("hello_c");
    println!("cargo:rustc-link-search=native={libdir}");
    println!("cargo:rustc-link-lib=dylib=pyz3");
    println!("cargo:rerun-if-changed=src/hello.c");
}
