//! capi/gen/src/header.rs: include/pyz3.h — cbindgen over the capi crate, plus the registries.
//!
//! cbindgen copies the ABI structs, the `pyz3_*` prototypes and their doc comments; the type
//! codes and exception kinds are declared by macros in the runtime (which cbindgen does not
//! expand), so this module writes them from the registries, with the same doc comments.

use std::fmt::Write as _;
use std::path::Path;

use crate::exceptions::{EXCEPTIONS, PYZ3_EXC_COUNT};
use crate::types::{PYZ3_T_COUNT, TYPES};

/// A `// comment` per line of a registry doc string, as cbindgen writes doc comments.
fn c_comment(doc: &str) -> String {
    doc.lines()
        .map(|l| {
            let l = l.strip_prefix(' ').unwrap_or(l);
            if l.is_empty() {
                "//\n".to_owned()
            } else {
                format!("// {l}\n")
            }
        })
        .collect()
}

/// The registry part of the header: type codes and exception kinds.
fn registry_block() -> String {
    let mut s = String::new();
    s.push_str(
        "\n/* ---- Declared type codes: `pyz3_param.type`, `pyz3_function_def.return_type` ----------\n \
         * From the type registry, capi/core/src/types.rs. */\n\n",
    );
    for t in TYPES {
        s.push_str(&c_comment(t.doc));
        let _ = writeln!(s, "#define {} {}\n", t.macro_name, t.code as u8);
    }
    s.push_str("// One past the last valid type code.\n");
    let _ = writeln!(s, "#define PYZ3_T_COUNT {PYZ3_T_COUNT}\n");
    s.push_str(
        "/* ---- Exception kinds for `pyz3_raise` ------------------------------------------------\n \
         * From capi/core/src/exceptions.rs. */\n\n",
    );
    for e in EXCEPTIONS {
        s.push_str(&c_comment(e.doc));
        let _ = writeln!(s, "#define {} {}\n", e.macro_name, e.kind as i32);
    }
    s.push_str("// One past the last exception kind.\n");
    let _ = writeln!(s, "#define PYZ3_EXC_COUNT {PYZ3_EXC_COUNT}");
    s
}

/// The text of include/pyz3.h.
pub fn generate(root: &Path) -> Result<String, String> {
    let capi = root.join("capi");
    let mut config = cbindgen::Config::from_file(capi.join("cbindgen.toml"))
        .map_err(|e| format!("cannot read capi/cbindgen.toml: {e}"))?;
    let after = config.after_includes.take().unwrap_or_default();
    config.after_includes = Some(format!("{after}{}", registry_block()));
    let bindings = cbindgen::Builder::new()
        .with_crate(&capi)
        .with_config(config)
        .generate()
        .map_err(|e| format!("cbindgen failed: {e}"))?;
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).map_err(|e| format!("cbindgen wrote invalid UTF-8: {e}"))
}
