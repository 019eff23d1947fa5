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

use core::cell::UnsafeCell;
use core::ptr;
use core::sync::atomic::{AtomicBool, Ordering};

use pyo3_ffi as ffi;

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
        let cache = &mut *INTERNED.0.get();
        cache.keys = [0; INTERN_SLOTS];
        cache.objs = [ptr::null_mut(); INTERN_SLOTS];
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
        if !ATEXIT_REGISTERED.swap(true, Ordering::AcqRel) {
            ffi::Py_AtExit(Some(forget_at_exit));
        }
    }
    READY.store(true, Ordering::Release);
    true
}

/// Is the pool filled (and switched on)?
#[inline(always)]
pub fn ready() -> bool {
    READY.load(Ordering::Relaxed) && crate::opts::pool()
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
        unsafe {
            let obj = (*POOL.0.get()).ints[idx as usize];
            ffi::Py_INCREF(obj);
            Some(obj)
        }
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
            // SAFETY: GIL held; the pool is filled.
            unsafe {
                let obj = (*POOL.0.get()).$field;
                ffi::Py_INCREF(obj);
                obj
            }
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
    // SAFETY: GIL held; Py_None is static.
    unsafe {
        let obj = ffi::Py_None();
        ffi::Py_INCREF(obj);
        obj
    }
}

/// A new reference to `True` or `False`.
///
/// # Safety
/// GIL held.
#[inline(always)]
pub unsafe fn bool_(b: bool) -> *mut ffi::PyObject {
    // SAFETY: GIL held; the bool singletons are static.
    unsafe {
        let obj = if b { ffi::Py_True() } else { ffi::Py_False() };
        ffi::Py_INCREF(obj);
        obj
    }
}

const INTERN_SLOTS: usize = 256;

struct InternCache {
    keys: [usize; INTERN_SLOTS],
    objs: [*mut ffi::PyObject; INTERN_SLOTS],
}

struct InternCell(UnsafeCell<InternCache>);

// SAFETY: used only with the GIL held.
unsafe impl Sync for InternCell {}

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

/// An interned `str` for a NUL-terminated UTF-8 name (new reference).
///
/// With the pool on, a small cache keyed by the C pointer (and verified against the text, so a
/// reused buffer never returns a stale string) skips hashing and the interpreter's intern dict.
///
/// # Safety
/// GIL held; `name` NUL-terminated.
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
