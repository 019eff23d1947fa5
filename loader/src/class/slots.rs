//! loader/src/class/slots.rs: what CPython calls on a class — method trampolines, property
//! accessors, special-method slots, `__reduce__`, `__call__`.
//!
//! An instance method is a `PyMethodDef` in `tp_methods`, so `obj.m(...)` is CPython's own
//! specialised method-descriptor call. `METH_FASTCALL` hands the C function only the instance, so
//! each method's `ml_meth` is the trampoline for its position `K` ([`METHODS`], one per index):
//! it finds the method's [`Function`] as `class.methods[K]` from the instance's class pointer —
//! two loads — and continues in the function's own (shape-specialised) body with the instance as
//! receiver. Every other slot finds its function the same way, or from its closure.

use core::ffi::{c_int, c_void};
use core::ptr;

use pyo3_ffi as ffi;
use pyz3_core::abi::PYZ3_MAX_METHODS;
use pyz3_core::convert::ConvError;
use pyz3_core::owned::Owned;
use pyz3_core::panic::guard;
use pyz3_core::types::TypeCode;
use pyz3_core::{error, opts};

use super::instance::{raise_not_ready, Instance};
use super::{ClassData, Property, Specials};
use crate::function::{self, call_with_receiver, convert_arg, Function};

/// The most instance methods a class may have (each index has its trampoline).
pub(crate) const MAX_METHODS: usize = PYZ3_MAX_METHODS as usize;

/// The class of an instance whose state is made; `None` (with the error raised) otherwise.
#[inline(always)]
unsafe fn made_class(slf: *mut ffi::PyObject) -> Option<&'static ClassData> {
    // SAFETY: `slf` is an instance of one of our classes (CPython checked the descriptor's
    // type, or the slot belongs to the type).
    unsafe {
        let class = (*(slf as *mut Instance)).class;
        if class.is_null() {
            guard((), || raise_not_ready(slf));
            return None;
        }
        Some(&*class)
    }
}

/// The error of a method called on an instance whose state was not made.
#[cold]
#[inline(never)]
unsafe fn not_ready(slf: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: GIL held (called from a method trampoline).
    guard((), || unsafe { raise_not_ready(slf) });
    ptr::null_mut()
}

unsafe extern "C" fn method_kw<const K: usize>(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython's METH_FASTCALL | METH_KEYWORDS contract; method K exists in the class
    // (this trampoline is only in the PyMethodDef of method K). Ends in a tail call into the
    // method's own body, which runs inside the panic boundary.
    unsafe {
        let class = (*(slf as *mut Instance)).class;
        if class.is_null() {
            return not_ready(slf);
        }
        let f = &*(*class).methods_ptr.get().add(K);
        (f.method_entry)(f, slf, args, nargs, kwnames)
    }
}

unsafe extern "C" fn method_fast<const K: usize>(
    slf: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    // SAFETY: as in `method_kw`, without keywords.
    unsafe { method_kw::<K>(slf, args as *const _, nargs, ptr::null_mut()) }
}

type Trampolines = (ffi::PyCFunctionFastWithKeywords, ffi::PyCFunctionFast);

macro_rules! trampolines {
    ($($k:literal)*) => {
        [$((method_kw::<$k> as ffi::PyCFunctionFastWithKeywords, method_fast::<$k> as ffi::PyCFunctionFast),)*]
    };
}

/// The trampoline of the method at each position, in both calling conventions.
static METHODS: [Trampolines; MAX_METHODS] = trampolines!(
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23
    24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47
    48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69 70 71
    72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 92 93 94 95
    96 97 98 99 100 101 102 103 104 105 106 107 108 109 110 111 112 113 114 115 116 117 118 119
    120 121 122 123 124 125 126 127 128 129 130 131 132 133 134 135 136 137 138 139 140 141 142 143
    144 145 146 147 148 149 150 151 152 153 154 155 156 157 158 159 160 161 162 163 164 165 166 167
    168 169 170 171 172 173 174 175 176 177 178 179 180 181 182 183 184 185 186 187 188 189 190 191
    192 193 194 195 196 197 198 199 200 201 202 203 204 205 206 207 208 209 210 211 212 213 214 215
    216 217 218 219 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239
    240 241 242 243 244 245 246 247 248 249 250 251 252 253 254 255
);

