//! loader/src/function.rs: one plugin function as a Python builtin, and its call trampoline.
//!
//! Each function object is a `builtin_function_or_method` created by `PyCFunction_NewEx` with
//! `METH_FASTCALL | METH_KEYWORDS`; its `__self__` is a small `pyz3.PluginFunction` object that
//! owns the [`Function`] (converted parameter table, interned names, defaults, the
//! `PyMethodDef`). The trampoline is the same machine code for every function: it reads the
//! `Function` from `self`, converts each argument by its declared type, calls the plugin
//! through the uniform `pyz3_fn` signature, and converts the result or raises.

use core::ffi::{c_void, CStr};
use core::ptr;
use std::ffi::CString;
use std::sync::atomic::{AtomicPtr, Ordering};

use pyo3_ffi as ffi;
use pyz3_sdk::abi::*;
use pyz3_sdk::convert::{self, ConvError};
use pyz3_sdk::{error, gil, opts, tls};

use crate::plugin::{FunctionSpec, PluginSpec};

/// A parameter's default, converted once at load time.
struct DefaultValue {
    /// The Python object (owned reference) — kept alive for borrowed `str`/`bytes` values and
    /// passed as is to raw functions. NULL when the parameter has no default.
    obj: *mut ffi::PyObject,
    /// The C value passed to typed functions.
    value: pyz3_value,
    /// The default is `None` (for an optional parameter).
    is_none: bool,
}

/// Everything the trampoline needs about one function. Immutable after construction.
pub struct Function {
    method_def: ffi::PyMethodDef,
    nparams: usize,
    /// Parameters that may be passed by position (the rest are keyword-only).
    npositional: usize,
    /// The positional count that takes the direct path: `nparams`, or `usize::MAX` when some
    /// parameters are keyword-only (they can never arrive positionally).
    direct_nargs: usize,
    /// Bit `i` set when parameter `i` accepts `None`.
    optional_mask: u64,
    types: [u8; PYZ3_MAX_PARAMS as usize],
    fn_: pyz3_fn,
    raw: pyz3_raw_fn,
    user_data: *mut c_void,
    /// The `pyz3_call` of a call without `None` arguments, built once.
    call0: pyz3_call,
    ret_type: u8,
    ret_optional: bool,
    release_gil: bool,
    positional_only: bool,
    /// Interned parameter names (owned references).
    names: Box<[*mut ffi::PyObject]>,
    defaults: Box<[DefaultValue]>,
    /// For messages: `add()`.
    display: String,
    /// Owned C strings the `PyMethodDef` points to.
    _c_name: CString,
    _c_doc: CString,
    /// Identity for pickling and messages.
    pub plugin_path: String,
    /// The module name the function was published under.
    pub module_name: String,
    /// The function's Python name.
    pub name: String,
    /// Parameter names in order (for error messages).
    param_names: Vec<String>,
}

// The holder object: PyObject header followed by the owned Function.
#[repr(C)]
struct FunctionObject {
    ob_base: ffi::PyObject,
    func: *mut Function,
}

static FUNCTION_TYPE: AtomicPtr<ffi::PyObject> = AtomicPtr::new(ptr::null_mut());

unsafe extern "C" fn function_object_dealloc(slf: *mut ffi::PyObject) {
    // SAFETY: `slf` is a FunctionObject whose `func` came from Box::into_raw (or is NULL); the
    // builtin function that pointed into it is already gone (it held a reference to `slf`).
    unsafe {
        let fo = slf as *mut FunctionObject;
        if !(*fo).func.is_null() {
            let f = Box::from_raw((*fo).func);
            release_function_refs(&f);
            drop(f);
        }
        let tp = ffi::Py_TYPE(slf);
        if let Some(free) = (*tp).tp_free {
            free(slf.cast());
        }
        ffi::Py_DECREF(tp.cast());
    }
}

unsafe extern "C" fn function_object_repr(slf: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: `slf` is a FunctionObject with a live Function.
    unsafe {
        let f = &*(*(slf as *mut FunctionObject)).func;
        let s = format!(
            "<pyz3 plugin function {}.{} from '{}'>",
            f.module_name, f.name, f.plugin_path
        );
        ffi::PyUnicode_FromStringAndSize(s.as_ptr().cast(), s.len() as isize)
    }
}

unsafe extern "C" fn function_object_reduce(
    slf: *mut ffi::PyObject,
    _unused: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // Pickled by reference: pyz3._function_owner(path, module_name, name) recreates the holder's
    // role by loading the plugin (cached) and returning the function's __self__.
    // SAFETY: `slf` is a FunctionObject with a live Function; GIL held.
    unsafe {
        let f = &*(*(slf as *mut FunctionObject)).func;
        let pyz3 = ffi::PyImport_ImportModule(c"pyz3".as_ptr());
        if pyz3.is_null() {
            return ptr::null_mut();
        }
        let owner = ffi::PyObject_GetAttrString(pyz3, c"_function_owner".as_ptr());
        ffi::Py_DECREF(pyz3);
        if owner.is_null() {
            return ptr::null_mut();
        }
        let args = ffi::PyTuple_New(3);
        for (i, s) in [&f.plugin_path, &f.module_name, &f.name].iter().enumerate() {
            let o = ffi::PyUnicode_FromStringAndSize(s.as_ptr().cast(), s.len() as isize);
            if o.is_null() {
                ffi::Py_DECREF(owner);
                ffi::Py_DECREF(args);
                return ptr::null_mut();
            }
            ffi::PyTuple_SET_ITEM(args, i as isize, o);
        }
        let r = ffi::PyTuple_New(2);
        ffi::PyTuple_SET_ITEM(r, 0, owner);
        ffi::PyTuple_SET_ITEM(r, 1, args);
        r
    }
}

