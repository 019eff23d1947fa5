//! loader/src/module.rs: the `pyz3._pyz3` extension module and building plugin modules.
//!
//! `pyz3._pyz3` is libpyz3 itself (the same shared object, soname `libpyz3.so.1`), so the loader
//! and every plugin share one runtime: a plugin's `DT_NEEDED libpyz3.so.1` resolves to the copy
//! Python already loaded.

use core::ffi::{c_char, c_int, CStr};
use core::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use pyo3_ffi as ffi;
use pyz3_sdk::abi::*;
use pyz3_sdk::{convert, error, opts, pool};

use crate::function;
use crate::plugin::{self, LoadError, PluginSpec};

static LOAD_ERROR_TYPE: AtomicPtr<ffi::PyObject> = AtomicPtr::new(ptr::null_mut());

unsafe fn str_obj(s: &str) -> *mut ffi::PyObject {
    // SAFETY: GIL held by the caller.
    unsafe { ffi::PyUnicode_FromStringAndSize(s.as_ptr().cast(), s.len() as isize) }
}

unsafe fn arg_str(o: *mut ffi::PyObject, what: &str) -> Option<String> {
    // SAFETY: GIL held by the caller.
    unsafe {
        if ffi::PyUnicode_Check(o) == 0 {
            error::raise_str(
                ffi::PyExc_TypeError,
                &format!("{what} must be str, not {}", convert::object_type_name(o)),
            );
            return None;
        }
        let mut len: ffi::Py_ssize_t = 0;
        let p = ffi::PyUnicode_AsUTF8AndSize(o, &mut len);
        if p.is_null() {
            return None;
        }
        Some(
            String::from_utf8_lossy(core::slice::from_raw_parts(p as *const u8, len as usize))
                .into_owned(),
        )
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
        let msg = str_obj(&e.to_string());
        let path = str_obj(&e.path);
        if msg.is_null() || path.is_null() {
            ffi::Py_XDECREF(msg);
            ffi::Py_XDECREF(path);
            return;
        }
        let args = ffi::PyTuple_New(1);
        ffi::PyTuple_SET_ITEM(args, 0, msg);
        let kwargs = ffi::PyDict_New();
        ffi::PyDict_SetItemString(kwargs, c"path".as_ptr(), path);
        ffi::Py_DECREF(path);
        let exc = ffi::PyObject_Call(tp, args, kwargs);
        ffi::Py_DECREF(args);
        ffi::Py_DECREF(kwargs);
        if exc.is_null() {
            return;
        }
        pyz3_sdk::tls::note_error();
        ffi::PyErr_SetObject(tp, exc);
        ffi::Py_DECREF(exc);
    }
}

/// Builds the module for an opened plugin.
unsafe fn build_module(spec: &PluginSpec, module_name: &str) -> Result<*mut ffi::PyObject, String> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let cname = std::ffi::CString::new(module_name).map_err(|e| e.to_string())?;
        let m = ffi::PyModule_New(cname.as_ptr());
        if m.is_null() {
            return Err(function::fetch_message());
        }
        let set = |key: &CStr, value: *mut ffi::PyObject| -> Result<(), String> {
            if value.is_null() {
                return Err(function::fetch_message());
            }
            let rc = ffi::PyObject_SetAttrString(m, key.as_ptr(), value);
            ffi::Py_DECREF(value);
            if rc < 0 {
                Err(function::fetch_message())
            } else {
                Ok(())
            }
        };
        let result = (|| {
            let doc = match &spec.doc {
                Some(d) => str_obj(d),
                None => {
                    let n = ffi::Py_None();
                    ffi::Py_INCREF(n);
                    n
                }
            };
            set(c"__doc__", doc)?;
            set(c"__file__", str_obj(&spec.path.display().to_string()))?;
            let abi = ffi::PyTuple_New(2);
            if !abi.is_null() {
                ffi::PyTuple_SET_ITEM(abi, 0, ffi::PyLong_FromLong(spec.abi.0 as _));
                ffi::PyTuple_SET_ITEM(abi, 1, ffi::PyLong_FromLong(spec.abi.1 as _));
            }
            set(c"__pyz3_abi__", abi)?;
            let mut all = Vec::new();
            for f in &spec.functions {
                let obj = function::make_function(spec, module_name, f)?;
                let key = std::ffi::CString::new(f.name.as_str()).map_err(|e| e.to_string())?;
                set(&key, obj)?;
                all.push(f.name.clone());
            }
            let list = ffi::PyList_New(0);
            for n in &all {
                let s = str_obj(n);
                ffi::PyList_Append(list, s);
                ffi::Py_DECREF(s);
            }
            set(c"__all__", list)
        })();
        match result {
            Ok(()) => Ok(m),
            Err(e) => {
                ffi::Py_DECREF(m);
                Err(e)
            }
        }
    }
}

