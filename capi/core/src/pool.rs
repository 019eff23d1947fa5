//! capi/core/src/pool.rs: pooled Python objects, handed out as new references.
//!
//! What is pooled, and why (docs/optimizations.md has the measurements):
//!
//! * small integers `POOL_INT_MIN..=POOL_INT_MAX` — CPython up to 3.14 caches only -5..=256; the
//!   range above that costs an allocation per `PyLong_FromLongLong`, the pool costs an increment
//!   (3.15 caches -5..=1024 itself: there the pool saves only the call);
//! * `None`, `True`, `False`, the empty `str`, `bytes` and `tuple` — handed out inline by the
//!   trampoline instead of through a call into libpython;
//! * interned strings (parameter names), so keyword calls match names by identity.
//!
//! The pool is filled when `pyz3._pyz3` is initialised, with the GIL held, and forgotten when the
//! interpreter finalises (`Py_AtExit`): in CPython 3.10/3.11 small ints belong to the
//! interpreter, so the pointers must not outlive it. All access happens with the GIL held.
//!
//! On free-threaded CPython (`Py_GIL_DISABLED`) the pool keeps only immortal objects: CPython's
//! own small ints (-5..=256 on 3.14, up to 1024 on 3.15), the singletons and the empty
//! containers. They are handed out without touching their reference count, which CPython
//! ignores for immortal objects, so threads never contend for a counter; a mortal object shared
//! between threads would move its shared, atomic counter on every call instead. The pool is
//! written once before `pyz3._pyz3` is published and only read afterwards. The intern cache
//! becomes an [`ImmortalCache`] (interned strings are immortal there). docs/free-threading.md
//! has the reasons.

use core::cell::UnsafeCell;
use core::ptr;
use core::sync::atomic::{AtomicBool, Ordering};

use pyo3_ffi as ffi;

#[cfg(Py_GIL_DISABLED)]
use crate::immortal_cache::ImmortalCache;

/// Smallest pooled integer (CPython's own cache starts here too).
pub const POOL_INT_MIN: i64 = -5;
/// Largest pooled integer.
pub const POOL_INT_MAX: i64 = 1024;
const NINTS: usize = (POOL_INT_MAX - POOL_INT_MIN + 1) as usize;

struct Pool {
    ints: [*mut ffi::PyObject; NINTS],
    empty_str: *mut ffi::PyObject,
    empty_bytes: *mut ffi::PyObject,
    empty_tuple: *mut ffi::PyObject,
}

struct PoolCell(UnsafeCell<Pool>);

// SAFETY: the pool is read and written only with the GIL held, which serialises all access.
unsafe impl Sync for PoolCell {}

static POOL: PoolCell = PoolCell(UnsafeCell::new(Pool {
    ints: [ptr::null_mut(); NINTS],
    empty_str: ptr::null_mut(),
    empty_bytes: ptr::null_mut(),
    empty_tuple: ptr::null_mut(),
}));
static READY: AtomicBool = AtomicBool::new(false);
static ATEXIT_REGISTERED: AtomicBool = AtomicBool::new(false);

extern "C" fn forget_at_exit() {
    // The interpreter is gone: its objects with it. Drop the pointers without touching them.
    READY.store(false, Ordering::Release);
    // SAFETY: Py_AtExit callbacks run single-threaded at the very end of finalisation.
    unsafe {
        let pool = &mut *POOL.0.get();
        pool.ints = [ptr::null_mut(); NINTS];
        pool.empty_str = ptr::null_mut();
        pool.empty_bytes = ptr::null_mut();
        pool.empty_tuple = ptr::null_mut();
        #[cfg(not(Py_GIL_DISABLED))]
        {
            let cache = &mut *INTERNED.0.get();
            cache.keys = [0; INTERN_SLOTS];
            cache.objs = [ptr::null_mut(); INTERN_SLOTS];
        }
        #[cfg(Py_GIL_DISABLED)]
        INTERNED.clear();
    }
    ATEXIT_REGISTERED.store(false, Ordering::Release);
}

/// Fills the pool for the current interpreter. Idempotent. Returns false (with an exception
/// set) if an object could not be created.
///
/// # Safety
/// GIL held.
pub unsafe fn init() -> bool {
    if READY.load(Ordering::Acquire) {
        return true;
    }
    // SAFETY: GIL held, so nobody else touches the pool.
    unsafe {
        let pool = &mut *POOL.0.get();
        for (i, slot) in pool.ints.iter_mut().enumerate() {
            let obj = ffi::PyLong_FromLongLong(POOL_INT_MIN + i as i64);
            if obj.is_null() {
                return false;
            }
            *slot = obj;
        }
        pool.empty_str = ffi::PyUnicode_FromStringAndSize(ptr::null(), 0);
        pool.empty_bytes = ffi::PyBytes_FromStringAndSize(ptr::null(), 0);
        pool.empty_tuple = ffi::PyTuple_New(0);
        if pool.empty_str.is_null() || pool.empty_bytes.is_null() || pool.empty_tuple.is_null() {
            return false;
        }
        #[cfg(Py_GIL_DISABLED)]
        keep_immortal_only(pool);
        if !ATEXIT_REGISTERED.swap(true, Ordering::AcqRel) {
            ffi::Py_AtExit(Some(forget_at_exit));
        }
    }
    READY.store(true, Ordering::Release);
    true
}

