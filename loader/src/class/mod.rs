//! loader/src/class/mod.rs: a plugin's classes as Python types (ABI 1.1, docs/classes.md).
//!
//! Each class is a heap type made with `PyType_FromSpec` whose instances carry the native state
//! inline, after a small header ([`instance`]). Its functions — constructor, methods, property
//! accessors, special methods, pickling hooks — are [`Function`]s called through the function
//! trampolines with the instance as receiver (the state in `args[0].inst`):
//!
//! * instance methods are real method descriptors (`PyMethodDef` in `tp_methods`, so CPython's
//!   specialised method calls apply); their `ml_meth` is one of [`slots`]' trampolines indexed by
//!   the method's position, which finds the [`Function`] from the instance's class;
//! * static and class methods are builtins exactly like module functions (a
//!   `pyz3.PluginFunction` owns each), wrapped in `staticmethod` / `classmethod`;
//! * properties are getset descriptors whose closure is the property;
//! * special methods fill the type's slots ([`slots`]);
//! * construction: `Class(...)` calls the type's vectorcall (allocate, then the constructor);
//!   Python subclasses go through `tp_new` (allocate) and `tp_init` (the constructor).
//!
//! A [`ClassData`] describes one class for the life of the process (a type, like the plugin's
//! code, is never unloaded); it is built in two phases so classes can name each other in their
//! parameters and results.

use core::cell::{Cell, OnceCell};
use core::ffi::{c_char, c_void};
use core::ptr;
use std::ffi::CString;
use std::sync::Arc;

use pyo3_ffi as ffi;
use pyz3_core::abi::*;
use pyz3_core::convert::{self, ConvError};
use pyz3_core::error;
use pyz3_core::module::ModuleState;
use pyz3_core::owned::{Owned, PyResult};
use pyz3_core::types::TypeFacts;

use crate::function::{self, Function, Receiver, Role};
use crate::plugin::classes::{ClassSpec, PropertySpec};
use crate::plugin::{FunctionSpec, ParamSpec, PluginSpec};
use crate::BuildError;

pub(crate) mod instance;
pub(crate) mod slots;

pub(crate) use instance::Instance;

/// A property: its accessors as functions, and the names its getset descriptor points to.
pub(crate) struct Property {
    pub(crate) getter: Function,
    pub(crate) setter: Option<Function>,
    name: CString,
    doc: Option<CString>,
}

/// The special methods a class defines (the ones with slots).
#[derive(Default)]
pub(crate) struct Specials {
    pub(crate) repr: Option<Function>,
    pub(crate) str: Option<Function>,
    pub(crate) len: Option<Function>,
    pub(crate) bool_: Option<Function>,
    pub(crate) hash: Option<Function>,
    pub(crate) eq: Option<Function>,
    pub(crate) iter: Option<Function>,
    pub(crate) next: Option<Function>,
    pub(crate) getitem: Option<Function>,
    pub(crate) contains: Option<Function>,
    pub(crate) call: Option<Function>,
}

