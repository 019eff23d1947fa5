//! loader/src/plugin/rust_layout.rs: the layout check of Rust plugins (abi_stable), made after the
//! version handshake and before the rest of the descriptor is read.
//!
//! A plugin built with the Rust SDK exports `pyz3_plugin_layout`, a `pyz3_rust_layout` record
//! (sdk/rust/abi/src/layout.rs): its SDK's layout of every ABI struct, as abi_stable describes
//! it. The record itself is copied with the same fault-free reads as the descriptor; the layout it
//! points to is read only when the plugin's abi_stable header is compatible with ours, and is
//! then compared with this runtime's own by abi_stable's checker (same ABI minor) or as a
//! compatible extension (older minor). A mismatch refuses the plugin, naming the field. Plugins
//! that export no record (C, Zig) are not concerned.

use std::ffi::{c_void, CString};
use std::mem::{offset_of, size_of};

use pyz3_abi::abi_stable::library::AbiHeader;
use pyz3_abi::abi_stable::type_layout::TypeLayout;
use pyz3_abi::layout::{self, pyz3_rust_layout, PYZ3_RUST_LAYOUT_MAGIC, PYZ3_RUST_LAYOUT_SYMBOL};
use pyz3_core::abi::*;

use super::safemem::SafeMem;
use super::validate::check_header;

/// Checks the layout record of the plugin `handle`, if it exports one; `desc` is what its entry
/// point returned. Refusals of the handshake itself are left to the descriptor's reader, which
/// says the same; only a valid header leads to the layout.
///
/// # Safety
/// `handle` was returned by `dlopen` and is never closed.
pub unsafe fn check(handle: *mut c_void, desc: usize) -> Result<(), String> {
    let symbol = CString::new(PYZ3_RUST_LAYOUT_SYMBOL).unwrap_or_default();
    // SAFETY: looking a symbol up in a library that is open (and never closed); only its address
    // is taken, and the record is read below through SafeMem.
    let addr = unsafe { libc::dlsym(handle, symbol.as_ptr()) } as usize;
    if addr == 0 {
        return Ok(());
    }
    let mem = SafeMem::new();
    let Ok(header) = mem.read_struct::<pyz3_plugin_header>(desc, size_of::<pyz3_plugin_header>())
    else {
        return Ok(());
    };
    if desc == 0 || check_header(&header).is_err() {
        return Ok(());
    }

    let mut record = [0u8; size_of::<pyz3_rust_layout>()];
    mem.read(addr, &mut record)
        .map_err(|e| format!("cannot read {PYZ3_RUST_LAYOUT_SYMBOL}: {e}"))?;
    let field = |offset: usize, len: usize| &record[offset..offset + len];
    let u16_at = |offset: usize| u16::from_ne_bytes([record[offset], record[offset + 1]]);
    if field(0, 8) != PYZ3_RUST_LAYOUT_MAGIC {
        return Err(format!(
            "{PYZ3_RUST_LAYOUT_SYMBOL} is not a pyz3 layout record (its magic is {:?})",
            String::from_utf8_lossy(field(0, 8))
        ));
    }
    let (major, minor) = (
        u16_at(offset_of!(pyz3_rust_layout, abi_major)),
        u16_at(offset_of!(pyz3_rust_layout, abi_minor)),
    );
    if (major, minor) != (header.abi_major, header.abi_minor) {
        return Err(format!(
            "{PYZ3_RUST_LAYOUT_SYMBOL} describes ABI {major}.{minor}, but the descriptor says \
             {}.{}: the plugin mixes two SDKs",
            header.abi_major, header.abi_minor
        ));
    }
    let at = offset_of!(pyz3_rust_layout, abi_stable);
    // SAFETY: `record` holds size_of::<pyz3_rust_layout>() bytes copied from the plugin; AbiHeader
    // is plain data (bytes and integers) at that offset.
    let theirs: AbiHeader = unsafe { core::ptr::read_unaligned(record[at..].as_ptr().cast()) };
    if !layout::abi_stable_compatible(&theirs) {
        return Err(format!(
            "the plugin's Rust SDK uses abi_stable {}, this runtime {}: rebuild the plugin with \
             the pyz3-plugin crate of this pyz3",
            layout::abi_stable_version(&theirs),
            layout::abi_stable_version(&AbiHeader::VALUE)
        ));
    }
    let at = offset_of!(pyz3_rust_layout, types);
    // SAFETY: the abi_stable headers match, so the pointer is abi_stable's `&'static TypeLayout`
    // of the plugin's ABI types; the plugin is never unloaded.
    let types: &'static TypeLayout = unsafe {
        let ptr: *const TypeLayout = core::ptr::read_unaligned(record[at..].as_ptr().cast());
        if ptr.is_null() {
            return Err(format!("{PYZ3_RUST_LAYOUT_SYMBOL} holds no layout"));
        }
        &*ptr
    };
    let result = if minor == PYZ3_ABI_MINOR {
        layout::check_same(layout::current(), types)
    } else {
        layout::check_extension(types, layout::current())
    };
    result.map_err(|difference| {
        format!(
            "the plugin's Rust SDK lays out the ABI {major}.{minor} structs differently from this \
             runtime ({difference}): rebuild the plugin with the pyz3-plugin crate of this pyz3 \
             (ABI {PYZ3_ABI_MAJOR}.{PYZ3_ABI_MINOR})"
        )
    })
}
