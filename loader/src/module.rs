//! loader/src/module.rs: the `pyz3._pyz3` extension module and building plugin modules.
//!
//! `pyz3._pyz3` is libpyz3 itself (the same shared object, soname `libpyz3.so.1`), so the loader
//! and every plugin share one runtime: a plugin's `DT_NEEDED libpyz3.so.1` resolves to the copy
//! Python already loaded. Everything here is load-time code: references are [`Owned`], every
//! function CPython calls runs inside the runtime's panic boundary.

use core::ffi::{c_char, c_int, CStr};
use core::ptr;
use std::ffi::CString;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;

use pyo3_ffi as ffi;
use pyz3_core::abi::*;
use pyz3_core::module::ModuleState;
use pyz3_core::owned::{Owned, PyResult, Raised};
use pyz3_core::panic::guard;
use pyz3_core::{convert, error, gil, opts, pool};

use crate::plugin::{self, LoadError, PluginSpec};
use crate::{class, describe, function, iterator, sections, BuildError};

static LOAD_ERROR_TYPE: AtomicPtr<ffi::PyObject> = AtomicPtr::new(ptr::null_mut());

/// A function argument that must be a `str`, as Rust text.
unsafe fn arg_str(o: *mut ffi::PyObject, what: &str) -> PyResult<String> {
    // SAFETY: GIL held by the caller.
    unsafe {
        if ffi::PyUnicode_Check(o) == 0 {
            error::raise_str(
                ffi::PyExc_TypeError,
                &format!("{what} must be str, not {}", convert::object_type_name(o)),
            );
            return Err(Raised);
        }
        let mut len: ffi::Py_ssize_t = 0;
        let p = ffi::PyUnicode_AsUTF8AndSize(o, &mut len);
        if p.is_null() {
            return Err(Raised);
        }
        Ok(
            String::from_utf8_lossy(core::slice::from_raw_parts(p as *const u8, len as usize))
                .into_owned(),
        )
    }
}

/// `part.isidentifier()`, as Python decides it.
unsafe fn is_python_identifier(part: &str) -> bool {
    // SAFETY: GIL held by the caller.
    unsafe {
        match Owned::str(part) {
            Ok(s) => ffi::PyUnicode_IsIdentifier(s.as_ptr()) == 1,
            Err(Raised) => {
                ffi::PyErr_Clear();
                false
            }
        }
    }
}

/// Raises `pyz3.PluginLoadError(message, path=...)`.
unsafe fn raise_load_error(e: &LoadError) {
    // SAFETY: GIL held by the caller.
    unsafe {
        let tp = LOAD_ERROR_TYPE.load(Ordering::Acquire);
        let tp = if tp.is_null() {
            ffi::PyExc_ImportError
        } else {
            tp
        };
        let made = (|| -> PyResult<Owned> {
            let args = Owned::tuple(vec![Owned::str(&e.to_string())?])?;
            let kwargs = Owned::dict(vec![(c"path", Owned::str(&e.path)?)])?;
            Owned::new(ffi::PyObject_Call(tp, args.as_ptr(), kwargs.as_ptr()))
        })();
        if let Ok(exc) = made {
            pyz3_core::tls::note_error();
            ffi::PyErr_SetObject(tp, exc.as_ptr());
        }
    }
}