unsafe extern "C" fn function_object_getattro(
    slf: *mut ffi::PyObject,
    name: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // `getattr(owner, "add")` returns the builtin function: this is how a builtin whose
    // `__self__` is not a module pickles (`(getattr, (owner, name))`).
    // SAFETY: GIL held; `slf` is a FunctionObject.
    unsafe {
        let f = &*(*(slf as *mut FunctionObject)).func;
        let mut len: ffi::Py_ssize_t = 0;
        let p = ffi::PyUnicode_AsUTF8AndSize(name, &mut len);
        if !p.is_null() {
            let s = core::slice::from_raw_parts(p as *const u8, len as usize);
            if s == f.name.as_bytes() {
                return new_builtin(slf, f);
            }
        } else {
            ffi::PyErr_Clear();
        }
        ffi::PyObject_GenericGetAttr(slf, name)
    }
}

/// Creates the `pyz3.PluginFunction` type for this interpreter. Called from the module's init.
///
/// # Safety
/// GIL held.
pub unsafe fn init_type() -> bool {
    if !FUNCTION_TYPE.load(Ordering::Acquire).is_null() {
        return true;
    }
    static mut METHODS: [ffi::PyMethodDef; 2] = [
        ffi::PyMethodDef {
            ml_name: c"__reduce__".as_ptr(),
            ml_meth: ffi::PyMethodDefPointer {
                PyCFunction: function_object_reduce,
            },
            ml_flags: ffi::METH_NOARGS,
            ml_doc: ptr::null(),
        },
        ffi::PyMethodDef::zeroed(),
    ];
    let mut slots = [
        ffi::PyType_Slot {
            slot: ffi::Py_tp_dealloc,
            pfunc: function_object_dealloc as *mut c_void,
        },
        ffi::PyType_Slot {
            slot: ffi::Py_tp_repr,
            pfunc: function_object_repr as *mut c_void,
        },
        ffi::PyType_Slot {
            slot: ffi::Py_tp_getattro,
            pfunc: function_object_getattro as *mut c_void,
        },
        ffi::PyType_Slot {
            slot: ffi::Py_tp_methods,
            pfunc: (&raw mut METHODS).cast(),
        },
        ffi::PyType_Slot {
            slot: ffi::Py_tp_doc,
            pfunc: c"The owner of one pyz3 plugin function (its __self__).".as_ptr() as *mut c_void,
        },
        ffi::PyType_Slot {
            slot: 0,
            pfunc: ptr::null_mut(),
        },
    ];
    let mut spec = ffi::PyType_Spec {
        name: c"pyz3.PluginFunction".as_ptr(),
        basicsize: core::mem::size_of::<FunctionObject>() as i32,
        itemsize: 0,
        // Not instantiable from Python: an instance without its Function would crash repr().
        flags: (ffi::Py_TPFLAGS_DEFAULT | ffi::Py_TPFLAGS_DISALLOW_INSTANTIATION) as u32,
        slots: slots.as_mut_ptr(),
    };
    // SAFETY: GIL held; the spec is fully initialised and copied by CPython.
    let tp = unsafe { ffi::PyType_FromSpec(&mut spec) };
    if tp.is_null() {
        return false;
    }
    FUNCTION_TYPE.store(tp, Ordering::Release);
    true
}

/// Forgets the type when the interpreter finalises (it is gone with it).
pub fn forget_type() {
    FUNCTION_TYPE.store(ptr::null_mut(), Ordering::Release);
}

unsafe fn new_builtin(owner: *mut ffi::PyObject, f: &Function) -> *mut ffi::PyObject {
    // SAFETY: GIL held; the PyMethodDef lives inside the Function owned by `owner`, which the
    // builtin keeps alive through its reference to `owner`.
    unsafe {
        let module = ffi::PyUnicode_FromStringAndSize(
            f.module_name.as_ptr().cast(),
            f.module_name.len() as isize,
        );
        if module.is_null() {
            return ptr::null_mut();
        }
        let def = &f.method_def as *const ffi::PyMethodDef as *mut ffi::PyMethodDef;
        let func = ffi::PyCFunction_NewEx(def, owner, module);
        ffi::Py_DECREF(module);
        func
    }
}

/// Builds the Python function object for `spec`. Returns NULL with an exception set on failure.
///
/// # Safety
/// GIL held.
pub unsafe fn make_function(
    plugin: &PluginSpec,
    module_name: &str,
    spec: &FunctionSpec,
) -> Result<*mut ffi::PyObject, String> {
    let tp = FUNCTION_TYPE.load(Ordering::Acquire);
    if tp.is_null() {
        return Err("pyz3 runtime is not initialised".to_owned());
    }
    // SAFETY: GIL held.
    let func = unsafe { Function::new(plugin, module_name, spec)? };
    // SAFETY: GIL held; `tp` is our heap type whose basicsize fits a FunctionObject.
    unsafe {
        let obj = ffi::PyType_GenericAlloc(tp.cast(), 0);
        if obj.is_null() {
            release_function_refs(&func);
            return Err(fetch_message());
        }
        let fo = obj as *mut FunctionObject;
        (*fo).func = Box::into_raw(Box::new(func));
        let builtin = new_builtin(obj, &*(*fo).func);
        ffi::Py_DECREF(obj);
        if builtin.is_null() {
            return Err(fetch_message());
        }
        Ok(builtin)
    }
}

