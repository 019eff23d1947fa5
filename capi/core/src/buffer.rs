//! capi/core/src/buffer.rs: buffer arguments (`PYZ3_T_BUFFER`) — a PEP 3118 view per call.
//!
//! A buffer argument becomes a `pyz3_buffer` in a per-call view slot (`views.rs`), checked
//! against the parameter's declared element type, dimensions and `PYZ3_BUF_*` requirements, and
//! released after the call. Every object goes through one admission check ([`admit`]), whichever
//! way its memory was found:
//!
//! * the generic path: `PyObject_GetBuffer` (`PyBUF_RECORDS_RO`, or `PyBUF_RECORDS` for a
//!   writable parameter), released with `PyBuffer_Release` — any exporter;
//! * fast paths (the `fast_paths` switch), for exact types whose layout this per-version runtime
//!   knows: `numpy.ndarray` (its public `PyArrayObject_fields` and the descriptor's `type_num`,
//!   stable across numpy 1.x and 2.x; held with a reference, as `PyObject_GetBuffer` would, and
//!   read without numpy's per-call buffer-info bookkeeping), `bytearray` (its export counter
//!   bumped exactly as `bytearray_getbuffer` does, so resizing it during the call raises
//!   `BufferError`) and `bytes` (immutable, borrowed like a `bytes` argument). Anything they do
//!   not handle (other dtypes, byte orders, more than four dimensions) takes the generic path.
//!
//! numpy is never imported here: its array type is recognised the first time one is passed
//! (by name, then confirmed against `sys.modules["numpy"].ndarray`) and remembered.

use core::ffi::{c_char, c_int, c_void, CStr};
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

use pyo3_ffi as ffi;

use crate::abi::*;
use crate::convert::{object_type_name, ConvError, ConvResult, Mismatch};
use crate::types::{Repr, TypeCode, TypeFacts, PYZ3_T_BYTES};
use crate::views::{CallViews, Release, ViewSlot};
use crate::{error, tls};

/// Dimensions whose shape and strides a fast path copies into the view slot; arrays with more
/// take the generic path, whose exporter keeps them.
const INLINE_DIMS: usize = 4;

/// A view slot's state for a buffer.
#[repr(C)]
struct BufferState {
    view: pyz3_buffer,
    pybuf: ffi::Py_buffer,
    shape: [usize; INLINE_DIMS],
    strides: [isize; INLINE_DIMS],
}

/// What `data` points to when an exporter gives NULL for an empty buffer: never NULL, aligned
/// for every element type.
static EMPTY: u64 = 0;

/// The size of one element of type `elem` as a buffer element (`PYZ3_T_BYTES`: a raw byte), or
/// `None` if `elem` cannot be a buffer's element type.
pub const fn elem_itemsize(elem: TypeCode) -> Option<usize> {
    match elem.info().repr {
        Repr::Int { bits, .. } | Repr::Float { bits } => Some(bits as usize / 8),
        Repr::Bool | Repr::Bytes => Some(1),
        _ => None,
    }
}

/// The load-time rule for a buffer parameter's facts (`pyz3_param.elem`, `type_flags`, `ndim`).
pub fn check_param_facts(elem: u8, type_flags: u8, ndim: u8) -> Result<TypeFacts, String> {
    let code = TypeCode::from_u8(elem)
        .filter(|&t| elem_itemsize(t).is_some())
        .ok_or_else(|| {
            format!(
                "elem {elem} is not a buffer element type (an integer, float or bool type code, \
                 or PYZ3_T_BYTES for any bytes-like object)"
            )
        })?;
    let known = PYZ3_BUF_WRITABLE | PYZ3_BUF_CONTIGUOUS;
    if type_flags & !known != 0 {
        return Err(format!(
            "unknown buffer type_flags bits {:#x}",
            type_flags & !known
        ));
    }
    if u32::from(ndim) > PYZ3_BUF_MAX_NDIM {
        return Err(format!(
            "ndim is {ndim}, more than PYZ3_BUF_MAX_NDIM ({PYZ3_BUF_MAX_NDIM})"
        ));
    }
    if code == TypeCode::Bytes && ndim > 1 {
        return Err(format!(
            "ndim is {ndim}, but a bytes-like buffer (elem PYZ3_T_BYTES) is always 1-D"
        ));
    }
    Ok(TypeFacts {
        elem: code,
        type_flags,
        ndim,
        class_index: 0,
    })
}

