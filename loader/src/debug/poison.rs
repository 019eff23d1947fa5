//! loader/src/debug/poison.rs: borrowed arguments that stop working when the call returns.
//!
//! In debug mode a plugin gets its borrowed `str`, `bytes` and contiguous buffer arguments in a
//! copy made for the call: fresh pages, the data at their end, an inaccessible page after it.
//! When the call returns (after copying a writable buffer back) the pages are made inaccessible
//! and kept in a quarantine of the last [`QUARANTINE`] copies, so a plugin that kept a pointer
//! and reads it in a later call faults at once instead of reading whatever lives there now. A
//! `SIGSEGV` handler recognises faults inside the quarantine and says which argument of which
//! function was used after its call returned, then lets the fault take its course (the previous
//! handler, e.g. `faulthandler`'s traceback, then the default action).

use core::cell::UnsafeCell;
use core::ffi::c_void;
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Once;

/// How many retired copies stay inaccessible before their pages are returned to the system.
const QUARANTINE: usize = 512;
const LABEL_MAX: usize = 200;

struct Slot {
    /// The whole mapping (data pages and the guard page); 0 when unused.
    lo: AtomicUsize,
    hi: AtomicUsize,
    label: UnsafeCell<[u8; LABEL_MAX]>,
    label_len: AtomicUsize,
}

// SAFETY: `label` is written only under `LOCK` while the slot's range is 0 (so the signal
// handler, which reads it only for a matching range, does not look at it meanwhile).
unsafe impl Sync for Slot {}

#[allow(
    clippy::declare_interior_mutable_const,
    reason = "only used to initialise the array below"
)]
const EMPTY: Slot = Slot {
    lo: AtomicUsize::new(0),
    hi: AtomicUsize::new(0),
    label: UnsafeCell::new([0; LABEL_MAX]),
    label_len: AtomicUsize::new(0),
};
static SLOTS: [Slot; QUARANTINE] = [EMPTY; QUARANTINE];
static NEXT: AtomicUsize = AtomicUsize::new(0);
static LOCK: AtomicBool = AtomicBool::new(false);
static HANDLER: Once = Once::new();
struct Previous(UnsafeCell<libc::sigaction>);
// SAFETY: written once inside `HANDLER.call_once`, before the handler that reads it is installed.
unsafe impl Sync for Previous {}
// SAFETY: an all-zero sigaction is a valid value (SIG_DFL, empty mask).
static PREVIOUS: Previous = Previous(UnsafeCell::new(unsafe { core::mem::zeroed() }));

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

/// A copy of one borrowed argument for the length of one call.
pub struct Copy {
    map: *mut c_void,
    map_len: usize,
    /// Where the copy's data starts (what the plugin is given).
    pub data: *mut u8,
    len: usize,
}