/// The `PyMethodDef` of instance method `k` of a class.
pub(crate) fn method_def(k: usize, f: &Function) -> ffi::PyMethodDef {
    let (kw, fast) = METHODS[k];
    f.method_def_with(kw, fast)
}

/// `tp_methods[-1]`: never called (it is not in the table CPython reads).
pub(crate) unsafe extern "C" fn never_called(
    _slf: *mut ffi::PyObject,
    _arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    ptr::null_mut()
}

// ---- properties -------------------------------------------------------------------------------

/// The getset accessors of a property: monomorphised for its value type where it is a common
/// one (function/special.rs), like the functions' trampolines.
pub(crate) fn property_accessors(p: &Property) -> (ffi::getter, Option<ffi::setter>) {
    (
        function::getter_for(&p.getter),
        p.setter.as_ref().map(function::setter_for),
    )
}

// ---- special methods --------------------------------------------------------------------------

/// The special method `pick` of the instance's class, if its state is made.
#[inline(always)]
unsafe fn special(
    slf: *mut ffi::PyObject,
    pick: fn(&Specials) -> Option<&Function>,
) -> Option<&'static Function> {
    // SAFETY: forwarded.
    let class = unsafe { made_class(slf)? };
    class.specials.get().and_then(pick)
}

/// Calls a special method with positional arguments.
#[inline(always)]
unsafe fn call_special(
    slf: *mut ffi::PyObject,
    pick: fn(&Specials) -> Option<&Function>,
    args: &[*mut ffi::PyObject],
) -> *mut ffi::PyObject {
    // SAFETY: forwarded.
    unsafe {
        match special(slf, pick) {
            Some(f) => call_with_receiver(f, slf, args.as_ptr(), args.len()),
            None => missing(slf),
        }
    }
}

#[cold]
unsafe fn missing(slf: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: GIL held; an exception is set when the state is not made.
    unsafe {
        if !error::occurred() {
            error::raise_str(
                ffi::PyExc_SystemError,
                "pyz3: a special method slot without its method",
            );
        }
        let _ = slf;
    }
    ptr::null_mut()
}

unsafe extern "C" fn slot_repr(slf: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: a slot of our type. An instance whose state is not made shows object's repr.
    unsafe {
        if (*(slf as *mut Instance)).class.is_null() {
            return ffi::PyBaseObject_Type
                .tp_repr
                .map_or(ptr::null_mut(), |r| r(slf));
        }
        call_special(slf, |s| s.repr.as_ref(), &[])
    }
}

unsafe extern "C" fn slot_str(slf: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: as in `slot_repr`.
    unsafe {
        if (*(slf as *mut Instance)).class.is_null() {
            return ffi::PyObject_Repr(slf);
        }
        call_special(slf, |s| s.str.as_ref(), &[])
    }
}

/// An integer result as `Py_ssize_t` (`len`, `hash`); -1 with an exception on failure.
unsafe fn ssize_result(r: *mut ffi::PyObject) -> ffi::Py_ssize_t {
    // SAFETY: GIL held; `r` a new reference or NULL.
    unsafe {
        if r.is_null() {
            return -1;
        }
        let v = ffi::PyLong_AsSsize_t(r);
        ffi::Py_DECREF(r);
        v
    }
}

unsafe extern "C" fn slot_len(slf: *mut ffi::PyObject) -> ffi::Py_ssize_t {
    // SAFETY: a slot of our type.
    unsafe {
        let n = ssize_result(call_special(slf, |s| s.len.as_ref(), &[]));
        if n < 0 && !error::occurred() {
            return guard(-1, || {
                error::raise_str(ffi::PyExc_ValueError, "__len__() should return >= 0");
                -1
            });
        }
        n
    }
}

unsafe extern "C" fn slot_hash(slf: *mut ffi::PyObject) -> ffi::Py_hash_t {
    // SAFETY: a slot of our type; an int's hash folds any value into Py_hash_t (and maps -1).
    unsafe {
        let r = call_special(slf, |s| s.hash.as_ref(), &[]);
        if r.is_null() {
            return -1;
        }
        let h = ffi::PyObject_Hash(r);
        ffi::Py_DECREF(r);
        h
    }
}

/// A `bool` result as a C truth value; -1 with an exception on failure.
unsafe fn truth(r: *mut ffi::PyObject) -> c_int {
    // SAFETY: GIL held; `r` a new reference to a bool, or NULL.
    unsafe {
        if r.is_null() {
            return -1;
        }
        let t = c_int::from(r == ffi::Py_True());
        ffi::Py_DECREF(r);
        t
    }
}