/// One class, for the life of the process. Its fields are set once: the layout when it is made
/// ([`ClassData::new`]), the functions and the type when the module is built.
pub struct ClassData {
    /// Python name (`Counter`).
    pub(crate) name: String,
    /// `module.Counter`: the type's `tp_name` (CPython 3.10 keeps the pointer).
    type_name: CString,
    /// Where the plugin lives and the module's name (pickling by reference).
    pub(crate) plugin_path: String,
    pub(crate) module_name: String,
    /// The type (set once made).
    pub(crate) type_obj: Cell<*mut ffi::PyTypeObject>,
    /// Offset of the state in an instance.
    pub(crate) state_offset: usize,
    /// Size of the state.
    pub(crate) state_size: usize,
    /// Offsets of the `PyObject *` fields, relative to the state.
    pub(crate) object_fields: Box<[u32]>,
    /// The destructor.
    pub(crate) deinit: pyz3_deinit_fn,
    /// `PYZ3_CLASS_*`.
    pub(crate) flags: u32,
    /// The instance methods in `tp_methods` order (the slots' index).
    pub(crate) methods: OnceCell<Box<[Function]>>,
    /// `methods`' first element, for the method trampolines (no check on the hot path).
    pub(crate) methods_ptr: Cell<*const Function>,
    pub(crate) init: OnceCell<Function>,
    /// `init`'s function, for the constructor's hot path (NULL without a constructor).
    pub(crate) init_ptr: Cell<*const Function>,
    /// The class has `__call__` (instances carry a vectorcall).
    pub(crate) has_call: bool,
    pub(crate) properties: OnceCell<Box<[Property]>>,
    pub(crate) specials: OnceCell<Specials>,
    /// (export, import).
    pub(crate) pickling: OnceCell<(Function, Function)>,
    /// `tp_methods`: a marker entry pointing back here ([`class_of_type`]), then the methods.
    method_defs: OnceCell<Box<[ffi::PyMethodDef]>>,
    getset_defs: OnceCell<Box<[ffi::PyGetSetDef]>>,
    member_defs: OnceCell<Box<[ffi::PyMemberDef]>>,
    /// `tp_doc`: the constructor's signature and the class doc.
    doc: OnceCell<CString>,
    /// The plugin's lock on free-threaded builds (when the plugin is not declared
    /// free-threaded): the destructor runs under it, as every other call into the plugin does.
    #[cfg(Py_GIL_DISABLED)]
    pub(crate) plugin_lock: Option<&'static crate::plugin_lock::PluginLock>,
}

impl ClassData {
    fn new(spec: &ClassSpec, plugin: &PluginSpec, module_name: &str) -> Result<Self, BuildError> {
        let header = core::mem::size_of::<Instance>();
        let state_offset = header.next_multiple_of(spec.state_align);
        let type_name = CString::new(format!("{module_name}.{}", spec.name))
            .map_err(|e| BuildError::Plugin(e.to_string()))?;
        Ok(ClassData {
            name: spec.name.clone(),
            type_name,
            plugin_path: plugin.path.display().to_string(),
            module_name: module_name.to_owned(),
            type_obj: Cell::new(ptr::null_mut()),
            state_offset,
            state_size: spec.state_size,
            object_fields: spec.object_fields.clone().into_boxed_slice(),
            deinit: spec.deinit,
            flags: spec.flags,
            methods: OnceCell::new(),
            methods_ptr: Cell::new(ptr::null()),
            init: OnceCell::new(),
            init_ptr: Cell::new(ptr::null()),
            has_call: spec
                .methods
                .iter()
                .any(|m| m.name == "__call__" && ClassSpec::is_instance_method(m)),
            properties: OnceCell::new(),
            specials: OnceCell::new(),
            pickling: OnceCell::new(),
            method_defs: OnceCell::new(),
            getset_defs: OnceCell::new(),
            member_defs: OnceCell::new(),
            doc: OnceCell::new(),
            #[cfg(Py_GIL_DISABLED)]
            plugin_lock: plugin.lock,
        })
    }

    /// The type (made before any instance can exist).
    #[inline(always)]
    pub(crate) fn type_ptr(&self) -> *mut ffi::PyTypeObject {
        self.type_obj.get()
    }

    /// The state of `obj`, an instance of this class (or a subclass).
    #[inline(always)]
    pub(crate) unsafe fn state_of(&self, obj: *mut ffi::PyObject) -> *mut c_void {
        // SAFETY: per the contract, the state lies at `state_offset` in the instance.
        unsafe { obj.cast::<u8>().add(self.state_offset).cast() }
    }

    /// The class has a constructor or pickling hooks that make state from Python.
    pub(crate) fn instantiable(&self) -> bool {
        self.init.get().is_some()
    }
}

/// The class of one of our types: `tp_methods` points one past a marker entry whose `ml_doc`
/// holds the [`ClassData`] (a type has no other field of ours, and this one costs a load).
///
/// # Safety
/// `tp` is a type made by [`build_classes`].
#[inline(always)]
pub(crate) unsafe fn class_of_type(tp: *mut ffi::PyTypeObject) -> &'static ClassData {
    // SAFETY: per the contract, `tp_methods[-1]` is the marker.
    unsafe { &*((*(*tp).tp_methods.sub(1)).ml_doc as *const ClassData) }
}