unsafe fn release_function_refs(f: &Function) {
    // SAFETY: GIL held; the references are owned by `f`.
    unsafe {
        for &n in f.names.iter() {
            ffi::Py_XDECREF(n);
        }
        for d in f.defaults.iter() {
            ffi::Py_XDECREF(d.obj);
        }
    }
}

/// Takes the current exception's message (for load-time errors reported as strings).
pub(crate) unsafe fn fetch_message() -> String {
    // SAFETY: GIL held by the caller.
    unsafe {
        let exc = error::fetch();
        if exc.is_null() {
            return "unknown error".to_owned();
        }
        let tname = convert::object_type_name(exc);
        let s = ffi::PyObject_Str(exc);
        let msg = if s.is_null() {
            ffi::PyErr_Clear();
            String::new()
        } else {
            let m = ffi::PyUnicode_AsUTF8(s);
            let out = if m.is_null() {
                ffi::PyErr_Clear();
                String::new()
            } else {
                CStr::from_ptr(m).to_string_lossy().into_owned()
            };
            ffi::Py_DECREF(s);
            out
        };
        ffi::Py_DECREF(exc);
        format!("{tname}: {msg}")
    }
}

impl Function {
    unsafe fn new(
        plugin: &PluginSpec,
        module_name: &str,
        spec: &FunctionSpec,
    ) -> Result<Function, String> {
        let n = spec.params.len();
        let mut types = [0u8; PYZ3_MAX_PARAMS as usize];
        let mut optional_mask = 0u64;
        let mut names = Vec::with_capacity(n);
        let mut defaults = Vec::with_capacity(n);
        let mut sig_parts = Vec::with_capacity(n + 2);
        let positional_only = spec.flags & PYZ3_FN_POSITIONAL_ONLY != 0;
        let npositional = spec
            .params
            .iter()
            .take_while(|p| p.flags & PYZ3_PARAM_KEYWORD_ONLY == 0)
            .count();
        let mut result = Ok(());
        for (i, p) in spec.params.iter().enumerate() {
            types[i] = p.ty;
            let optional = p.flags & PYZ3_PARAM_OPTIONAL != 0;
            if optional {
                optional_mask |= 1 << i;
            }
            // SAFETY: GIL held.
            let name = unsafe { intern(&p.name) };
            if name.is_null() {
                // SAFETY: GIL held.
                result = Err(unsafe { fetch_message() });
                break;
            }
            names.push(name);
            let d = match &p.default {
                None => DefaultValue {
                    obj: ptr::null_mut(),
                    value: pyz3_value::ZERO,
                    is_none: false,
                },
                // SAFETY: GIL held.
                Some(text) => match unsafe { parse_default(text, p.ty, optional) } {
                    Ok(d) => d,
                    Err(e) => {
                        result = Err(format!(
                            "function '{}': parameter '{}': default value {text:?} {e}",
                            spec.name, p.name
                        ));
                        break;
                    }
                },
            };
            let mut part = p.name.clone();
            if !d.obj.is_null() {
                // SAFETY: GIL held; `d.obj` is a live object.
                match unsafe { signature_literal(d.obj) } {
                    Ok(lit) => {
                        part.push('=');
                        part.push_str(&lit);
                    }
                    Err(e) => {
                        // SAFETY: GIL held.
                        unsafe { ffi::Py_DECREF(d.obj) };
                        result = Err(format!(
                            "function '{}': parameter '{}': default value {e}",
                            spec.name, p.name
                        ));
                        break;
                    }
                }
            }
            defaults.push(d);
            if i == npositional && npositional < n {
                sig_parts.push("*".to_owned());
            }
            sig_parts.push(part);
            if positional_only && i + 1 == n {
                sig_parts.push("/".to_owned());
            }
        }
        let names = names.into_boxed_slice();
        let defaults = defaults.into_boxed_slice();
        let display = format!("{}()", spec.name);

        let mut doc_text = format!("{}($module", spec.name);
        for part in &sig_parts {
            doc_text.push_str(", ");
            doc_text.push_str(part);
        }
        doc_text.push_str(")\n--\n\n");
        if let Some(d) = &spec.doc {
            doc_text.push_str(d);
        }
        let c_name = CString::new(spec.name.clone()).map_err(|e| e.to_string());
        let c_doc = CString::new(doc_text.replace('\0', "\\0")).map_err(|e| e.to_string());

        let mut f = Function {
            method_def: ffi::PyMethodDef::zeroed(),
            nparams: n,
            npositional,
            direct_nargs: if npositional == n { n } else { usize::MAX },
            optional_mask,
            types,
            fn_: spec.fn_,
            raw: spec.raw,
            user_data: spec.user_data as *mut c_void,
            call0: pyz3_call {
                none_mask: 0,
                user_data: spec.user_data as *mut c_void,
            },
            ret_type: spec.return_type,
            ret_optional: spec.return_flags & PYZ3_RETURN_OPTIONAL != 0,
            release_gil: spec.flags & PYZ3_FN_RELEASE_GIL != 0,
            positional_only,
            names,
            defaults,
            display,
            _c_name: CString::default(),
            _c_doc: CString::default(),
            plugin_path: plugin.path.display().to_string(),
            module_name: module_name.to_owned(),
            name: spec.name.clone(),
            param_names: spec.params.iter().map(|p| p.name.clone()).collect(),
        };
        let (c_name, c_doc) = match (result, c_name, c_doc) {
            (Ok(()), Ok(a), Ok(b)) => (a, b),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                // SAFETY: GIL held.
                unsafe { release_function_refs(&f) };
                return Err(e);
            }
        };
        let entry = pick_trampoline(&f);
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

/// An interned `str` for `s` (new reference). Keyword names in calls are usually interned too
/// (they are code constants), so [`find_param`] matches them by identity; with the pool off it
/// compares contents only.
unsafe fn intern(s: &str) -> *mut ffi::PyObject {
    // SAFETY: GIL held by the caller.
    unsafe {
        let o = ffi::PyUnicode_FromStringAndSize(s.as_ptr().cast(), s.len() as isize);
        if o.is_null() {
            return o;
        }
        let mut o = o;
        ffi::PyUnicode_InternInPlace(&mut o);
        o
    }
}

/// Evaluates a default literal with `ast.literal_eval` and converts it to the parameter's type.
unsafe fn parse_default(text: &str, ty: u8, optional: bool) -> Result<DefaultValue, String> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let ast = ffi::PyImport_ImportModule(c"ast".as_ptr());
        if ast.is_null() {
            return Err(fetch_message());
        }
        let literal_eval = ffi::PyObject_GetAttrString(ast, c"literal_eval".as_ptr());
        ffi::Py_DECREF(ast);
        if literal_eval.is_null() {
            return Err(fetch_message());
        }
        let arg = ffi::PyUnicode_FromStringAndSize(text.as_ptr().cast(), text.len() as isize);
        if arg.is_null() {
            ffi::Py_DECREF(literal_eval);
            return Err(fetch_message());
        }
        let obj = ffi::PyObject_CallOneArg(literal_eval, arg);
        ffi::Py_DECREF(arg);
        ffi::Py_DECREF(literal_eval);
        if obj.is_null() {
            return Err(format!("is not a Python literal ({})", fetch_message()));
        }
        // An object parameter that is not optional takes a None default as the object itself,
        // as it takes a None argument; optional parameters get a set none_mask bit instead.
        if obj == ffi::Py_None() && (optional || ty != PYZ3_T_OBJECT) {
            if optional {
                return Ok(DefaultValue {
                    obj,
                    value: pyz3_value::ZERO,
                    is_none: true,
                });
            }
            ffi::Py_DECREF(obj);
            return Err(format!(
                "is None, but the parameter is not optional (declare it with PYZ3_PARAM_OPTIONAL) \
                 and its type is {}",
                convert::c_type_name(ty)
            ));
        }
        match convert::to_value(ty, obj) {
            Ok(value) => Ok(DefaultValue {
                obj,
                value,
                is_none: false,
            }),
            Err(e) => {
                let what = match e {
                    ConvError::WrongType => format!(
                        "has type {}, not valid for a parameter of type {}",
                        convert::object_type_name(obj),
                        convert::c_type_name(ty)
                    ),
                    ConvError::OutOfRange => {
                        format!("is out of range for {}", convert::c_type_name(ty))
                    }
                    ConvError::Raised => format!("cannot be converted: {}", fetch_message()),
                };
                ffi::Py_DECREF(obj);
                Err(what)
            }
        }
    }
}

