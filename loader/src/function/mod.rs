//! loader/src/function/mod.rs: one plugin function as a Python builtin.
//!
//! Each function object is a `builtin_function_or_method` created by `PyCFunction_NewEx`; its
//! `__self__` is a small `pyz3.PluginFunction` object (this file) that owns the [`Function`]:
//! the converted parameter table, interned names, defaults and the `PyMethodDef`. The rest of
//! the module is split where a reader looks for it:
//!
//! * [`build`] — load time: turning a validated [`FunctionSpec`] into a [`Function`] (defaults,
//!   the text signature, which trampoline serves it);
//! * [`call`] — the hot path: the trampolines, argument conversion, the call, the result;
//! * [`special`] — trampolines monomorphised per (arity, parameter type, return type);
//! * [`special_views`] — the same for the common shapes of functions with buffer parameters;
//! * [`slow`] — keyword calls that need defaults or reordering, and call-shape errors;
//! * [`debug`] — the one trampoline of every function loaded in debug mode.
//!
//! The functions of a class (methods, constructor, property accessors, pickling hooks) are
//! [`Function`]s too, built with a [`Role`] and called through the same bodies with a receiver
//! (loader/src/class); docs/design.md, "Methods use the function trampolines".

use core::ffi::c_void;
use core::ptr;
use std::ffi::CString;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;

use pyo3_ffi as ffi;
use pyz3_core::abi::*;
use pyz3_core::module::ModuleState;
use pyz3_core::owned::{Owned, PyResult};
use pyz3_core::panic::guard;
use pyz3_core::types::{TypeCode, TypeFacts};

use crate::class::ClassData;
use crate::plugin::{FunctionSpec, PluginSpec};
use crate::BuildError;

mod build;
mod call;
mod compound;
mod debug;
mod slow;
mod special;
mod special_views;

pub(crate) use build::plugin_fault_or_raised;

pub(crate) use call::{call_with_receiver, convert_arg, MethodEntry};
pub(crate) use special::{getter_for, setter_for};

/// What a [`Function`] is: a module function, or a function of a class and what it receives.
#[derive(Clone, Copy)]
pub(crate) enum Role<'a> {
    /// A module function (`pyz3.PluginFunction` owns it).
    Function,
    /// A function of class `class`, shown as `display` in messages (`Counter.inc()`).
    Member {
        /// The class it belongs to.
        class: &'static ClassData,
        /// What it receives.
        receiver: Receiver,
        /// How messages name it.
        display: &'a str,
        /// The constructor: its result is the receiver, now made.
        ctor: bool,
        /// A property setter: conversion errors say "Counter.value must be ...".
        setter: bool,
    },
}

/// What a function of a class receives besides its declared parameters.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Receiver {
    /// Nothing (static methods).
    Nothing,
    /// The class it was called on, in `call->self_` (class methods).
    Class,
    /// The instance: its state in `args[0].inst`, the object in `call->self_`.
    Instance,
}

/// A parameter's default, converted once at load time.
struct DefaultValue {
    /// The Python object — kept alive for borrowed `str`/`bytes` values and passed as is to raw
    /// functions. `None` when the parameter has no default.
    obj: Option<Owned>,
    /// The C value passed to typed functions.
    value: pyz3_value,
    /// The default is `None` (for an optional parameter).
    is_none: bool,
}