// ---- numpy ----------------------------------------------------------------------------------

/// `PyArrayObject_fields` up to `flags` (numpy's documented, stable array struct).
#[repr(C)]
struct NumpyArray {
    ob_base: ffi::PyObject,
    data: *mut c_char,
    nd: c_int,
    dimensions: *mut ffi::Py_ssize_t,
    strides: *mut ffi::Py_ssize_t,
    base: *mut ffi::PyObject,
    descr: *mut NumpyDescr,
    flags: c_int,
}

/// `PyArray_Descr` up to `type_num` (the same in numpy 1.x and 2.x).
#[repr(C)]
struct NumpyDescr {
    ob_base: ffi::PyObject,
    typeobj: *mut ffi::PyTypeObject,
    kind: c_char,
    type_: c_char,
    byteorder: c_char,
    flags: c_char,
    type_num: c_int,
}

const NPY_ARRAY_C_CONTIGUOUS: c_int = 0x0001;
const NPY_ARRAY_F_CONTIGUOUS: c_int = 0x0002;
const NPY_ARRAY_WRITEABLE: c_int = 0x0400;
const NPY_ARRAY_WARN_ON_WRITE: c_int = 1 << 31;

/// The registry element of a numpy `type_num` in native byte order, for the types it maps.
fn numpy_elem(type_num: c_int) -> Option<TypeCode> {
    let long_is_64 = core::mem::size_of::<core::ffi::c_long>() == 8;
    Some(match type_num {
        0 => TypeCode::Bool,
        1 => TypeCode::I8,
        2 => TypeCode::U8,
        3 => TypeCode::I16,
        4 => TypeCode::U16,
        5 => TypeCode::I32,
        6 => TypeCode::U32,
        7 if long_is_64 => TypeCode::I64,
        7 => TypeCode::I32,
        8 if long_is_64 => TypeCode::U64,
        8 => TypeCode::U32,
        9 => TypeCode::I64,
        10 => TypeCode::U64,
        11 => TypeCode::F32,
        12 => TypeCode::F64,
        _ => return None,
    })
}

/// numpy's array type once recognised (static in numpy's library, which is never unloaded).
static NDARRAY: AtomicPtr<ffi::PyTypeObject> = AtomicPtr::new(ptr::null_mut());
static ATEXIT_REGISTERED: AtomicBool = AtomicBool::new(false);

/// Forgets what was learnt about this interpreter (called when it finalises).
pub fn forget() {
    NDARRAY.store(ptr::null_mut(), Ordering::Release);
}

extern "C" fn forget_at_exit() {
    forget();
    ATEXIT_REGISTERED.store(false, Ordering::Release);
}

/// Is `tp` numpy's `ndarray`? Checked once: a static type named `numpy.ndarray` that
/// `sys.modules["numpy"].ndarray` is. Remembers the answer when it is yes.
#[cold]
#[inline(never)]
unsafe fn learn_ndarray(tp: *mut ffi::PyTypeObject) -> bool {
    // SAFETY: GIL held; `tp` is a live type.
    unsafe {
        if !NDARRAY.load(Ordering::Relaxed).is_null()
            // (tp_flags is atomic on free-threaded builds: read it through pyo3-ffi's accessor)
            || ffi::PyType_HasFeature(tp, ffi::Py_TPFLAGS_HEAPTYPE) != 0
            || CStr::from_ptr((*tp).tp_name).to_bytes() != b"numpy.ndarray"
            || ((*tp).tp_basicsize as usize) < core::mem::size_of::<NumpyArray>()
        {
            return false;
        }
        let name = ffi::PyUnicode_FromString(c"numpy".as_ptr());
        if name.is_null() {
            ffi::PyErr_Clear();
            return false;
        }
        // Only an imported numpy: recognising its arrays never imports it.
        let numpy = ffi::PyImport_GetModule(name);
        ffi::Py_DECREF(name);
        if numpy.is_null() {
            ffi::PyErr_Clear();
            return false;
        }
        let nd = ffi::PyObject_GetAttrString(numpy, c"ndarray".as_ptr());
        ffi::Py_DECREF(numpy);
        if nd.is_null() {
            ffi::PyErr_Clear();
            return false;
        }
        let same = nd == tp.cast();
        ffi::Py_DECREF(nd);
        if same {
            if !ATEXIT_REGISTERED.swap(true, Ordering::AcqRel) {
                ffi::Py_AtExit(Some(forget_at_exit));
            }
            NDARRAY.store(tp, Ordering::Release);
        }
        same
    }
}

