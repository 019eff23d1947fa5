//! loader/src/plugin/mod.rs: opening a plugin library, the version handshake, and descriptor checks.
//!
//! Order of events for `open`:
//! 1. resolve the path to an absolute, existing regular file (a bare name without a '/' is
//!    refused, so neither the library search path nor the current directory is ever searched);
//! 2. `dlopen(path, RTLD_NOW | RTLD_LOCAL)`: every undefined symbol must resolve now;
//! 3. look up `pyz3_plugin_entry` and call it — the first plugin code that runs besides the
//!    library's own constructors;
//! 4. read the 16-byte header and check magic, major, minor and struct size — before any other
//!    field is read;
//! 5. a Rust plugin's layout record, if it exports one ([`rust_layout`]: abi_stable's checker);
//! 6. read and validate the rest into an owned [`PluginSpec`].
//!
//! The pieces live beside this file: [`elf`] (step 1's pre-check), [`validate`] (steps 4 and 5),
//! [`classes`] (step 5 for the classes section), and [`safemem`], through which every read of
//! plugin memory goes: it copies with `process_vm_readv` on our own process, so a wild pointer
//! yields an error, not a crash.

use core::ffi::c_void;
use std::ffi::CString;
use std::fmt;
use std::path::{Path, PathBuf};

use pyz3_core::abi::*;
use pyz3_core::types::{TypeCode, TypeFacts};

mod cache;
pub mod classes;
pub mod code;
pub mod elf;
pub mod rust_layout;
pub mod safemem;
pub mod validate;

pub use validate::{check_header, read_descriptor};

/// Why a plugin could not be loaded; the message names the file and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The path as given (or resolved, when that succeeded).
    pub path: String,
    /// What went wrong, for a human.
    pub reason: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot load pyz3 plugin '{}': {}",
            self.path, self.reason
        )
    }
}

impl std::error::Error for LoadError {}

/// A parameter, validated and copied out of the plugin's descriptor.
#[derive(Debug, Clone)]
pub struct ParamSpec {
    /// Python identifier.
    pub name: String,
    /// The declared type.
    pub ty: TypeCode,
    /// `PYZ3_PARAM_*` bits.
    pub flags: u8,
    /// The compound-type facts (ABI 1.1: elem, type_flags, ndim, class_index), validated.
    pub facts: TypeFacts,
    /// The default as the Python literal the plugin gave, if any.
    pub default: Option<String>,
    /// `PYZ3_T_INSTANCE`: the class, an index into [`PluginSpec::classes`]; 0 otherwise.
    pub class_index: u16,
}

/// A function, validated and copied out of the plugin's descriptor.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    /// Python identifier.
    pub name: String,
    /// Doc string, if any.
    pub doc: Option<String>,
    /// Parameters in order.
    pub params: Vec<ParamSpec>,
    /// The declared result type.
    pub return_type: TypeCode,
    /// The result's compound-type facts (ABI 1.1 `ret_*` fields), validated: `elem` is the
    /// element type of an array, list, dict or iterator result.
    pub ret_facts: TypeFacts,
    /// The item types of a tuple result (`ret_items`); empty otherwise.
    pub ret_items: Vec<TypeCode>,
    /// `PYZ3_RETURN_*` bits.
    pub return_flags: u8,
    /// `PYZ3_FN_*` bits.
    pub flags: u16,
    /// Typed entry point (exactly one of `fn_`, `raw` is set).
    pub fn_: pyz3_fn,
    /// Raw entry point.
    pub raw: pyz3_raw_fn,
    /// Opaque pointer handed back in `pyz3_call.user_data`.
    pub user_data: usize,
    /// `PYZ3_T_INSTANCE` results: the class, an index into [`PluginSpec::classes`].
    pub ret_class_index: u16,
}

/// A plugin, validated.
#[derive(Debug, Clone)]
pub struct PluginSpec {
    /// Absolute path of the library.
    pub path: PathBuf,
    /// Module name from the descriptor.
    pub name: String,
    /// Module doc string.
    pub doc: Option<String>,
    /// ABI version the plugin was built for.
    pub abi: (u16, u16),
    /// The descriptor declares `PYZ3_PLUGIN_FREE_THREADED`.
    pub free_threaded: bool,
    /// On free-threaded CPython, the lock that serialises the calls of a plugin that is not
    /// `free_threaded`: one per library, shared by every module made from it.
    #[cfg(Py_GIL_DISABLED)]
    pub lock: Option<&'static crate::plugin_lock::PluginLock>,
    /// Functions in declaration order.
    pub functions: Vec<FunctionSpec>,
    /// Classes in declaration order (ABI 1.1).
    pub classes: Vec<classes::ClassSpec>,
    /// Module constants (ABI 1.1), in declaration order.
    pub constants: Vec<ConstantSpec>,
    /// Exception classes (ABI 1.1), in declaration order (the index plugins raise them by).
    pub exceptions: Vec<ExceptionSpec>,
}

/// A module constant, validated and copied out of the descriptor.
#[derive(Debug, Clone)]
pub struct ConstantSpec {
    /// Python identifier.
    pub name: String,
    /// Doc string, if any.
    pub doc: Option<String>,
    /// The declared type of the value.
    pub ty: TypeCode,
    /// The value as a Python literal.
    pub value: String,
}

/// An exception class, validated and copied out of the descriptor.
#[derive(Debug, Clone)]
pub struct ExceptionSpec {
    /// Python identifier (the class's `__name__`).
    pub name: String,
    /// Doc string, if any.
    pub doc: Option<String>,
    /// The built-in class it derives from.
    pub base: pyz3_core::exceptions::ExcKind,
}