/// [`plugin::open`], refusing a plugin whose code raised a Python exception while the library
/// loaded (`pyz3_raise` in a library constructor or in `pyz3_plugin_entry`): the refusal is a
/// `PluginLoadError` whose `__cause__` is that exception. On failure the exception is set.
unsafe fn open_plugin(path: &str) -> Option<PluginSpec> {
    let mut raised: *mut ffi::PyObject = ptr::null_mut();
    let check = || {
        // SAFETY: GIL held (the caller is a `pyz3._pyz3` function).
        unsafe {
            if !error::occurred() {
                return Ok(());
            }
            raised = error::fetch();
            Err(format!(
                "plugin code raised {} while the library loaded (in a library constructor or \
                 in {PYZ3_ENTRY_SYMBOL}(), which must not raise)",
                crate::exception_text(raised)
            ))
        }
    };
    // SAFETY: GIL held by the caller.
    unsafe {
        let opened = crate::plugin_lock::loading(|| plugin::open(path, check));
        // Anything still set came from plugin code that ran before a refusal.
        if raised.is_null() && error::occurred() {
            raised = error::fetch();
        }
        let result = match opened {
            Ok((spec, _lib)) => {
                debug_assert!(raised.is_null());
                Some(spec)
            }
            Err(e) => {
                raise_load_error(&e);
                None
            }
        };
        if !raised.is_null() {
            let exc = error::fetch();
            if exc.is_null() {
                ffi::Py_DECREF(raised);
            } else {
                ffi::PyException_SetCause(exc, raised);
                error::restore(exc);
            }
        }
        result
    }
}

/// Builds the module for an opened plugin.
unsafe fn build_module(spec: &PluginSpec, module_name: &str) -> Result<Owned, BuildError> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let cname = CString::new(module_name).map_err(|e| BuildError::Plugin(e.to_string()))?;
        let m = Owned::new(ffi::PyModule_New(cname.as_ptr()))?;
        m.set_attr(c"__doc__", &Owned::str_or_none(spec.doc.as_deref())?)?;
        m.set_attr(c"__file__", &Owned::str(&spec.path.display().to_string())?)?;
        let abi = Owned::tuple(vec![
            Owned::int(spec.abi.0.into())?,
            Owned::int(spec.abi.1.into())?,
        ])?;
        m.set_attr(c"__pyz3_abi__", &abi)?;
        let mut all = Vec::with_capacity(
            spec.exceptions.len()
                + spec.classes.len()
                + spec.functions.len()
                + spec.constants.len(),
        );
        let publish = |all: &mut Vec<Owned>, name: &str, obj: &Owned| -> Result<(), BuildError> {
            let key = CString::new(name).map_err(|e| BuildError::Plugin(e.to_string()))?;
            m.set_attr(&key, obj)?;
            all.push(Owned::str(name)?);
            Ok(())
        };
        // Exception classes first: the functions' module state holds them.
        let mut exceptions = Vec::with_capacity(spec.exceptions.len());
        for e in &spec.exceptions {
            let cls = sections::exception_class(spec, module_name, e)?;
            publish(&mut all, &e.name, &cls)?;
            exceptions.push(cls);
        }
        // Counted atomically: on free-threaded CPython the module's function objects (each
        // holding a count) may be freed on several threads at once. The state itself is only
        // read, and its classes dropped, with a thread state attached.
        #[allow(
            clippy::arc_with_non_send_sync,
            reason = "shared across threads only through CPython objects, never sent by Rust"
        )]
        let state = Arc::new(ModuleState {
            name: module_name.to_owned(),
            exceptions,
        });
        let classes = class::build_classes(spec, module_name, &m, &state)?;
        for c in &spec.classes {
            all.push(Owned::str(&c.name)?);
        }
        for f in &spec.functions {
            let obj = function::make_function(spec, module_name, &state, f, &classes)?;
            publish(&mut all, &f.name, &obj)?;
        }
        for c in &spec.constants {
            publish(&mut all, &c.name, &sections::constant_value(c)?)?;
        }
        m.set_attr(c"__all__", &Owned::list(all)?)?;
        Ok(m)
    }
}