// ---- admission ----------------------------------------------------------------------------------

/// An exporter's memory, before it is checked against a parameter.
struct Found {
    data: *mut c_void,
    ndim: usize,
    shape: *const usize,
    strides: *const isize,
    itemsize: usize,
    /// The element type the exporter's format names, if it is a registry element.
    elem: Option<TypeCode>,
    readonly: bool,
    obj: *mut ffi::PyObject,
}

/// Checks `found` against the parameter's facts and fills `st.view`, in the order the error
/// messages promise: element type, dimensions, writability, contiguity, alignment.
///
/// # Safety
/// `found`'s pointers are valid for `ndim` entries; `st` is a buffer slot (its `shape` and
/// `strides` may be what `found` points to).
#[inline(always)]
unsafe fn admit(found: &Found, facts: &TypeFacts, st: *mut BufferState) -> Result<(), Mismatch> {
    let bytes = facts.elem == TypeCode::Bytes;
    if !bytes && found.elem != Some(facts.elem) {
        return Err(Mismatch::Elem);
    }
    if !bytes && facts.ndim != 0 && found.ndim != facts.ndim as usize {
        return Err(Mismatch::Ndim(found.ndim.min(255) as u8));
    }
    if facts.type_flags & PYZ3_BUF_WRITABLE != 0 && found.readonly {
        return Err(Mismatch::ReadOnly);
    }
    // SAFETY: per the contract.
    unsafe {
        let mut len = 1usize;
        for i in 0..found.ndim {
            len = len.wrapping_mul(*found.shape.add(i));
        }
        let mut contiguous = true;
        if len != 0 {
            let mut expected = found.itemsize as isize;
            for i in (0..found.ndim).rev() {
                let n = *found.shape.add(i);
                if n != 1 && *found.strides.add(i) != expected {
                    contiguous = false;
                    break;
                }
                expected = expected.wrapping_mul(n as isize);
            }
        }
        if !contiguous && (bytes || facts.type_flags & PYZ3_BUF_CONTIGUOUS != 0) {
            return Err(Mismatch::NotContiguous);
        }
        let data = if found.data.is_null() {
            (&raw const EMPTY).cast_mut().cast()
        } else {
            found.data
        };
        let v = &raw mut (*st).view;
        if bytes {
            let nbytes = len.wrapping_mul(found.itemsize);
            (*st).shape[0] = nbytes;
            (*st).strides[0] = 1;
            v.write(pyz3_buffer {
                data,
                len: nbytes,
                shape: (*st).shape.as_ptr(),
                strides: (*st).strides.as_ptr(),
                itemsize: 1,
                obj: found.obj,
                ndim: 1,
                elem: PYZ3_T_BYTES,
                readonly: found.readonly,
                contiguous: true,
                reserved: 0,
            });
            return Ok(());
        }
        let align = found.itemsize;
        if align > 1 && len != 0 {
            let mut bits = data as usize;
            for i in 0..found.ndim {
                if *found.shape.add(i) > 1 {
                    bits |= *found.strides.add(i) as usize;
                }
            }
            if bits & (align - 1) != 0 {
                return Err(Mismatch::Misaligned);
            }
        }
        v.write(pyz3_buffer {
            data,
            len,
            shape: found.shape,
            strides: found.strides,
            itemsize: found.itemsize,
            obj: found.obj,
            ndim: found.ndim as u8,
            elem: facts.elem as u8,
            readonly: found.readonly,
            contiguous,
            reserved: 0,
        });
    }
    Ok(())
}

