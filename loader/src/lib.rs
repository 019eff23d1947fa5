//! loader/src/lib.rs: pyz3-loader — turns plugin libraries into Python modules.
//!
//! [`plugin`] opens a library, checks the handshake and validates the descriptor into owned
//! data; [`function`] builds one `METH_FASTCALL | METH_KEYWORDS` builtin per function and holds
//! the call trampoline; [`module`] is the `pyz3._pyz3` extension module. The crate is linked into
//! libpyz3 (the `capi` crate), which exports `PyInit__pyz3`, so loader, runtime and plugins share
//! one copy of the runtime.

pub mod function;
pub mod module;
pub mod plugin;