/// `_pyz3.load(path, name=None)`: open, validate and build. Caching lives in `pyz3.load`.
unsafe extern "C" fn py_load(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held (called by CPython); `args` holds `nargs` objects.
    unsafe {
        if !(1..=2).contains(&nargs) {
            error::raise_str(
                ffi::PyExc_TypeError,
                "load() takes a path and an optional name",
            );
            return ptr::null_mut();
        }
        let Some(path) = arg_str(*args, "load() argument 'path'") else {
            return ptr::null_mut();
        };
        let name = if nargs == 2 && *args.add(1) != ffi::Py_None() {
            match arg_str(*args.add(1), "load() argument 'name'") {
                Some(n) => Some(n),
                None => return ptr::null_mut(),
            }
        } else {
            None
        };
        let (spec, _lib) = match plugin::open(&path) {
            Ok(x) => x,
            Err(e) => {
                raise_load_error(&e);
                return ptr::null_mut();
            }
        };
        let module_name = name.unwrap_or_else(|| spec.name.clone());
        match build_module(&spec, &module_name) {
            Ok(m) => m,
            Err(reason) => {
                raise_load_error(&LoadError {
                    path: spec.path.display().to_string(),
                    reason,
                });
                ptr::null_mut()
            }
        }
    }
}

/// `_pyz3.describe(path)`: the validated descriptor as plain Python data (for the CLI and
/// stubs). Loads the library like `load` does.
unsafe extern "C" fn py_describe(
    _m: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held (called by CPython).
    unsafe {
        let Some(path) = arg_str(arg, "describe() argument 'path'") else {
            return ptr::null_mut();
        };
        let (spec, _lib) = match plugin::open(&path) {
            Ok(x) => x,
            Err(e) => {
                raise_load_error(&e);
                return ptr::null_mut();
            }
        };
        describe_spec(&spec)
    }
}

unsafe fn describe_spec(spec: &PluginSpec) -> *mut ffi::PyObject {
    // SAFETY: GIL held by the caller. Reference handling: every `put` steals `v`.
    unsafe {
        let put = |d: *mut ffi::PyObject, k: &CStr, v: *mut ffi::PyObject| {
            if !v.is_null() {
                ffi::PyDict_SetItemString(d, k.as_ptr(), v);
                ffi::Py_DECREF(v);
            }
        };
        let opt_str = |s: &Option<String>| match s {
            Some(s) => str_obj(s),
            None => {
                let n = ffi::Py_None();
                ffi::Py_INCREF(n);
                n
            }
        };
        let d = ffi::PyDict_New();
        put(d, c"path", str_obj(&spec.path.display().to_string()));
        put(d, c"name", str_obj(&spec.name));
        put(d, c"doc", opt_str(&spec.doc));
        let abi = ffi::PyTuple_New(2);
        ffi::PyTuple_SET_ITEM(abi, 0, ffi::PyLong_FromLong(spec.abi.0 as _));
        ffi::PyTuple_SET_ITEM(abi, 1, ffi::PyLong_FromLong(spec.abi.1 as _));
        put(d, c"abi", abi);
        let funcs = ffi::PyList_New(0);
        for f in &spec.functions {
            let fd = ffi::PyDict_New();
            put(fd, c"name", str_obj(&f.name));
            put(fd, c"doc", opt_str(&f.doc));
            put(
                fd,
                c"return_type",
                str_obj(convert::c_type_name(f.return_type)),
            );
            put(
                fd,
                c"return_optional",
                ffi::PyBool_FromLong((f.return_flags & PYZ3_RETURN_OPTIONAL) as _),
            );
            put(
                fd,
                c"release_gil",
                ffi::PyBool_FromLong((f.flags & PYZ3_FN_RELEASE_GIL != 0) as _),
            );
            put(
                fd,
                c"positional_only",
                ffi::PyBool_FromLong((f.flags & PYZ3_FN_POSITIONAL_ONLY != 0) as _),
            );
            put(fd, c"raw", ffi::PyBool_FromLong(f.raw.is_some() as _));
            let params = ffi::PyList_New(0);
            for p in &f.params {
                let pd = ffi::PyDict_New();
                put(pd, c"name", str_obj(&p.name));
                put(pd, c"type", str_obj(convert::c_type_name(p.ty)));
                put(
                    pd,
                    c"optional",
                    ffi::PyBool_FromLong((p.flags & PYZ3_PARAM_OPTIONAL) as _),
                );
                put(
                    pd,
                    c"keyword_only",
                    ffi::PyBool_FromLong((p.flags & PYZ3_PARAM_KEYWORD_ONLY != 0) as _),
                );
                put(pd, c"default", opt_str(&p.default));
                ffi::PyList_Append(params, pd);
                ffi::Py_DECREF(pd);
            }
            put(fd, c"params", params);
            ffi::PyList_Append(funcs, fd);
            ffi::Py_DECREF(fd);
        }
        put(d, c"functions", funcs);
        d
    }
}

