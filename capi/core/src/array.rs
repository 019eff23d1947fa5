//! capi/core/src/array.rs: array results (`PYZ3_T_ARRAY`) — `pyz3.Array`, a C-contiguous array
//! the runtime allocates and a plugin fills in.
//!
//! One allocation holds the object header, its `pyz3_buffer` description, the shape and strides,
//! and the elements (16-byte aligned), so making a small array costs one `PyObject_Malloc`, and
//! the plugin writes the elements where Python will read them (no copy). The object exports the
//! buffer protocol (PEP 3118: `memoryview(a)`, `numpy.asarray(a)` without a copy); a function
//! declared with `PYZ3_ARRAY_NUMPY` hands its caller a `numpy.ndarray` over it instead, made
//! through numpy's own C API table (the `_ARRAY_API` capsule), checked once, when numpy is
//! imported anyway — numpy is never required.

use core::ffi::{c_char, c_int, c_void};
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

use pyo3_ffi as ffi;

use crate::abi::*;
use crate::buffer::elem_itemsize;
use crate::owned::{Owned, PyResult, Raised};
use crate::panic::guard;
use crate::types::TypeCode;
use crate::{error, tls};

#[repr(C)]
struct ArrayObject {
    ob_base: ffi::PyObject,
    view: pyz3_buffer,
    // Followed by `ndim` shape entries, `ndim` strides, padding to 16 bytes, the elements.
}

const HEADER: usize = core::mem::size_of::<ArrayObject>();

static ARRAY_TYPE: AtomicPtr<ffi::PyTypeObject> = AtomicPtr::new(ptr::null_mut());
static NUMPY_ASARRAY: AtomicPtr<ffi::PyObject> = AtomicPtr::new(ptr::null_mut());

/// The PEP 3118 format of an array element (native sizes and order).
fn format_of(elem: TypeCode) -> &'static [u8] {
    match elem {
        TypeCode::I8 => b"b\0",
        TypeCode::U8 => b"B\0",
        TypeCode::I16 => b"h\0",
        TypeCode::U16 => b"H\0",
        TypeCode::I32 => b"i\0",
        TypeCode::U32 => b"I\0",
        TypeCode::I64 => b"q\0",
        TypeCode::U64 => b"Q\0",
        TypeCode::F32 => b"f\0",
        TypeCode::F64 => b"d\0",
        TypeCode::Bool => b"?\0",
        _ => b"B\0",
    }
}

/// Can `elem` be the element type of an array result? (Buffer elements except raw bytes.)
pub fn is_array_elem(elem: TypeCode) -> bool {
    elem != TypeCode::Bytes && elem_itemsize(elem).is_some()
}

/// The load-time rule for an array result's facts (`ret_elem`, `ret_type_flags`, `ret_ndim`).
pub fn check_result_facts(
    elem: u8,
    type_flags: u8,
    ndim: u8,
) -> Result<crate::types::TypeFacts, String> {
    let code = TypeCode::from_u8(elem)
        .filter(|&t| is_array_elem(t))
        .ok_or_else(|| {
            format!("ret_elem {elem} is not an array element type (an integer, float or bool type code)")
        })?;
    if type_flags & !PYZ3_ARRAY_NUMPY != 0 {
        return Err(format!(
            "unknown array ret_type_flags bits {:#x}",
            type_flags & !PYZ3_ARRAY_NUMPY
        ));
    }
    if ndim == 0 || u32::from(ndim) > PYZ3_BUF_MAX_NDIM {
        return Err(format!(
            "ret_ndim is {ndim}; an array result has 1 to {PYZ3_BUF_MAX_NDIM} dimensions"
        ));
    }
    Ok(crate::types::TypeFacts {
        elem: code,
        type_flags,
        ndim,
        class_index: 0,
    })
}

/// Is `op` a `pyz3.Array`?
///
/// # Safety
/// `op` a valid object.
#[inline]
pub unsafe fn is_array(op: *mut ffi::PyObject) -> bool {
    // SAFETY: reading the type of a valid object.
    unsafe { ffi::Py_TYPE(op) == ARRAY_TYPE.load(Ordering::Relaxed) }
}

/// The description of a `pyz3.Array` (valid while the object lives).
///
/// # Safety
/// `op` is a `pyz3.Array` ([`is_array`]).
#[inline]
pub unsafe fn view_of(op: *mut ffi::PyObject) -> *mut pyz3_buffer {
    // SAFETY: per the contract.
    unsafe { &raw mut (*(op as *mut ArrayObject)).view }
}

