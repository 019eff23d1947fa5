//! loader/src/lib.rs: pyz3-loader — turns plugin libraries into Python modules.
//!
//! [`plugin`] opens a library, checks the handshake and validates the descriptor into owned
//! data; [`function`] builds one builtin per function and holds the call trampolines; [`class`]
//! builds the plugin's classes as types on the same trampolines; [`module`] is the `pyz3._pyz3` extension module and builds plugin modules; [`describe`] turns a validated
//! descriptor and the type registry into Python data for the CLI and stubs. The crate is linked
//! into libpyz3 (the `capi` crate), which exports `PyInit__pyz3`, so loader, runtime and plugins
//! share one copy of the runtime.

use pyo3_ffi as ffi;
use pyz3_core::owned::Raised;

pub mod class;
pub mod debug;
pub mod describe;
pub mod function;
pub mod iterator;
pub mod module;
pub mod plugin;
pub mod plugin_lock;
pub mod sections;

/// Why building a plugin's module failed.
#[derive(Debug)]
pub enum BuildError {
    /// The plugin is at fault (its descriptor holds something unusable): reported as
    /// `PluginLoadError` with this reason.
    Plugin(String),
    /// A Python exception is set that is not the plugin's fault (`MemoryError`,
    /// `KeyboardInterrupt`, ...): it propagates unchanged.
    Raised,
}

impl From<Raised> for BuildError {
    fn from(_: Raised) -> BuildError {
        BuildError::Raised
    }
}

/// `"TypeName: message"` of an exception object, for load-time messages.
///
/// # Safety
/// GIL held; `exc` a valid object.
pub(crate) unsafe fn exception_text(exc: *mut ffi::PyObject) -> String {
    // SAFETY: GIL held by the caller.
    unsafe {
        let tname = pyz3_core::convert::object_type_name(exc);
        let s = ffi::PyObject_Str(exc);
        let msg = if s.is_null() {
            ffi::PyErr_Clear();
            String::new()
        } else {
            let mut len: ffi::Py_ssize_t = 0;
            let p = ffi::PyUnicode_AsUTF8AndSize(s, &mut len);
            let out = if p.is_null() {
                ffi::PyErr_Clear();
                String::new()
            } else {
                String::from_utf8_lossy(core::slice::from_raw_parts(p as *const u8, len as usize))
                    .into_owned()
            };
            ffi::Py_DECREF(s);
            out
        };
        format!("{tname}: {msg}")
    }
}
