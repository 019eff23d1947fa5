//! capi/gen-header/src/main.rs: writes include/pyz3.h with the pinned cbindgen.
//!
//! Usage: `pyz3-gen-header OUTPUT` (`-` for stdout). `make header` writes include/pyz3.h;
//! `make check-header` writes to a temporary file and fails on any difference.

use std::path::Path;

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| "-".to_owned());
    let capi = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let config = match cbindgen::Config::from_file(capi.join("cbindgen.toml")) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gen-header: cannot read capi/cbindgen.toml: {e}");
            std::process::exit(2);
        }
    };
    let bindings = match cbindgen::Builder::new()
        .with_crate(&capi)
        .with_config(config)
        .generate()
    {
        Ok(b) => b,
        Err(e) => {
            eprintln!("gen-header: cbindgen failed: {e}");
            std::process::exit(1);
        }
    };
    if out == "-" {
        bindings.write(std::io::stdout());
    } else {
        bindings.write_to_file(&out);
    }
}