/// `_pyz3.load(path, name=None)`: open, validate and build. Caching lives in `pyz3.load`.
unsafe extern "C" fn py_load(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held (called by CPython); `args` holds `nargs` objects.
    guard(ptr::null_mut(), || unsafe {
        if !(1..=3).contains(&nargs) {
            error::raise_str(
                ffi::PyExc_TypeError,
                "load() takes a path, an optional name and an optional debug flag",
            );
            return ptr::null_mut();
        }
        let Ok(path) = arg_str(*args, "load() argument 'path'") else {
            return ptr::null_mut();
        };
        let name = if nargs >= 2 && *args.add(1) != ffi::Py_None() {
            match arg_str(*args.add(1), "load() argument 'name'") {
                Ok(n) => Some(n),
                Err(Raised) => return ptr::null_mut(),
            }
        } else {
            None
        };
        if let Some(Err(e)) = name.as_deref().map(|n| {
            pyz3_core::names::check_module_path("load() argument 'name'", n, |part| {
                is_python_identifier(part)
            })
        }) {
            error::raise_str(ffi::PyExc_ValueError, &e);
            return ptr::null_mut();
        }
        let Some(spec) = open_plugin(&path) else {
            return ptr::null_mut();
        };
        let module_name = name.unwrap_or_else(|| spec.name.clone());
        let debug = nargs == 3 && ffi::PyObject_IsTrue(*args.add(2)) == 1;
        let built = if debug {
            crate::debug::patch_library(&spec.path.display().to_string())
                .map_err(|reason| BuildError::Plugin(format!("debug mode: {reason}")))
                .and_then(|()| crate::debug::while_building(|| build_module(&spec, &module_name)))
                .and_then(|m| {
                    // Only debug-mode modules carry the attribute: release ones are unchanged.
                    m.set_attr(c"__pyz3_debug__", &Owned::new(ffi::PyBool_FromLong(1))?)?;
                    Ok(m)
                })
        } else {
            build_module(&spec, &module_name)
        };
        match built {
            Ok(m) => m.into_raw(),
            Err(BuildError::Raised) => ptr::null_mut(),
            Err(BuildError::Plugin(reason)) => {
                raise_load_error(&LoadError {
                    path: spec.path.display().to_string(),
                    reason,
                });
                ptr::null_mut()
            }
        }
    })
}

/// `_pyz3.describe(path)`: the validated descriptor as plain Python data (for the CLI and
/// stubs). Loads the library like `load` does.
unsafe extern "C" fn py_describe(
    _m: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held (called by CPython).
    guard(ptr::null_mut(), || unsafe {
        let Ok(path) = arg_str(arg, "describe() argument 'path'") else {
            return ptr::null_mut();
        };
        match open_plugin(&path) {
            Some(spec) => into_raw(describe::describe_spec(&spec)),
            None => ptr::null_mut(),
        }
    })
}

/// A load-time result as what CPython expects: a new reference, or NULL with the exception set.
fn into_raw(r: PyResult<Owned>) -> *mut ffi::PyObject {
    r.map_or(ptr::null_mut(), Owned::into_raw)
}

unsafe extern "C" fn py_type_registry(
    _m: *mut ffi::PyObject,
    _a: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held (called by CPython).
    guard(ptr::null_mut(), || unsafe {
        into_raw(describe::type_registry())
    })
}

unsafe extern "C" fn py_exception_kinds(
    _m: *mut ffi::PyObject,
    _a: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held (called by CPython).
    guard(ptr::null_mut(), || unsafe {
        into_raw(describe::exception_kinds())
    })
}

/// `_pyz3.import_instance(cls, state)`: what unpickling an instance calls (pyz3/__init__.py).
unsafe extern "C" fn py_import_instance(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held (called by CPython); `args` holds `nargs` objects.
    guard(ptr::null_mut(), || unsafe {
        if nargs != 2 {
            error::raise_str(
                ffi::PyExc_TypeError,
                "import_instance() takes a class and a state",
            );
            return ptr::null_mut();
        }
        into_raw(class::import_instance(*args, *args.add(1)))
    })
}

unsafe extern "C" fn py_optimizations(
    _m: *mut ffi::PyObject,
    _a: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held (called by CPython).
    guard(ptr::null_mut(), || unsafe {
        ffi::PyLong_FromUnsignedLong(opts::enabled() as _)
    })
}

