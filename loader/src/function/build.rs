//! loader/src/function/build.rs: load time — a validated `FunctionSpec` becomes a `Function`.
//!
//! Interns the parameter names, evaluates and converts the defaults, writes the text signature
//! (`__text_signature__`, what `inspect.signature` reads) and picks the trampoline. Every
//! reference made here is an [`Owned`], so an error part-way leaks nothing.

use core::ffi::c_void;
use std::ffi::CString;
use std::sync::Arc;

use pyo3_ffi as ffi;
use pyz3_core::abi::*;
use pyz3_core::convert::{self, ConvError};
use pyz3_core::module::ModuleState;
use pyz3_core::owned::{Owned, PyResult};
use pyz3_core::types::{DefaultRule, TypeCode, TypeFacts, TYPES};
use pyz3_core::{error, tls};

use super::call::{pick_ctor_vectorcall, pick_method_entry, pick_trampoline, NO_METHOD_ENTRY};
use super::{DefaultValue, Function, Receiver, Role};
use crate::class::ClassData;
use crate::plugin::{FunctionSpec, ParamSpec, PluginSpec};
use crate::BuildError;

impl Function {
    /// Builds the function for `spec`, published in module `module_name`; `classes` are the
    /// plugin's classes (for instance parameters and results), `role` says what it is, `module`
    /// what `pyz3_call.module` points to.
    ///
    /// # Safety
    /// GIL held.
    pub(crate) unsafe fn new(
        plugin: &PluginSpec,
        module_name: &str,
        module: &Arc<ModuleState>,
        spec: &FunctionSpec,
        classes: &[&'static ClassData],
        role: Role,
    ) -> Result<Function, BuildError> {
        let n = spec.params.len();
        let mut types = [TYPES[0].code; PYZ3_MAX_PARAMS as usize];
        let mut facts = [TypeFacts::NONE; PYZ3_MAX_PARAMS as usize];
        let mut optional_mask = 0u64;
        let mut names = Vec::with_capacity(n);
        let mut defaults = Vec::with_capacity(n);
        for (i, p) in spec.params.iter().enumerate() {
            types[i] = p.ty;
            facts[i] = p.facts;
            if p.flags & PYZ3_PARAM_OPTIONAL != 0 {
                optional_mask |= 1 << i;
            }
            // SAFETY: GIL held.
            names.push(unsafe { intern(&p.name)? });
            // SAFETY: GIL held.
            defaults.push(unsafe { default_of(spec, p)? });
        }
        let npositional = spec
            .params
            .iter()
            .take_while(|p| p.flags & PYZ3_PARAM_KEYWORD_ONLY == 0)
            .count();
        let positional_only = spec.flags & PYZ3_FN_POSITIONAL_ONLY != 0;
        let (receiver, owner, display, setter, ctor) = match role {
            Role::Function => (None, None, format!("{}()", spec.name), false, false),
            Role::Member {
                class,
                receiver,
                display,
                ctor,
                setter,
            } => (
                Some(receiver),
                Some(class),
                display.to_owned(),
                setter,
                ctor,
            ),
        };
        // What `__text_signature__` puts before the parameters: inspect drops a `$` parameter
        // of a bound builtin; a class method's builtin is bound once more, to the class.
        let head = match receiver {
            None | Some(Receiver::Nothing) => "$module",
            Some(Receiver::Class) => "$module, cls",
            Some(Receiver::Instance) => "$self",
        };
        // Raw functions receive the objects themselves: nothing to convert, no views.
        let nviews = if spec.fn_.is_some() {
            spec.params.iter().filter(|p| p.ty.info().arg_view).count()
        } else {
            0
        };
        // The direct path fills trailing parameters from their defaults; it cannot pass a
        // keyword-only parameter that has none.
        let min_direct_nargs = if spec.params[npositional..]
            .iter()
            .all(|p| p.default.is_some())
        {
            spec.params[..npositional]
                .iter()
                .rposition(|p| p.default.is_none())
                .map_or(0, |i| i + 1)
        } else {
            usize::MAX
        };
        // SAFETY: GIL held; the defaults' objects are live.
        let text_params = unsafe { text_signature(spec, &defaults, npositional, "")? };
        let doc_text = signature_doc(spec, head, &text_params);
        let class_of = |index: u16| classes.get(usize::from(index)).copied();
        let arg_classes: Box<[Option<&'static ClassData>]> =
            if spec.params.iter().any(|p| p.ty == TypeCode::Instance) {
                spec.params
                    .iter()
                    .map(|p| {
                        (p.ty == TypeCode::Instance)
                            .then(|| class_of(p.class_index))
                            .flatten()
                    })
                    .collect()
            } else {
                Box::default()
            };
        if arg_classes
            .iter()
            .zip(&spec.params)
            .any(|(c, p)| p.ty == TypeCode::Instance && c.is_none())
            || (spec.return_type == TypeCode::Instance && class_of(spec.ret_class_index).is_none())
        {
            return Err(plugin_error(format!(
                "function '{}': names a class the plugin does not declare",
                spec.name
            )));
        }
        let c_name = CString::new(spec.name.clone()).map_err(|e| plugin_error(e.to_string()))?;
        let c_doc =
            CString::new(doc_text.replace('\0', "\\0")).map_err(|e| plugin_error(e.to_string()))?;

        let default_none_mask = defaults
            .iter()
            .enumerate()
            .filter(|(_, d)| d.is_none)
            .fold(0, |m, (i, _)| m | (1u64 << i));
        let mut f = Function {
            defaults: defaults.into_boxed_slice(),
            method_def: ffi::PyMethodDef::zeroed(),
            nparams: n,
            npositional,
            direct_nargs: if npositional == n { n } else { usize::MAX },
            optional_mask,
            types,
            facts,
            nviews,
            min_direct_nargs,
            fn_: spec.fn_,
            raw: spec.raw,
            call0: pyz3_call {
                none_mask: 0,
                user_data: spec.user_data as *mut c_void,
                module: module.handle(),
                self_: core::ptr::null_mut(),
            },
            ret_type: spec.return_type,
            ret_facts: spec.ret_facts,
            ret_compound: matches!(
                spec.return_type,
                TypeCode::List | TypeCode::Dict | TypeCode::Tuple
            ),
            ret_items: spec.ret_items.clone().into_boxed_slice(),
            ret_objects: spec
                .ret_items
                .iter()
                .enumerate()
                .filter(|(_, t)| t.info().result_is_object())
                .fold(0, |mask, (i, _)| mask | 1 << i),
            ret_optional: spec.return_flags & PYZ3_RETURN_OPTIONAL != 0,
            release_gil: spec.flags & PYZ3_FN_RELEASE_GIL != 0,
            positional_only,
            debug: crate::debug::building(),
            names: names.into_boxed_slice(),
            display,
            _c_name: CString::default(),
            _c_doc: CString::default(),
            plugin_path: plugin.path.display().to_string(),
            module_name: module_name.to_owned(),
            name: spec.name.clone(),
            qualname: spec.name.clone(),
            param_names: spec.params.iter().map(|p| p.name.clone()).collect(),
            _module: Arc::clone(module),
            default_none_mask,
            state_slot: receiver == Some(Receiver::Instance),
            state_offset: owner.map_or(0, |c| c.state_offset),
            arg_classes,
            ret_class: (spec.return_type == TypeCode::Instance)
                .then(|| class_of(spec.ret_class_index))
                .flatten(),
            owner,
            setter,
            method_entry: NO_METHOD_ENTRY,
            ctor_vectorcall: None,
            ends_iteration: false,
            text_params,
            #[cfg(Py_GIL_DISABLED)]
            plugin_lock: plugin.lock,
        };
        if receiver.is_some() {
            f.method_entry = pick_method_entry(&f, ctor);
        }
        if ctor {
            f.ctor_vectorcall = Some(pick_ctor_vectorcall(&f));
        }
        let entry = match receiver {
            Some(Receiver::Class) => super::class_method_entry(),
            _ => pick_trampoline(&f),
        };
        let (ml_meth, ml_flags) = if f.nparams == 0 || f.positional_only {
            // Nothing can be passed by keyword: plain METH_FASTCALL, which CPython 3.12 calls
            // faster; a keyword gets CPython's own "takes no keyword arguments".
            (
                ffi::PyMethodDefPointer {
                    PyCFunctionFast: entry.fast,
                },
                ffi::METH_FASTCALL,
            )
        } else {
            (
                ffi::PyMethodDefPointer {
                    PyCFunctionFastWithKeywords: entry.kw,
                },
                ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
            )
        };
        f.method_def = ffi::PyMethodDef {
            ml_name: c_name.as_ptr(),
            ml_meth,
            ml_flags,
            ml_doc: c_doc.as_ptr(),
        };
        f._c_name = c_name;
        f._c_doc = c_doc;
        Ok(f)
    }
}

fn plugin_error(reason: String) -> BuildError {
    BuildError::Plugin(reason)
}

/// The parameter list of a text signature: `a, b=1, *, c=None` (and a final `/`), after `head`
/// (`$module`, `$self`, or nothing).
unsafe fn text_signature(
    spec: &FunctionSpec,
    defaults: &[DefaultValue],
    npositional: usize,
    head: &str,
) -> Result<String, BuildError> {
    let n = spec.params.len();
    let positional_only = spec.flags & PYZ3_FN_POSITIONAL_ONLY != 0;
    let mut parts: Vec<String> = Vec::with_capacity(n + 3);
    if !head.is_empty() {
        parts.push(head.to_owned());
    }
    for (i, (p, d)) in spec.params.iter().zip(defaults).enumerate() {
        if i == npositional && npositional < n {
            parts.push("*".to_owned());
        }
        let mut part = p.name.clone();
        if let Some(obj) = &d.obj {
            // SAFETY: GIL held by the caller; `obj` is live.
            let lit = unsafe { signature_literal(obj.as_ptr()) }.map_err(|e| {
                plugin_error(format!(
                    "function '{}': parameter '{}': default value {e}",
                    spec.name, p.name
                ))
            })?;
            part.push('=');
            part.push_str(&lit);
        }
        parts.push(part);
        if positional_only && i + 1 == n {
            parts.push("/".to_owned());
        }
    }
    Ok(parts.join(", "))
}

/// `name($module, a, b=1)` and the doc string: what `__text_signature__` parses.
fn signature_doc(spec: &FunctionSpec, head: &str, params: &str) -> String {
    let sep = if params.is_empty() { "" } else { ", " };
    let mut text = format!("{}({head}{sep}{params})\n--\n\n", spec.name);
    if let Some(d) = &spec.doc {
        text.push_str(d);
    }
    text
}

/// An interned `str` for `s`. Keyword names in calls are usually interned too (they are code
/// constants), so the call path matches them by identity; with the pool off it compares
/// contents only.
unsafe fn intern(s: &str) -> PyResult<Owned> {
    // SAFETY: GIL held by the caller; InternInPlace replaces the reference it is given.
    unsafe {
        let mut o = Owned::str(s)?.into_raw();
        ffi::PyUnicode_InternInPlace(&mut o);
        Owned::new(o)
    }
}

/// The parameter's default, evaluated and converted (or "no default").
unsafe fn default_of(spec: &FunctionSpec, p: &ParamSpec) -> Result<DefaultValue, BuildError> {
    let Some(text) = &p.default else {
        return Ok(DefaultValue {
            obj: None,
            value: pyz3_value::ZERO,
            is_none: false,
        });
    };
    let optional = p.flags & PYZ3_PARAM_OPTIONAL != 0;
    // SAFETY: GIL held by the caller.
    unsafe { parse_default(text, p.ty, optional) }.map_err(|e| match e {
        BuildError::Plugin(reason) => BuildError::Plugin(format!(
            "function '{}': parameter '{}': default value {text:?} {reason}",
            spec.name, p.name
        )),
        raised => raised,
    })
}

/// Evaluates a default literal with `ast.literal_eval` and converts it to the parameter's type.
/// A literal that is malformed or does not fit is the plugin's fault; any other exception
/// (`KeyboardInterrupt`, `MemoryError`, `RecursionError`, ...) is not, and propagates.
unsafe fn parse_default(
    text: &str,
    ty: TypeCode,
    optional: bool,
) -> Result<DefaultValue, BuildError> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let ast = Owned::new(ffi::PyImport_ImportModule(c"ast".as_ptr()))?;
        let literal_eval = ast.get_attr(c"literal_eval")?;
        let arg = Owned::str(text)?;
        let Ok(obj) = Owned::new(ffi::PyObject_CallOneArg(
            literal_eval.as_ptr(),
            arg.as_ptr(),
        )) else {
            return Err(plugin_fault_or_raised("is not a Python literal"));
        };
        let is_none = obj.as_ptr() == ffi::Py_None();
        if !is_none && ty.info().default == DefaultRule::NoneOnly {
            return Err(plugin_error(format!(
                "is not None, not valid for a parameter of type {}: it can only default to \
                 None (declared with PYZ3_PARAM_OPTIONAL)",
                ty.name()
            )));
        }
        // An object parameter that is not optional takes a None default as the object itself,
        // as it takes a None argument; optional parameters get a set none_mask bit instead.
        if obj.as_ptr() == ffi::Py_None() && (optional || ty != TypeCode::Object) {
            if optional {
                return Ok(DefaultValue {
                    obj: Some(obj),
                    value: pyz3_value::ZERO,
                    is_none: true,
                });
            }
            return Err(plugin_error(format!(
                "is None, but the parameter is not optional (declare it with PYZ3_PARAM_OPTIONAL) \
                 and its type is {}",
                ty.name()
            )));
        }
        match convert::to_value(ty, obj.as_ptr()) {
            Ok(value) => Ok(DefaultValue {
                obj: Some(obj),
                value,
                is_none: false,
            }),
            // Sequences and dicts only default to None (refused above), so their element errors
            // cannot happen here.
            Err(ConvError::WrongType | ConvError::Element { .. } | ConvError::Key { .. }) => {
                Err(plugin_error(format!(
                    "has type {}, not valid for a parameter of type {}",
                    convert::object_type_name(obj.as_ptr()),
                    ty.name()
                )))
            }
            Err(ConvError::OutOfRange) => {
                Err(plugin_error(format!("is out of range for {}", ty.name())))
            }
            Err(ConvError::Raised) => Err(plugin_fault_or_raised("cannot be converted")),
            Err(ConvError::Mismatch(_)) => Err(plugin_error(format!(
                "is not valid for a parameter of type {}",
                ty.name()
            ))),
        }
    }
}