/// A new C-contiguous `pyz3.Array` of `shape`, elements uninitialised (like `numpy.empty`).
/// Returns the new reference and its description, or `Err(Raised)` with an exception set.
///
/// # Safety
/// GIL held.
pub unsafe fn new_array(
    elem: TypeCode,
    shape: &[usize],
) -> PyResult<(*mut ffi::PyObject, *mut pyz3_buffer)> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let tp = ARRAY_TYPE.load(Ordering::Acquire);
        if tp.is_null() {
            return fail(
                ffi::PyExc_SystemError,
                "the pyz3 runtime is not initialised",
            );
        }
        if !is_array_elem(elem) {
            return fail(
                ffi::PyExc_SystemError,
                &format!(
                    "pyz3_array_new: element type {} ({}) cannot be an array element",
                    elem as u8,
                    elem.name()
                ),
            );
        }
        let ndim = shape.len();
        if ndim == 0 || ndim as u32 > PYZ3_BUF_MAX_NDIM {
            return fail(
                ffi::PyExc_SystemError,
                &format!(
                    "pyz3_array_new: ndim is {ndim}; an array has 1 to {PYZ3_BUF_MAX_NDIM} \
                     dimensions"
                ),
            );
        }
        let itemsize = elem_itemsize(elem).unwrap_or(1);
        let len = shape.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n));
        let meta = HEADER + 2 * ndim * core::mem::size_of::<usize>();
        let data_at = (meta + 15) & !15;
        let total = len
            .and_then(|n| n.checked_mul(itemsize))
            .and_then(|b| b.checked_add(data_at))
            .filter(|&t| t <= isize::MAX as usize);
        let (Some(len), Some(total)) = (len, total) else {
            return fail(
                ffi::PyExc_OverflowError,
                &format!("an array of shape {shape:?} is too large"),
            );
        };
        let mem = ffi::PyObject_Malloc(total) as *mut u8;
        if mem.is_null() {
            ffi::PyErr_NoMemory();
            tls::note_error();
            return Err(Raised);
        }
        let obj = ffi::PyObject_Init(mem.cast(), tp);
        let dims = mem.add(HEADER) as *mut usize;
        let strides = dims.add(ndim) as *mut isize;
        let mut step = itemsize as isize;
        for i in (0..ndim).rev() {
            *dims.add(i) = shape[i];
            *strides.add(i) = step;
            step = step.wrapping_mul(shape[i] as isize);
        }
        let a = obj as *mut ArrayObject;
        (&raw mut (*a).view).write(pyz3_buffer {
            data: mem.add(data_at).cast(),
            len,
            shape: dims,
            strides,
            itemsize,
            obj,
            ndim: ndim as u8,
            elem: elem as u8,
            readonly: false,
            contiguous: true,
            reserved: 0,
        });
        Ok((obj, &raw mut (*a).view))
    }
}

#[cold]
unsafe fn fail<T>(exc: *mut ffi::PyObject, msg: &str) -> PyResult<T> {
    // SAFETY: GIL held by the caller.
    unsafe { error::raise_str(exc, msg) };
    Err(Raised)
}

// ---- numpy results ---------------------------------------------------------------------------------

/// numpy's C API table (the `_ARRAY_API` capsule every numpy extension imports), once found and
/// checked; NULL until then or when it is not one this runtime knows.
static NUMPY_API: AtomicPtr<*const c_void> = AtomicPtr::new(ptr::null_mut());
static NUMPY_API_TRIED: AtomicBool = AtomicBool::new(false);

/// `PyArray_GetNDArrayCVersion`, `PyArray_Type`, `PyArray_New`, `PyArray_SetBaseObject`: their
/// slots in the table, the same in numpy 1.x (ABI 0x01000009) and 2.x (ABI 0x02000000).
const API_VERSION: usize = 0;
const API_TYPE: usize = 2;
const API_NEW: usize = 93;
const API_SET_BASE: usize = 282;
const KNOWN_ABIS: [u32; 2] = [0x0100_0009, 0x0200_0000];
/// `NPY_ARRAY_CARRAY`: C-contiguous, aligned, writeable.
const NPY_ARRAY_CARRAY: c_int = 0x0001 | 0x0100 | 0x0400;