/// `repr(obj)`, checked to be something `inspect.signature` can parse back.
unsafe fn signature_literal(obj: *mut ffi::PyObject) -> Result<String, String> {
    // SAFETY: GIL held by the caller.
    unsafe {
        if ffi::PyFloat_Check(obj) != 0 {
            let v = ffi::PyFloat_AsDouble(obj);
            if v.is_nan() {
                return Err("is NaN, which a signature cannot express".to_owned());
            }
            if v.is_infinite() {
                return Ok(if v > 0.0 { "1e999" } else { "-1e999" }.to_owned());
            }
        }
        Ok(convert::short_repr(obj, usize::MAX))
    }
}

// ---- the call path ----------------------------------------------------------------------------

const MAXP: usize = PYZ3_MAX_PARAMS as usize;

/// Which trampoline serves a function; chosen once at load time so the hot path carries no
/// branches for features the function does not use.
///
/// Typed functions with up to [`SPECIAL_MAX_ARITY`] parameters of one common type and a common
/// return type get a trampoline monomorphised for exactly that shape (no loop, no per-argument
/// type dispatch); other typed functions share `PLAIN`/`GENERAL`.
fn pick_trampoline(f: &Function) -> Entry {
    if f.raw.is_some() {
        return RAW;
    }
    if f.optional_mask != 0 || f.release_gil || f.direct_nargs != f.nparams {
        return GENERAL;
    }
    special::lookup(f.nparams, &f.types[..f.nparams], f.ret_type).unwrap_or(PLAIN)
}

