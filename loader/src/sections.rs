//! loader/src/sections.rs: a plugin's module constants and exception classes (ABI 1.1), made
//! into module attributes.
//!
//! Constants are Python literals evaluated with `ast.literal_eval` (as parameter defaults are)
//! and checked against their declared type. Exception classes derive from a built-in kind; they
//! carry their origin (plugin path, module name) so an instance pickles by reference through
//! `pyz3._reduce_plugin_exception`, even when the module is not importable by name.

use std::ffi::CString;

use pyo3_ffi as ffi;
use pyz3_core::convert::{self, ConvError};
use pyz3_core::error;
use pyz3_core::owned::Owned;
use pyz3_core::types::{Repr, TypeCode};

use crate::function::plugin_fault_or_raised;
use crate::plugin::{ConstantSpec, ExceptionSpec, PluginSpec};
use crate::BuildError;

/// The value of a constant as a Python object of its declared type.
///
/// # Safety
/// GIL held.
pub unsafe fn constant_value(c: &ConstantSpec) -> Result<Owned, BuildError> {
    let fault = |reason: String| {
        BuildError::Plugin(format!(
            "constant '{}': value {:?} {reason}",
            c.name, c.value
        ))
    };
    // SAFETY: GIL held by the caller.
    unsafe {
        let ast = Owned::new(ffi::PyImport_ImportModule(c"ast".as_ptr()))?;
        let literal_eval = ast.get_attr(c"literal_eval")?;
        let text = Owned::str(&c.value)?;
        let obj = match Owned::new(ffi::PyObject_CallOneArg(
            literal_eval.as_ptr(),
            text.as_ptr(),
        )) {
            Ok(obj) => obj,
            Err(_) => {
                return Err(match plugin_fault_or_raised("is not a Python literal") {
                    BuildError::Plugin(r) => fault(r),
                    raised => raised,
                })
            }
        };
        let is_none = obj.as_ptr() == ffi::Py_None();
        match c.ty.info().repr {
            Repr::Void if is_none => Ok(obj),
            Repr::Void => Err(fault(format!(
                "is not None, but the constant's type is void (None); got {}",
                convert::object_type_name(obj.as_ptr())
            ))),
            Repr::Object => Ok(obj),
            // A float constant written as an int literal is still a float, as a float argument
            // would be; ints, bools, str and bytes keep their literal's object.
            Repr::Int { .. } | Repr::Float { .. } | Repr::Bool | Repr::Text | Repr::Bytes => {
                match convert::to_value(c.ty, obj.as_ptr()) {
                    Ok(v) if matches!(c.ty.info().repr, Repr::Float { .. }) => {
                        Owned::new(convert::from_value(c.ty, &v)).map_err(Into::into)
                    }
                    Ok(_) if c.ty != TypeCode::Bool && ffi::PyBool_Check(obj.as_ptr()) != 0 => {
                        Err(fault(format!("is a bool, not {}", c.ty.name())))
                    }
                    Ok(_) => Ok(obj),
                    Err(
                        ConvError::WrongType
                        | ConvError::Element { .. }
                        | ConvError::Key { .. }
                        | ConvError::Mismatch(_),
                    ) => Err(fault(format!(
                        "has type {}, not valid for a constant of type {}",
                        convert::object_type_name(obj.as_ptr()),
                        c.ty.name()
                    ))),
                    Err(ConvError::OutOfRange) => {
                        Err(fault(format!("is out of range for {}", c.ty.name())))
                    }
                    Err(ConvError::Raised) => {
                        Err(match plugin_fault_or_raised("cannot be converted") {
                            BuildError::Plugin(r) => fault(r),
                            raised => raised,
                        })
                    }
                }
            }
            _ => Err(fault(format!(
                "has the type {}, which a constant cannot have",
                c.ty.name()
            ))),
        }
    }
}

/// Makes the exception class for `e`, a subclass of its built-in base named
/// `<module_name>.<name>`, with its doc and its origin for pickling.
///
/// # Safety
/// GIL held.
pub unsafe fn exception_class(
    plugin: &PluginSpec,
    module_name: &str,
    e: &ExceptionSpec,
) -> Result<Owned, BuildError> {
    let to_c = |s: String| CString::new(s).map_err(|err| BuildError::Plugin(err.to_string()));
    // SAFETY: GIL held by the caller.
    unsafe {
        let qualified = to_c(format!("{module_name}.{}", e.name))?;
        let doc = e
            .doc
            .clone()
            .map(|d| to_c(d.replace('\0', "\\0")))
            .transpose()?;
        let pyz3 = Owned::new(ffi::PyImport_ImportModule(c"pyz3".as_ptr()))?;
        let reduce = pyz3.get_attr(c"_reduce_plugin_exception")?;
        let origin = Owned::tuple(vec![
            Owned::str(&plugin.path.display().to_string())?,
            Owned::str(module_name)?,
        ])?;
        let dict = Owned::dict(vec![(c"__reduce__", reduce), (c"__pyz3_origin__", origin)])?;
        Ok(Owned::new(ffi::PyErr_NewExceptionWithDoc(
            qualified.as_ptr(),
            doc.as_ref().map_or(core::ptr::null(), |d| d.as_ptr()),
            error::exception_class(e.base),
            dict.as_ptr(),
        ))?)
    }
}
