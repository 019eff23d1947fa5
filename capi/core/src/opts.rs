//! capi/core/src/opts.rs: the run-time switches for the three optimisations.
//!
//! Each optimisation has an "off" path that is the straightforward code a careful implementation
//! without it would run (docs/optimizations.md names each one). The switches are read with a
//! plain load of one process-wide word; `PYZ3_DISABLE=gil_cache,fast_paths,pool` sets the
//! initial state when the runtime starts.

use crate::abi::{PYZ3_OPT_ALL, PYZ3_OPT_FAST_PATHS, PYZ3_OPT_GIL_CACHE, PYZ3_OPT_POOL};

/// The enabled set. On x86_64 Linux a hidden symbol read with one RIP-relative load: a Rust
/// static of a library crate is reached through the GOT here (two loads), and the allocator's
/// fast path reads this on every call. Elsewhere an `AtomicU32`.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod cell {
    core::arch::global_asm!(
        ".pushsection .data.pyz3_opts_enabled,\"aw\",@progbits",
        ".p2align 2",
        ".globl pyz3_opts_enabled",
        ".hidden pyz3_opts_enabled",
        ".type pyz3_opts_enabled, @object",
        ".size pyz3_opts_enabled, 4",
        "pyz3_opts_enabled:",
        ".long {all}",
        ".popsection",
        ".pushsection .data.pyz3_alloc_detour,\"aw\",@progbits",
        ".p2align 3",
        ".globl pyz3_alloc_detour",
        ".hidden pyz3_alloc_detour",
        ".type pyz3_alloc_detour, @object",
        ".size pyz3_alloc_detour, 8",
        "pyz3_alloc_detour:",
        ".quad 0",
        ".popsection",
        all = const super::PYZ3_OPT_ALL,
    );

    /// 0 while the GIL-state cache is on, all ones while it is off: the allocator's fast path
    /// ORs it with the requested alignment and tests once for "default alignment, cache on".
    #[inline(always)]
    pub fn alloc_detour() -> usize {
        let v: usize;
        // SAFETY: an aligned 64-bit load of our own hidden symbol (atomic on x86_64).
        unsafe {
            core::arch::asm!(
                "mov {v}, qword ptr [rip + pyz3_alloc_detour]",
                v = out(reg) v,
                options(nostack, preserves_flags, readonly),
            );
        }
        v
    }

    fn store_detour(v: usize) {
        // SAFETY: an aligned 64-bit store to our own hidden symbol (atomic on x86_64).
        unsafe {
            core::arch::asm!(
                "mov qword ptr [rip + pyz3_alloc_detour], {v}",
                v = in(reg) v,
                options(nostack, preserves_flags),
            );
        }
    }

    #[inline(always)]
    pub fn load() -> u32 {
        let v: u32;
        // SAFETY: an aligned 32-bit load of our own hidden symbol (atomic on x86_64); not `pure`,
        // so each call reads the current value.
        unsafe {
            core::arch::asm!(
                "mov {v:e}, dword ptr [rip + pyz3_opts_enabled]",
                v = out(reg) v,
                options(nostack, preserves_flags, readonly),
            );
        }
        v
    }

    pub fn swap(new: u32) -> u32 {
        store_detour(super::detour_for(new));
        let mut v = new;
        // SAFETY: `xchg` with memory is an atomic swap of our own hidden symbol.
        unsafe {
            core::arch::asm!(
                "xchg dword ptr [rip + pyz3_opts_enabled], {v:e}",
                v = inout(reg) v,
                options(nostack, preserves_flags),
            );
        }
        v
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
mod cell {
    use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

    static ENABLED: AtomicU32 = AtomicU32::new(super::PYZ3_OPT_ALL);
    static DETOUR: AtomicUsize = AtomicUsize::new(0);

    #[inline(always)]
    pub fn load() -> u32 {
        ENABLED.load(Ordering::Relaxed)
    }

    #[inline(always)]
    pub fn alloc_detour() -> usize {
        DETOUR.load(Ordering::Relaxed)
    }

    pub fn swap(new: u32) -> u32 {
        DETOUR.store(super::detour_for(new), Ordering::Relaxed);
        ENABLED.swap(new, Ordering::Relaxed)
    }
}

/// Names as used by `PYZ3_DISABLE` and `pyz3.set_optimizations`, with their bits.
pub const NAMES: [(&str, u32); 3] = [
    ("gil_cache", PYZ3_OPT_GIL_CACHE),
    ("fast_paths", PYZ3_OPT_FAST_PATHS),
    ("pool", PYZ3_OPT_POOL),
];

/// The enabled set, as `PYZ3_OPT_*` bits.
#[inline(always)]
pub fn enabled() -> u32 {
    cell::load()
}

/// Replaces the enabled set; unknown bits are ignored. Returns the previous set.
pub fn set_enabled(bits: u32) -> u32 {
    cell::swap(bits & PYZ3_OPT_ALL)
}

/// The allocator's detour word for an enabled set (see [`alloc_detour`]).
const fn detour_for(bits: u32) -> usize {
    if bits & PYZ3_OPT_GIL_CACHE != 0 {
        0
    } else {
        usize::MAX
    }
}

/// 0 while the GIL-state cache is on, nonzero while it is off. Kept beside the enabled set (and
/// written before it) so the allocator's fast path tests "default alignment and cache on" as one
/// `(align | alloc_detour()) == 0`: one load and one OR instead of two tests and branches. A
/// reader that sees the two words out of step takes a path that is correct either way.
#[inline(always)]
pub fn alloc_detour() -> usize {
    cell::alloc_detour()
}

/// Is the GIL-state cache on?
#[inline(always)]
pub fn gil_cache() -> bool {
    enabled() & PYZ3_OPT_GIL_CACHE != 0
}

/// Are the exact-type conversion fast paths on?
#[inline(always)]
pub fn fast_paths() -> bool {
    enabled() & PYZ3_OPT_FAST_PATHS != 0
}

/// Is the object pool on?
#[inline(always)]
pub fn pool() -> bool {
    enabled() & PYZ3_OPT_POOL != 0
}

/// Parses a `PYZ3_DISABLE` value into the set that stays enabled, and the unknown names.
///
/// Accepts a comma list of names (`all` disables everything); whitespace is ignored.
pub fn parse_disable(spec: &str) -> (u32, Vec<String>) {
    let mut bits = PYZ3_OPT_ALL;
    let mut unknown = Vec::new();
    for word in spec.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        if word == "all" {
            bits = 0;
        } else if let Some((_, bit)) = NAMES.iter().find(|(n, _)| *n == word) {
            bits &= !bit;
        } else {
            unknown.push(word.to_owned());
        }
    }
    (bits, unknown)
}

/// Applies `PYZ3_DISABLE` from the environment (the known names). Returns the unknown names,
/// joined with ", ", as an error for the caller to report.
pub fn init_from_env() -> Result<(), String> {
    let Ok(spec) = std::env::var("PYZ3_DISABLE") else {
        return Ok(());
    };
    let (bits, unknown) = parse_disable(&spec);
    set_enabled(bits);
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(unknown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_disable_accepts_names_and_all() {
        assert_eq!(parse_disable(""), (PYZ3_OPT_ALL, vec![]));
        assert_eq!(
            parse_disable("pool"),
            (PYZ3_OPT_ALL & !PYZ3_OPT_POOL, vec![])
        );
        assert_eq!(
            parse_disable(" gil_cache , fast_paths "),
            (PYZ3_OPT_POOL, vec![])
        );
        assert_eq!(parse_disable("all"), (0, vec![]));
    }

    #[test]
    fn parse_disable_reports_unknown_names() {
        let (bits, unknown) = parse_disable("pool,nope,zip");
        assert_eq!(bits, PYZ3_OPT_ALL & !PYZ3_OPT_POOL);
        assert_eq!(unknown, ["nope", "zip"]);
    }
}