unsafe extern "C" fn py_set_optimizations(
    _m: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held (called by CPython).
    guard(ptr::null_mut(), || unsafe {
        let v = ffi::PyLong_AsLong(arg);
        if v == -1 && error::occurred() {
            return ptr::null_mut();
        }
        if !(0..=PYZ3_OPT_ALL as core::ffi::c_long).contains(&v) {
            error::raise_str(ffi::PyExc_ValueError, "optimisation bits out of range");
            return ptr::null_mut();
        }
        let old = opts::set_enabled(v as u32);
        ffi::PyLong_FromUnsignedLong(old as _)
    })
}

unsafe extern "C" fn py_runtime_id(
    _m: *mut ffi::PyObject,
    _a: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held (called by CPython).
    guard(ptr::null_mut(), || unsafe {
        ffi::PyLong_FromSize_t(pyz3_core::runtime_id())
    })
}

unsafe fn build_info() -> PyResult<Owned> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let layout = LAYOUT
            .iter()
            .map(|&(name, value)| Owned::tuple(vec![Owned::str(name)?, Owned::int(value as i64)?]))
            .collect::<PyResult<Vec<_>>>()?;
        Owned::dict(vec![
            (c"version", Owned::str(pyz3_core::VERSION)?),
            (c"abi_major", Owned::int(PYZ3_ABI_MAJOR.into())?),
            (c"abi_minor", Owned::int(PYZ3_ABI_MINOR.into())?),
            (c"tls_model", Owned::str(pyz3_core::tls::MODEL)?),
            (c"python", Owned::str(BUILT_FOR)?),
            (c"pool_int_min", Owned::int(pool::POOL_INT_MIN)?),
            (c"pool_int_max", Owned::int(pool::POOL_INT_MAX)?),
            // Free-threaded builds pool only immortal objects (docs/free-threading.md).
            (c"free_threaded", Owned::bool(cfg!(Py_GIL_DISABLED))),
            (c"max_params", Owned::int(PYZ3_MAX_PARAMS.into())?),
            (c"layout", Owned::list(layout)?),
        ])
    }
}

unsafe extern "C" fn py_build_info(
    _m: *mut ffi::PyObject,
    _a: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held (called by CPython).
    guard(ptr::null_mut(), || unsafe { into_raw(build_info()) })
}

const BUILT_FOR: &str = env!("PYZ3_PYTHON_VERSION");

/// Whether the `str` fast path reads `obj` directly (its compact-ASCII test, which reads
/// CPython's per-version layout); for tests.
unsafe extern "C" fn py_str_fast_path(
    _m: *mut ffi::PyObject,
    obj: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held (called by CPython); is_compact_ascii sees only a str.
    guard(ptr::null_mut(), || unsafe {
        let direct = ffi::PyUnicode_CheckExact(obj) != 0 && convert::is_compact_ascii(obj);
        ffi::PyBool_FromLong(direct as _)
    })
}

const fn method(
    name: &'static CStr,
    meth: ffi::PyMethodDefPointer,
    flags: c_int,
    doc: &'static CStr,
) -> ffi::PyMethodDef {
    ffi::PyMethodDef {
        ml_name: name.as_ptr(),
        ml_meth: meth,
        ml_flags: flags,
        ml_doc: doc.as_ptr(),
    }
}