type PyArrayNew = unsafe extern "C" fn(
    *mut ffi::PyTypeObject,
    c_int,
    *const ffi::Py_ssize_t,
    c_int,
    *const ffi::Py_ssize_t,
    *mut c_void,
    c_int,
    c_int,
    *mut ffi::PyObject,
) -> *mut ffi::PyObject;
type PyArraySetBase = unsafe extern "C" fn(*mut ffi::PyObject, *mut ffi::PyObject) -> c_int;

/// numpy's `type_num` for an array element (native byte order).
fn numpy_type_num(elem: TypeCode) -> c_int {
    let long_is_64 = core::mem::size_of::<core::ffi::c_long>() == 8;
    match elem {
        TypeCode::Bool => 0,
        TypeCode::I8 => 1,
        TypeCode::U8 => 2,
        TypeCode::I16 => 3,
        TypeCode::U16 => 4,
        TypeCode::I32 => 5,
        TypeCode::U32 => 6,
        TypeCode::I64 if long_is_64 => 7,
        TypeCode::I64 => 9,
        TypeCode::U64 if long_is_64 => 8,
        TypeCode::U64 => 10,
        TypeCode::F32 => 11,
        _ => 12,
    }
}

/// The C API table of an imported numpy, checked: a capsule named as numpy names it, an ABI
/// version whose slots are the ones above, and slot 2 being `numpy.ndarray` itself. Looked up
/// once per interpreter; NULL (never an exception) when anything differs.
unsafe fn numpy_api(numpy: *mut ffi::PyObject) -> *const *const c_void {
    if NUMPY_API_TRIED.load(Ordering::Acquire) {
        return NUMPY_API.load(Ordering::Acquire);
    }
    NUMPY_API_TRIED.store(true, Ordering::Release);
    // SAFETY: GIL held by the caller; every object is checked before use.
    unsafe {
        let mut umath = ffi::PyImport_ImportModule(c"numpy._core._multiarray_umath".as_ptr());
        if umath.is_null() {
            ffi::PyErr_Clear();
            umath = ffi::PyImport_ImportModule(c"numpy.core._multiarray_umath".as_ptr());
        }
        if umath.is_null() {
            ffi::PyErr_Clear();
            return ptr::null();
        }
        let capsule = ffi::PyObject_GetAttrString(umath, c"_ARRAY_API".as_ptr());
        ffi::Py_DECREF(umath);
        if capsule.is_null() {
            ffi::PyErr_Clear();
            return ptr::null();
        }
        let table = if ffi::PyCapsule_CheckExact(capsule) != 0 {
            ffi::PyCapsule_GetPointer(capsule, ptr::null()) as *const *const c_void
        } else {
            ptr::null()
        };
        // numpy keeps its module, and with it the table, alive for the interpreter's life.
        ffi::Py_DECREF(capsule);
        if table.is_null() {
            ffi::PyErr_Clear();
            return ptr::null();
        }
        let version: unsafe extern "C" fn() -> u32 = core::mem::transmute(*table.add(API_VERSION));
        let ndarray = ffi::PyObject_GetAttrString(numpy, c"ndarray".as_ptr());
        if ndarray.is_null() {
            ffi::PyErr_Clear();
            return ptr::null();
        }
        let same_type = *table.add(API_TYPE) == ndarray as *const c_void;
        ffi::Py_DECREF(ndarray);
        if !same_type || !KNOWN_ABIS.contains(&version()) {
            return ptr::null();
        }
        NUMPY_API.store(table.cast_mut(), Ordering::Release);
        table
    }
}

/// A `numpy.ndarray` over `arr`'s elements with `arr` as its base, through numpy's C API (what
/// a handwritten extension's `PyArray_New` does), stealing `arr`. NULL with an exception set.
unsafe fn numpy_view(api: *const *const c_void, arr: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: GIL held by the caller; `api` passed `numpy_api`'s checks; `arr` is a pyz3.Array.
    unsafe {
        let v = &*view_of(arr);
        let new: PyArrayNew = core::mem::transmute(*api.add(API_NEW));
        let set_base: PyArraySetBase = core::mem::transmute(*api.add(API_SET_BASE));
        let elem = TypeCode::from_u8(v.elem).unwrap_or(TypeCode::F64);
        let out = new(
            *api.add(API_TYPE) as *mut ffi::PyTypeObject,
            c_int::from(v.ndim),
            v.shape.cast(),
            numpy_type_num(elem),
            ptr::null(),
            v.data,
            0,
            NPY_ARRAY_CARRAY,
            ptr::null_mut(),
        );
        if out.is_null() {
            ffi::Py_DECREF(arr);
            tls::note_error();
            return out;
        }
        // The base keeps the elements alive; SetBaseObject takes the reference even on failure.
        if set_base(out, arr) < 0 {
            ffi::Py_DECREF(out);
            tls::note_error();
            return ptr::null_mut();
        }
        out
    }
}

