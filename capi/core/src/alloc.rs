//! capi/core/src/alloc.rs: aligned allocation on CPython's allocator (`PyMem_Malloc`), from any thread.
//!
//! `PyMem_Malloc` needs the GIL. With the GIL-state cache on and the thread's depth counter
//! non-zero, the allocator calls it directly; otherwise it wraps the one call in
//! `PyGILState_Ensure/Release` (the "off" path, and the path for native threads outside a scope).
//!
//! Alignment: CPython guarantees 16 bytes on 64-bit platforms (8 on 32-bit); larger alignments
//! over-allocate and keep a two-word header (original pointer, requested size) just below the
//! aligned block. The caller passes the same alignment to free/realloc.

use core::ffi::c_void;
use core::mem::size_of;
use core::ptr;

use pyo3_ffi as ffi;

use crate::gil;

/// Alignment every `PyMem_Malloc` block has.
pub const NATIVE_ALIGN: usize = 2 * size_of::<usize>();
/// Largest alignment accepted.
pub const MAX_ALIGN: usize = 1 << 16;

const HEADER: usize = 2 * size_of::<usize>();

/// Is `align` a power of two no larger than [`MAX_ALIGN`]? (0 means "default", i.e. native.)
#[inline]
pub fn valid_align(align: usize) -> bool {
    align == 0 || (align.is_power_of_two() && align <= MAX_ALIGN)
}

/// Runs `f` with the GIL held, using the cache when it allows. `None` when Python is unavailable.
#[inline(always)]
fn with_gil<R>(f: impl FnOnce() -> R) -> Option<R> {
    gil::with_gil(f)
}

/// Allocates with the GIL held. Over-aligned blocks get a header below the returned pointer.
unsafe fn alloc_held(size: usize, align: usize, zeroed: bool) -> *mut u8 {
    if align <= NATIVE_ALIGN {
        // SAFETY: GIL held by the caller.
        let p = unsafe {
            if zeroed {
                ffi::PyMem_Calloc(1, size.max(1))
            } else {
                ffi::PyMem_Malloc(size)
            }
        };
        return p.cast();
    }
    let Some(total) = size.checked_add(align + HEADER) else {
        return ptr::null_mut();
    };
    // SAFETY: GIL held by the caller.
    let base = unsafe {
        if zeroed {
            ffi::PyMem_Calloc(1, total)
        } else {
            ffi::PyMem_Malloc(total)
        }
    } as *mut u8;
    if base.is_null() {
        return base;
    }
    let addr = base as usize + HEADER;
    let aligned = (addr + align - 1) & !(align - 1);
    let user = aligned as *mut u8;
    // SAFETY: `user - HEADER >= base` and the header words lie inside the block.
    unsafe {
        let hdr = user.sub(HEADER) as *mut usize;
        hdr.write_unaligned(base as usize);
        hdr.add(1).write_unaligned(size);
    }
    user
}

unsafe fn free_held(p: *mut u8, align: usize) {
    if align <= NATIVE_ALIGN {
        // SAFETY: `p` came from PyMem_Malloc/Calloc/Realloc; GIL held by the caller.
        unsafe { ffi::PyMem_Free(p.cast()) };
        return;
    }
    // SAFETY: over-aligned blocks carry the header written by `alloc_held`.
    unsafe {
        let base = (p.sub(HEADER) as *const usize).read_unaligned();
        ffi::PyMem_Free(base as *mut c_void);
    }
}

unsafe fn realloc_held(p: *mut u8, new_size: usize, align: usize) -> *mut u8 {
    if align <= NATIVE_ALIGN {
        // SAFETY: `p` came from this allocator with native alignment; GIL held by the caller.
        return unsafe { ffi::PyMem_Realloc(p.cast(), new_size) }.cast();
    }
    // SAFETY: header written by `alloc_held`.
    let old_size =
        unsafe { (p.sub(HEADER).add(size_of::<usize>()) as *const usize).read_unaligned() };
    // SAFETY: GIL held by the caller.
    let q = unsafe { alloc_held(new_size, align, false) };
    if q.is_null() {
        return q;
    }
    // SAFETY: both blocks are at least `min(old, new)` bytes and distinct.
    unsafe {
        ptr::copy_nonoverlapping(p, q, old_size.min(new_size));
        free_held(p, align);
    }
    q
}