/// Empties every slot whose object is not immortal (free-threaded builds): the pool then hands
/// out only objects whose reference count nobody moves.
///
/// # Safety
/// Attached thread state; `pool` freshly filled, not yet visible to other threads.
#[cfg(Py_GIL_DISABLED)]
unsafe fn keep_immortal_only(pool: &mut Pool) {
    let slots = pool.ints.iter_mut().chain([
        &mut pool.empty_str,
        &mut pool.empty_bytes,
        &mut pool.empty_tuple,
    ]);
    for slot in slots {
        // SAFETY: each slot holds the new reference `init` made.
        unsafe {
            if !is_immortal(*slot) {
                ffi::Py_DECREF(*slot);
                *slot = ptr::null_mut();
            }
        }
    }
}

/// Is `obj` immortal (free-threaded builds: its thread-local count is pinned at `u32::MAX`,
/// CPython's `_Py_IsImmortal`)?
///
/// # Safety
/// `obj` is a valid object.
#[cfg(Py_GIL_DISABLED)]
#[inline(always)]
pub unsafe fn is_immortal(obj: *mut ffi::PyObject) -> bool {
    // SAFETY: per the contract.
    unsafe { (*obj).ob_ref_local.load(Ordering::Relaxed) == u32::MAX }
}

/// A new reference to the pooled `obj`: an increment under a GIL; nothing on free-threaded
/// builds, where everything pooled is immortal.
///
/// # Safety
/// `obj` is a pooled object (or a singleton) of the current interpreter.
#[inline(always)]
unsafe fn new_ref(obj: *mut ffi::PyObject) -> *mut ffi::PyObject {
    #[cfg(not(Py_GIL_DISABLED))]
    {
        // SAFETY: GIL held per the contract.
        unsafe { ffi::Py_INCREF(obj) };
    }
    obj
}

/// Is the pool filled (and switched on)?
#[inline(always)]
pub fn ready() -> bool {
    // Without a GIL, a thread that sees the pool filled must see its slots: acquire.
    #[cfg(Py_GIL_DISABLED)]
    let ready = READY.load(Ordering::Acquire);
    #[cfg(not(Py_GIL_DISABLED))]
    let ready = READY.load(Ordering::Relaxed);
    ready && crate::opts::pool()
}

/// A new reference to pooled `v`, or NULL if `v` is outside the pooled range or the pool is off.
///
/// # Safety
/// GIL held.
#[inline(always)]
pub unsafe fn small_int(v: i64) -> *mut ffi::PyObject {
    if !ready() {
        return ptr::null_mut();
    }
    // SAFETY: the pool is filled; GIL held.
    unsafe { small_int_unchecked(v) }.unwrap_or(ptr::null_mut())
}

/// A new reference to pooled `v` if it is in the pooled range.
///
/// # Safety
/// GIL held and the pool filled ([`ready`] without the switch: true whenever `pyz3._pyz3` is
/// initialised in this interpreter).
#[inline(always)]
pub unsafe fn small_int_unchecked(v: i64) -> Option<*mut ffi::PyObject> {
    let idx = v.wrapping_sub(POOL_INT_MIN) as u64;
    if idx < NINTS as u64 {
        // SAFETY: GIL held; the pool is filled.
        let obj = unsafe { (*POOL.0.get()).ints[idx as usize] };
        // Free-threaded builds keep only CPython's immortal small ints.
        #[cfg(Py_GIL_DISABLED)]
        if obj.is_null() {
            return None;
        }
        // SAFETY: a pooled object.
        Some(unsafe { new_ref(obj) })
    } else {
        None
    }
}

