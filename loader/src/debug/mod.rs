//! loader/src/debug/mod.rs: debug mode, chosen per load (`pyz3.load(path, debug=True)` or
//! `PYZ3_DEBUG=1`), without recompiling the plugin (docs/reliability.md, "Debug mode").
//!
//! Loading a plugin in debug mode does two things, both at load time so that release-mode
//! calls run exactly the code they ran before: [`got`] points the plugin's calls into libpyz3
//! at checking wrappers (registered by the capi crate, which owns the `pyz3_*` functions), and
//! every function of the module gets the debug trampoline (`function::debug`), which copies
//! borrowed arguments into pages that are [`poison`]ed when the call returns, keeps the
//! per-call account (pyz3_core::debug) and checks the result against the declaration.

use core::cell::Cell;
use core::ffi::c_void;
use std::ffi::CString;
use std::sync::OnceLock;

pub mod got;
pub mod poison;

type Wrappers = Vec<(&'static str, *const c_void)>;

struct Registered(Wrappers);
// SAFETY: the table holds function addresses and static names, never written after set.
unsafe impl Sync for Registered {}
// SAFETY: as above.
unsafe impl Send for Registered {}

static WRAPPERS: OnceLock<Registered> = OnceLock::new();

thread_local! {
    static BUILDING: Cell<bool> = const { Cell::new(false) };
}

/// Registers the checking wrappers (`(pyz3 function name, wrapper address)`); libpyz3 does it
/// when its module initialises.
pub fn register_wrappers(wrappers: fn() -> Wrappers) {
    WRAPPERS.get_or_init(|| Registered(wrappers()));
}

/// Is a module being built in debug mode on this thread (read by `Function::new`)?
pub fn building() -> bool {
    BUILDING.with(Cell::get)
}

/// Runs `build` with [`building`] true.
pub fn while_building<R>(build: impl FnOnce() -> R) -> R {
    let before = BUILDING.with(|b| b.replace(true));
    let r = build();
    BUILDING.with(|b| b.set(before));
    r
}

/// Points the `pyz3_*` calls of the already loaded library at `path` to the checking wrappers
/// (idempotent: an entry already patched is written again with the same value). From then on
/// the library's calls into libpyz3 are checked for the rest of the process, also from modules
/// made from it in release mode (the wrappers only check; they change no result).
pub fn patch_library(path: &str) -> Result<(), String> {
    let Some(wrappers) = WRAPPERS.get() else {
        return Err("the runtime registered no debug wrappers".to_owned());
    };
    let c = CString::new(path).map_err(|e| e.to_string())?;
    // SAFETY: RTLD_NOLOAD only returns the handle of a library that is already loaded (the
    // plugin, opened just before); plugins are never closed, so the extra reference is harmless.
    let handle = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD) };
    if handle.is_null() {
        return Err("the library is not loaded".to_owned());
    }
    #[repr(C)]
    struct LinkMapHead {
        l_addr: usize,
    }
    let mut map: *mut LinkMapHead = core::ptr::null_mut();
    // SAFETY: RTLD_DI_LINKMAP writes the object's `struct link_map *` into `map`.
    let rc = unsafe {
        libc::dlinfo(
            handle,
            libc::RTLD_DI_LINKMAP,
            (&raw mut map).cast::<c_void>(),
        )
    };
    if rc != 0 || map.is_null() {
        return Err("dlinfo cannot describe the library".to_owned());
    }
    // SAFETY: glibc's link_map starts with `ElfW(Addr) l_addr`, the object's load bias; the
    // library stays loaded and its functions are not running (loads are serialised).
    unsafe { got::patch((*map).l_addr, &wrappers.0) }.map(|_| ())
}