/// One trampoline body in both calling conventions: `METH_FASTCALL | METH_KEYWORDS` for
/// functions that take keywords, and plain `METH_FASTCALL` for functions that cannot (no
/// parameters, or `PYZ3_FN_POSITIONAL_ONLY`), which CPython 3.12 calls about 3 ns faster.
#[derive(Clone, Copy)]
struct Entry {
    kw: ffi::PyCFunctionFastWithKeywords,
    fast: ffi::PyCFunctionFast,
}

/// Wraps a body `unsafe fn(slf, args, nargs, kwnames) -> *mut PyObject` as an [`Entry`].
macro_rules! entry {
    ($body:path) => {{
        unsafe extern "C" fn kw(
            slf: *mut ffi::PyObject,
            args: *const *mut ffi::PyObject,
            nargs: ffi::Py_ssize_t,
            kwnames: *mut ffi::PyObject,
        ) -> *mut ffi::PyObject {
            // SAFETY: CPython's METH_FASTCALL | METH_KEYWORDS contract.
            unsafe { $body(slf, args, nargs, kwnames) }
        }
        unsafe extern "C" fn fast(
            slf: *mut ffi::PyObject,
            args: *mut *mut ffi::PyObject,
            nargs: ffi::Py_ssize_t,
        ) -> *mut ffi::PyObject {
            // SAFETY: CPython's METH_FASTCALL contract (no keywords).
            unsafe { $body(slf, args as *const _, nargs, ptr::null_mut()) }
        }
        Entry { kw, fast }
    }};
}

static PLAIN: Entry = entry!(plain_body);
static GENERAL: Entry = entry!(direct_body::<false>);
static RAW: Entry = entry!(direct_body::<true>);

/// Trampolines monomorphised per (arity, parameter type, return type).
mod special {
    use super::*;

    pub const SPECIAL_MAX_ARITY: usize = 3;
    const PARAM_TYPES: [u8; 5] = [
        PYZ3_T_I64,
        PYZ3_T_F64,
        PYZ3_T_STR,
        PYZ3_T_BOOL,
        PYZ3_T_OBJECT,
    ];
    const RET_TYPES: [u8; 7] = [
        PYZ3_T_VOID,
        PYZ3_T_I64,
        PYZ3_T_F64,
        PYZ3_T_BOOL,
        PYZ3_T_STR,
        PYZ3_T_BYTES,
        PYZ3_T_OBJECT,
    ];

    #[inline(always)]
    unsafe fn fixed_body<const N: usize, const T: u8, const R: u8>(
        slf: *mut ffi::PyObject,
        args: *const *mut ffi::PyObject,
        nargsf: ffi::Py_ssize_t,
        kwnames: *mut ffi::PyObject,
    ) -> *mut ffi::PyObject {
        // SAFETY: as in `plain_body`; N, T and R match the function's declaration (checked
        // by `lookup`).
        unsafe {
            let f = function_of(slf);
            let mut gathered = [ptr::null_mut(); N];
            let Some(objs) = arguments_in_order(f, args, nargsf as usize, kwnames, &mut gathered)
            else {
                return call_slow(f, args, nargsf as usize, kwnames);
            };
            // No switch read (an atomic load the compiler cannot drop) when there is nothing to
            // convert.
            let fast = N > 0 && opts::fast_paths();
            let mut vals = [core::mem::MaybeUninit::<pyz3_value>::uninit(); N];
            if let Err(raised) = convert_args(f, objs, &mut vals, |_| T, fast) {
                return raised;
            }
            invoke_ret::<false, R>(f, vals.as_ptr().cast(), 0)
        }
    }

    unsafe extern "C" fn fixed_kw<const N: usize, const T: u8, const R: u8>(
        slf: *mut ffi::PyObject,
        args: *const *mut ffi::PyObject,
        nargs: ffi::Py_ssize_t,
        kwnames: *mut ffi::PyObject,
    ) -> *mut ffi::PyObject {
        // SAFETY: CPython's METH_FASTCALL | METH_KEYWORDS contract.
        unsafe { fixed_body::<N, T, R>(slf, args, nargs, kwnames) }
    }

    unsafe extern "C" fn fixed_fast<const N: usize, const T: u8, const R: u8>(
        slf: *mut ffi::PyObject,
        args: *mut *mut ffi::PyObject,
        nargs: ffi::Py_ssize_t,
    ) -> *mut ffi::PyObject {
        // SAFETY: CPython's METH_FASTCALL contract (no keywords).
        unsafe { fixed_body::<N, T, R>(slf, args as *const _, nargs, ptr::null_mut()) }
    }

    macro_rules! fixed {
        ($n:literal, $t:expr, $r:expr) => {
            Entry {
                kw: fixed_kw::<$n, { $t }, { $r }>,
                fast: fixed_fast::<$n, { $t }, { $r }>,
            }
        };
    }

    macro_rules! by_ret {
        ($n:literal, $t:expr) => {
            [
                fixed!($n, $t, PYZ3_T_VOID),
                fixed!($n, $t, PYZ3_T_I64),
                fixed!($n, $t, PYZ3_T_F64),
                fixed!($n, $t, PYZ3_T_BOOL),
                fixed!($n, $t, PYZ3_T_STR),
                fixed!($n, $t, PYZ3_T_BYTES),
                fixed!($n, $t, PYZ3_T_OBJECT),
            ]
        };
    }
    macro_rules! by_param {
        ($n:literal) => {
            [
                by_ret!($n, PYZ3_T_I64),
                by_ret!($n, PYZ3_T_F64),
                by_ret!($n, PYZ3_T_STR),
                by_ret!($n, PYZ3_T_BOOL),
                by_ret!($n, PYZ3_T_OBJECT),
            ]
        };
    }

