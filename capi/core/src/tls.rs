//! capi/core/src/tls.rs: the per-thread runtime state, read without a call on the hot path.
//!
//! libpyz3 is a shared library loaded with `dlopen`, so a Rust `thread_local!` compiles to the
//! global-dynamic TLS model: every access calls `__tls_get_addr` (about 1.9 ns measured on these
//! machines; see docs/optimizations.md). The trampoline touches this state on every call, so on
//! x86_64 Linux the state is a hidden `.tbss` symbol accessed with the initial-exec model: one
//! GOT load plus an `%fs`-relative access, no call. glibc reserves surplus static TLS for
//! exactly this use by dlopen'ed libraries, and 8 bytes fit easily. Elsewhere a `thread_local!`
//! serves, with the same semantics.

/// What a thread knows about itself.
#[repr(C)]
pub struct ThreadState {
    /// How many pyz3 scopes (trampoline calls, `pyz3_gil_acquire`) on this thread hold the GIL.
    /// Zero inside GIL-released regions.
    pub gil_depth: u32,
    /// Set whenever pyz3 raises a Python exception on this thread; the trampoline uses it to
    /// notice "result with an exception set" without calling `PyErr_Occurred` on every call.
    pub error_hint: u32,
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod imp {
    use super::ThreadState;

    core::arch::global_asm!(
        ".pushsection .tbss,\"awT\",@nobits",
        ".p2align 3",
        ".globl pyz3_tls_state",
        ".hidden pyz3_tls_state",
        ".type pyz3_tls_state, @object",
        ".size pyz3_tls_state, 8",
        "pyz3_tls_state:",
        ".zero 8",
        ".popsection",
    );

    /// The calling thread's state.
    #[inline(always)]
    pub fn state() -> *mut ThreadState {
        let addr: usize;
        // SAFETY: initial-exec TLS access: the GOT slot holds the symbol's offset from the
        // thread pointer, and `%fs:0` holds the thread pointer itself (x86_64 SysV TLS ABI).
        // The result is constant for the executing thread, hence `pure, nomem`.
        unsafe {
            core::arch::asm!(
                "mov {addr}, qword ptr [rip + pyz3_tls_state@GOTTPOFF]",
                "add {addr}, qword ptr fs:[0]",
                addr = out(reg) addr,
                options(pure, nomem, nostack, preserves_flags),
            );
        }
        addr as *mut ThreadState
    }

    /// The state's offset from the thread pointer: one load from the GOT, constant for the
    /// process, so the compiler may keep it in a register.
    #[inline(always)]
    fn offset() -> usize {
        let off: usize;
        // SAFETY: initial-exec TLS: the GOT slot holds the symbol's offset from the thread
        // pointer; the value never changes, hence `pure, nomem`.
        unsafe {
            core::arch::asm!(
                "mov {off}, qword ptr [rip + pyz3_tls_state@GOTTPOFF]",
                off = out(reg) off,
                options(pure, nomem, nostack, preserves_flags),
            );
        }
        off
    }

    /// `gil_depth`, read `%fs`-relative (one instruction after the offset).
    #[inline(always)]
    pub fn gil_depth() -> u32 {
        let v: u32;
        // SAFETY: reads this thread's own state at the thread pointer plus its offset.
        unsafe {
            core::arch::asm!(
                "mov {v:e}, dword ptr fs:[{off}]",
                off = in(reg) offset(),
                v = lateout(reg) v,
                options(pure, readonly, nostack, preserves_flags),
            );
        }
        v
    }

    /// `gil_depth += 1`, in place.
    #[inline(always)]
    pub fn enter() {
        // SAFETY: updates this thread's own state; nothing else touches it.
        unsafe {
            core::arch::asm!("inc dword ptr fs:[{off}]", off = in(reg) offset(), options(nostack));
        }
    }

    /// `gil_depth -= 1`, in place.
    #[inline(always)]
    pub fn leave() {
        // SAFETY: as in `enter`.
        unsafe {
            core::arch::asm!("dec dword ptr fs:[{off}]", off = in(reg) offset(), options(nostack));
        }
    }

    /// `error_hint`, read `%fs`-relative.
    #[inline(always)]
    pub fn error_hint() -> u32 {
        let v: u32;
        // SAFETY: reads this thread's own state.
        unsafe {
            core::arch::asm!(
                "mov {v:e}, dword ptr fs:[{off} + 4]",
                off = in(reg) offset(),
                v = lateout(reg) v,
                options(pure, readonly, nostack, preserves_flags),
            );
        }
        v
    }

    /// Sets `error_hint`.
    #[inline(always)]
    pub fn set_error_hint(v: u32) {
        // SAFETY: writes this thread's own state.
        unsafe {
            core::arch::asm!(
                "mov dword ptr fs:[{off} + 4], {v:e}",
                off = in(reg) offset(),
                v = in(reg) v,
                options(nostack, preserves_flags),
            );
        }
    }

    /// Which mechanism this build uses (reported by `pyz3._pyz3.build_info()`).
    pub const MODEL: &str = "initial-exec";
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
mod imp {
    use super::ThreadState;
    use core::cell::UnsafeCell;

    thread_local! {
        static STATE: UnsafeCell<ThreadState> = const {
            UnsafeCell::new(ThreadState { gil_depth: 0, error_hint: 0 })
        };
    }

    /// The calling thread's state.
    #[inline(always)]
    pub fn state() -> *mut ThreadState {
        STATE.with(|s| s.get())
    }

    /// `gil_depth`.
    #[inline(always)]
    pub fn gil_depth() -> u32 {
        // SAFETY: the thread's own state.
        unsafe { (*state()).gil_depth }
    }

    /// `gil_depth += 1`.
    #[inline(always)]
    pub fn enter() {
        // SAFETY: the thread's own state.
        unsafe { (*state()).gil_depth += 1 }
    }

    /// `gil_depth -= 1`.
    #[inline(always)]
    pub fn leave() {
        // SAFETY: the thread's own state.
        unsafe { (*state()).gil_depth -= 1 }
    }

    /// `error_hint`.
    #[inline(always)]
    pub fn error_hint() -> u32 {
        // SAFETY: the thread's own state.
        unsafe { (*state()).error_hint }
    }

    /// Sets `error_hint`.
    #[inline(always)]
    pub fn set_error_hint(v: u32) {
        // SAFETY: the thread's own state.
        unsafe { (*state()).error_hint = v }
    }

    /// Which mechanism this build uses (reported by `pyz3._pyz3.build_info()`).
    pub const MODEL: &str = "thread_local!";
}

pub use imp::{state, MODEL};

/// Reads this thread's GIL depth.
#[inline(always)]
pub fn gil_depth() -> u32 {
    imp::gil_depth()
}

/// One more pyz3 scope holding the GIL on this thread (a trampoline call).
#[inline(always)]
pub fn enter() {
    imp::enter()
}

/// Undoes [`enter`].
#[inline(always)]
pub fn leave() {
    imp::leave()
}

/// Sets this thread's GIL depth.
#[inline(always)]
pub fn set_gil_depth(depth: u32) {
    // SAFETY: as in `gil_depth`.
    unsafe { (*state()).gil_depth = depth }
}

/// Marks that an exception was raised on this thread.
#[inline(always)]
pub fn note_error() {
    imp::set_error_hint(1)
}

/// Reads the error hint without clearing it (nonzero: an exception may have been raised on this
/// thread since it was last cleared).
#[inline(always)]
pub fn error_hint() -> u32 {
    imp::error_hint()
}

/// Clears the error hint.
#[inline(always)]
pub fn clear_error_hint() {
    imp::set_error_hint(0)
}

/// Returns and clears the error hint.
#[inline(always)]
pub fn take_error_hint() -> bool {
    let hint = imp::error_hint() != 0;
    if hint {
        imp::set_error_hint(0);
    }
    hint
}

/// A thread-local read through `thread_local!` (global-dynamic model in a shared library), kept
/// so the benchmark can measure what the initial-exec access saves.
pub fn read_thread_local_gd() -> u32 {
    thread_local! {
        static COUNTER: core::cell::Cell<u32> = const { core::cell::Cell::new(0) };
    }
    COUNTER.with(|c| {
        let v = c.get();
        c.set(v.wrapping_add(1));
        v
    })
}
