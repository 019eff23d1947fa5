//! capi/src/array.rs: array results — making a `pyz3.Array` for a function to fill in.

use pyo3_ffi::{self as ffi, PyObject};
use pyz3_core::abi::pyz3_buffer;
use pyz3_core::panic::guard;
use pyz3_core::types::TypeCode;
use pyz3_core::{array, error, gil};

/// Makes a new C-contiguous array of `ndim` dimensions (1 to `PYZ3_BUF_MAX_NDIM`) with the
/// extents in `shape` and elements of type `elem` (an integer, float or bool `PYZ3_T_*` code),
/// stores a new reference to it in `*out`, and returns its description: write the elements
/// through `data` (they start uninitialised, like `numpy.empty`'s). The description lives inside
/// the array and stays valid while the array does.
///
/// A function declared to return `PYZ3_T_ARRAY` makes its result with
/// `pyz3_array_new(elem, ndim, shape, &result->obj)`; its element type and dimensions must be
/// the declared ones.
///
/// Returns NULL with an exception set (and `*out` NULL) when the arguments are invalid or
/// memory runs out. Callable from any thread: inside a `PYZ3_FN_RELEASE_GIL` function it takes
/// the GIL briefly, like `pyz3_alloc`.
#[no_mangle]
pub unsafe extern "C" fn pyz3_array_new(
    elem: u8,
    ndim: usize,
    shape: *const usize,
    out: *mut *mut PyObject,
) -> *mut pyz3_buffer {
    guard(core::ptr::null_mut(), || {
        gil::with_gil(|| {
            // SAFETY: the GIL is held here; `shape` has `ndim` entries and `out` is writable
            // per the contract (checked for NULL).
            unsafe {
                if out.is_null() || (shape.is_null() && ndim != 0) {
                    error::raise_str(
                        ffi::PyExc_SystemError,
                        "pyz3_array_new: NULL out or shape pointer",
                    );
                    return core::ptr::null_mut();
                }
                *out = core::ptr::null_mut();
                let Some(code) = TypeCode::from_u8(elem) else {
                    error::raise_str(
                        ffi::PyExc_SystemError,
                        &format!("pyz3_array_new: unknown element type code {elem}"),
                    );
                    return core::ptr::null_mut();
                };
                let dims = if ndim == 0 {
                    &[][..]
                } else {
                    core::slice::from_raw_parts(shape, ndim.min(65))
                };
                match array::new_array(code, dims) {
                    Ok((obj, view)) => {
                        *out = obj;
                        view
                    }
                    Err(_) => core::ptr::null_mut(),
                }
            }
        })
        .unwrap_or(core::ptr::null_mut())
    })
}