    static NOARGS: [Entry; 7] = by_ret!(0, PYZ3_T_I64);
    static TABLE: [[[Entry; 7]; 5]; SPECIAL_MAX_ARITY] = [by_param!(1), by_param!(2), by_param!(3)];

    /// The specialised trampoline for this shape, if there is one.
    pub fn lookup(n: usize, types: &[u8], ret: u8) -> Option<Entry> {
        let r = RET_TYPES.iter().position(|&t| t == ret)?;
        if n == 0 {
            return Some(NOARGS[r]);
        }
        if n > SPECIAL_MAX_ARITY || types.iter().any(|&t| t != types[0]) {
            return None;
        }
        let p = PARAM_TYPES.iter().position(|&t| t == types[0])?;
        Some(TABLE[n - 1][p][r])
    }
}

#[inline(always)]
unsafe fn function_of<'a>(slf: *mut ffi::PyObject) -> &'a Function {
    // SAFETY: `slf` is the FunctionObject this builtin was created with.
    unsafe { &*(*(slf as *mut FunctionObject)).func }
}

/// Typed functions without optional parameters that keep the GIL: the common, hot case.
#[inline(always)]
unsafe fn plain_body(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython's vectorcall contract: `args` holds `nargsf` positional values followed by
    // one value per keyword name.
    unsafe {
        let f = function_of(slf);
        let mut gathered = [ptr::null_mut(); MAXP];
        let Some(objs) = arguments_in_order(
            f,
            args,
            nargsf as usize,
            kwnames,
            &mut gathered[..f.nparams],
        ) else {
            return call_slow(f, args, nargsf as usize, kwnames);
        };
        let fast = opts::fast_paths();
        let mut vals = [core::mem::MaybeUninit::<pyz3_value>::uninit(); MAXP];
        if let Err(raised) = convert_args(f, objs, &mut vals[..f.nparams], |i| f.types[i], fast) {
            return raised;
        }
        invoke::<false>(f, vals.as_ptr().cast(), 0)
    }
}

/// Raw functions (`RAW`), and typed functions with optional or keyword-only parameters or
/// `PYZ3_FN_RELEASE_GIL`: a direct call when every argument came by position, else `call_slow`.
#[inline(always)]
unsafe fn direct_body<const RAW: bool>(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: as in `plain_body`.
    unsafe {
        let f = function_of(slf);
        if !kwnames.is_null() || nargsf as usize != f.direct_nargs {
            return call_slow(f, args, nargsf as usize, kwnames);
        }
        if RAW {
            call_raw(f, args)
        } else {
            convert_and_invoke(f, core::slice::from_raw_parts(args, f.nparams))
        }
    }
}

/// Converts `slots` (NULL = use the default) and calls a typed function.
unsafe fn convert_and_invoke(f: &Function, slots: &[*mut ffi::PyObject]) -> *mut ffi::PyObject {
    // SAFETY: GIL held; non-NULL slots are valid objects kept alive by the caller.
    unsafe {
        let fast = opts::fast_paths();
        let mut vals = [core::mem::MaybeUninit::<pyz3_value>::uninit(); MAXP];
        let mut none_mask = 0u64;
        for (j, &o) in slots.iter().enumerate() {
            if o.is_null() {
                let d = &f.defaults[j];
                vals[j].write(d.value);
                if d.is_none {
                    none_mask |= 1 << j;
                }
                continue;
            }
            if f.optional_mask & (1 << j) != 0 && o == ffi::Py_None() {
                none_mask |= 1 << j;
                vals[j].write(pyz3_value::ZERO);
                continue;
            }
            if let Err(e) = convert::to_value_into(f.types[j], o, vals[j].as_mut_ptr(), fast) {
                return arg_error(f, j, o, e);
            }
        }
        if f.release_gil {
            invoke::<true>(f, vals.as_ptr().cast(), none_mask)
        } else {
            invoke::<false>(f, vals.as_ptr().cast(), none_mask)
        }
    }
}

/// Calls a typed function with converted arguments and turns its result into an object.
#[inline(always)]
unsafe fn invoke<const RELEASE_GIL: bool>(
    f: &Function,
    vals: *const pyz3_value,
    none_mask: u64,
) -> *mut ffi::PyObject {
    // SAFETY: forwarded.
    unsafe { invoke_ret::<RELEASE_GIL, ANY_RET>(f, vals, none_mask) }
}

/// `R` for "the return type is read from the function at run time".
const ANY_RET: u8 = u8::MAX;

/// [`invoke`] for a return type known at compile time (`R`), or read at run time (`ANY_RET`).
#[inline(always)]
unsafe fn invoke_ret<const RELEASE_GIL: bool, const R: u8>(
    f: &Function,
    vals: *const pyz3_value,
    none_mask: u64,
) -> *mut ffi::PyObject {
    // SAFETY: `vals` holds one initialised value per parameter; `fn_` is set for typed functions.
    unsafe {
        let with_nones = pyz3_call {
            none_mask,
            user_data: f.user_data,
        };
        let call: *const pyz3_call = if none_mask == 0 {
            &f.call0
        } else {
            &with_nones
        };
        let mut ret = pyz3_value::ZERO;
        let fn_ = f.fn_.unwrap_unchecked();
        gil::enter_call();
        let status = if RELEASE_GIL {
            let region = gil::release_begin();
            let s = fn_(vals, &mut ret, call);
            gil::release_end(region);
            s
        } else {
            fn_(vals, &mut ret, call)
        };
        gil::leave_call();
        if status == PYZ3_OK && !tls::take_error_hint() {
            let ty = if R == ANY_RET { f.ret_type } else { R };
            return result_of_type(f, ty, &ret);
        }
        finish_unusual(f, status, &ret)
    }
}