/// The element type a PEP 3118 format string names, when it is a registry element type in
/// native byte order whose size agrees with the exporter's `itemsize`.
pub fn elem_of_format(format: &[u8], itemsize: usize) -> Option<TypeCode> {
    let little = cfg!(target_endian = "little");
    let (native_sizes, native_order, code) = match format {
        [c] | [b'@', c] => (true, true, *c),
        [b'=', c] => (false, true, *c),
        [b'<', c] => (false, little, *c),
        [b'>', c] | [b'!', c] => (false, !little, *c),
        _ => return None,
    };
    use core::mem::size_of;
    let (ty, size) = match code {
        b'b' => (TypeCode::I8, 1),
        b'B' => (TypeCode::U8, 1),
        b'?' => (TypeCode::Bool, 1),
        b'h' => (TypeCode::I16, 2),
        b'H' => (TypeCode::U16, 2),
        b'i' => (TypeCode::I32, 4),
        b'I' => (TypeCode::U32, 4),
        b'l' | b'L' if native_sizes => {
            let n = size_of::<core::ffi::c_long>();
            let signed = code == b'l';
            (int_code(n, signed)?, n)
        }
        b'l' => (TypeCode::I32, 4),
        b'L' => (TypeCode::U32, 4),
        b'q' => (TypeCode::I64, 8),
        b'Q' => (TypeCode::U64, 8),
        b'n' if native_sizes => (int_code(size_of::<isize>(), true)?, size_of::<isize>()),
        b'N' if native_sizes => (int_code(size_of::<usize>(), false)?, size_of::<usize>()),
        b'f' => (TypeCode::F32, 4),
        b'd' => (TypeCode::F64, 8),
        _ => return None,
    };
    (size == itemsize && (native_order || size == 1)).then_some(ty)
}

fn int_code(size: usize, signed: bool) -> Option<TypeCode> {
    Some(match (size, signed) {
        (4, true) => TypeCode::I32,
        (4, false) => TypeCode::U32,
        (8, true) => TypeCode::I64,
        (8, false) => TypeCode::U64,
        _ => return None,
    })
}

// ---- conversion ---------------------------------------------------------------------------------

unsafe fn release_pybuf(state: *mut c_void) {
    // SAFETY: a committed generic view holds a Py_buffer from PyObject_GetBuffer; GIL held.
    unsafe { ffi::PyBuffer_Release(&raw mut (*(state as *mut BufferState)).pybuf) }
}

unsafe fn release_reference(state: *mut c_void) {
    // SAFETY: a committed numpy view holds a reference to its array; GIL held.
    unsafe { ffi::Py_DECREF((*(state as *mut BufferState)).view.obj) }
}

unsafe fn release_bytearray(state: *mut c_void) {
    // SAFETY: a committed bytearray view bumped the object's export count; GIL held.
    unsafe {
        let b = (*(state as *mut BufferState)).view.obj as *mut ffi::PyByteArrayObject;
        (*b).ob_exports -= 1;
    }
}

/// Converts `op` to a buffer view for a parameter with `facts`, in the next slot of `views`,
/// and points `out.buf` at it.
///
/// # Safety
/// GIL held; `op` valid and kept alive by the caller for the call; `out` writable.
#[inline(always)]
pub unsafe fn to_view(
    op: *mut ffi::PyObject,
    facts: &TypeFacts,
    out: *mut pyz3_value,
    views: &mut CallViews,
    fast: bool,
) -> ConvResult<()> {
    let slot = views.slot();
    let st = ViewSlot::state::<BufferState>(slot);
    // SAFETY: GIL held; `st` is this call's slot.
    unsafe {
        let release = match fast_view(op, facts, st, fast) {
            Fast::Done(release) => release,
            Fast::Mismatch(m) => return Err(ConvError::Mismatch(m)),
            Fast::Generic => generic_view(op, facts, st)?,
        };
        (*out).buf = &raw mut (*st).view;
        views.commit(release);
    }
    Ok(())
}

/// What a fast path made of an argument.
enum Fast {
    /// Admitted, to be released with this hook.
    Done(Option<Release>),
    /// Refused, with the reason the generic path would give.
    Mismatch(Mismatch),
    /// Not handled here: take the generic path.
    Generic,
}