impl DefaultValue {
    /// The default object, or NULL when there is none (the slow path's "missing" marker).
    #[inline]
    fn obj_ptr(&self) -> *mut ffi::PyObject {
        self.obj.as_ref().map_or(ptr::null_mut(), Owned::as_ptr)
    }
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
    types: [TypeCode; PYZ3_MAX_PARAMS as usize],
    /// Each parameter's compound-type facts (element type, flags, dimensions).
    facts: [TypeFacts; PYZ3_MAX_PARAMS as usize],
    /// Parameters whose type converts to a per-call view (the registry's `arg_view`); a typed
    /// function with any is served by the view-aware trampoline (`call::VIEWS`).
    nviews: usize,
    /// The fewest positional arguments a call without keywords may pass and still take the
    /// direct path (the rest come from defaults); `usize::MAX` when some keyword-only parameter
    /// has no default.
    min_direct_nargs: usize,
    fn_: pyz3_fn,
    raw: pyz3_raw_fn,
    /// The `pyz3_call` of a call without `None` arguments, built once.
    call0: pyz3_call,
    ret_type: TypeCode,
    /// The result's compound-type facts (the element type of an array, list, dict or iterator
    /// result; an array's dimensions and flags).
    ret_facts: TypeFacts,
    /// The result is a list, dict or tuple: built after the call from what the plugin filled.
    ret_compound: bool,
    /// The item types of a tuple result.
    ret_items: Box<[TypeCode]>,
    /// Bit `i` set when tuple item `i` is an object (a new reference the plugin made).
    ret_objects: u64,
    ret_optional: bool,
    release_gil: bool,
    positional_only: bool,
    /// Loaded in debug mode: served by the debug trampoline ([`debug`]).
    debug: bool,
    /// Interned parameter names.
    names: Box<[Owned]>,
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
    /// The name it is found by from its module: `name`, or `Class.name` for a static or class
    /// method (pickling, repr).
    pub qualname: String,
    /// Parameter names in order (for error messages).
    param_names: Vec<String>,
    /// What `pyz3_call.module` points to; shared by the module's functions.
    _module: Arc<ModuleState>,
    /// Bit `i` set when parameter `i`'s default is `None` (an optional parameter).
    default_none_mask: u64,
    /// `args[0].inst` is the receiver's state (instance methods, constructors, accessors).
    pub(crate) state_slot: bool,
    /// Offset of the state in an instance, for `state_slot` functions.
    pub(crate) state_offset: usize,
    /// The class of each `PYZ3_T_INSTANCE` parameter (empty when there is none).
    arg_classes: Box<[Option<&'static ClassData>]>,
    /// The class of a `PYZ3_T_INSTANCE` result.
    ret_class: Option<&'static ClassData>,
    /// The class a member function belongs to (`None` for module functions).
    pub(crate) owner: Option<&'static ClassData>,
    /// A property setter (see [`Role::Member`]).
    setter: bool,
    /// How a class calls this function (a receiver in hand; see loader/src/class).
    pub(crate) method_entry: MethodEntry,
    /// For a constructor: the class's `tp_vectorcall` (allocate, then this function).
    pub(crate) ctor_vectorcall: Option<ffi::vectorcallfunc>,
    /// `__next__`: `PYZ3_RETURN_NONE` ends the iteration (NULL without an exception).
    ends_iteration: bool,
    /// The parameter list of the text signature, without the receiver (`start=0`).
    text_params: String,
    /// The plugin's lock on free-threaded builds, when the plugin is not declared free-threaded
    /// ([`crate::plugin_lock`]).
    #[cfg(Py_GIL_DISABLED)]
    pub(crate) plugin_lock: Option<&'static crate::plugin_lock::PluginLock>,
}

impl Function {
    /// A `PyMethodDef` for this function with another `ml_meth` (methods of a class): the
    /// name, the text signature and doc, and the calling convention of the function's own.
    pub(crate) fn method_def_with(
        &self,
        kw: ffi::PyCFunctionFastWithKeywords,
        fast: ffi::PyCFunctionFast,
    ) -> ffi::PyMethodDef {
        let ml_meth = if self.method_def.ml_flags & ffi::METH_KEYWORDS != 0 {
            ffi::PyMethodDefPointer {
                PyCFunctionFastWithKeywords: kw,
            }
        } else {
            ffi::PyMethodDefPointer {
                PyCFunctionFast: fast,
            }
        };
        ffi::PyMethodDef {
            ml_meth,
            ..self.method_def
        }
    }

    /// The default of parameter `i` as the value a typed function receives.
    ///
    /// # Safety
    /// `i < nparams` (every parameter has an entry, a default or not).
    #[inline(always)]
    pub(crate) unsafe fn default_value(&self, i: usize) -> pyz3_value {
        // SAFETY: per the contract.
        unsafe { self.defaults.get_unchecked(i).value }
    }

    /// The declared type of parameter `i`.
    pub(crate) fn param_type(&self, i: usize) -> TypeCode {
        self.types[i]
    }

    /// The class of an instance result (NULL when the result is not an instance).
    pub(crate) fn ret_class_ptr(&self) -> *const ClassData {
        self.ret_class
            .map_or(ptr::null(), |c| c as *const ClassData)
    }

    /// The class a member function belongs to (NULL for module functions).
    pub(crate) fn owner_ptr(&self) -> *const ClassData {
        self.owner.map_or(ptr::null(), |c| c as *const ClassData)
    }

    /// Makes `PYZ3_RETURN_NONE` end an iteration (`__next__`).
    pub(crate) fn set_ends_iteration(&mut self) {
        self.ends_iteration = true;
    }