unsafe extern "C" fn py_optimizations(
    _m: *mut ffi::PyObject,
    _a: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held.
    unsafe { ffi::PyLong_FromUnsignedLong(opts::enabled() as _) }
}

unsafe extern "C" fn py_set_optimizations(
    _m: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held.
    unsafe {
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
    }
}

unsafe extern "C" fn py_runtime_id(
    _m: *mut ffi::PyObject,
    _a: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held.
    unsafe { ffi::PyLong_FromSize_t(pyz3_sdk::runtime_id()) }
}

unsafe extern "C" fn py_build_info(
    _m: *mut ffi::PyObject,
    _a: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held.
    unsafe {
        let d = ffi::PyDict_New();
        let put = |k: &CStr, v: *mut ffi::PyObject| {
            ffi::PyDict_SetItemString(d, k.as_ptr(), v);
            ffi::Py_DECREF(v);
        };
        put(c"version", str_obj(pyz3_sdk::VERSION));
        put(c"abi_major", ffi::PyLong_FromLong(PYZ3_ABI_MAJOR as _));
        put(c"abi_minor", ffi::PyLong_FromLong(PYZ3_ABI_MINOR as _));
        put(c"tls_model", str_obj(pyz3_sdk::tls::MODEL));
        put(c"python", str_obj(BUILT_FOR));
        put(
            c"pool_int_min",
            ffi::PyLong_FromLongLong(pool::POOL_INT_MIN),
        );
        put(
            c"pool_int_max",
            ffi::PyLong_FromLongLong(pool::POOL_INT_MAX),
        );
        put(c"max_params", ffi::PyLong_FromLong(PYZ3_MAX_PARAMS as _));
        let layout = ffi::PyList_New(0);
        for (name, value) in LAYOUT {
            let pair = ffi::PyTuple_New(2);
            ffi::PyTuple_SET_ITEM(pair, 0, str_obj(name));
            ffi::PyTuple_SET_ITEM(pair, 1, ffi::PyLong_FromSize_t(value));
            ffi::PyList_Append(layout, pair);
            ffi::Py_DECREF(pair);
        }
        put(c"layout", layout);
        d
    }
}

/// Whether the `str` fast path reads `obj` directly (its compact-ASCII test, which reads
/// CPython's per-version layout); for tests.
unsafe extern "C" fn py_str_fast_path(
    _m: *mut ffi::PyObject,
    obj: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held; `obj` is a valid object, and is_compact_ascii sees only a str.
    unsafe {
        let direct = ffi::PyUnicode_CheckExact(obj) != 0 && convert::is_compact_ascii(obj);
        ffi::PyBool_FromLong(direct as _)
    }
}