static mut METHODS: [ffi::PyMethodDef; 11] = [
    method(
        c"load",
        ffi::PyMethodDefPointer { PyCFunctionFast: py_load },
        ffi::METH_FASTCALL,
        c"load(path, name=None, debug=False)\n--\n\nOpen a plugin and build its module (uncached; use pyz3.load).",
    ),
    method(
        c"describe",
        ffi::PyMethodDefPointer { PyCFunction: py_describe },
        ffi::METH_O,
        c"describe(path)\n--\n\nThe validated descriptor of a plugin, as dicts and lists.",
    ),
    method(
        c"type_registry",
        ffi::PyMethodDefPointer { PyCFunction: py_type_registry },
        ffi::METH_NOARGS,
        c"type_registry()\n--\n\nOne dict of facts per declared type code, in code order.",
    ),
    method(
        c"exception_kinds",
        ffi::PyMethodDefPointer { PyCFunction: py_exception_kinds },
        ffi::METH_NOARGS,
        c"exception_kinds()\n--\n\n(kind, macro, class name, snake name) per PYZ3_EXC_* kind.",
    ),
    method(
        c"import_instance",
        ffi::PyMethodDefPointer { PyCFunctionFast: py_import_instance },
        ffi::METH_FASTCALL,
        c"import_instance(cls, state)\n--\n\nAn instance of a pyz3 class (or subclass) made by its import_state hook.",
    ),
    method(
        c"optimizations",
        ffi::PyMethodDefPointer { PyCFunction: py_optimizations },
        ffi::METH_NOARGS,
        c"optimizations()\n--\n\nThe enabled optimisation bits.",
    ),
    method(
        c"set_optimizations",
        ffi::PyMethodDefPointer { PyCFunction: py_set_optimizations },
        ffi::METH_O,
        c"set_optimizations(bits)\n--\n\nReplace the enabled optimisation bits; returns the old ones.",
    ),
    method(
        c"runtime_id",
        ffi::PyMethodDefPointer { PyCFunction: py_runtime_id },
        ffi::METH_NOARGS,
        c"runtime_id()\n--\n\nAn address unique to this copy of libpyz3 in the process.",
    ),
    method(
        c"build_info",
        ffi::PyMethodDefPointer { PyCFunction: py_build_info },
        ffi::METH_NOARGS,
        c"build_info()\n--\n\nVersion, ABI and build facts of this libpyz3.",
    ),
    method(
        c"_str_fast_path",
        ffi::PyMethodDefPointer {
            PyCFunction: py_str_fast_path,
        },
        ffi::METH_O,
        c"_str_fast_path(obj)\n--\n\nWhether str conversion reads obj directly (compact ASCII); for tests.",
    ),
    ffi::PyMethodDef::zeroed(),
];

static mut MODULE_DEF: ffi::PyModuleDef = ffi::PyModuleDef {
    m_base: ffi::PyModuleDef_HEAD_INIT,
    m_name: c"pyz3._pyz3".as_ptr(),
    m_doc: c"libpyz3: the pyz3 runtime and plugin loader.".as_ptr(),
    m_size: -1,
    m_methods: ptr::null_mut(),
    m_slots: ptr::null_mut(),
    m_traverse: None,
    m_clear: None,
    m_free: None,
};

extern "C" fn forget_interpreter_objects() {
    LOAD_ERROR_TYPE.store(ptr::null_mut(), Ordering::Release);
    function::forget_type();
    iterator::forget_type();
    pyz3_core::array::forget();
    pyz3_core::buffer::forget();
}

/// `pyz3.PluginLoadError`, made once per interpreter (a new reference).
unsafe fn load_error_type() -> PyResult<Owned> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let tp = LOAD_ERROR_TYPE.load(Ordering::Acquire);
        if !tp.is_null() {
            return Ok(Owned::from_borrowed(tp));
        }
        let t = Owned::new(ffi::PyErr_NewExceptionWithDoc(
            c"pyz3.PluginLoadError".as_ptr(),
            c"A plugin library could not be loaded; the message names the file and the reason."
                .as_ptr(),
            ffi::PyExc_ImportError,
            ptr::null_mut(),
        ))?;
        // The static keeps its own reference until the interpreter goes.
        LOAD_ERROR_TYPE.store(
            Owned::from_borrowed(t.as_ptr()).into_raw(),
            Ordering::Release,
        );
        ffi::Py_AtExit(Some(forget_interpreter_objects));
        Ok(t)
    }
}

/// Body of `PyInit__pyz3`.
///
/// # Safety
/// Called by CPython's import machinery with the GIL held.
pub unsafe fn init_native_module() -> *mut ffi::PyObject {
    // SAFETY: GIL held; the statics are only touched here, under the GIL.
    unsafe {
        if let Err(unknown) = opts::init_from_env() {
            let msg = format!(
                "PYZ3_DISABLE names unknown optimisations ({unknown}); known: gil_cache, fast_paths, \
                 pool, all\0"
            );
            if ffi::PyErr_WarnEx(ffi::PyExc_RuntimeWarning, msg.as_ptr() as *const c_char, 1) < 0 {
                return ptr::null_mut();
            }
        }
        if !pool::init() {
            return ptr::null_mut();
        }
        pyz3_core::panic::install_hook();
        into_raw(make_native_module())
    }
}