#[inline(always)]
unsafe fn result_object(f: &Function, ret: &pyz3_value) -> *mut ffi::PyObject {
    // SAFETY: forwarded.
    unsafe { result_of_type(f, f.ret_type, ret) }
}

#[inline(always)]
unsafe fn result_of_type(f: &Function, ty: u8, ret: &pyz3_value) -> *mut ffi::PyObject {
    // SAFETY: GIL held; `ret` holds the member the return type names; the pool is filled
    // whenever a plugin function exists.
    unsafe {
        match ty {
            PYZ3_T_STR | PYZ3_T_BYTES | PYZ3_T_OBJECT => checked_object_result(f, ret.obj),
            PYZ3_T_VOID => convert::none(),
            PYZ3_T_F64 => convert::from_f64(ret.f64),
            t => convert::from_value_with(t, ret, opts::pool()),
        }
    }
}

unsafe fn checked_object_result(f: &Function, obj: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: GIL held; a non-NULL `obj` is a new reference owned by us.
    unsafe {
        if obj.is_null() {
            error::raise_str(
                ffi::PyExc_SystemError,
                &format!(
                    "{} returned PYZ3_OK but no {} object (result.obj is NULL)",
                    f.display,
                    convert::type_name(f.ret_type)
                ),
            );
            return ptr::null_mut();
        }
        let ok = match f.ret_type {
            PYZ3_T_STR => ffi::PyUnicode_Check(obj) != 0,
            PYZ3_T_BYTES => ffi::PyBytes_Check(obj) != 0,
            _ => true,
        };
        if ok {
            return obj;
        }
        let msg = format!(
            "{} declared a {} result but returned {}",
            f.display,
            convert::type_name(f.ret_type),
            convert::object_type_name(obj)
        );
        ffi::Py_DECREF(obj);
        error::raise_str(ffi::PyExc_SystemError, &msg);
        ptr::null_mut()
    }
}

/// Everything but a clean success: errors, `None` results, bad statuses.
#[cold]
unsafe fn finish_unusual(f: &Function, status: i32, ret: &pyz3_value) -> *mut ffi::PyObject {
    // SAFETY: GIL held.
    unsafe {
        let has_error = error::occurred();
        let owns_obj = matches!(f.ret_type, PYZ3_T_STR | PYZ3_T_BYTES | PYZ3_T_OBJECT);
        match status {
            PYZ3_OK if has_error => {
                if owns_obj {
                    ffi::Py_XDECREF(ret.obj);
                }
                error::raise_system_error_chained(&format!(
                    "{} returned a result with an exception set",
                    f.display
                ));
                ptr::null_mut()
            }
            PYZ3_OK => result_object(f, ret),
            PYZ3_RETURN_NONE if has_error => {
                error::raise_system_error_chained(&format!(
                    "{} returned None with an exception set",
                    f.display
                ));
                ptr::null_mut()
            }
            PYZ3_RETURN_NONE if f.ret_optional || f.ret_type == PYZ3_T_VOID => convert::none(),
            PYZ3_RETURN_NONE => {
                error::raise_str(
                    ffi::PyExc_SystemError,
                    &format!(
                        "{} returned None, but its return type {} is not optional",
                        f.display,
                        convert::c_type_name(f.ret_type)
                    ),
                );
                ptr::null_mut()
            }
            PYZ3_ERROR if has_error => ptr::null_mut(),
            PYZ3_ERROR => {
                error::raise_str(
                    ffi::PyExc_SystemError,
                    &format!("{} failed without setting an exception", f.display),
                );
                ptr::null_mut()
            }
            other => {
                let msg = format!(
                    "{} returned the invalid status {other} (expected PYZ3_OK, PYZ3_ERROR or \
                     PYZ3_RETURN_NONE)",
                    f.display
                );
                if has_error {
                    error::raise_system_error_chained(&msg);
                } else {
                    error::raise_str(ffi::PyExc_SystemError, &msg);
                }
                ptr::null_mut()
            }
        }
    }
}

#[cold]
unsafe fn arg_error(
    f: &Function,
    i: usize,
    o: *mut ffi::PyObject,
    e: ConvError,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held.
    unsafe {
        let what = format!("{} argument '{}'", f.display, f.param_names[i]);
        convert::raise_conversion_error(e, f.types[i], o, &what);
    }
    ptr::null_mut()
}

unsafe fn call_raw(f: &Function, args: *const *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: GIL held; `args` holds `f.nparams` borrowed objects.
    unsafe {
        let raw = f.raw.unwrap_unchecked();
        gil::enter_call();
        let r = raw(args, f.nparams, &f.call0);
        gil::leave_call();
        let hint = tls::take_error_hint();
        if !r.is_null() {
            if hint && error::occurred() {
                ffi::Py_DECREF(r);
                error::raise_system_error_chained(&format!(
                    "{} returned a result with an exception set",
                    f.display
                ));
                return ptr::null_mut();
            }
            return r;
        }
        if !error::occurred() {
            error::raise_str(
                ffi::PyExc_SystemError,
                &format!("{} returned NULL without setting an exception", f.display),
            );
        }
        ptr::null_mut()
    }
}