macro_rules! pooled_singleton {
    ($(#[$doc:meta])* $name:ident, $field:ident) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// GIL held.
        #[inline(always)]
        pub unsafe fn $name() -> *mut ffi::PyObject {
            if !ready() {
                return ptr::null_mut();
            }
            // SAFETY: GIL held; the pool is filled. On free-threaded builds a slot whose object
            // is not immortal is NULL, and the caller makes the object itself.
            unsafe { new_ref((*POOL.0.get()).$field) }
        }
    };
}

pooled_singleton!(
    /// A new reference to the empty `str`, or NULL if the pool is off.
    empty_str,
    empty_str
);
pooled_singleton!(
    /// A new reference to the empty `bytes`, or NULL if the pool is off.
    empty_bytes,
    empty_bytes
);
pooled_singleton!(
    /// A new reference to the empty `tuple`, or NULL if the pool is off.
    empty_tuple,
    empty_tuple
);

/// A new reference to `None`.
///
/// # Safety
/// GIL held.
#[inline(always)]
pub unsafe fn none() -> *mut ffi::PyObject {
    // SAFETY: GIL held; Py_None is static (and immortal from 3.12 on).
    unsafe { new_ref(ffi::Py_None()) }
}

/// A new reference to `True` or `False`.
///
/// # Safety
/// GIL held.
#[inline(always)]
pub unsafe fn bool_(b: bool) -> *mut ffi::PyObject {
    // SAFETY: GIL held; the bool singletons are static (and immortal from 3.12 on).
    unsafe { new_ref(if b { ffi::Py_True() } else { ffi::Py_False() }) }
}

const INTERN_SLOTS: usize = 256;

#[cfg(not(Py_GIL_DISABLED))]
struct InternCache {
    keys: [usize; INTERN_SLOTS],
    objs: [*mut ffi::PyObject; INTERN_SLOTS],
}

#[cfg(not(Py_GIL_DISABLED))]
struct InternCell(UnsafeCell<InternCache>);

// SAFETY: used only with the GIL held.
#[cfg(not(Py_GIL_DISABLED))]
unsafe impl Sync for InternCell {}

#[cfg(not(Py_GIL_DISABLED))]
static INTERNED: InternCell = InternCell(UnsafeCell::new(InternCache {
    keys: [0; INTERN_SLOTS],
    objs: [ptr::null_mut(); INTERN_SLOTS],
}));

/// Does the compact-ASCII `obj` hold exactly the NUL-terminated bytes at `name`?
unsafe fn same_text(obj: *mut ffi::PyObject, name: *const core::ffi::c_char) -> bool {
    // SAFETY: GIL held; `obj` is a str from the cache; `name` is NUL-terminated.
    unsafe {
        if !crate::convert::is_compact_ascii(obj) {
            return false;
        }
        let len = (*(obj as *const ffi::PyASCIIObject)).length as usize;
        let data = (obj as *const ffi::PyASCIIObject).add(1) as *const u8;
        let name = name as *const u8;
        for i in 0..len {
            if *name.add(i) != *data.add(i) {
                return false;
            }
        }
        *name.add(len) == 0
    }
}

/// Free-threaded builds: the intern cache holds immortal strings, without references.
#[cfg(Py_GIL_DISABLED)]
static INTERNED: ImmortalCache<ffi::PyObject, INTERN_SLOTS> = ImmortalCache::new();

/// An interned `str` for a NUL-terminated UTF-8 name (new reference).
///
/// With the pool on, a small cache keyed by the C pointer (and verified against the text, so a
/// reused buffer never returns a stale string) skips hashing and the interpreter's intern dict.
///
/// # Safety
/// GIL held; `name` NUL-terminated.
#[cfg(not(Py_GIL_DISABLED))]
pub unsafe fn intern_cstr(name: *const core::ffi::c_char) -> *mut ffi::PyObject {
    // SAFETY: GIL held by the caller, which serialises access to the cache.
    unsafe {
        if !ready() {
            // The same hint as the pooled path below: whether a failure is noticed must not
            // depend on which optimisation is on.
            let obj = ffi::PyUnicode_InternFromString(name);
            if obj.is_null() {
                crate::tls::note_error();
            }
            return obj;
        }
        let key = name as usize;
        let slot = (key >> 3).wrapping_mul(0x9E37_79B9) % INTERN_SLOTS;
        let cache = &mut *INTERNED.0.get();
        let cached = cache.objs[slot];
        if cache.keys[slot] == key && !cached.is_null() && same_text(cached, name) {
            ffi::Py_INCREF(cached);
            return cached;
        }
        let obj = ffi::PyUnicode_InternFromString(name);
        if obj.is_null() {
            crate::tls::note_error();
            return obj;
        }
        let old = cache.objs[slot];
        ffi::Py_INCREF(obj);
        cache.objs[slot] = obj;
        cache.keys[slot] = key;
        ffi::Py_XDECREF(old);
        obj
    }
}

/// An interned `str` for a NUL-terminated UTF-8 name (new reference), on free-threaded builds.
///
/// As under a GIL, with the pool on a cache keyed by the C pointer and verified against the text
/// skips the interpreter's intern table; here the cache is lock-free and holds no references,
/// since interned strings are immortal (a string that is not is returned but not cached).
///
/// # Safety
/// Attached thread state; `name` NUL-terminated.
#[cfg(Py_GIL_DISABLED)]
pub unsafe fn intern_cstr(name: *const core::ffi::c_char) -> *mut ffi::PyObject {
    let key = name as usize;
    if ready() {
        // SAFETY: every cached value is an immortal str; `name` is NUL-terminated.
        if let Some(obj) = INTERNED.get(key, |obj| unsafe { same_text(obj, name) }) {
            return obj;
        }
    }
    // SAFETY: attached thread state; `name` NUL-terminated.
    let obj = unsafe { ffi::PyUnicode_InternFromString(name) };
    if obj.is_null() {
        crate::tls::note_error();
        return obj;
    }
    // SAFETY: `obj` is a valid str.
    if ready() && unsafe { is_immortal(obj) } {
        INTERNED.put(key, obj);
    }
    obj
}