/// Classifies the exception that is set: `ValueError`, `TypeError`, `SyntaxError` and
/// `OverflowError` from evaluating or converting a literal are the plugin's fault (a message
/// for `PluginLoadError`, the exception cleared); anything else stays set and propagates.
pub(crate) unsafe fn plugin_fault_or_raised(what: &str) -> BuildError {
    // SAFETY: GIL held by the caller; an exception is set.
    unsafe {
        let exc = error::fetch();
        if exc.is_null() {
            return plugin_error(format!("{what} (no exception was set)"));
        }
        let faults = [
            ffi::PyExc_ValueError,
            ffi::PyExc_TypeError,
            ffi::PyExc_SyntaxError,
            ffi::PyExc_OverflowError,
        ];
        let is_fault = faults
            .iter()
            .any(|&t| ffi::PyErr_GivenExceptionMatches(exc, t) != 0);
        if !is_fault {
            error::restore(exc);
            tls::note_error();
            return BuildError::Raised;
        }
        let message = crate::exception_text(exc);
        ffi::Py_DECREF(exc);
        plugin_error(format!("{what} ({message})"))
    }
}

/// `repr(obj)`, checked to be something `inspect.signature` parses back to an equal value.
///
/// A default is a scalar literal — `None`, a bool, int, float, str or bytes — because those are
/// what `__text_signature__` can carry: `...`, complex numbers, containers (shared mutable
/// defaults besides) and NaN cannot be shown, and an int with more digits than Python converts
/// to text (`sys.get_int_max_str_digits()`) has no repr at all.
unsafe fn signature_literal(obj: *mut ffi::PyObject) -> Result<String, String> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let scalar = obj == ffi::Py_None()
            || ffi::PyBool_Check(obj) != 0
            || ffi::PyLong_CheckExact(obj) != 0
            || ffi::PyFloat_CheckExact(obj) != 0
            || ffi::PyUnicode_CheckExact(obj) != 0
            || ffi::PyBytes_CheckExact(obj) != 0;
        if !scalar {
            return Err(format!(
                "is of type {}, which a signature cannot show: a default must be None, a bool, int, \
                 float, str or bytes literal",
                convert::object_type_name(obj)
            ));
        }
        if ffi::PyFloat_Check(obj) != 0 {
            let v = ffi::PyFloat_AsDouble(obj);
            if v.is_nan() {
                return Err("is NaN, which a signature cannot express".to_owned());
            }
            if v.is_infinite() {
                return Ok(if v > 0.0 { "1e999" } else { "-1e999" }.to_owned());
            }
        }
        let Ok(repr) = Owned::new(ffi::PyObject_Repr(obj)) else {
            let why = match error::fetch() {
                exc if exc.is_null() => "no reason given".to_owned(),
                exc => {
                    let text = crate::exception_text(exc);
                    ffi::Py_DECREF(exc);
                    text
                }
            };
            return Err(format!("has no text a signature can show ({why})"));
        };
        let mut len: ffi::Py_ssize_t = 0;
        let p = ffi::PyUnicode_AsUTF8AndSize(repr.as_ptr(), &mut len);
        if p.is_null() {
            ffi::PyErr_Clear();
            return Err("has no UTF-8 text a signature can show".to_owned());
        }
        Ok(
            String::from_utf8_lossy(core::slice::from_raw_parts(p as *const u8, len as usize))
                .into_owned(),
        )
    }
}