/// The pyz3 class among `tp` and its bases (the first type whose deallocator is ours), if any.
///
/// # Safety
/// `tp` a valid type; GIL held.
pub(crate) unsafe fn class_in_bases(tp: *mut ffi::PyTypeObject) -> Option<&'static ClassData> {
    // SAFETY: walks `tp_base` links of valid types.
    unsafe {
        let mut t = tp;
        while !t.is_null() {
            if instance::is_pyz3_type(t) {
                return Some(class_of_type(t));
            }
            t = (*t).tp_base;
        }
        None
    }
}

/// Was the state of `obj` (an instance of one of our classes) made?
///
/// # Safety
/// `obj` is an instance of one of our classes or a subclass.
#[inline(always)]
pub(crate) unsafe fn is_made(obj: *mut ffi::PyObject) -> bool {
    // SAFETY: per the contract, `obj` has our header.
    unsafe { !(*(obj as *mut Instance)).class.is_null() }
}

/// The error for an instance whose state was not made.
///
/// # Safety
/// GIL held.
#[cold]
pub(crate) unsafe fn raise_not_made(obj: *mut ffi::PyObject) {
    // SAFETY: forwarded.
    unsafe { instance::raise_not_ready(obj) }
}

/// `del obj.prop`: properties cannot be deleted.
///
/// # Safety
/// GIL held.
#[cold]
pub(crate) unsafe fn raise_no_delete(setter: &Function) {
    // SAFETY: GIL held.
    unsafe {
        error::raise_str(
            ffi::PyExc_AttributeError,
            &format!("cannot delete attribute '{}'", setter.name),
        );
    }
}

// ---- instances as values ----------------------------------------------------------------------

/// Converts an argument of a `PYZ3_T_INSTANCE` parameter of class `class`: the object must be
/// an instance of the class (or of a subclass) whose state was made.
///
/// # Safety
/// GIL held; `o` valid; `out` writable.
#[inline(always)]
pub(crate) unsafe fn instance_arg(
    class: Option<&'static ClassData>,
    o: *mut ffi::PyObject,
    out: *mut pyz3_value,
) -> Result<(), ConvError> {
    // SAFETY: GIL held; an instance of the class has our header.
    unsafe {
        let Some(class) = class else {
            return Err(ConvError::WrongType);
        };
        let tp = class.type_ptr();
        let otp = ffi::Py_TYPE(o);
        if otp != tp && ffi::PyType_IsSubtype(otp, tp) == 0 {
            return Err(ConvError::WrongType);
        }
        if (*(o as *mut Instance)).class.is_null() {
            instance::raise_not_ready(o);
            return Err(ConvError::Raised);
        }
        (*out).inst = class.state_of(o);
        Ok(())
    }
}

/// The `TypeError` for an argument that is not an instance of the parameter's class.
///
/// # Safety
/// GIL held.
#[cold]
pub(crate) unsafe fn raise_wrong_instance(
    class: Option<&'static ClassData>,
    o: *mut ffi::PyObject,
    what: &str,
) {
    let name = class.map_or("an instance of its class", |c| c.name.as_str());
    // SAFETY: GIL held.
    unsafe {
        error::raise_str(
            ffi::PyExc_TypeError,
            &format!(
                "{what} must be {name}, not {}",
                convert::object_type_name(o)
            ),
        );
    }
}

/// A new instance of `class` for a function's `PYZ3_T_INSTANCE` result: the object and its
/// zeroed state. `None` with an exception set when allocation failed.
///
/// # Safety
/// GIL held.
pub(crate) unsafe fn new_result_instance(
    class: Option<&'static ClassData>,
) -> Option<(*mut ffi::PyObject, *mut c_void)> {
    // SAFETY: GIL held; the class is set for every instance result (build.rs checks it).
    unsafe {
        let class = class?;
        let obj = instance::alloc(class.type_ptr(), class);
        if obj.is_null() {
            return None;
        }
        Some((obj, class.state_of(obj)))
    }
}