unsafe extern "C" fn slot_bool(slf: *mut ffi::PyObject) -> c_int {
    // SAFETY: a slot of our type.
    unsafe { truth(call_special(slf, |s| s.bool_.as_ref(), &[])) }
}

unsafe extern "C" fn slot_contains(slf: *mut ffi::PyObject, key: *mut ffi::PyObject) -> c_int {
    // SAFETY: a slot of our type.
    unsafe { truth(call_special(slf, |s| s.contains.as_ref(), &[key])) }
}

unsafe extern "C" fn slot_richcompare(
    slf: *mut ffi::PyObject,
    other: *mut ffi::PyObject,
    op: c_int,
) -> *mut ffi::PyObject {
    // SAFETY: a slot of our type. Only == and != are defined; an operand the parameter does not
    // accept compares as NotImplemented (so Python tries the other side, then identity).
    unsafe {
        let not_implemented = || {
            let n = ffi::Py_NotImplemented();
            ffi::Py_INCREF(n);
            n
        };
        if (op != ffi::Py_EQ && op != ffi::Py_NE) || (*(slf as *mut Instance)).class.is_null() {
            return not_implemented();
        }
        let Some(eq) = special(slf, |s| s.eq.as_ref()) else {
            return not_implemented();
        };
        let mut scratch = pyz3_core::abi::pyz3_value::ZERO;
        let accepts = eq.param_type(0) == TypeCode::Object
            || match convert_arg(
                eq,
                0,
                eq.param_type(0),
                other,
                &mut scratch,
                opts::fast_paths(),
            ) {
                Ok(()) => true,
                Err(ConvError::Raised) => return ptr::null_mut(),
                Err(_) => false,
            };
        if !accepts {
            return not_implemented();
        }
        let t = truth(call_with_receiver(eq, slf, &other, 1));
        if t < 0 {
            return ptr::null_mut();
        }
        let equal = t == 1;
        let result = if op == ffi::Py_EQ { equal } else { !equal };
        let b = if result {
            ffi::Py_True()
        } else {
            ffi::Py_False()
        };
        ffi::Py_INCREF(b);
        b
    }
}

unsafe extern "C" fn slot_iter(slf: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: a slot of our type.
    unsafe { call_special(slf, |s| s.iter.as_ref(), &[]) }
}

unsafe extern "C" fn slot_iternext(slf: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: a slot of our type. PYZ3_RETURN_NONE from `__next__` is NULL without an
    // exception: the end of the iteration.
    unsafe { call_special(slf, |s| s.next.as_ref(), &[]) }
}

unsafe extern "C" fn slot_getitem(
    slf: *mut ffi::PyObject,
    key: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: a slot of our type.
    unsafe { call_special(slf, |s| s.getitem.as_ref(), &[key]) }
}

/// `sq_item` for a `__getitem__` taking an integer: what iteration without `__iter__` (and
/// `PySequence_GetItem`) calls, as for a Python class.
unsafe extern "C" fn slot_sq_item(
    slf: *mut ffi::PyObject,
    i: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    // SAFETY: a slot of our type.
    unsafe {
        let key = ffi::PyLong_FromSsize_t(i);
        if key.is_null() {
            return key;
        }
        let r = call_special(slf, |s| s.getitem.as_ref(), &[key]);
        ffi::Py_DECREF(key);
        r
    }
}

/// The instance's vectorcall (classes with `__call__`).
pub(crate) unsafe extern "C" fn instance_call(
    callable: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython's vectorcall contract; `callable` is an instance of a class with
    // `__call__`.
    unsafe {
        match special(callable, |s| s.call.as_ref()) {
            Some(f) => {
                (f.method_entry)(f, callable, args, ffi::PyVectorcall_NARGS(nargsf), kwnames)
            }
            None => missing(callable),
        }
    }
}

fn slot(slot: c_int, pfunc: *mut c_void) -> ffi::PyType_Slot {
    ffi::PyType_Slot { slot, pfunc }
}

