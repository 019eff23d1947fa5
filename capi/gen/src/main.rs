//! capi/gen/src/main.rs: writes every generated file of the project from libpyz3's sources.
//!
//! From the type registry (capi/core/src/types.rs), the exception kinds (exceptions.rs), the
//! naming rule (names.rs), the ABI structs (abi.rs) and the C surface (capi/src/*.rs):
//!
//! * `include/pyz3.h` — cbindgen, with the registry's type codes and exception kinds;
//! * `sdk/rust/src/abi.rs`, `names.rs`, `sys.rs`, `registry.rs` — the Rust SDK's copies of the
//!   ABI and the naming rule, its `extern "C"` declarations and its tables (so the crate is
//!   self-contained);
//! * `sdk/zig/pyz3_types.zig` — the Zig SDK's tables.
//!
//! Usage: `pyz3-gen [--out-dir DIR]` writes them under DIR (default: the repository root), each
//! replaced atomically; `pyz3-gen --check` compares instead and fails naming every stale file
//! (`make test` runs it). The registries are compiled in from source with `#[path]`: they are
//! plain Rust, so the generator needs neither CPython nor the runtime crate.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[path = "../../core/src/exceptions.rs"]
#[allow(dead_code, reason = "shared with the runtime, which uses all of it")]
mod exceptions;
#[path = "../../core/src/names.rs"]
#[allow(dead_code, reason = "shared with the runtime, which uses all of it")]
mod names;
#[path = "../../core/src/types.rs"]
#[allow(dead_code, reason = "shared with the runtime, which uses all of it")]
mod types;

mod header;
mod rust_sdk;
mod zig_sdk;

/// One generated file: its path relative to the repository root, and its text.
pub struct Generated {
    pub path: &'static str,
    pub text: String,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn generate_all(root: &Path) -> Result<Vec<Generated>, String> {
    Ok(vec![
        Generated {
            path: "include/pyz3.h",
            text: header::generate(root)?,
        },
        Generated {
            path: "sdk/rust/src/abi.rs",
            text: rust_sdk::abi(root)?,
        },
        Generated {
            path: "sdk/rust/src/names.rs",
            text: rust_sdk::names(root)?,
        },
        Generated {
            path: "sdk/rust/src/sys.rs",
            text: rust_sdk::sys(root)?,
        },
        Generated {
            path: "sdk/rust/src/registry.rs",
            text: rust_sdk::registry()?,
        },
        Generated {
            path: "sdk/zig/pyz3_types.zig",
            text: zig_sdk::types(),
        },
    ])
}

/// Replaces `path` with `text` atomically: a reader sees the old file or the new one.
fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let dir = path.parent().ok_or("no parent directory")?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
        std::process::id()
    ));
    std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", path.display())
    })
}

/// Runs `rustfmt` on generated Rust so the files pass `cargo fmt --check` as written.
pub fn rustfmt(text: &str) -> Result<String, String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".into()))
        .args(["--edition", "2021", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run rustfmt: {e}"))?;
    child
        .stdin
        .take()
        .ok_or("rustfmt has no stdin")?
        .write_all(text.as_bytes())
        .map_err(|e| format!("rustfmt: {e}"))?;
    let out = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "rustfmt failed on generated code: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("rustfmt: {e}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = repo_root();
    let mut out_dir = root.clone();
    let mut check = false;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--check" => check = true,
            "--out-dir" if i + 1 < args.len() => {
                out_dir = PathBuf::from(&args[i + 1]);
                i += 1;
            }
            other => {
                eprintln!("pyz3-gen: unknown argument {other:?} (usage: pyz3-gen [--out-dir DIR] [--check])");
                return ExitCode::from(2);
            }
        }
        i += 1;
    }
    let files = match generate_all(&root) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("pyz3-gen: {e}");
            return ExitCode::FAILURE;
        }
    };
    if check {
        let stale: Vec<&str> = files
            .iter()
            .filter(|g| std::fs::read_to_string(root.join(g.path)).ok().as_deref() != Some(&g.text))
            .map(|g| g.path)
            .collect();
        if stale.is_empty() {
            return ExitCode::SUCCESS;
        }
        for path in &stale {
            eprintln!("pyz3-gen: {path} is stale: run `make generate` and commit the result");
        }
        return ExitCode::FAILURE;
    }
    for g in &files {
        if let Err(e) = write_atomically(&out_dir.join(g.path), &g.text) {
            eprintln!("pyz3-gen: cannot write {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