/// The library handle, kept for the life of the process (plugins are never unloaded).
pub struct OpenedLibrary {
    /// Raw `dlopen` handle (never closed).
    pub handle: usize,
}

fn resolve(path: &str) -> Result<PathBuf, LoadError> {
    let err = |reason: String| LoadError {
        path: path.to_owned(),
        reason,
    };
    if path.is_empty() {
        return Err(err("empty path".to_owned()));
    }
    if path.as_bytes().contains(&0) {
        return Err(err("path contains a NUL byte".to_owned()));
    }
    if !path.contains('/') {
        // dlopen would search the library path for a bare name, and resolving it against the
        // current directory would make that directory an implicit search path: refuse both.
        return Err(err(format!(
            "a bare file name is not searched for (pyz3 has no search path and never looks in the \
             current directory implicitly): pass a path such as './{path}'"
        )));
    }
    let p = Path::new(path);
    let meta = std::fs::metadata(p).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => err("no such file".to_owned()),
        _ => err(format!("cannot stat the file: {e}")),
    })?;
    if meta.is_dir() {
        return Err(err("is a directory, not a shared library".to_owned()));
    }
    if !meta.is_file() {
        return Err(err("is not a regular file".to_owned()));
    }
    std::fs::canonicalize(p).map_err(|e| err(format!("cannot resolve the path: {e}")))
}

/// Opens the library at `path` and validates its descriptor.
///
/// The entry point runs once per library in the process: the validated descriptor is kept by
/// library handle ([`cache`]), so `load()` and `describe()` see the same functions even from an
/// entry point that would answer differently when called again. A library whose code has run
/// (its constructors, at `dlopen`) is never closed.
///
/// `after_entry` runs right after the entry point returned (and the library's constructors ran):
/// an error from it refuses the plugin, and nothing is cached. The loader uses it to refuse a
/// plugin whose code raised a Python exception while loading.
pub fn open(
    path: &str,
    after_entry: impl FnOnce() -> Result<(), String>,
) -> Result<(PluginSpec, OpenedLibrary), LoadError> {
    let abs = resolve(path)?;
    let shown = abs.display().to_string();
    let err = |reason: String| LoadError {
        path: shown.clone(),
        reason,
    };
    elf::elf_precheck(&abs).map_err(err)?;

    // SAFETY: loading a library runs its constructors; that is the documented trust boundary
    // (docs/reliability.md). The path is absolute, so no search path is consulted.
    let lib = unsafe {
        libloading::os::unix::Library::open(
            Some(&abs),
            libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_LOCAL,
        )
    }
    .map_err(|e| {
        let detail = std::error::Error::source(&e)
            .map(|s| s.to_string())
            .unwrap_or_else(|| e.to_string());
        err(format!(
            "not a loadable shared library: {}",
            dl_reason(&detail)
        ))
    })?;
    let handle = lib.into_raw();
    let opened = OpenedLibrary {
        handle: handle as usize,
    };
    if let Some(outcome) = cache::get(opened.handle) {
        return outcome.map(|spec| (spec, opened)).map_err(err);
    }
    let outcome = validate_library(handle, &abs, after_entry).map(crate::plugin_lock::attach);
    cache::put(opened.handle, &outcome);
    outcome.map(|spec| (spec, opened)).map_err(err)
}

/// Finds and calls the entry point of the library `handle` and validates the descriptor.
fn validate_library(
    handle: *mut c_void,
    abs: &Path,
    after_entry: impl FnOnce() -> Result<(), String>,
) -> Result<PluginSpec, String> {
    let entry_name = CString::new(PYZ3_ENTRY_SYMBOL).unwrap_or_default();
    // SAFETY: looking a symbol up in the library just opened.
    let entry = unsafe { libc::dlsym(handle, entry_name.as_ptr()) };
    if entry.is_null() {
        return Err(format!(
            "the library does not export '{PYZ3_ENTRY_SYMBOL}', so it is not a pyz3 plugin \
             (declare its descriptor with PYZ3_PLUGIN(...) from pyz3.h)"
        ));
    }
    // SAFETY: `handle` was returned by dlopen and is never closed.
    let code = unsafe { code::CodeRanges::of_handle(handle) };
    if !code.contains(entry as usize) {
        return Err(format!(
            "'{PYZ3_ENTRY_SYMBOL}' is not a function of this library (it resolves to {entry:p}, \
             outside the library's code)"
        ));
    }
    // SAFETY: the symbol is the plugin's own code, declared by the ABI as
    // `const pyz3_plugin *(void)`; calling it is the documented trust boundary.
    let entry: pyz3_entry_fn = unsafe { core::mem::transmute::<*mut c_void, pyz3_entry_fn>(entry) };
    // SAFETY: calling the plugin's entry point, per the ABI.
    let desc = unsafe { entry() } as usize;
    after_entry()?;
    // SAFETY: `handle` was returned by dlopen and is never closed.
    unsafe { rust_layout::check(handle, desc) }?;
    read_descriptor(abs, desc, &code)
}

fn dl_reason(msg: &str) -> String {
    // dlerror() text starts with the path again ("/p/libx.so: reason"); drop that part.
    match msg.split_once(".so: ") {
        Some((_, tail)) if !tail.is_empty() => tail.to_owned(),
        _ => msg.to_owned(),
    }
}