/// After a call with an instance result: on success the instance counts as made and is the
/// result; otherwise it is discarded (its destructor does not run) and the failure reported.
///
/// # Safety
/// GIL held; `made` from [`new_result_instance`] for `f.ret_class`.
pub(crate) unsafe fn finish_result_instance(
    f: &Function,
    made: *mut ffi::PyObject,
    status: i32,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held; `made` is owned here.
    unsafe {
        let hint = pyz3_core::tls::take_error_hint();
        if status == PYZ3_OK && !(hint && error::occurred()) {
            (*(made as *mut Instance)).class = f.ret_class_ptr();
            return made;
        }
        ffi::Py_DECREF(made);
        function::finish_unusual_status(f, status)
    }
}

/// For a class's `tp_vectorcall`: its constructor and a new instance of it, or `None` with an
/// exception set.
///
/// # Safety
/// GIL held; `callable` is one of our types whose `tp_vectorcall` is its constructor's.
#[inline(always)]
pub(crate) unsafe fn alloc_for_constructor(
    callable: *mut ffi::PyObject,
) -> Option<(&'static Function, *mut ffi::PyObject)> {
    // SAFETY: per the contract; the constructor is set before the vectorcall is.
    unsafe {
        let tp = callable as *mut ffi::PyTypeObject;
        let class = class_of_type(tp);
        let f = &*class.init_ptr.get();
        let obj = instance::alloc(tp, class);
        (!obj.is_null()).then_some((f, obj))
    }
}

/// After a constructor (or a state import) returned success: the instance counts as made; the
/// result is a new reference to it.
///
/// # Safety
/// GIL held; `this` an instance of the function's class.
pub(crate) unsafe fn finish_constructor(
    f: &Function,
    this: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held; `this` has our header.
    unsafe {
        (*(this as *mut Instance)).class = f.owner_ptr();
        ffi::Py_INCREF(this);
        this
    }
}

/// `pyz3_instance_state(obj)`: the state of an instance of any pyz3 class, or NULL with
/// `TypeError` (not an instance of a pyz3 class) or `RuntimeError` (its state was not made).
///
/// # Safety
/// GIL held; `obj` valid or NULL.
pub unsafe fn state_of_any(obj: *mut ffi::PyObject) -> *mut c_void {
    // SAFETY: GIL held.
    unsafe {
        if obj.is_null() {
            error::raise_str(ffi::PyExc_SystemError, "pyz3_instance_state: NULL object");
            return ptr::null_mut();
        }
        let Some(class) = class_in_bases(ffi::Py_TYPE(obj)) else {
            error::raise_str(
                ffi::PyExc_TypeError,
                &format!(
                    "pyz3_instance_state: expected an instance of a pyz3 class, not {}",
                    convert::object_type_name(obj)
                ),
            );
            return ptr::null_mut();
        };
        if (*(obj as *mut Instance)).class.is_null() {
            instance::raise_not_ready(obj);
            return ptr::null_mut();
        }
        class.state_of(obj)
    }
}

// ---- building ---------------------------------------------------------------------------------

/// Builds every class of `plugin` as a type, adds each to `module`, and returns them in
/// declaration order (what `class_index` numbers). Every function of every class is built
/// before any type is made, so an unusable descriptor (a bad default) frees everything.
/// `state` is what `pyz3_call.module` points to in every function of every class.
///
/// # Safety
/// GIL held.
pub unsafe fn build_classes(
    plugin: &PluginSpec,
    module_name: &str,
    module: &Owned,
    state: &Arc<ModuleState>,
) -> Result<Vec<&'static ClassData>, BuildError> {
    let mut boxes: Vec<*mut ClassData> = Vec::with_capacity(plugin.classes.len());
    let free = |boxes: &[*mut ClassData]| {
        for &b in boxes {
            // SAFETY: each came from Box::into_raw below and no type points to it yet.
            drop(unsafe { Box::from_raw(b) });
        }
    };
    for c in &plugin.classes {
        match ClassData::new(c, plugin, module_name) {
            Ok(d) => boxes.push(Box::into_raw(Box::new(d))),
            Err(e) => {
                free(&boxes);
                return Err(e);
            }
        }
    }
    // SAFETY: the boxes live until freed below on failure, or forever on success.
    let classes: Vec<&'static ClassData> = boxes.iter().map(|&b| unsafe { &*b }).collect();
    for (spec, data) in plugin.classes.iter().zip(&classes) {
        // SAFETY: GIL held.
        if let Err(e) = unsafe { build_functions(plugin, module_name, state, spec, data, &classes) }
        {
            drop(classes);
            free(&boxes);
            return Err(e);
        }
    }
    // From here a made type points into its ClassData: they live for the process.
    for (spec, data) in plugin.classes.iter().zip(&classes) {
        // SAFETY: GIL held.
        let tp = unsafe { make_type(plugin, module_name, state, spec, data, &classes)? };
        let key =
            CString::new(spec.name.as_str()).map_err(|e| BuildError::Plugin(e.to_string()))?;
        // SAFETY: GIL held.
        unsafe { module.set_attr(&key, &tp)? };
    }
    Ok(classes)
}