impl Copy {
    /// Copies `len` bytes at `src` to the end of fresh pages followed by an inaccessible page,
    /// then `extra` zero bytes (1 keeps a `str` NUL-terminated where CPython's is). None when
    /// the system refuses the memory (the call then goes ahead with the original).
    ///
    /// # Safety
    /// `src` is readable for `len` bytes (or `len` is 0).
    pub unsafe fn of(src: *const u8, len: usize, extra: usize) -> Option<Copy> {
        HANDLER.call_once(install_handler);
        let page = page_size();
        let total = len + extra;
        let data_pages = total.div_ceil(page).max(1);
        let map_len = (data_pages + 1) * page;
        // SAFETY: a fresh anonymous mapping; the guard page is made inaccessible before use.
        unsafe {
            let map = libc::mmap(
                ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if map == libc::MAP_FAILED {
                return None;
            }
            let guard = map.cast::<u8>().add(data_pages * page);
            libc::mprotect(guard.cast(), page, libc::PROT_NONE);
            let data = guard.sub(total);
            if len != 0 {
                ptr::copy_nonoverlapping(src, data, len);
            }
            Some(Copy {
                map,
                map_len,
                data,
                len,
            })
        }
    }

    /// Copies the (possibly modified) data back to `dst` (a writable buffer's own memory).
    ///
    /// # Safety
    /// `dst` is writable for the copy's length.
    pub unsafe fn copy_back(&self, dst: *mut u8) {
        if self.len != 0 {
            // SAFETY: both ranges are `len` bytes and distinct.
            unsafe { ptr::copy_nonoverlapping(self.data, dst, self.len) };
        }
    }

    /// The call returned: the pages become inaccessible, labelled `label` for the report.
    pub fn retire(self, label: &str) {
        // SAFETY: the mapping is ours; nothing of the call uses it any more.
        unsafe { libc::mprotect(self.map, self.map_len, libc::PROT_NONE) };
        while LOCK
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        let slot = &SLOTS[NEXT.fetch_add(1, Ordering::Relaxed) % QUARANTINE];
        let (old_lo, old_hi) = (
            slot.lo.load(Ordering::Relaxed),
            slot.hi.load(Ordering::Relaxed),
        );
        slot.lo.store(0, Ordering::SeqCst);
        slot.hi.store(0, Ordering::SeqCst);
        if old_lo != 0 {
            // SAFETY: the oldest copy in the quarantine, retired long ago; its range is cleared.
            unsafe { libc::munmap(old_lo as *mut c_void, old_hi - old_lo) };
        }
        let bytes = label.as_bytes();
        let n = bytes.len().min(LABEL_MAX);
        // SAFETY: the slot's range is 0, so the signal handler does not read the label; LOCK is
        // held, so no other writer does either.
        unsafe { (&mut *slot.label.get())[..n].copy_from_slice(&bytes[..n]) };
        slot.label_len.store(n, Ordering::SeqCst);
        slot.hi
            .store(self.map as usize + self.map_len, Ordering::SeqCst);
        slot.lo.store(self.map as usize, Ordering::SeqCst);
        LOCK.store(false, Ordering::Release);
        core::mem::forget(self);
    }
}

impl Drop for Copy {
    fn drop(&mut self) {
        // SAFETY: the mapping is ours and no longer used (a copy not retired: an error path).
        unsafe { libc::munmap(self.map, self.map_len) };
    }
}

fn install_handler() {
    // SAFETY: installs a SA_SIGINFO handler; the previous action is kept for chaining.
    unsafe {
        let mut action: libc::sigaction = core::mem::zeroed();
        action.sa_sigaction = on_segv as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGSEGV, &action, PREVIOUS.0.get());
    }
}

/// Writes `bytes` to stderr (async-signal-safe).
fn write_stderr(bytes: &[u8]) {
    // SAFETY: write(2) on fd 2 with a valid buffer.
    unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
}

extern "C" fn on_segv(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut c_void) {
    // SAFETY: the kernel passes a valid siginfo for SIGSEGV.
    let addr = unsafe { (*info).si_addr() } as usize;
    for slot in &SLOTS {
        let (lo, hi) = (
            slot.lo.load(Ordering::SeqCst),
            slot.hi.load(Ordering::SeqCst),
        );
        if lo != 0 && lo <= addr && addr < hi {
            let n = slot.label_len.load(Ordering::SeqCst).min(LABEL_MAX);
            write_stderr(b"\npyz3 debug mode: the ");
            // SAFETY: the label of a slot with a set range is complete (see `retire`).
            write_stderr(unsafe { &(&*slot.label.get())[..n] });
            write_stderr(
                b" was used after its call returned: borrowed str, bytes and buffer arguments \
                  are valid only during the call (copy what you keep)\n",
            );
            break;
        }
    }
    // Put the previous action back; returning re-runs the faulting access, which now goes to it.
    // SAFETY: PREVIOUS was filled before this handler was installed.
    unsafe { libc::sigaction(libc::SIGSEGV, PREVIOUS.0.get(), ptr::null_mut()) };
}
