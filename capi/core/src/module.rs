//! capi/core/src/module.rs: what plugin code reaches through its module handle
//! (`pyz3_call.module`).
//!
//! One [`ModuleState`] per built module (a plugin loaded twice under two names has two), shared
//! by the module's functions, which keep it alive; `pyz3_call.module` points at it. Today it
//! holds the plugin's exception classes, raised by index with `pyz3_raise_exception`.

use pyo3_ffi as ffi;

use crate::abi::pyz3_module;
use crate::owned::Owned;
use crate::{error, tls};

/// The module-wide state behind a `pyz3_module *`.
pub struct ModuleState {
    /// The module's name (for messages).
    pub name: String,
    /// The plugin's exception classes, in descriptor order.
    pub exceptions: Vec<Owned>,
}

impl ModuleState {
    /// The handle plugin code receives.
    pub fn handle(&self) -> *mut pyz3_module {
        self as *const ModuleState as *mut pyz3_module
    }

    /// The state behind a handle, or `None` for NULL.
    ///
    /// # Safety
    /// `module` is NULL or a handle the loader passed in `pyz3_call.module`, whose function is
    /// alive (functions keep their module's state alive).
    pub unsafe fn from_handle<'a>(module: *const pyz3_module) -> Option<&'a ModuleState> {
        // SAFETY: per the contract.
        unsafe { (module as *const ModuleState).as_ref() }
    }

    /// Raises exception class `index` with `message`; a bad index raises `SystemError`.
    ///
    /// # Safety
    /// GIL held.
    pub unsafe fn raise(&self, index: u32, message: &str) {
        // SAFETY: GIL held; the classes are live exception types.
        unsafe {
            match self.exceptions.get(index as usize) {
                Some(cls) => error::raise_str(cls.as_ptr(), message),
                None => error::raise_str(
                    ffi::PyExc_SystemError,
                    &format!(
                        "pyz3_raise_exception: module '{}' has {} exception classes, not {} (index {index})",
                        self.name,
                        self.exceptions.len(),
                        index as u64 + 1
                    ),
                ),
            }
        }
        tls::note_error();
    }
}