/// The arguments of a call that passes every parameter, in declaration order: `args` itself when
/// all came by position, else `gathered` filled by [`gather_complete`]; `None` sends the call to
/// the slow path. `gathered.len()` is the function's parameter count.
#[inline(always)]
unsafe fn arguments_in_order(
    f: &Function,
    args: *const *mut ffi::PyObject,
    nargs: usize,
    kwnames: *mut ffi::PyObject,
    gathered: &mut [*mut ffi::PyObject],
) -> Option<*const *mut ffi::PyObject> {
    if kwnames.is_null() && nargs == gathered.len() {
        return Some(args);
    }
    // SAFETY: forwarded (CPython's vectorcall contract).
    (!gathered.is_empty() && unsafe { gather_complete(f, args, nargs, kwnames, gathered) })
        .then_some(gathered.as_ptr())
}

/// Converts `vals.len()` arguments from `objs`, parameter `i` to type code `ty(i)`. On a
/// conversion failure raises the argument error and returns `Err` with the call's result (NULL).
#[inline(always)]
unsafe fn convert_args(
    f: &Function,
    objs: *const *mut ffi::PyObject,
    vals: &mut [core::mem::MaybeUninit<pyz3_value>],
    ty: impl Fn(usize) -> u8,
    fast: bool,
) -> Result<(), *mut ffi::PyObject> {
    for (i, slot) in vals.iter_mut().enumerate() {
        // SAFETY: `objs` holds one valid object per parameter; `slot` is writable.
        unsafe {
            let o = *objs.add(i);
            if let Err(e) = convert::to_value_into(ty(i), o, slot.as_mut_ptr(), fast) {
                return Err(arg_error(f, i, o, e));
            }
        }
    }
    Ok(())
}

/// The keyword fast path: a call that passes every parameter exactly once, with keyword names
/// that are the interned parameter names (as keywords written in source are). Fills `out` in
/// declaration order and returns true; anything else (defaults needed, unknown or repeated
/// names, names that are equal but not identical, the pool switched off) returns false and the
/// caller takes `call_slow`, which also reports the errors.
#[inline(always)]
unsafe fn gather_complete(
    f: &Function,
    args: *const *mut ffi::PyObject,
    nargs: usize,
    kwnames: *mut ffi::PyObject,
    out: &mut [*mut ffi::PyObject],
) -> bool {
    // SAFETY: CPython's vectorcall contract, as in `call_slow`.
    unsafe {
        if kwnames.is_null() || !opts::pool() || nargs > f.npositional {
            return false;
        }
        let nkw = ffi::PyTuple_GET_SIZE(kwnames) as usize;
        if nargs + nkw != out.len() {
            return false;
        }
        out[..nargs].copy_from_slice(core::slice::from_raw_parts(args, nargs));
        let names = &f.names[nargs..out.len()];
        let mut seen = 0u64;
        for k in 0..nkw {
            let key = ffi::PyTuple_GET_ITEM(kwnames, k as isize);
            // Keywords usually come in declaration order; `p` indexes the parameters after the
            // positional ones.
            let p = if names[k] == key {
                k
            } else {
                match names.iter().position(|&n| n == key) {
                    Some(p) => p,
                    None => return false,
                }
            };
            if seen & (1 << p) != 0 {
                return false;
            }
            seen |= 1 << p;
            out[nargs + p] = *args.add(nargs + k);
        }
        // `nkw` distinct positions among `nkw`: every slot is filled.
        true
    }
}

/// Keyword calls, defaults and call-shape errors. The slow path is the one place in the call
/// path with indexing and formatting, so it runs inside a panic boundary: a bug here becomes a
/// `SystemError`, not an abort.
#[cold]
#[inline(never)]
unsafe fn call_slow(
    f: &Function,
    args: *const *mut ffi::PyObject,
    nargs: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: forwarded.
    let body =
        std::panic::AssertUnwindSafe(|| unsafe { call_slow_unguarded(f, args, nargs, kwnames) });
    match std::panic::catch_unwind(body) {
        Ok(result) => result,
        Err(_) => {
            // SAFETY: the GIL is held (the caller is a trampoline).
            unsafe {
                error::raise_str(
                    ffi::PyExc_SystemError,
                    &format!("internal error in pyz3's call path for {}", f.display),
                )
            };
            ptr::null_mut()
        }
    }
}

unsafe fn call_slow_unguarded(
    f: &Function,
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
            if slot.is_null() && f.defaults[j].obj.is_null() {
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
                    *slot = d.obj;
                }
            }
            return call_raw(f, slots.as_ptr());
        }
        convert_and_invoke(f, &slots[..f.nparams])
    }
}

unsafe fn find_param(f: &Function, key: *mut ffi::PyObject) -> Option<usize> {
    // SAFETY: GIL held; `key` is a str (CPython guarantees keyword names are strings).
    unsafe {
        if opts::pool() {
            if let Some(j) = f.names.iter().position(|&n| n == key) {
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
        .take_while(|&j| f.defaults[j].obj.is_null())
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