#[inline(always)]
unsafe fn fast_view(
    op: *mut ffi::PyObject,
    facts: &TypeFacts,
    st: *mut BufferState,
    fast: bool,
) -> Fast {
    if !fast {
        return Fast::Generic;
    }
    // SAFETY: GIL held; each branch reads the layout of the exact type it checked.
    unsafe {
        let tp = ffi::Py_TYPE(op);
        let numpy = NDARRAY.load(Ordering::Relaxed);
        if tp == numpy {
            return numpy_view(op, facts, st);
        }
        if tp == &raw mut ffi::PyByteArray_Type {
            let b = op as *mut ffi::PyByteArrayObject;
            (*st).shape[0] = ffi::Py_SIZE(op) as usize;
            (*st).strides[0] = 1;
            let found = Found {
                data: (*b).ob_start.cast(),
                ndim: 1,
                shape: (*st).shape.as_ptr(),
                strides: (*st).strides.as_ptr(),
                itemsize: 1,
                elem: Some(TypeCode::U8),
                readonly: false,
                obj: op,
            };
            return match admit(&found, facts, st) {
                Ok(()) => {
                    (*b).ob_exports += 1;
                    Fast::Done(Some(release_bytearray))
                }
                Err(m) => Fast::Mismatch(m),
            };
        }
        if tp == &raw mut ffi::PyBytes_Type {
            let b = op as *mut ffi::PyBytesObject;
            (*st).shape[0] = ffi::Py_SIZE(op) as usize;
            (*st).strides[0] = 1;
            let found = Found {
                data: (&raw mut (*b).ob_sval).cast(),
                ndim: 1,
                shape: (*st).shape.as_ptr(),
                strides: (*st).strides.as_ptr(),
                itemsize: 1,
                elem: Some(TypeCode::U8),
                readonly: true,
                obj: op,
            };
            return match admit(&found, facts, st) {
                Ok(()) => Fast::Done(None),
                Err(m) => Fast::Mismatch(m),
            };
        }
        if numpy.is_null() && learn_ndarray(tp) {
            return numpy_view(op, facts, st);
        }
        Fast::Generic
    }
}

#[inline(always)]
unsafe fn numpy_view(op: *mut ffi::PyObject, facts: &TypeFacts, st: *mut BufferState) -> Fast {
    // SAFETY: `op` is an exact numpy.ndarray, whose struct starts as NumpyArray; GIL held.
    unsafe {
        let a = op as *const NumpyArray;
        let nd = (*a).nd as usize;
        let descr = (*a).descr;
        let order = (*descr).byteorder as u8;
        let native = order == b'='
            || order == b'|'
            || order
                == if cfg!(target_endian = "little") {
                    b'<'
                } else {
                    b'>'
                };
        let flags = (*a).flags;
        if nd > INLINE_DIMS || !native || flags & NPY_ARRAY_WARN_ON_WRITE != 0 {
            return Fast::Generic;
        }
        let Some(elem) = numpy_elem((*descr).type_num) else {
            return Fast::Generic;
        };
        let itemsize = elem_itemsize(elem).unwrap_or(1);
        for i in 0..nd {
            (*st).shape[i] = *(*a).dimensions.add(i) as usize;
            (*st).strides[i] = *(*a).strides.add(i);
        }
        // numpy keeps arbitrary strides for extents of 0 or 1 in a contiguous array, and its
        // buffer export writes the canonical ones instead; so do we, to give the same view.
        if flags & (NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_F_CONTIGUOUS) != 0 {
            let mut step = itemsize as isize;
            let c = flags & NPY_ARRAY_C_CONTIGUOUS != 0;
            for k in 0..nd {
                let i = if c { nd - 1 - k } else { k };
                (*st).strides[i] = step;
                step = step.wrapping_mul((*st).shape[i] as isize);
            }
        }
        let found = Found {
            data: (*a).data.cast(),
            ndim: nd,
            shape: (*st).shape.as_ptr(),
            strides: (*st).strides.as_ptr(),
            itemsize,
            elem: Some(elem),
            readonly: flags & NPY_ARRAY_WRITEABLE == 0,
            obj: op,
        };
        match admit(&found, facts, st) {
            Ok(()) => {
                ffi::Py_INCREF(op);
                Fast::Done(Some(release_reference))
            }
            Err(m) => Fast::Mismatch(m),
        }
    }
}

/// The buffer protocol: any exporter.
#[inline(never)]
unsafe fn generic_view(
    op: *mut ffi::PyObject,
    facts: &TypeFacts,
    st: *mut BufferState,
) -> ConvResult<Option<Release>> {
    // SAFETY: GIL held; `st.pybuf` is released on every path once GetBuffer filled it.
    unsafe {
        if ffi::PyObject_CheckBuffer(op) == 0 {
            return Err(ConvError::WrongType);
        }
        let pybuf = &raw mut (*st).pybuf;
        let writable = facts.type_flags & PYZ3_BUF_WRITABLE != 0;
        let mut failure = ptr::null_mut();
        if writable && ffi::PyObject_GetBuffer(op, pybuf, ffi::PyBUF_RECORDS) < 0 {
            // Why not writable? Ask for a read-only view to tell a read-only or mismatched
            // object (our message) from an exporter's own failure (its exception).
            failure = error::fetch();
        }
        if (!writable || !failure.is_null())
            && ffi::PyObject_GetBuffer(op, pybuf, ffi::PyBUF_RECORDS_RO) < 0
        {
            if !failure.is_null() {
                ffi::Py_DECREF(failure);
            }
            tls::note_error();
            return Err(ConvError::Raised);
        }
        let outcome = admit_pybuf(op, facts, st);
        match (outcome, failure.is_null()) {
            (Ok(()), true) => Ok(Some(release_pybuf as Release)),
            (Ok(()), false) => {
                // Writable and matching by the read-only view, yet the writable request failed:
                // the exporter's reason stands.
                ffi::PyBuffer_Release(pybuf);
                error::restore(failure);
                tls::note_error();
                Err(ConvError::Raised)
            }
            (Err(e), _) => {
                ffi::PyBuffer_Release(pybuf);
                if !failure.is_null() {
                    ffi::Py_DECREF(failure);
                }
                Err(e)
            }
        }
    }
}