/// A `numpy.ndarray` over `arr` (no copy), stealing `arr`. With the fast paths on, numpy's C
/// API makes it directly; otherwise (or with a numpy whose table this runtime does not know)
/// `numpy.asarray(arr)` does, through the buffer protocol. `what` names the function for the
/// message when numpy cannot be imported. NULL with an exception set on failure.
///
/// # Safety
/// GIL held; `arr` a new reference to a `pyz3.Array`.
pub unsafe fn into_numpy(arr: *mut ffi::PyObject, what: &str) -> *mut ffi::PyObject {
    // SAFETY: GIL held by the caller.
    unsafe {
        let api = NUMPY_API.load(Ordering::Acquire);
        if !api.is_null() && crate::opts::fast_paths() {
            return numpy_view(api, arr);
        }
        let mut asarray = NUMPY_ASARRAY.load(Ordering::Acquire);
        if asarray.is_null() {
            let numpy = ffi::PyImport_ImportModule(c"numpy".as_ptr());
            if !numpy.is_null() {
                asarray = ffi::PyObject_GetAttrString(numpy, c"asarray".as_ptr());
                ffi::Py_DECREF(numpy);
            }
            if asarray.is_null() {
                ffi::Py_DECREF(arr);
                error::raise_chained(
                    ffi::PyExc_ImportError,
                    &format!("{what} returns a numpy.ndarray, but numpy cannot be imported"),
                );
                return ptr::null_mut();
            }
            // The static keeps this reference until the interpreter goes. Importing can let
            // another thread through (always, on free-threaded builds): the first one stored wins.
            if let Err(first) = NUMPY_ASARRAY.compare_exchange(
                ptr::null_mut(),
                asarray,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                ffi::Py_DECREF(asarray);
                asarray = first;
            }
            let numpy = ffi::PyImport_ImportModule(c"numpy".as_ptr());
            if numpy.is_null() {
                ffi::PyErr_Clear();
            } else {
                let api = numpy_api(numpy);
                ffi::Py_DECREF(numpy);
                if !api.is_null() && crate::opts::fast_paths() {
                    return numpy_view(api, arr);
                }
            }
        }
        let r = ffi::PyObject_CallOneArg(asarray, arr);
        ffi::Py_DECREF(arr);
        if r.is_null() {
            tls::note_error();
        }
        r
    }
}

// ---- the type ------------------------------------------------------------------------------------

unsafe extern "C" fn array_dealloc(obj: *mut ffi::PyObject) {
    // SAFETY: `obj` came from `new_array` (PyObject_Malloc + PyObject_Init of our heap type).
    guard((), || unsafe {
        let tp = ffi::Py_TYPE(obj);
        ffi::PyObject_Free(obj.cast());
        ffi::Py_DECREF(tp.cast());
    })
}

unsafe extern "C" fn array_getbuffer(
    obj: *mut ffi::PyObject,
    view: *mut ffi::Py_buffer,
    flags: c_int,
) -> c_int {
    // SAFETY: `obj` is a pyz3.Array; `view` is the consumer's to fill.
    guard(-1, || unsafe {
        let v = &*view_of(obj);
        let ndim = v.ndim as usize;
        if flags & ffi::PyBUF_F_CONTIGUOUS == ffi::PyBUF_F_CONTIGUOUS {
            let big_dims = (0..ndim).filter(|&i| *v.shape.add(i) > 1).count();
            if big_dims > 1 {
                error::raise_str(
                    ffi::PyExc_BufferError,
                    "pyz3.Array is C-contiguous, not Fortran-contiguous",
                );
                (*view).obj = ptr::null_mut();
                return -1;
            }
        }
        let elem = TypeCode::from_u8(v.elem).unwrap_or(TypeCode::U8);
        (*view).buf = v.data;
        (*view).obj = ffi::Py_NewRef(obj);
        (*view).len = (v.len * v.itemsize) as ffi::Py_ssize_t;
        (*view).itemsize = v.itemsize as ffi::Py_ssize_t;
        (*view).readonly = 0;
        (*view).ndim = ndim as c_int;
        (*view).format = if flags & ffi::PyBUF_FORMAT != 0 {
            format_of(elem).as_ptr() as *mut c_char
        } else {
            ptr::null_mut()
        };
        (*view).shape = if flags & ffi::PyBUF_ND == ffi::PyBUF_ND {
            v.shape as *mut ffi::Py_ssize_t
        } else {
            ptr::null_mut()
        };
        (*view).strides = if flags & ffi::PyBUF_STRIDES == ffi::PyBUF_STRIDES {
            v.strides as *mut ffi::Py_ssize_t
        } else {
            ptr::null_mut()
        };
        (*view).suboffsets = ptr::null_mut();
        (*view).internal = ptr::null_mut();
        0
    })
}

