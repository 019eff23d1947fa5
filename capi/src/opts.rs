//! capi/src/opts.rs: switching optimisations at run time.

/// The enabled optimisations, as `PYZ3_OPT_*` bits.
///
/// Any thread, no GIL needed.
#[no_mangle]
pub extern "C" fn pyz3_optimizations() -> u32 {
    pyz3_core::opts::enabled()
}

/// Replaces the enabled optimisations with `bits` (`PYZ3_OPT_*`; unknown bits are ignored) and
/// returns the previous set. Takes effect for calls that start afterwards.
///
/// Any thread, no GIL needed.
#[no_mangle]
pub extern "C" fn pyz3_set_optimizations(bits: u32) -> u32 {
    pyz3_core::opts::set_enabled(bits)
}