/// `_pyz3._measure_gil_check(n)`: ns per operation, timed in a native loop of `n` iterations,
/// for the ways the runtime could ask "does this thread hold the GIL?" — the initial-exec TLS
/// read it uses, a `thread_local!` read (what a plain Rust cdylib gets), and
/// `PyGILState_Check()` — plus `PyGILState_Ensure/Release` with the GIL already held. All in the
/// same process run, so the figures compare (docs/optimizations.md quotes them).
unsafe extern "C" fn py_measure_gil_check(
    _m: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    use std::hint::black_box;
    use std::time::Instant;
    // SAFETY: GIL held (called by CPython).
    unsafe {
        let n = ffi::PyLong_AsLongLong(arg);
        if n == -1 && error::occurred() {
            return ptr::null_mut();
        }
        if !(1..=1_000_000_000).contains(&n) {
            error::raise_str(ffi::PyExc_ValueError, "n must be in 1..=1e9");
            return ptr::null_mut();
        }
        let per_op = |f: &mut dyn FnMut()| {
            let start = Instant::now();
            f();
            start.elapsed().as_nanos() as f64 / n as f64
        };
        let mut acc = 0u32;
        let ie = per_op(&mut || {
            for _ in 0..n {
                acc = acc.wrapping_add(black_box(pyz3_sdk::tls::gil_depth()));
            }
        });
        let gd = per_op(&mut || {
            for _ in 0..n {
                acc = acc.wrapping_add(black_box(pyz3_sdk::tls::read_thread_local_gd()));
            }
        });
        let check = per_op(&mut || {
            for _ in 0..n {
                acc = acc.wrapping_add(black_box(ffi::PyGILState_Check()) as u32);
            }
        });
        let ensure = per_op(&mut || {
            for _ in 0..n {
                let g = ffi::PyGILState_Ensure();
                ffi::PyGILState_Release(black_box(g));
            }
        });
        black_box(acc);
        let d = ffi::PyDict_New();
        for (k, v) in [
            (c"initial_exec_tls", ie),
            (c"thread_local_macro", gd),
            (c"pygilstate_check", check),
            (c"pygilstate_ensure_release", ensure),
        ] {
            let o = ffi::PyFloat_FromDouble(v);
            ffi::PyDict_SetItemString(d, k.as_ptr(), o);
            ffi::Py_DECREF(o);
        }
        d
    }
}

const BUILT_FOR: &str = env!("PYZ3_PYTHON_VERSION");

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

static mut METHODS: [ffi::PyMethodDef; 9] = [
    method(
        c"load",
        ffi::PyMethodDefPointer { PyCFunctionFast: py_load },
        ffi::METH_FASTCALL,
        c"load(path, name=None)\n--\n\nOpen a plugin and build its module (uncached; use pyz3.load).",
    ),
    method(
        c"describe",
        ffi::PyMethodDefPointer { PyCFunction: py_describe },
        ffi::METH_O,
        c"describe(path)\n--\n\nThe validated descriptor of a plugin, as dicts and lists.",
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
        c"_measure_gil_check",
        ffi::PyMethodDefPointer {
            PyCFunction: py_measure_gil_check,
        },
        ffi::METH_O,
        c"_measure_gil_check(n)\n--\n\nns per GIL-ownership check, per mechanism (a native loop of n).",
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
        if !pool::init() || !function::init_type() {
            return ptr::null_mut();
        }
        MODULE_DEF.m_methods = (&raw mut METHODS).cast();
        let m = ffi::PyModule_Create(&raw mut MODULE_DEF);
        if m.is_null() {
            return m;
        }
        let tp = LOAD_ERROR_TYPE.load(Ordering::Acquire);
        let tp = if tp.is_null() {
            let t = ffi::PyErr_NewExceptionWithDoc(
                c"pyz3.PluginLoadError".as_ptr(),
                c"A plugin library could not be loaded; the message names the file and the reason."
                    .as_ptr(),
                ffi::PyExc_ImportError,
                ptr::null_mut(),
            );
            if t.is_null() {
                ffi::Py_DECREF(m);
                return ptr::null_mut();
            }
            LOAD_ERROR_TYPE.store(t, Ordering::Release);
            ffi::Py_AtExit(Some(forget_interpreter_objects));
            t
        } else {
            tp
        };
        ffi::Py_INCREF(tp);
        ffi::PyModule_AddObject(m, c"PluginLoadError".as_ptr(), tp);
        let abi = ffi::PyTuple_New(2);
        ffi::PyTuple_SET_ITEM(abi, 0, ffi::PyLong_FromLong(PYZ3_ABI_MAJOR as _));
        ffi::PyTuple_SET_ITEM(abi, 1, ffi::PyLong_FromLong(PYZ3_ABI_MINOR as _));
        ffi::PyModule_AddObject(m, c"abi_version".as_ptr(), abi);
        ffi::PyModule_AddObject(m, c"__version__".as_ptr(), str_obj(pyz3_sdk::VERSION));
        for (name, bit) in opts::NAMES {
            let key =
                std::ffi::CString::new(format!("OPT_{}", name.to_uppercase())).unwrap_or_default();
            ffi::PyModule_AddObject(m, key.as_ptr(), ffi::PyLong_FromUnsignedLong(bit as _));
        }
        m
    }
}
