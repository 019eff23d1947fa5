//! capi/src/class.rs: instances of plugin classes, for code that holds only the Python object.
//!
//! Typed methods receive their instance's state in `args[0].inst`; raw methods, and code that
//! finds an instance elsewhere (in a list, as a `PYZ3_T_OBJECT` argument), ask for it here.

use core::ffi::c_void;

use pyo3_ffi::PyObject;
use pyz3_core::panic::guard;

/// The native state of `obj`, an instance of a class of any pyz3 plugin (or of a Python
/// subclass of one), valid while `obj` is alive. Returns NULL with `TypeError` when `obj` is not
/// such an instance, or `RuntimeError` when its state was never made (its `__init__` was not
/// called). Requires the GIL. Code that knows the class should rather check
/// `PyObject_TypeCheck`-like facts through a typed `PYZ3_T_INSTANCE` parameter.
#[no_mangle]
pub unsafe extern "C" fn pyz3_instance_state(obj: *mut PyObject) -> *mut c_void {
    // SAFETY: GIL held and `obj` valid or NULL per the contract.
    guard(core::ptr::null_mut(), || unsafe {
        pyz3_loader::class::state_of_any(obj)
    })
}