/// [`admit`] for a filled `st.pybuf`.
unsafe fn admit_pybuf(
    op: *mut ffi::PyObject,
    facts: &TypeFacts,
    st: *mut BufferState,
) -> ConvResult<()> {
    // SAFETY: `st.pybuf` was filled by a successful PyObject_GetBuffer; GIL held.
    unsafe {
        let b = &(*st).pybuf;
        let itemsize = b.itemsize.max(0) as usize;
        let ndim = b.ndim.max(0) as usize;
        let format = if b.format.is_null() {
            &b"B"[..]
        } else {
            CStr::from_ptr(b.format).to_bytes()
        };
        let shape: *const usize = if !b.shape.is_null() {
            b.shape.cast()
        } else if ndim <= 1 {
            (*st).shape[0] = (b.len as usize).checked_div(itemsize).unwrap_or(0);
            (*st).shape.as_ptr()
        } else {
            return exporter_error(op, "gave no shape");
        };
        let strides: *const isize = if !b.strides.is_null() {
            b.strides.cast()
        } else if ndim <= INLINE_DIMS {
            let mut step = itemsize as isize;
            for i in (0..ndim).rev() {
                (*st).strides[i] = step;
                step = step.wrapping_mul(*shape.add(i) as isize);
            }
            (*st).strides.as_ptr()
        } else {
            return exporter_error(op, "gave no strides");
        };
        let found = Found {
            data: b.buf,
            ndim,
            shape,
            strides,
            itemsize,
            elem: elem_of_format(format, itemsize),
            readonly: b.readonly != 0,
            obj: op,
        };
        admit(&found, facts, st).map_err(ConvError::Mismatch)
    }
}

#[cold]
unsafe fn exporter_error(op: *mut ffi::PyObject, what: &str) -> ConvResult<()> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let msg = format!(
            "the buffer of {} {what} for a PyBUF_RECORDS request",
            object_type_name(op)
        );
        error::raise_str(ffi::PyExc_BufferError, &msg);
    }
    Err(ConvError::Raised)
}

// ---- messages -----------------------------------------------------------------------------------

/// What a parameter with `facts` accepts, as a message says it: "a float64 buffer",
/// "a writable bytes-like object".
pub fn expected_text(facts: &TypeFacts, with_writable: bool) -> String {
    let w = if with_writable && facts.type_flags & PYZ3_BUF_WRITABLE != 0 {
        "writable "
    } else {
        ""
    };
    if facts.elem == TypeCode::Bytes {
        format!("a {w}bytes-like object")
    } else {
        format!("a {w}{} buffer", facts.elem.name())
    }
}

/// The element type of `op`'s buffer as a message names it ("int32", "a buffer of format 'Zd'").
unsafe fn given_elem_text(op: *mut ffi::PyObject) -> String {
    // SAFETY: GIL held by the caller; the view is released before returning.
    unsafe {
        let mut b = ffi::Py_buffer::new();
        if ffi::PyObject_GetBuffer(op, &mut b, ffi::PyBUF_RECORDS_RO) < 0 {
            ffi::PyErr_Clear();
            return object_type_name(op);
        }
        let format = if b.format.is_null() {
            "B".to_owned()
        } else {
            CStr::from_ptr(b.format).to_string_lossy().into_owned()
        };
        let text = match elem_of_format(format.as_bytes(), b.itemsize.max(0) as usize) {
            Some(t) => t.name().to_owned(),
            None => format!("a buffer of format '{format}'"),
        };
        ffi::PyBuffer_Release(&mut b);
        text
    }
}