/// `_pyz3._at_exit()`: the exit handshake of native threads (`gil::close`), registered with
/// `atexit` when the main interpreter imports pyz3.
unsafe extern "C" fn py_at_exit(
    _m: *mut ffi::PyObject,
    _a: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held (called by atexit, on the main thread).
    guard(ptr::null_mut(), || unsafe {
        let open = gil::close();
        if open > 0 {
            // Nobody else can be told: the interpreter is on its way out.
            eprintln!(
                "pyz3: {open} native-thread GIL scope(s) still open at exit after waiting; the \
                 interpreter exits anyway"
            );
        }
        pool::none()
    })
}

static mut AT_EXIT_DEF: ffi::PyMethodDef = method(
    c"_at_exit",
    ffi::PyMethodDefPointer {
        PyCFunction: py_at_exit,
    },
    ffi::METH_NOARGS,
    c"_at_exit()\n--\n\nEnd native-thread GIL scopes before the interpreter exits (atexit).",
);

/// In the main interpreter: re-open native-thread scopes and register the exit handshake. Other
/// interpreters do neither (`PyGILState_*` serves the main interpreter only, and a
/// subinterpreter's exit must not close the process's scopes).
unsafe fn register_exit_handshake(module: &Owned) -> PyResult<()> {
    // SAFETY: GIL held by the caller.
    unsafe {
        if ffi::PyInterpreterState_Get() != ffi::PyInterpreterState_Main() {
            return Ok(());
        }
        gil::open();
        let hook = Owned::new(ffi::PyCFunction_NewEx(
            &raw mut AT_EXIT_DEF,
            ptr::null_mut(),
            ptr::null_mut(),
        ))?;
        module.add_to_module(c"_at_exit", &hook)?;
        let atexit = Owned::new(ffi::PyImport_ImportModule(c"atexit".as_ptr()))?;
        let register = atexit.get_attr(c"register")?;
        Owned::new(ffi::PyObject_CallOneArg(register.as_ptr(), hook.as_ptr()))?;
        Ok(())
    }
}

unsafe fn make_native_module() -> PyResult<Owned> {
    // SAFETY: GIL held by the caller.
    unsafe {
        function::init_type()?;
        iterator::init_type()?;
        MODULE_DEF.m_methods = (&raw mut METHODS).cast();
        let m = Owned::new(ffi::PyModule_Create(&raw mut MODULE_DEF))?;
        // On free-threaded CPython an extension module that does not say otherwise turns the
        // GIL back on for the whole process. pyz3 does not need it: plugins that are not
        // declared free-threaded are serialised by their own lock (crate::plugin_lock).
        #[cfg(Py_GIL_DISABLED)]
        if ffi::PyUnstable_Module_SetGIL(m.as_ptr(), ffi::Py_MOD_GIL_NOT_USED) < 0 {
            return Err(Raised);
        }
        m.add_to_module(c"PluginLoadError", &load_error_type()?)?;
        m.add_to_module(c"Array", &pyz3_core::array::init_type()?)?;
        let abi = Owned::tuple(vec![
            Owned::int(PYZ3_ABI_MAJOR.into())?,
            Owned::int(PYZ3_ABI_MINOR.into())?,
        ])?;
        m.add_to_module(c"abi_version", &abi)?;
        m.add_to_module(c"__version__", &Owned::str(pyz3_core::VERSION)?)?;
        for (name, bit) in opts::NAMES {
            let key = CString::new(format!("OPT_{}", name.to_uppercase())).unwrap_or_default();
            m.add_to_module(&key, &Owned::int(bit.into())?)?;
        }
        register_exit_handshake(&m)?;
        Ok(m)
    }
}