unsafe extern "C" fn array_length(obj: *mut ffi::PyObject) -> ffi::Py_ssize_t {
    // SAFETY: `obj` is a pyz3.Array, which has at least one dimension.
    guard(-1, || unsafe { *(*view_of(obj)).shape as ffi::Py_ssize_t })
}

unsafe fn shape_tuple(v: &pyz3_buffer) -> PyResult<Owned> {
    // SAFETY: GIL held by the caller; `shape` has `ndim` entries.
    unsafe {
        let items = (0..v.ndim as usize)
            .map(|i| Owned::int(*v.shape.add(i) as i64))
            .collect::<PyResult<Vec<_>>>()?;
        Owned::tuple(items)
    }
}

unsafe extern "C" fn array_repr(obj: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: `obj` is a pyz3.Array; GIL held.
    guard(ptr::null_mut(), || unsafe {
        let v = &*view_of(obj);
        let shape: Vec<String> = (0..v.ndim as usize)
            .map(|i| (*v.shape.add(i)).to_string())
            .collect();
        let shape = if shape.len() == 1 {
            format!("({},)", shape[0])
        } else {
            format!("({})", shape.join(", "))
        };
        let elem = TypeCode::from_u8(v.elem).map_or("?", TypeCode::name);
        Owned::str(&format!("pyz3.Array({elem}, shape={shape})"))
            .map_or(ptr::null_mut(), Owned::into_raw)
    })
}

type Getter = unsafe extern "C" fn(*mut ffi::PyObject, *mut c_void) -> *mut ffi::PyObject;

macro_rules! getter {
    ($name:ident, |$v:ident| $body:expr) => {
        unsafe extern "C" fn $name(
            obj: *mut ffi::PyObject,
            _closure: *mut c_void,
        ) -> *mut ffi::PyObject {
            // SAFETY: `obj` is a pyz3.Array; GIL held.
            guard(ptr::null_mut(), || unsafe {
                let $v = &*view_of(obj);
                let made: PyResult<Owned> = $body;
                made.map_or(ptr::null_mut(), Owned::into_raw)
            })
        }
    };
}

getter!(get_shape, |v| shape_tuple(v));
getter!(get_ndim, |v| Owned::int(v.ndim.into()));
getter!(get_itemsize, |v| Owned::int(v.itemsize as i64));
getter!(get_nbytes, |v| Owned::int((v.len * v.itemsize) as i64));
getter!(get_elem, |v| Owned::str(
    TypeCode::from_u8(v.elem).map_or("?", TypeCode::name)
));
getter!(get_format, |v| {
    let f = format_of(TypeCode::from_u8(v.elem).unwrap_or(TypeCode::U8));
    Owned::str(core::str::from_utf8(&f[..f.len() - 1]).unwrap_or("B"))
});

unsafe extern "C" fn array_tolist(
    obj: *mut ffi::PyObject,
    _unused: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: GIL held; memoryview(obj).tolist() reads the elements through our buffer.
    guard(ptr::null_mut(), || unsafe {
        let mv = ffi::PyMemoryView_FromObject(obj);
        if mv.is_null() {
            return ptr::null_mut();
        }
        let r = ffi::PyObject_CallMethod(mv, c"tolist".as_ptr(), ptr::null());
        ffi::Py_DECREF(mv);
        r
    })
}