/// Sets the exception for a buffer argument `op` that `facts` refused. `what` names the
/// argument ("scale() argument 'x'"). Does nothing for `ConvError::Raised`.
///
/// # Safety
/// GIL held; `op` a valid object.
#[cold]
pub unsafe fn raise_mismatch(
    err: ConvError,
    facts: &TypeFacts,
    op: *mut ffi::PyObject,
    what: &str,
) {
    // SAFETY: GIL held by the caller.
    unsafe {
        let tname = object_type_name(op);
        let (exc, msg) = match err {
            ConvError::Raised => return,
            // Element and key errors are the container types' (a buffer never reports them).
            ConvError::WrongType
            | ConvError::OutOfRange
            | ConvError::Element { .. }
            | ConvError::Key { .. } => (
                ffi::PyExc_TypeError,
                format!("{what} must be {}, not {tname}", expected_text(facts, true)),
            ),
            ConvError::Mismatch(Mismatch::Elem) => (
                ffi::PyExc_TypeError,
                format!(
                    "{what} must be {}, not {}",
                    expected_text(facts, false),
                    given_elem_text(op)
                ),
            ),
            ConvError::Mismatch(Mismatch::ReadOnly) => (
                ffi::PyExc_TypeError,
                format!(
                    "{what} must be {}, not a read-only {tname}",
                    expected_text(facts, true)
                ),
            ),
            ConvError::Mismatch(Mismatch::Ndim(given)) => (
                ffi::PyExc_ValueError,
                format!(
                    "{what} must be a {}-D {} buffer, not {given}-D",
                    facts.ndim,
                    facts.elem.name()
                ),
            ),
            ConvError::Mismatch(Mismatch::NotContiguous) => (
                ffi::PyExc_ValueError,
                format!("{what} must be C-contiguous, not a strided {tname}"),
            ),
            ConvError::Mismatch(Mismatch::Misaligned) => (
                ffi::PyExc_ValueError,
                format!(
                    "{what} must be aligned to its {} elements ({} bytes), not a misaligned {tname}",
                    facts.elem.name(),
                    elem_itemsize(facts.elem).unwrap_or(1)
                ),
            ),
        };
        error::raise_str(exc, &msg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{PYZ3_T_F64, PYZ3_T_STR};

    #[test]
    fn formats_map_to_registry_elements_in_native_order() {
        assert_eq!(elem_of_format(b"d", 8), Some(TypeCode::F64));
        assert_eq!(elem_of_format(b"@d", 8), Some(TypeCode::F64));
        assert_eq!(elem_of_format(b"<d", 8), Some(TypeCode::F64));
        assert_eq!(elem_of_format(b">d", 8), None);
        assert_eq!(elem_of_format(b">B", 1), Some(TypeCode::U8));
        assert_eq!(elem_of_format(b"l", 8), Some(TypeCode::I64));
        assert_eq!(elem_of_format(b"<l", 4), Some(TypeCode::I32));
        assert_eq!(elem_of_format(b"q", 8), Some(TypeCode::I64));
        assert_eq!(elem_of_format(b"?", 1), Some(TypeCode::Bool));
        assert_eq!(elem_of_format(b"Zd", 16), None);
        assert_eq!(elem_of_format(b"e", 2), None);
        assert_eq!(elem_of_format(b"d", 4), None, "itemsize must agree");
        assert_eq!(elem_of_format(b"", 1), None);
    }

    #[test]
    fn facts_are_checked_at_load_time() {
        assert!(check_param_facts(PYZ3_T_F64, PYZ3_BUF_WRITABLE, 1).is_ok());
        assert!(check_param_facts(PYZ3_T_BYTES, 0, 0).is_ok());
        assert!(check_param_facts(PYZ3_T_BYTES, 0, 2).is_err());
        assert!(check_param_facts(PYZ3_T_STR, 0, 1).is_err());
        assert!(check_param_facts(0, 0, 1).is_err());
        assert!(check_param_facts(PYZ3_T_F64, 0x80, 1).is_err());
        assert!(check_param_facts(PYZ3_T_F64, 0, 65).is_err());
    }

    #[test]
    fn numpy_type_numbers_name_their_widths() {
        assert_eq!(numpy_elem(12), Some(TypeCode::F64));
        assert_eq!(numpy_elem(0), Some(TypeCode::Bool));
        assert_eq!(numpy_elem(13), None);
    }
}