    /// `name(params)` without the receiver: a constructor's signature under its class's name.
    pub(crate) fn signature_for(&self, name: &str) -> String {
        format!("{name}({})", self.text_params)
    }
}

/// What the call path reports for a status other than a clean success (the function's result,
/// if any, was already released).
///
/// # Safety
/// GIL held.
pub(crate) unsafe fn finish_unusual_status(f: &Function, status: i32) -> *mut ffi::PyObject {
    // SAFETY: forwarded; a zero value owns nothing.
    unsafe { call::finish_unusual(f, status, &pyz3_value::ZERO) }
}

// The holder object: PyObject header followed by the owned Function.
#[repr(C)]
struct FunctionObject {
    ob_base: ffi::PyObject,
    func: *mut Function,
}

static FUNCTION_TYPE: AtomicPtr<ffi::PyObject> = AtomicPtr::new(ptr::null_mut());

/// The [`Function`] a `pyz3.PluginFunction` owns.
///
/// # Safety
/// `slf` is a live `FunctionObject` whose `func` is set (every instance is made by
/// [`make_function`]; the type cannot be instantiated from Python).
#[inline(always)]
unsafe fn function_of<'a>(slf: *mut ffi::PyObject) -> &'a Function {
    // SAFETY: per the contract.
    unsafe { &*(*(slf as *mut FunctionObject)).func }
}

unsafe extern "C" fn function_object_dealloc(slf: *mut ffi::PyObject) {
    // SAFETY: `slf` is a FunctionObject whose `func` came from Box::into_raw (or is NULL); the
    // builtin function that pointed into it is already gone (it held a reference to `slf`).
    guard((), || unsafe {
        let fo = slf as *mut FunctionObject;
        if !(*fo).func.is_null() {
            // Drops the owned names and defaults (the GIL is held in tp_dealloc).
            drop(Box::from_raw((*fo).func));
            (*fo).func = ptr::null_mut();
        }
        let tp = ffi::Py_TYPE(slf);
        if let Some(free) = (*tp).tp_free {
            free(slf.cast());
        }
        ffi::Py_DECREF(tp.cast());
    })
}

unsafe extern "C" fn function_object_repr(slf: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: `slf` is a FunctionObject with a live Function; GIL held.
    guard(ptr::null_mut(), || unsafe {
        let f = function_of(slf);
        let s = format!(
            "<pyz3 plugin function {}.{} from '{}'>",
            f.module_name, f.qualname, f.plugin_path
        );
        Owned::str(&s).map_or(ptr::null_mut(), Owned::into_raw)
    })
}

unsafe extern "C" fn function_object_reduce(
    slf: *mut ffi::PyObject,
    _unused: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // Pickled by reference: pyz3._function_owner(path, module_name, name) recreates the holder's
    // role by loading the plugin (cached) and returning the function's __self__.
    // SAFETY: `slf` is a FunctionObject with a live Function; GIL held.
    guard(ptr::null_mut(), || unsafe {
        reduce(function_of(slf)).map_or(ptr::null_mut(), Owned::into_raw)
    })
}

unsafe fn reduce(f: &Function) -> PyResult<Owned> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let pyz3 = Owned::new(ffi::PyImport_ImportModule(c"pyz3".as_ptr()))?;
        let owner = pyz3.get_attr(c"_function_owner")?;
        let args = Owned::tuple(vec![
            Owned::str(&f.plugin_path)?,
            Owned::str(&f.module_name)?,
            Owned::str(&f.qualname)?,
        ])?;
        Owned::tuple(vec![owner, args])
    }
}

unsafe extern "C" fn function_object_getattro(
    slf: *mut ffi::PyObject,
    name: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // `getattr(owner, "add")` returns the builtin function: this is how a builtin whose
    // `__self__` is not a module pickles (`(getattr, (owner, name))`).
    // SAFETY: GIL held; `slf` is a FunctionObject.
    guard(ptr::null_mut(), || unsafe {
        let f = function_of(slf);
        let mut len: ffi::Py_ssize_t = 0;
        let p = ffi::PyUnicode_AsUTF8AndSize(name, &mut len);
        if !p.is_null() {
            let s = core::slice::from_raw_parts(p as *const u8, len as usize);
            if s == f.name.as_bytes() {
                return new_builtin(slf, f).map_or(ptr::null_mut(), Owned::into_raw);
            }
        } else {
            ffi::PyErr_Clear();
        }
        ffi::PyObject_GenericGetAttr(slf, name)
    })
}