fn display_of(class: &str, name: &str) -> String {
    format!("{class}.{name}()")
}

/// A function spec the loader makes for a property accessor.
fn accessor_spec(p: &PropertySpec, setter: bool) -> FunctionSpec {
    FunctionSpec {
        name: p.name.clone(),
        doc: p.doc.clone(),
        params: if setter {
            vec![ParamSpec {
                name: "value".to_owned(),
                ty: p.ty,
                flags: p.flags & PYZ3_PARAM_OPTIONAL,
                facts: TypeFacts {
                    class_index: p.class_index,
                    ..TypeFacts::NONE
                },
                default: None,
                class_index: p.class_index,
            }]
        } else {
            Vec::new()
        },
        return_type: if setter {
            pyz3_core::types::TypeCode::Void
        } else {
            p.ty
        },
        return_flags: if !setter && p.flags & PYZ3_PARAM_OPTIONAL != 0 {
            PYZ3_RETURN_OPTIONAL
        } else {
            0
        },
        flags: PYZ3_FN_POSITIONAL_ONLY,
        fn_: if setter { p.set } else { p.get },
        raw: None,
        user_data: p.user_data,
        ret_facts: if setter {
            TypeFacts::NONE
        } else {
            TypeFacts {
                class_index: p.class_index,
                ..TypeFacts::NONE
            }
        },
        ret_class_index: if setter { 0 } else { p.class_index },
        ret_items: Vec::new(),
    }
}

