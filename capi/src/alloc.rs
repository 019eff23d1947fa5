//! capi/src/alloc.rs: memory on CPython's allocator, from any thread.

use core::ffi::c_void;

use pyz3_core::alloc;

use pyz3_core::panic::guard;

/// Allocates `size` bytes aligned to `align` (a power of two up to 65536; 0 means the default,
/// 16 bytes on 64-bit platforms) from CPython's `PyMem` allocator. Returns NULL when out of
/// memory, when `align` is invalid, or when Python is not running — including once the
/// interpreter has begun to exit, for a thread without a GIL scope; no exception is set.
///
/// Callable from any thread. When the thread already holds the GIL through pyz3 (inside a plugin
/// call or a `pyz3_gil_acquire` scope) no GIL call is made; otherwise the GIL is taken and
/// dropped around this one allocation. Free with `pyz3_free` and the same `align`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_alloc(size: usize, align: usize) -> *mut c_void {
    if alloc::fast(align) {
        // The hot path, outside the panic boundary so it stays a tail call: nothing here can
        // panic. SAFETY: the GIL is held through pyz3.
        return unsafe { pyo3_ffi::PyMem_Malloc(size) };
    }
    // SAFETY: forwarded.
    unsafe { alloc_guarded(size, align, false) }
}

/// The slow path behind a panic boundary, out of line so the fast path needs no stack frame:
/// `extern "C"` (it cannot unwind), so calling it is a tail jump with no landing pad.
#[cold]
#[inline(never)]
unsafe extern "C" fn alloc_guarded(size: usize, align: usize, zeroed: bool) -> *mut c_void {
    guard(core::ptr::null_mut(), || {
        // SAFETY: the allocator checks the alignment and takes the GIL as needed.
        unsafe { alloc::alloc_slow(size, align, zeroed) }.cast()
    })
}

/// As `pyz3_alloc` for `count * size` bytes, zero-filled. NULL if the product overflows.
#[no_mangle]
pub unsafe extern "C" fn pyz3_calloc(count: usize, size: usize, align: usize) -> *mut c_void {
    guard(core::ptr::null_mut(), || match count.checked_mul(size) {
        // SAFETY: as in pyz3_alloc.
        Some(total) => unsafe { alloc::alloc(total, align, true) }.cast(),
        None => core::ptr::null_mut(),
    })
}

/// Resizes a block from `pyz3_alloc`/`pyz3_calloc`/`pyz3_realloc` to `new_size` bytes, keeping
/// its contents up to the smaller size and its alignment (`align` must be the one it was
/// allocated with). NULL `ptr` allocates. On failure returns NULL and leaves the block intact.
#[no_mangle]
pub unsafe extern "C" fn pyz3_realloc(
    ptr: *mut c_void,
    new_size: usize,
    align: usize,
) -> *mut c_void {
    guard(core::ptr::null_mut(), || {
        // SAFETY: the caller passes a block of this allocator with its alignment.
        unsafe { alloc::realloc(ptr.cast(), new_size, align) }.cast()
    })
}

/// Frees a block from this allocator; `align` must be the one it was allocated with. NULL is
/// ignored. Callable from any thread, like `pyz3_alloc`. Once the interpreter has begun to exit,
/// a block freed by a thread without a GIL scope is left to the end of the process (nothing
/// touches CPython then).
#[no_mangle]
pub unsafe extern "C" fn pyz3_free(ptr: *mut c_void, align: usize) {
    if alloc::fast(align) {
        // The hot path, as in `pyz3_alloc`. SAFETY: the GIL is held through pyz3; the caller
        // passes a block of this allocator (or NULL, which PyMem_Free ignores).
        return unsafe { pyo3_ffi::PyMem_Free(ptr) };
    }
    // SAFETY: forwarded.
    unsafe { free_guarded(ptr, align) }
}

/// The slow path of `pyz3_free`, as `alloc_guarded`.
#[cold]
#[inline(never)]
unsafe extern "C" fn free_guarded(ptr: *mut c_void, align: usize) {
    // SAFETY: the caller passes a block of this allocator with its alignment.
    guard((), || unsafe { alloc::free_slow(ptr.cast(), align) })
}