/// The slots of the special methods a class defines.
pub(crate) fn special_slots(specials: Option<&Specials>, out: &mut Vec<ffi::PyType_Slot>) {
    let Some(s) = specials else {
        return;
    };
    let int_key = s
        .getitem
        .as_ref()
        .is_some_and(|f| f.param_type(0).int_range().is_some());
    let table: [(bool, c_int, *mut c_void); 12] = [
        (s.repr.is_some(), ffi::Py_tp_repr, slot_repr as *mut c_void),
        (s.str.is_some(), ffi::Py_tp_str, slot_str as *mut c_void),
        (s.len.is_some(), ffi::Py_mp_length, slot_len as *mut c_void),
        (s.len.is_some(), ffi::Py_sq_length, slot_len as *mut c_void),
        (s.bool_.is_some(), ffi::Py_nb_bool, slot_bool as *mut c_void),
        (
            s.eq.is_some(),
            ffi::Py_tp_richcompare,
            slot_richcompare as *mut c_void,
        ),
        (s.iter.is_some(), ffi::Py_tp_iter, slot_iter as *mut c_void),
        (
            s.next.is_some(),
            ffi::Py_tp_iternext,
            slot_iternext as *mut c_void,
        ),
        (
            s.getitem.is_some(),
            ffi::Py_mp_subscript,
            slot_getitem as *mut c_void,
        ),
        (int_key, ffi::Py_sq_item, slot_sq_item as *mut c_void),
        (
            s.contains.is_some(),
            ffi::Py_sq_contains,
            slot_contains as *mut c_void,
        ),
        (
            s.hash.is_some() || s.eq.is_some(),
            ffi::Py_tp_hash,
            if s.hash.is_some() {
                slot_hash as *mut c_void
            } else {
                // __eq__ without __hash__: unhashable, as in Python.
                ffi::PyObject_HashNotImplemented as *mut c_void
            },
        ),
    ];
    for (present, id, f) in table {
        if present {
            out.push(slot(id, f));
        }
    }
}

// ---- pickling ---------------------------------------------------------------------------------

/// `__reduce__` of a class with pickling hooks: by reference to the plugin's path, like
/// functions, with the exported state (pyz3/__init__.py restores it).
unsafe extern "C" fn reduce(
    slf: *mut ffi::PyObject,
    _arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: METH_NOARGS on an instance of our class.
    unsafe {
        let Some(class) = made_class(slf) else {
            return ptr::null_mut();
        };
        guard(ptr::null_mut(), || {
            reduce_value(class, slf).map_or(ptr::null_mut(), Owned::into_raw)
        })
    }
}

unsafe fn reduce_value(
    class: &'static ClassData,
    slf: *mut ffi::PyObject,
) -> pyz3_core::owned::PyResult<Owned> {
    // SAFETY: GIL held; `slf` is a made instance of `class`.
    unsafe {
        let Some((export, _)) = class.pickling.get() else {
            error::raise_str(
                ffi::PyExc_TypeError,
                &format!("cannot pickle '{}' objects", class.name),
            );
            return Err(pyz3_core::owned::Raised);
        };
        let state = Owned::new(call_with_receiver(export, slf, ptr::null(), 0))?;
        let pyz3 = Owned::new(ffi::PyImport_ImportModule(c"pyz3".as_ptr()))?;
        let tp = ffi::Py_TYPE(slf);
        if tp == class.type_ptr() {
            let restore = pyz3.get_attr(c"_class_instance")?;
            let args = Owned::tuple(vec![
                Owned::str(&class.plugin_path)?,
                Owned::str(&class.module_name)?,
                Owned::str(&class.name)?,
                state,
            ])?;
            return Owned::tuple(vec![restore, args]);
        }
        // A Python subclass: pickled by reference to itself, with its __dict__ as the state
        // pickle restores after.
        let restore = pyz3.get_attr(c"_subclass_instance")?;
        let args = Owned::tuple(vec![Owned::from_borrowed(tp.cast()), state])?;
        let dict = ffi::PyObject_GenericGetDict(slf, ptr::null_mut());
        let dict = if dict.is_null() {
            ffi::PyErr_Clear();
            Owned::none()
        } else {
            Owned::new(dict)?
        };
        Owned::tuple(vec![restore, args, dict])
    }
}

/// The `PyMethodDef` of `__reduce__`.
pub(crate) fn reduce_def() -> ffi::PyMethodDef {
    ffi::PyMethodDef {
        ml_name: c"__reduce__".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: reduce,
        },
        ml_flags: ffi::METH_NOARGS,
        ml_doc: c"Pickle by reference to the plugin, with the exported state.".as_ptr(),
    }
}