unsafe fn build_functions(
    plugin: &PluginSpec,
    module_name: &str,
    state: &Arc<ModuleState>,
    spec: &ClassSpec,
    data: &'static ClassData,
    classes: &[&'static ClassData],
) -> Result<(), BuildError> {
    // SAFETY: GIL held (every call below builds functions and Python objects).
    unsafe {
        if let Some(init) = &spec.init {
            let display = format!("{}()", spec.name);
            let mut init = init.clone();
            init.name = "__init__".to_owned();
            let f = Function::new(
                plugin,
                module_name,
                state,
                &init,
                classes,
                member(data, &display, Receiver::Instance, true, false),
            )?;
            let _ = data.init.set(f);
            if let Some(f) = data.init.get() {
                data.init_ptr.set(f);
            }
        }
        let mut methods = Vec::new();
        let mut specials = Specials::default();
        for m in &spec.methods {
            if !ClassSpec::is_instance_method(m) {
                continue;
            }
            let display = display_of(&spec.name, &m.name);
            let f = Function::new(
                plugin,
                module_name,
                state,
                m,
                classes,
                member(data, &display, Receiver::Instance, false, false),
            )?;
            let slot = match m.name.as_str() {
                "__repr__" => &mut specials.repr,
                "__str__" => &mut specials.str,
                "__len__" => &mut specials.len,
                "__bool__" => &mut specials.bool_,
                "__hash__" => &mut specials.hash,
                "__eq__" => &mut specials.eq,
                "__iter__" => &mut specials.iter,
                "__next__" => &mut specials.next,
                "__getitem__" => &mut specials.getitem,
                "__contains__" => &mut specials.contains,
                "__call__" => &mut specials.call,
                _ => {
                    methods.push(f);
                    continue;
                }
            };
            *slot = Some(f);
        }
        if let Some(next) = specials.next.as_mut() {
            next.set_ends_iteration();
        }
        let methods = methods.into_boxed_slice();
        data.methods_ptr.set(methods.as_ptr());
        let _ = data.methods.set(methods);
        let _ = data.specials.set(specials);
        let mut props = Vec::with_capacity(spec.properties.len());
        for p in &spec.properties {
            let display = format!("{}.{}", spec.name, p.name);
            let getter = Function::new(
                plugin,
                module_name,
                state,
                &accessor_spec(p, false),
                classes,
                member(data, &display, Receiver::Instance, false, false),
            )?;
            let setter = match p.set {
                Some(_) => Some(Function::new(
                    plugin,
                    module_name,
                    state,
                    &accessor_spec(p, true),
                    classes,
                    member(data, &display, Receiver::Instance, false, true),
                )?),
                None => None,
            };
            props.push(Property {
                getter,
                setter,
                name: CString::new(p.name.as_str())
                    .map_err(|e| BuildError::Plugin(e.to_string()))?,
                doc: match &p.doc {
                    Some(d) => Some(
                        CString::new(d.replace('\0', "\\0"))
                            .map_err(|e| BuildError::Plugin(e.to_string()))?,
                    ),
                    None => None,
                },
            });
        }
        let _ = data.properties.set(props.into_boxed_slice());
        if let Some((export, import)) = &spec.pickling {
            let e = Function::new(
                plugin,
                module_name,
                state,
                export,
                classes,
                member(
                    data,
                    &display_of(&spec.name, "export_state"),
                    Receiver::Instance,
                    false,
                    false,
                ),
            )?;
            let i = Function::new(
                plugin,
                module_name,
                state,
                import,
                classes,
                member(
                    data,
                    &display_of(&spec.name, "import_state"),
                    Receiver::Instance,
                    true,
                    false,
                ),
            )?;
            let _ = data.pickling.set((e, i));
        }
        // The constructor's signature heads the type's doc: `Counter(start=0)` is what
        // `inspect.signature(Counter)` and help() read.
        let sig = match data.init.get() {
            Some(f) => f.signature_for(&spec.name),
            None => String::new(),
        };
        let doc = match (&spec.doc, sig.is_empty()) {
            (Some(d), false) => format!("{sig}\n--\n\n{d}"),
            (None, false) => format!("{sig}\n--\n\n"),
            (Some(d), true) => d.clone(),
            (None, true) => String::new(),
        };
        let _ = data.doc.set(
            CString::new(doc.replace('\0', "\\0"))
                .map_err(|e| BuildError::Plugin(e.to_string()))?,
        );
        Ok(())
    }
}

/// The role of a function of `class`, named `display` in messages.
fn member<'a>(
    class: &'static ClassData,
    display: &'a str,
    receiver: Receiver,
    ctor: bool,
    setter: bool,
) -> Role<'a> {
    Role::Member {
        class,
        receiver,
        display,
        ctor,
        setter,
    }
}

fn slot(slot: core::ffi::c_int, pfunc: *mut c_void) -> ffi::PyType_Slot {
    ffi::PyType_Slot { slot, pfunc }
}

