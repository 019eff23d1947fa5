//! loader/src/function/slow.rs: the slow call path — keyword calls that need defaults or
//! reordering, raw functions' defaults, and every call-shape error, with CPython's own wording.
//!
//! The one place in the call path with indexing and formatting; it runs inside the panic
//! boundary like every entry point (a bug here becomes a `SystemError`, not an abort).

use core::ptr;

use pyo3_ffi as ffi;
use pyz3_core::{convert, error, opts};

use super::call::{call_raw, convert_and_invoke, ANY_RET, CTOR_RET, MAXP};
use super::Function;

/// [`call_slow`] from a trampoline with result `R`: a result type known at compile time is read
/// from the function here (the same type), so the slow path exists once per kind of result, not
/// once per type.
#[inline(always)]
pub(super) unsafe fn call_slow_from<const M: bool, const R: u8>(
    f: &Function,
    this: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: forwarded.
    unsafe {
        if R == CTOR_RET {
            call_slow::<M, CTOR_RET>(f, this, args, nargs, kwnames)
        } else {
            call_slow::<M, ANY_RET>(f, this, args, nargs, kwnames)
        }
    }
}

/// Keyword calls, defaults and call-shape errors (inside the trampoline's panic boundary). `M`,
/// `R` and `this` are the trampoline's (call.rs).
#[cold]
#[inline(never)]
pub(super) unsafe fn call_slow<const M: bool, const R: u8>(
    f: &Function,
    this: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython's vectorcall contract: `args` holds `nargs` positional values followed by
    // one value per entry of the `kwnames` tuple (of str).
    unsafe {
        if nargs > f.npositional {
            return too_many_positional(f, nargs);
        }
        // Only the function's own slots are initialised (a 64-entry memset cost ~55 instructions).
        let mut storage = [core::mem::MaybeUninit::<*mut ffi::PyObject>::uninit(); MAXP];
        for s in &mut storage[..f.nparams] {
            s.write(ptr::null_mut());
        }
        let slots = core::slice::from_raw_parts_mut(
            storage.as_mut_ptr().cast::<*mut ffi::PyObject>(),
            f.nparams,
        );
        slots[..nargs].copy_from_slice(core::slice::from_raw_parts(args, nargs));
        let nkw = if kwnames.is_null() {
            0
        } else {
            ffi::PyTuple_GET_SIZE(kwnames) as usize
        };
        for k in 0..nkw {
            let key = ffi::PyTuple_GET_ITEM(kwnames, k as isize);
            let value = *args.add(nargs + k);
            let Some(j) = find_param(f, key) else {
                return type_error(&format!(
                    "{} got an unexpected keyword argument {}",
                    f.display,
                    convert::short_repr(key, 80)
                ));
            };
            if f.positional_only {
                return type_error(&format!(
                    "{} got some positional-only arguments passed as keyword arguments: '{}'",
                    f.display, f.param_names[j]
                ));
            }
            if !slots[j].is_null() {
                return type_error(&format!(
                    "{} got multiple values for argument '{}'",
                    f.display, f.param_names[j]
                ));
            }
            slots[j] = value;
        }
        let mut missing_pos = Vec::new();
        let mut missing_kw = Vec::new();
        for (j, slot) in slots[..f.nparams].iter().enumerate() {
            if slot.is_null() && f.defaults[j].obj.is_none() {
                if j < f.npositional {
                    missing_pos.push(j);
                } else {
                    missing_kw.push(j);
                }
            }
        }
        if !missing_pos.is_empty() {
            return missing_error(f, &missing_pos, "positional");
        }
        if !missing_kw.is_empty() {
            return missing_error(f, &missing_kw, "keyword-only");
        }
        if f.raw.is_some() {
            for (slot, d) in slots[..f.nparams].iter_mut().zip(f.defaults.iter()) {
                if slot.is_null() {
                    *slot = d.obj_ptr();
                }
            }
            return call_raw::<M>(f, this, slots.as_ptr());
        }
        convert_and_invoke::<M, R>(f, this, &slots[..f.nparams])
    }
}

unsafe fn find_param(f: &Function, key: *mut ffi::PyObject) -> Option<usize> {
    // SAFETY: GIL held; `key` is a str (CPython guarantees keyword names are strings).
    unsafe {
        if opts::pool() {
            if let Some(j) = f.names.iter().position(|n| n.as_ptr() == key) {
                return Some(j);
            }
        }
        let mut len: ffi::Py_ssize_t = 0;
        let p = ffi::PyUnicode_AsUTF8AndSize(key, &mut len);
        if p.is_null() {
            ffi::PyErr_Clear();
            return None;
        }
        let k = core::slice::from_raw_parts(p as *const u8, len as usize);
        f.param_names.iter().position(|n| n.as_bytes() == k)
    }
}

#[cold]
unsafe fn type_error(msg: &str) -> *mut ffi::PyObject {
    // SAFETY: GIL held by the caller.
    unsafe { error::raise_str(ffi::PyExc_TypeError, msg) };
    ptr::null_mut()
}

#[cold]
unsafe fn too_many_positional(f: &Function, given: usize) -> *mut ffi::PyObject {
    let max = f.npositional;
    let min = (0..f.npositional)
        .take_while(|&j| f.defaults[j].obj.is_none())
        .count();
    let takes = if min == max {
        format!(
            "{max} positional argument{}",
            if max == 1 { "" } else { "s" }
        )
    } else {
        format!("from {min} to {max} positional arguments")
    };
    let were = if given == 1 { "was" } else { "were" };
    // SAFETY: GIL held by the caller.
    unsafe {
        type_error(&format!(
            "{} takes {takes} but {given} {were} given",
            f.display
        ))
    }
}

#[cold]
unsafe fn missing_error(f: &Function, which: &[usize], kind: &str) -> *mut ffi::PyObject {
    let names: Vec<String> = which
        .iter()
        .map(|&j| format!("'{}'", f.param_names[j]))
        .collect();
    let list = match names.len() {
        1 => names[0].clone(),
        2 => format!("{} and {}", names[0], names[1]),
        _ => format!(
            "{}, and {}",
            names[..names.len() - 1].join(", "),
            names[names.len() - 1]
        ),
    };
    let n = which.len();
    let plural = if n == 1 { "" } else { "s" };
    // SAFETY: GIL held by the caller.
    unsafe {
        type_error(&format!(
            "{} missing {n} required {kind} argument{plural}: {list}",
            f.display
        ))
    }
}
