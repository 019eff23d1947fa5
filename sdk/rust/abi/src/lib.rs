//! sdk/rust/abi/src/lib.rs: pyz3-abi — the pyz3 plugin ABI for Rust, with abi_stable layouts.
//!
//! The structs and constants a plugin shares with libpyz3 ([`abi`], generated from the runtime's
//! own declarations by `make generate`, so they cannot drift from `include/pyz3.h`), each with
//! abi_stable's `StableAbi` derived; and [`layout`]: the record a Rust plugin exports so the loader
//! can compare the plugin's idea of every ABI struct with its own, field by field, before it
//! trusts the descriptor. Plugin authors use it through the `pyz3-plugin` crate; libpyz3's loader
//! uses it directly. It links nothing and declares no function.

mod abi;
pub mod layout;

pub use abi::*;
pub use abi_stable;
pub use layout::{pyz3_rust_layout, PYZ3_RUST_LAYOUT_MAGIC, PYZ3_RUST_LAYOUT_SYMBOL};

/// CPython's object, opaque: plugins handle it only through libpyz3.
#[repr(C)]
#[derive(abi_stable::StableAbi)]
pub struct PyObject {
    _opaque: [u8; 0],
}