/// The cache's fast path: default alignment, cache on, and the thread holds the GIL through
/// pyz3. Inlined into the C API functions so the common case is a few instructions and a tail
/// call into `PyMem_*`: `(align | detour) == 0` tests the first two with one OR (the detour
/// word is 0 exactly while the cache is on, `opts::alloc_detour`), then the thread's GIL depth.
/// An explicit native alignment (1 to 16) takes the slow path, which serves it the same way
/// after validating it.
#[inline(always)]
pub fn fast(align: usize) -> bool {
    (align | crate::opts::alloc_detour()) == 0 && gil::held_by_pyz3()
}

/// Allocates `size` bytes aligned to `align` (0 = native). NULL on failure or bad alignment.
///
/// # Safety
/// Python must be initialised. Callable from any thread.
#[inline(always)]
pub unsafe fn alloc(size: usize, align: usize, zeroed: bool) -> *mut u8 {
    if fast(align) {
        // SAFETY: the GIL is held through pyz3.
        return unsafe {
            if zeroed {
                ffi::PyMem_Calloc(1, size)
            } else {
                ffi::PyMem_Malloc(size)
            }
        }
        .cast();
    }
    // SAFETY: forwarded.
    unsafe { alloc_slow(size, align, zeroed) }
}

/// [`alloc`] when the fast path does not apply.
///
/// # Safety
/// As for [`alloc`].
#[cold]
#[inline(never)]
pub unsafe fn alloc_slow(size: usize, align: usize, zeroed: bool) -> *mut u8 {
    if !valid_align(align) {
        return ptr::null_mut();
    }
    // SAFETY: `with_gil` holds the GIL while the closure runs.
    with_gil(|| unsafe { alloc_held(size, align, zeroed) }).unwrap_or(ptr::null_mut())
}

/// Frees a block from [`alloc`]/[`realloc`] with the same `align`. NULL is ignored.
///
/// # Safety
/// `p` must come from this allocator with the same alignment and not be freed twice.
#[inline(always)]
pub unsafe fn free(p: *mut u8, align: usize) {
    if fast(align) {
        // SAFETY: the GIL is held through pyz3; the caller vouches for `p` (PyMem_Free(NULL) is
        // a no-op).
        return unsafe { ffi::PyMem_Free(p.cast()) };
    }
    // SAFETY: forwarded.
    unsafe { free_slow(p, align) }
}

/// [`free`] when the fast path does not apply.
///
/// # Safety
/// As for [`free`].
#[cold]
#[inline(never)]
pub unsafe fn free_slow(p: *mut u8, align: usize) {
    if p.is_null() || !valid_align(align) {
        return;
    }
    // SAFETY: `with_gil` holds the GIL while the closure runs; the caller vouches for `p`.
    with_gil(|| unsafe { free_held(p, align) });
}

/// Resizes a block, keeping `min(old, new)` bytes. NULL `p` allocates; on failure the old block
/// is untouched and NULL is returned.
///
/// # Safety
/// As for [`free`].
pub unsafe fn realloc(p: *mut u8, new_size: usize, align: usize) -> *mut u8 {
    if !valid_align(align) {
        return ptr::null_mut();
    }
    if p.is_null() {
        // SAFETY: forwarded.
        return unsafe { alloc(new_size, align, false) };
    }
    // SAFETY: `with_gil` holds the GIL while the closure runs; the caller vouches for `p`.
    with_gil(|| unsafe { realloc_held(p, new_size, align) }).unwrap_or(ptr::null_mut())
}