/// Creates the `pyz3.PluginFunction` type for this interpreter. Called from the module's init.
///
/// # Safety
/// GIL held.
pub unsafe fn init_type() -> PyResult<()> {
    if !FUNCTION_TYPE.load(Ordering::Acquire).is_null() {
        return Ok(());
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
    let tp = unsafe { Owned::new(ffi::PyType_FromSpec(&mut spec))? };
    FUNCTION_TYPE.store(tp.into_raw(), Ordering::Release);
    Ok(())
}

/// Forgets the type when the interpreter finalises (it is gone with it).
pub fn forget_type() {
    FUNCTION_TYPE.store(ptr::null_mut(), Ordering::Release);
}

unsafe fn new_builtin(owner: *mut ffi::PyObject, f: &Function) -> PyResult<Owned> {
    // SAFETY: GIL held; the PyMethodDef lives inside the Function owned by `owner`, which the
    // builtin keeps alive through its reference to `owner`.
    unsafe {
        let module = Owned::str(&f.module_name)?;
        let def = &f.method_def as *const ffi::PyMethodDef as *mut ffi::PyMethodDef;
        Owned::new(ffi::PyCFunction_NewEx(def, owner, module.as_ptr()))
    }
}

/// Builds the Python function object for `spec`; `classes` are the plugin's classes, `module`
/// what `pyz3_call.module` points to.
///
/// # Safety
/// GIL held.
pub unsafe fn make_function(
    plugin: &PluginSpec,
    module_name: &str,
    module: &Arc<ModuleState>,
    spec: &FunctionSpec,
    classes: &[&'static ClassData],
) -> Result<Owned, BuildError> {
    // SAFETY: GIL held.
    let func =
        unsafe { Function::new(plugin, module_name, module, spec, classes, Role::Function)? };
    // SAFETY: GIL held.
    unsafe { own_function(func) }
}

/// A builtin owned by a `pyz3.PluginFunction`, for a static or class method of a class: the
/// same object a module function is (so the same trampolines and speed), found from the module
/// as `Class.name`.
///
/// # Safety
/// GIL held; `role` is a member role.
pub(crate) unsafe fn make_member_builtin(
    plugin: &PluginSpec,
    module_name: &str,
    module: &Arc<ModuleState>,
    spec: &FunctionSpec,
    classes: &[&'static ClassData],
    role: Role,
    qualname: String,
) -> Result<Owned, BuildError> {
    // SAFETY: GIL held.
    let mut func = unsafe { Function::new(plugin, module_name, module, spec, classes, role)? };
    func.qualname = qualname;
    // SAFETY: GIL held.
    unsafe { own_function(func) }
}

unsafe fn own_function(func: Function) -> Result<Owned, BuildError> {
    let tp = FUNCTION_TYPE.load(Ordering::Acquire);
    if tp.is_null() {
        return Err(BuildError::Plugin(
            "pyz3 runtime is not initialised".to_owned(),
        ));
    }
    let func = Box::new(func);
    // SAFETY: GIL held; `tp` is our heap type whose basicsize fits a FunctionObject. On failure
    // `func` drops here, releasing its references.
    unsafe {
        let obj = Owned::new(ffi::PyType_GenericAlloc(tp.cast(), 0))?;
        let fo = obj.as_ptr() as *mut FunctionObject;
        (*fo).func = Box::into_raw(func);
        Ok(new_builtin(obj.as_ptr(), &*(*fo).func)?)
    }
}

/// A class method's builtin, bound by `classmethod` to the class it is called on: CPython passes
/// that class first; the function receives it in `call->self_`.
fn class_method_entry() -> call::Entry {
    unsafe fn body(
        slf: *mut ffi::PyObject,
        args: *const *mut ffi::PyObject,
        nargs: ffi::Py_ssize_t,
        kwnames: *mut ffi::PyObject,
    ) -> *mut ffi::PyObject {
        // SAFETY: `slf` is the method's PluginFunction; CPython's vectorcall layout, with the
        // class first when called through `classmethod`.
        unsafe {
            let f = function_of(slf);
            if nargs < 1 {
                pyz3_core::error::raise_str(
                    ffi::PyExc_TypeError,
                    &format!("{} must be called on its class", f.display),
                );
                return ptr::null_mut();
            }
            (f.method_entry)(f, *args, args.add(1), nargs - 1, kwnames)
        }
    }
    call::entry!(body)
}