/// Creates the `pyz3.Array` type for this interpreter (a new reference, also kept by the
/// runtime until the interpreter finalises). Called from `pyz3._pyz3`'s init.
///
/// # Safety
/// GIL held.
pub unsafe fn init_type() -> PyResult<Owned> {
    let tp = ARRAY_TYPE.load(Ordering::Acquire);
    if !tp.is_null() {
        // SAFETY: the runtime holds a reference to the type.
        return Ok(unsafe { Owned::from_borrowed(tp.cast()) });
    }
    static mut GETSET: [ffi::PyGetSetDef; 7] = [
        getset(
            c"shape",
            get_shape,
            c"The extent of each dimension, a tuple.",
        ),
        getset(c"ndim", get_ndim, c"The number of dimensions."),
        getset(
            c"itemsize",
            get_itemsize,
            c"The size of one element in bytes.",
        ),
        getset(c"nbytes", get_nbytes, c"The size of all elements in bytes."),
        getset(
            c"elem",
            get_elem,
            c"The element type's registry name ('float64', ...).",
        ),
        getset(
            c"format",
            get_format,
            c"The element format (PEP 3118, as memoryview.format).",
        ),
        ffi::PyGetSetDef {
            name: ptr::null(),
            get: None,
            set: None,
            doc: ptr::null(),
            closure: ptr::null_mut(),
        },
    ];
    static mut METHODS: [ffi::PyMethodDef; 2] = [
        ffi::PyMethodDef {
            ml_name: c"tolist".as_ptr(),
            ml_meth: ffi::PyMethodDefPointer {
                PyCFunction: array_tolist,
            },
            ml_flags: ffi::METH_NOARGS,
            ml_doc: c"The elements as (nested) Python lists.".as_ptr(),
        },
        ffi::PyMethodDef::zeroed(),
    ];
    let mut slots = [
        slot(ffi::Py_tp_dealloc, array_dealloc as *mut c_void),
        slot(ffi::Py_tp_repr, array_repr as *mut c_void),
        slot(ffi::Py_tp_getset, (&raw mut GETSET).cast()),
        slot(ffi::Py_tp_methods, (&raw mut METHODS).cast()),
        slot(ffi::Py_bf_getbuffer, array_getbuffer as *mut c_void),
        slot(ffi::Py_mp_length, array_length as *mut c_void),
        slot(
            ffi::Py_tp_doc,
            c"An array a pyz3 plugin function returned: C-contiguous, writable, exported through \
              the buffer protocol (memoryview(a), numpy.asarray(a) share its memory)."
                .as_ptr() as *mut c_void,
        ),
        slot(0, ptr::null_mut()),
    ];
    let mut spec = ffi::PyType_Spec {
        name: c"pyz3.Array".as_ptr(),
        basicsize: HEADER as c_int,
        itemsize: 0,
        // Made only by pyz3_array_new: an instance needs its memory laid out by `new_array`.
        flags: (ffi::Py_TPFLAGS_DEFAULT | ffi::Py_TPFLAGS_DISALLOW_INSTANTIATION) as u32,
        slots: slots.as_mut_ptr(),
    };
    // SAFETY: GIL held; the spec is complete and copied by CPython.
    let tp = unsafe { Owned::new(ffi::PyType_FromSpec(&mut spec))? };
    // SAFETY: the runtime keeps one reference of its own until the interpreter goes.
    ARRAY_TYPE.store(
        unsafe { Owned::from_borrowed(tp.as_ptr()) }
            .into_raw()
            .cast(),
        Ordering::Release,
    );
    Ok(tp)
}

const fn getset(
    name: &'static core::ffi::CStr,
    get: Getter,
    doc: &'static core::ffi::CStr,
) -> ffi::PyGetSetDef {
    ffi::PyGetSetDef {
        name: name.as_ptr(),
        get: Some(get),
        set: None,
        doc: doc.as_ptr(),
        closure: ptr::null_mut(),
    }
}

fn slot(slot: c_int, pfunc: *mut c_void) -> ffi::PyType_Slot {
    ffi::PyType_Slot { slot, pfunc }
}

/// Forgets the type and cached numpy function when the interpreter finalises (they go with it).
pub fn forget() {
    ARRAY_TYPE.store(ptr::null_mut(), Ordering::Release);
    NUMPY_ASARRAY.store(ptr::null_mut(), Ordering::Release);
    NUMPY_API.store(ptr::null_mut(), Ordering::Release);
    NUMPY_API_TRIED.store(false, Ordering::Release);
}