unsafe fn make_type(
    plugin: &PluginSpec,
    module_name: &str,
    state: &Arc<ModuleState>,
    spec: &ClassSpec,
    data: &'static ClassData,
    classes: &[&'static ClassData],
) -> Result<Owned, BuildError> {
    let methods = data.methods.get().map_or(&[][..], |m| &m[..]);
    if methods.len() > slots::MAX_METHODS {
        return Err(BuildError::Plugin(format!(
            "class '{}': more than {} instance methods",
            spec.name,
            slots::MAX_METHODS
        )));
    }
    // tp_methods: the marker, the methods, __reduce__, the sentinel.
    let mut defs = Vec::with_capacity(methods.len() + 3);
    defs.push(ffi::PyMethodDef {
        ml_name: ptr::null(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: slots::never_called,
        },
        ml_flags: 0,
        ml_doc: data as *const ClassData as *const c_char,
    });
    for (k, f) in methods.iter().enumerate() {
        defs.push(slots::method_def(k, f));
    }
    if data.pickling.get().is_some() {
        defs.push(slots::reduce_def());
    }
    defs.push(ffi::PyMethodDef::zeroed());
    let defs = data.method_defs.get_or_init(|| defs.into_boxed_slice());

    let props = data.properties.get().map_or(&[][..], |p| &p[..]);
    let mut getsets: Vec<ffi::PyGetSetDef> = props
        .iter()
        .map(|p| {
            let (get, set) = slots::property_accessors(p);
            ffi::PyGetSetDef {
                name: p.name.as_ptr(),
                get: Some(get),
                set,
                doc: p.doc.as_ref().map_or(ptr::null(), |d| d.as_ptr()),
                closure: p as *const Property as *mut c_void,
            }
        })
        .collect();
    getsets.push(ffi::PyGetSetDef {
        name: ptr::null(),
        get: None,
        set: None,
        doc: ptr::null(),
        closure: ptr::null_mut(),
    });
    let getsets = data.getset_defs.get_or_init(|| getsets.into_boxed_slice());

    let specials = data.specials.get();
    let has = |f: fn(&Specials) -> bool| specials.is_some_and(f);
    let callable = has(|s| s.call.is_some());
    let mut members = Vec::new();
    if data.flags & PYZ3_CLASS_WEAKREF != 0 {
        members.push(ffi::PyMemberDef {
            name: c"__weaklistoffset__".as_ptr(),
            type_code: ffi::Py_T_PYSSIZET,
            offset: core::mem::offset_of!(Instance, weaklist) as ffi::Py_ssize_t,
            flags: ffi::Py_READONLY,
            doc: ptr::null(),
        });
    }
    if callable {
        members.push(ffi::PyMemberDef {
            name: c"__vectorcalloffset__".as_ptr(),
            type_code: ffi::Py_T_PYSSIZET,
            offset: core::mem::offset_of!(Instance, vectorcall) as ffi::Py_ssize_t,
            flags: ffi::Py_READONLY,
            doc: ptr::null(),
        });
    }
    members.push(ffi::PyMemberDef::default());
    let members = data.member_defs.get_or_init(|| members.into_boxed_slice());

    let gc = !data.object_fields.is_empty();
    let dealloc: ffi::destructor = if gc || data.flags & PYZ3_CLASS_WEAKREF != 0 {
        instance::tp_dealloc
    } else {
        instance::tp_dealloc_plain
    };
    let mut type_slots = vec![
        slot(ffi::Py_tp_new, instance::tp_new as *mut c_void),
        slot(ffi::Py_tp_init, instance::tp_init as *mut c_void),
        slot(ffi::Py_tp_dealloc, dealloc as *mut c_void),
        slot(ffi::Py_tp_methods, defs[1..].as_ptr() as *mut c_void),
        slot(ffi::Py_tp_getset, getsets.as_ptr() as *mut c_void),
        slot(ffi::Py_tp_members, members.as_ptr() as *mut c_void),
    ];
    let doc = data.doc.get().map_or(c"", |d| d.as_c_str());
    if !doc.is_empty() {
        type_slots.push(slot(ffi::Py_tp_doc, doc.as_ptr() as *mut c_void));
    }
    if gc {
        type_slots.push(slot(
            ffi::Py_tp_traverse,
            instance::tp_traverse as *mut c_void,
        ));
        type_slots.push(slot(ffi::Py_tp_clear, instance::tp_clear as *mut c_void));
    }
    slots::special_slots(specials, &mut type_slots);
    if callable {
        type_slots.push(slot(ffi::Py_tp_call, ffi::PyVectorcall_Call as *mut c_void));
    }
    type_slots.push(slot(0, ptr::null_mut()));
    let mut flags = ffi::Py_TPFLAGS_DEFAULT;
    if data.flags & PYZ3_CLASS_FINAL == 0 {
        flags |= ffi::Py_TPFLAGS_BASETYPE;
    }
    if gc {
        flags |= ffi::Py_TPFLAGS_HAVE_GC;
    }
    if callable {
        flags |= ffi::Py_TPFLAGS_HAVE_VECTORCALL;
    }
    let mut type_spec = ffi::PyType_Spec {
        name: data.type_name.as_ptr(),
        basicsize: (data.state_offset + data.state_size) as core::ffi::c_int,
        itemsize: 0,
        flags: flags as core::ffi::c_uint,
        slots: type_slots.as_mut_ptr(),
    };
    // SAFETY: GIL held; the spec's arrays live in `data`, which lives for the process.
    unsafe {
        let tp = Owned::new(ffi::PyType_FromSpec(&mut type_spec))?;
        let t = tp.as_ptr() as *mut ffi::PyTypeObject;
        // The type keeps one reference for the process (ClassData is never freed).
        ffi::Py_INCREF(tp.as_ptr());
        data.type_obj.set(t);
        // `Class(...)` on the class itself: allocate and construct in one vectorcall (not
        // inherited by subclasses, which go through tp_new and tp_init).
        (*t).tp_vectorcall = Some(
            data.init
                .get()
                .and_then(|f| f.ctor_vectorcall)
                .unwrap_or(instance::no_constructor),
        );
        add_static_members(plugin, module_name, state, spec, &tp, classes, data)?;
        // Immutable like a static extension type: what CPython's call specialisation for
        // classes asks for, and what users expect of a compiled class.
        // (An atomic field on free-threaded builds; the type is not shared yet either way.)
        #[cfg(Py_GIL_DISABLED)]
        (*t).tp_flags.fetch_or(
            ffi::Py_TPFLAGS_IMMUTABLETYPE,
            core::sync::atomic::Ordering::Relaxed,
        );
        #[cfg(not(Py_GIL_DISABLED))]
        {
            (*t).tp_flags |= ffi::Py_TPFLAGS_IMMUTABLETYPE;
        }
        ffi::PyType_Modified(t);
        Ok(tp)
    }
}

/// Static and class methods: builtins like module functions, in the type's dict before it is
/// made immutable.
unsafe fn add_static_members(
    plugin: &PluginSpec,
    module_name: &str,
    state: &Arc<ModuleState>,
    spec: &ClassSpec,
    tp: &Owned,
    classes: &[&'static ClassData],
    data: &'static ClassData,
) -> Result<(), BuildError> {
    for m in &spec.methods {
        if ClassSpec::is_instance_method(m) {
            continue;
        }
        let class_method = m.flags & PYZ3_FN_CLASS != 0;
        let receiver = if class_method {
            Receiver::Class
        } else {
            Receiver::Nothing
        };
        let display = display_of(&spec.name, &m.name);
        // SAFETY: GIL held.
        unsafe {
            let builtin = function::make_member_builtin(
                plugin,
                module_name,
                state,
                m,
                classes,
                member(data, &display, receiver, false, false),
                format!("{}.{}", spec.name, m.name),
            )?;
            let wrapper = if class_method {
                ffi::PyClassMethod_New(builtin.as_ptr())
            } else {
                ffi::PyStaticMethod_New(builtin.as_ptr())
            };
            let wrapper = Owned::new(wrapper)?;
            let key =
                CString::new(m.name.as_str()).map_err(|e| BuildError::Plugin(e.to_string()))?;
            tp.set_attr(&key, &wrapper)?;
        }
    }
    Ok(())
}

/// `_pyz3.import_instance(cls, state)`: an instance of `cls` (a pyz3 class or a subclass) made
/// by the class's `import_state` from `state`; what unpickling calls (pyz3/__init__.py).
///
/// # Safety
/// GIL held.
pub unsafe fn import_instance(
    cls: *mut ffi::PyObject,
    state: *mut ffi::PyObject,
) -> PyResult<Owned> {
    // SAFETY: GIL held.
    unsafe {
        let class = if ffi::PyType_Check(cls) != 0 {
            class_in_bases(cls as *mut ffi::PyTypeObject)
        } else {
            None
        };
        let Some(class) = class else {
            error::raise_str(
                ffi::PyExc_TypeError,
                "import_instance() argument 'cls' must be a pyz3 class or a subclass of one",
            );
            return Err(pyz3_core::owned::Raised);
        };
        let Some((_, import)) = class.pickling.get() else {
            error::raise_str(
                ffi::PyExc_TypeError,
                &format!(
                    "cannot unpickle '{}' objects: the class has no import_state",
                    class.name
                ),
            );
            return Err(pyz3_core::owned::Raised);
        };
        let obj = Owned::new(instance::alloc(cls as *mut ffi::PyTypeObject, class))?;
        let args = [state];
        Owned::new(function::call_with_receiver(
            import,
            obj.as_ptr(),
            args.as_ptr(),
            1,
        ))
    }
}
