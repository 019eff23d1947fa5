//! capi/core/src/abi.rs: the plugin ABI v1 — the structs and constants a plugin shares with libpyz3.
//!
//! This module is the single source of truth for the C header's structs: cbindgen copies these
//! items and their doc comments into `include/pyz3.h`, and `capi/gen` copies the file into the
//! Rust SDK's `pyz3-abi` crate (`sdk/rust/abi/src/abi.rs`, with abi_stable layouts). The type
//! codes and exception kinds come from their registries (`types.rs`, `exceptions.rs`). The layout
//! rules (docs/abi.md):
//!
//! * structs hold only C scalars, pointers and fixed arrays;
//! * a struct only grows at its end, and growing it is a minor version bump; reordering,
//!   resizing or retyping a field is a major version bump;
//! * every layout below is frozen by `const` assertions here and `_Static_assert`s in the
//!   header, and a test compares the two.
#![allow(
    non_camel_case_types,
    reason = "C names are kept verbatim so the header reads as C"
)]

use core::ffi::{c_char, c_void};
use core::mem::{offset_of, size_of};

// `crate::PyObject` is CPython's object type here; the Rust plugin SDK, which gets a copy of this
// file, defines it as an opaque type so plugins never see CPython's headers.
use crate::PyObject;

/// First word of every plugin descriptor: the bytes `"PYZ3"` read as a little-endian integer.
pub const PYZ3_ABI_MAGIC: u32 = 0x335A_5950;
/// Plugins and runtime must agree on the major version exactly.
pub const PYZ3_ABI_MAJOR: u16 = 1;
/// A runtime serves plugins built for its minor version or older, never newer.
pub const PYZ3_ABI_MINOR: u16 = 1;

/// Upper bound on `pyz3_function_def.param_count` (a call passes a 64-bit `none_mask`).
pub const PYZ3_MAX_PARAMS: u32 = 64;
/// Upper bound on `pyz3_plugin.function_count`.
pub const PYZ3_MAX_FUNCTIONS: u32 = 4096;
/// Longest accepted name (module, function or parameter), in bytes, without the NUL.
pub const PYZ3_MAX_NAME_LEN: u32 = 255;
/// Longest accepted doc string or default-value literal, in bytes, without the NUL.
pub const PYZ3_MAX_DOC_LEN: u32 = 65536;

/// `pyz3_param.flags`: the parameter also accepts `None`; its bit in `pyz3_call.none_mask` is set
/// when the caller passed `None` (the value slot is then zeroed).
pub const PYZ3_PARAM_OPTIONAL: u8 = 1;
/// `pyz3_param.flags`: the parameter can only be passed by keyword.
pub const PYZ3_PARAM_KEYWORD_ONLY: u8 = 2;

/// `pyz3_function_def.return_flags`: the function may return `PYZ3_RETURN_NONE` to give `None`.
pub const PYZ3_RETURN_OPTIONAL: u8 = 1;

/// `pyz3_function_def.flags`: the loader releases the GIL around the call. The function must not
/// touch Python objects (including `PYZ3_T_OBJECT` arguments) without `pyz3_gil_acquire`.
/// `str`/`bytes` arguments stay valid: the caller keeps them alive.
pub const PYZ3_FN_RELEASE_GIL: u16 = 1;
/// `pyz3_function_def.flags`: all parameters are positional-only (`/` in the signature).
pub const PYZ3_FN_POSITIONAL_ONLY: u16 = 2;
/// `pyz3_function_def.flags`, methods of a class only (ABI 1.1): a static method. It receives
/// no instance: its arguments are its declared parameters, as for a module function.
pub const PYZ3_FN_STATIC: u16 = 4;
/// `pyz3_function_def.flags`, methods of a class only (ABI 1.1): a class method. It receives no
/// instance; `call->self_` is the class it was called on (a subclass when called through one).
pub const PYZ3_FN_CLASS: u16 = 8;

/// `pyz3_class_def.flags` (ABI 1.1): Python code cannot subclass the class.
pub const PYZ3_CLASS_FINAL: u32 = 1;
/// `pyz3_class_def.flags` (ABI 1.1): instances support weak references (`weakref.ref(obj)`).
pub const PYZ3_CLASS_WEAKREF: u32 = 2;

/// Upper bound on `pyz3_class_def.method_count` (ABI 1.1).
pub const PYZ3_MAX_METHODS: u32 = 256;
/// Upper bound on `pyz3_class_def.property_count` (ABI 1.1).
pub const PYZ3_MAX_PROPERTIES: u32 = 256;
/// Upper bound on `pyz3_class_def.object_field_count` (ABI 1.1).
pub const PYZ3_MAX_OBJECT_FIELDS: u32 = 256;
/// Upper bound on `pyz3_class_def.state_size`, in bytes (ABI 1.1): larger state belongs in a
/// separate allocation the state points to.
pub const PYZ3_MAX_STATE_SIZE: u32 = 1 << 20;
/// Upper bound on `pyz3_class_def.state_align` (ABI 1.1): what CPython's object allocator
/// guarantees.
pub const PYZ3_MAX_STATE_ALIGN: u32 = 16;

/// `pyz3_plugin.flags` (ABI 1.1): the plugin is safe to run without the GIL — its functions may
/// run on several threads at once under a free-threaded CPython (3.14t and later). Without it,
/// pyz3 serialises the plugin's calls there with a lock of its own (docs/free-threading.md).
/// Under a CPython with a GIL the flag changes nothing.
pub const PYZ3_PLUGIN_FREE_THREADED: u32 = 1;
/// Every `pyz3_plugin.flags` bit this runtime knows; the loader refuses any other.
pub const PYZ3_PLUGIN_FLAGS_KNOWN: u32 = PYZ3_PLUGIN_FREE_THREADED;

/// `pyz3_param.type_flags` of a `PYZ3_T_BUFFER` parameter (ABI 1.1): the function writes
/// through the buffer; a read-only object raises `TypeError`.
pub const PYZ3_BUF_WRITABLE: u8 = 1;
/// `pyz3_param.type_flags` of a `PYZ3_T_BUFFER` parameter (ABI 1.1): the buffer must be
/// C-contiguous (else `ValueError`); without it any strides are accepted.
pub const PYZ3_BUF_CONTIGUOUS: u8 = 2;
/// Upper bound on `pyz3_param.ndim` and `pyz3_function_def.ret_ndim` (CPython's
/// `PyBUF_MAX_NDIM`).
pub const PYZ3_BUF_MAX_NDIM: u32 = 64;
/// `pyz3_function_def.ret_type_flags` of a `PYZ3_T_ARRAY` result (ABI 1.1): the caller gets a
/// `numpy.ndarray` over the array (no copy) instead of a `pyz3.Array`; a call raises
/// `ImportError` when numpy cannot be imported.
pub const PYZ3_ARRAY_NUMPY: u8 = 1;

/// Upper bound on `pyz3_plugin.class_count` (ABI 1.1).
pub const PYZ3_MAX_CLASSES: u32 = 1024;
/// Upper bound on `pyz3_plugin.constant_count` (ABI 1.1).
pub const PYZ3_MAX_CONSTANTS: u32 = 4096;
/// Upper bound on `pyz3_plugin.exception_count` (ABI 1.1).
pub const PYZ3_MAX_EXCEPTIONS: u32 = 1024;
/// Upper bound on `pyz3_function_def.ret_item_count` (ABI 1.1: items of a tuple result).
pub const PYZ3_MAX_ITEMS: u32 = 64;

/// Function status: success, the result is in `*result`.
pub const PYZ3_OK: i32 = 0;
/// Function status: failure; an exception was set with `pyz3_raise` (or a failing pyz3 call).
pub const PYZ3_ERROR: i32 = -1;
/// Function status: success, the result is `None` (only with `PYZ3_RETURN_OPTIONAL`).
pub const PYZ3_RETURN_NONE: i32 = 1;
/// Status of an iterator's `next` (and of `pyz3_next`, `pyz3_dict_next`): no more items.
/// Not an error: no exception is set.
pub const PYZ3_ITER_END: i32 = 2;
/// Status of `pyz3_dict_find` and `pyz3_dict_get_item`: the key is not there. Not an error.
pub const PYZ3_NOT_FOUND: i32 = 3;

/// `pyz3_isinstance`: `None`.
pub const PYZ3_PY_NONE: u32 = 0;
/// `pyz3_isinstance`: `bool`.
pub const PYZ3_PY_BOOL: u32 = 1;
/// `pyz3_isinstance`: `int` (and `bool`).
pub const PYZ3_PY_INT: u32 = 2;
/// `pyz3_isinstance`: `float`.
pub const PYZ3_PY_FLOAT: u32 = 3;
/// `pyz3_isinstance`: `str`.
pub const PYZ3_PY_STR: u32 = 4;
/// `pyz3_isinstance`: `bytes`.
pub const PYZ3_PY_BYTES: u32 = 5;
/// `pyz3_isinstance`: `bytearray`.
pub const PYZ3_PY_BYTEARRAY: u32 = 6;
/// `pyz3_isinstance`: `list`.
pub const PYZ3_PY_LIST: u32 = 7;
/// `pyz3_isinstance`: `tuple`.
pub const PYZ3_PY_TUPLE: u32 = 8;
/// `pyz3_isinstance`: `dict`.
pub const PYZ3_PY_DICT: u32 = 9;
/// `pyz3_isinstance`: `set`.
pub const PYZ3_PY_SET: u32 = 10;
/// `pyz3_isinstance`: `frozenset`.
pub const PYZ3_PY_FROZENSET: u32 = 11;
/// `pyz3_isinstance`: `callable(obj)`.
pub const PYZ3_PY_CALLABLE: u32 = 12;

/// Optimisation bits for `pyz3_optimizations` / `pyz3_set_optimizations`.
pub const PYZ3_OPT_GIL_CACHE: u32 = 1;
/// Exact-type conversions that read CPython objects directly.
pub const PYZ3_OPT_FAST_PATHS: u32 = 2;
/// Pooled objects (small ints, singletons, empty containers, interned names).
pub const PYZ3_OPT_POOL: u32 = 4;
/// All optimisations.
pub const PYZ3_OPT_ALL: u32 = 7;

/// A UTF-8 (for `str`) or byte (for `bytes`) buffer that pyz3 lends to the plugin.
///
/// Not NUL-terminated in general (a `str` may contain NUL characters); always use `len`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pyz3_str {
    /// First byte; never NULL for a valid value (an empty string has `len == 0`).
    pub ptr: *const c_char,
    /// Length in bytes.
    pub len: usize,
}

/// One argument or result value. Which member is valid is given by the declared type.
#[repr(C)]
#[derive(Clone, Copy)]
pub union pyz3_value {
    /// `PYZ3_T_I8`.
    pub i8: i8,
    /// `PYZ3_T_I16`.
    pub i16: i16,
    /// `PYZ3_T_I32`.
    pub i32: i32,
    /// `PYZ3_T_I64`.
    pub i64: i64,
    /// `PYZ3_T_U8`.
    pub u8: u8,
    /// `PYZ3_T_U16`.
    pub u16: u16,
    /// `PYZ3_T_U32`.
    pub u32: u32,
    /// `PYZ3_T_U64`.
    pub u64: u64,
    /// `PYZ3_T_F32`.
    pub f32: f32,
    /// `PYZ3_T_F64`.
    pub f64: f64,
    /// `PYZ3_T_BOOL`.
    pub b: bool,
    /// `PYZ3_T_STR` arguments (UTF-8, borrowed for the duration of the call).
    pub str: pyz3_str,
    /// `PYZ3_T_BYTES` arguments (borrowed for the duration of the call).
    pub bytes: pyz3_str,
    /// `PYZ3_T_OBJECT` arguments (borrowed) and every object result (new reference).
    pub obj: *mut PyObject,
    /// `PYZ3_T_BUFFER` arguments (ABI 1.1): a view the trampoline owns for the call.
    pub buf: *mut pyz3_buffer,
    /// `PYZ3_T_SEQUENCE` arguments (ABI 1.1): converted items the trampoline owns for the call.
    pub seq: *const pyz3_seq,
    /// `PYZ3_T_DICT` arguments (ABI 1.1): converted entries the trampoline owns for the call.
    pub dict: *const pyz3_dict,
    /// `PYZ3_T_INSTANCE` arguments and results, and a method's `args[0]` (ABI 1.1): an instance's
    /// native state. Arguments borrow it for the call; a result is the state of a new instance
    /// pyz3 made before the call, which the function fills.
    pub inst: *mut c_void,
    /// `PYZ3_T_LIST` and `PYZ3_T_DICT` results (ABI 1.1): set by the loader before the call;
    /// fill the result through `pyz3_result_list` / `pyz3_result_dict`, never directly.
    pub out: *mut pyz3_out,
}

/// A buffer argument (`PYZ3_T_BUFFER`, ABI 1.1): a view of the caller's object that the
/// trampoline holds for the call (also across `PYZ3_FN_RELEASE_GIL`) and releases afterwards.
/// Nothing in it may be kept past the call. Element `i` of a 1-D buffer is at
/// `(char *)data + i * strides[0]` (`PYZ3_AT`); a `contiguous` buffer is a C array of `len`
/// elements at `data` (`PYZ3_DATA`). Array results (`pyz3_array_new`) are described the same way.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pyz3_buffer {
    /// The first element (never NULL, also when `len` is 0).
    pub data: *mut c_void,
    /// Number of elements: the product of `shape` (1 for 0 dimensions).
    pub len: usize,
    /// `ndim` extents.
    pub shape: *const usize,
    /// `ndim` steps between consecutive elements, in bytes (may be negative or 0).
    pub strides: *const isize,
    /// Size of one element in bytes.
    pub itemsize: usize,
    /// The object the buffer belongs to (borrowed; do not touch it without the GIL).
    pub obj: *mut PyObject,
    /// Number of dimensions (at most `PYZ3_BUF_MAX_NDIM`).
    pub ndim: u8,
    /// The element type, a `PYZ3_T_*` code (`PYZ3_T_BYTES`: raw bytes, `itemsize` 1).
    pub elem: u8,
    /// The object does not allow writing through `data`.
    pub readonly: bool,
    /// The elements are C-contiguous: `data` is a C array of `len` elements.
    pub contiguous: bool,
    /// Zero.
    pub reserved: u32,
}

/// The items of a sequence or dict argument, or of a list or dict result (ABI 1.1): a pointer to
/// `len` C values of the element type, read through the member the element's type names — for
/// arguments its `pyz3_value` argument member (`i64`, `f64`, `b`, `str`, `bytes`, `obj`), for
/// results its result member (`str`, `bytes` and `object` items are `obj`: new references).
#[repr(C)]
#[derive(Clone, Copy)]
pub union pyz3_items {
    /// Items of `PYZ3_T_I8`.
    pub i8: *mut i8,
    /// Items of `PYZ3_T_I16`.
    pub i16: *mut i16,
    /// Items of `PYZ3_T_I32`.
    pub i32: *mut i32,
    /// Items of `PYZ3_T_I64`.
    pub i64: *mut i64,
    /// Items of `PYZ3_T_U8`.
    pub u8: *mut u8,
    /// Items of `PYZ3_T_U16`.
    pub u16: *mut u16,
    /// Items of `PYZ3_T_U32`.
    pub u32: *mut u32,
    /// Items of `PYZ3_T_U64`.
    pub u64: *mut u64,
    /// Items of `PYZ3_T_F32`.
    pub f32: *mut f32,
    /// Items of `PYZ3_T_F64`.
    pub f64: *mut f64,
    /// Items of `PYZ3_T_BOOL`.
    pub b: *mut bool,
    /// Argument items of `PYZ3_T_STR`: UTF-8, borrowed for the call.
    pub str: *mut pyz3_str,
    /// Argument items of `PYZ3_T_BYTES`: borrowed for the call.
    pub bytes: *mut pyz3_str,
    /// Argument items of `PYZ3_T_OBJECT` (borrowed for the call), and result items of
    /// `PYZ3_T_STR`, `PYZ3_T_BYTES` and `PYZ3_T_OBJECT` (new references).
    pub obj: *mut *mut PyObject,
    /// The items as untyped memory.
    pub ptr: *mut c_void,
}

/// A sequence argument (`PYZ3_T_SEQUENCE`, ABI 1.1): the items of a `list`, `tuple` or other
/// sequence, converted to the parameter's element type (`pyz3_param.elem`). The loader owns it
/// and everything it points to for the call: do not modify the items, and do not keep pointers
/// past the call.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct pyz3_seq {
    /// Number of items.
    pub len: usize,
    /// `len` items of the element type (the argument member of that type: `i64`, `str`, ...).
    pub items: pyz3_items,
    /// The sequence object (borrowed for the call).
    pub obj: *mut PyObject,
}

/// A dict argument (`PYZ3_T_DICT`, ABI 1.1): the entries of a `dict[str, T]`, keys as UTF-8 and
/// values converted to the parameter's element type (`pyz3_param.elem`), in the dict's order.
/// The loader owns it and everything it points to for the call; look keys up with
/// `pyz3_dict_find`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct pyz3_dict {
    /// Number of entries.
    pub len: usize,
    /// `len` keys (UTF-8, borrowed for the call).
    pub keys: *const pyz3_str,
    /// `len` values of the element type, in the order of `keys`.
    pub values: pyz3_items,
    /// The dict object (borrowed for the call).
    pub obj: *mut PyObject,
}

/// A list or dict result being built (ABI 1.1): `pyz3_result_list` / `pyz3_result_dict` return
/// it with room for `len` items, which the function then writes. The loader owns the memory and
/// turns it into the result after the function returns (and releases the references it holds on
/// every path).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct pyz3_out {
    /// Number of items (entries).
    pub len: usize,
    /// `len` items of the element type (`pyz3_function_def.ret_elem`), each written as a result
    /// of that type would be: `i64`, `f64`, `b`, ...; `str`, `bytes` and `object` items are new
    /// references in `obj`. Zeroed when made.
    pub items: pyz3_items,
    /// Dict results: `len` keys, each a `str` (new reference, e.g. from `pyz3_from_str`); NULL
    /// for lists. Zeroed when made.
    pub keys: *mut *mut PyObject,
}

/// An iterator's `next` (ABI 1.1), called by the loader with the GIL held: write the next item
/// into `*item` as a result of the element type is written and return `PYZ3_OK`; return
/// `PYZ3_ITER_END` when there are no more items (no exception), or `PYZ3_ERROR` after
/// `pyz3_raise`. `state` is the memory `pyz3_iterator_new` gave.
pub type pyz3_iter_next_fn =
    Option<unsafe extern "C" fn(state: *mut c_void, item: *mut pyz3_value) -> i32>;

/// Releases what an iterator's state holds (ABI 1.1), called once with the GIL held when the
/// iterator object goes away; NULL when there is nothing to release. Must not free `state`
/// itself (it lives inside the iterator object).
pub type pyz3_iter_drop_fn = Option<unsafe extern "C" fn(state: *mut c_void)>;

/// The module a function belongs to, as plugin code sees it (ABI 1.1): an opaque handle for
/// the functions that need the module (its exceptions, its classes).
// Not `repr(C)`: cbindgen declares it as an incomplete type, used only through pointers.
pub struct pyz3_module {
    _private: [u8; 0],
}

impl pyz3_value {
    /// A zeroed value (all members read as 0 / NULL).
    pub const ZERO: pyz3_value = pyz3_value {
        str: pyz3_str {
            ptr: core::ptr::null(),
            len: 0,
        },
    };
}

/// Per-call information the loader passes to every plugin function.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pyz3_call {
    /// Bit `i` is set when optional parameter `i` received `None`.
    pub none_mask: u64,
    /// `pyz3_function_def.user_data` of the function being called.
    pub user_data: *mut c_void,
    /// ABI 1.1: the module the function belongs to, for the `pyz3_*` functions that need it (a
    /// plugin's own exceptions and classes). The runtime always passes the whole struct; a plugin
    /// built for 1.0 never reads past `user_data`.
    pub module: *mut pyz3_module,
    /// ABI 1.1: for a method, the object it was called on (borrowed; its native state is also in
    /// `args[0].inst`); for a constructor, the instance being made; for a class method, the
    /// class; NULL for functions and static methods.
    pub self_: *mut PyObject,
}

/// The uniform signature of a typed plugin function.
///
/// `args` holds one converted value per declared parameter (defaults filled in), `result`
/// receives the result, `call` carries per-call details. Return `PYZ3_OK`, `PYZ3_RETURN_NONE`
/// or `PYZ3_ERROR` (after `pyz3_raise`). Called with the GIL held unless the function has
/// `PYZ3_FN_RELEASE_GIL`. Nothing passed in is retained by pyz3 after the call returns.
pub type pyz3_fn = Option<
    unsafe extern "C" fn(
        args: *const pyz3_value,
        result: *mut pyz3_value,
        call: *const pyz3_call,
    ) -> i32,
>;

/// The raw signature: the function receives the Python arguments themselves (borrowed, one per
/// declared parameter, defaults filled in) and returns a new reference, or NULL with an
/// exception set. Always called with the GIL held.
pub type pyz3_raw_fn = Option<
    unsafe extern "C" fn(
        args: *const *mut PyObject,
        nargs: usize,
        call: *const pyz3_call,
    ) -> *mut PyObject,
>;

/// One declared parameter. The six bytes after `flags` were reserved (zero) in ABI 1.0; ABI 1.1
/// gives them to compound types, so a 1.0 plugin's parameters read as plain scalars.
/// cbindgen:field-names=[name, default_value, type, flags, elem, type_flags, ndim, reserved, class_index]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pyz3_param {
    /// Parameter name: a NUL-terminated Python identifier. Retained by the loader (static data).
    pub name: *const c_char,
    /// NULL, or the default value as a Python literal (`"1"`, `"0.5"`, `"'text'"`, `"True"`,
    /// `"None"`), NUL-terminated. A parameter with a default is optional at the call site.
    pub default_value: *const c_char,
    /// One of the `PYZ3_T_*` codes (not `PYZ3_T_VOID`).
    pub type_: u8,
    /// `PYZ3_PARAM_*` bits.
    pub flags: u8,
    /// ABI 1.1: the element type of a compound type (a buffer's items, a sequence's items, a
    /// dict's values), a `PYZ3_T_*` code; 0 for other types.
    pub elem: u8,
    /// ABI 1.1: bits specific to the type (buffers: `PYZ3_BUF_*`); 0 for other types.
    pub type_flags: u8,
    /// ABI 1.1: buffers: the number of dimensions required (0 = any); 0 for other types.
    pub ndim: u8,
    /// Must be zero.
    pub reserved: u8,
    /// ABI 1.1: `PYZ3_T_INSTANCE`: the class, as an index into `pyz3_plugin.classes`; 0 for
    /// other types.
    pub class_index: u16,
}

/// One function of a plugin. ABI 1.1 appended the `ret_*` fields, which describe compound
/// results; a 1.0 plugin's `function_size` ends before them, and the loader reads them as zero.
/// cbindgen:field-names=[name, doc, params, fn, raw, user_data, param_count, return_type, return_flags, flags, ret_elem, ret_type_flags, ret_ndim, ret_reserved, ret_class_index, ret_item_count, ret_items]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pyz3_function_def {
    /// Python name: a NUL-terminated identifier, unique within the plugin.
    pub name: *const c_char,
    /// Doc string (NUL-terminated UTF-8) or NULL.
    pub doc: *const c_char,
    /// `param_count` parameters; may be NULL when `param_count` is 0.
    pub params: *const pyz3_param,
    /// The typed entry point. Exactly one of `fn` and `raw` is non-NULL.
    pub fn_: pyz3_fn,
    /// The raw entry point. Exactly one of `fn` and `raw` is non-NULL.
    pub raw: pyz3_raw_fn,
    /// Passed back to the function in `pyz3_call.user_data`; never dereferenced by pyz3.
    pub user_data: *mut c_void,
    /// Number of entries in `params` (at most `PYZ3_MAX_PARAMS`).
    pub param_count: u32,
    /// `PYZ3_T_*` code of the result.
    pub return_type: u8,
    /// `PYZ3_RETURN_*` bits.
    pub return_flags: u8,
    /// `PYZ3_FN_*` bits.
    pub flags: u16,
    /// ABI 1.1: the element type of a compound result (an array's items, a list's items, a
    /// dict's values, an iterator's items), a `PYZ3_T_*` code; 0 for other results.
    pub ret_elem: u8,
    /// ABI 1.1: bits specific to the result type; 0 for other results.
    pub ret_type_flags: u8,
    /// ABI 1.1: array results: the number of dimensions; 0 for other results.
    pub ret_ndim: u8,
    /// Must be zero.
    pub ret_reserved: u8,
    /// ABI 1.1: `PYZ3_T_INSTANCE` results: the class, as an index into `pyz3_plugin.classes`.
    pub ret_class_index: u16,
    /// ABI 1.1: `PYZ3_T_TUPLE` results: the number of items (at most `PYZ3_MAX_ITEMS`).
    pub ret_item_count: u16,
    /// ABI 1.1: `PYZ3_T_TUPLE` results: `ret_item_count` `PYZ3_T_*` codes, one per item.
    pub ret_items: *const u8,
}

/// The fixed start of every plugin descriptor, checked before anything else is read.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pyz3_plugin_header {
    /// `PYZ3_ABI_MAGIC`.
    pub magic: u32,
    /// `PYZ3_ABI_MAJOR` the plugin was built with.
    pub abi_major: u16,
    /// `PYZ3_ABI_MINOR` the plugin was built with.
    pub abi_minor: u16,
    /// `sizeof(pyz3_plugin)` as the plugin saw it.
    pub struct_size: u32,
    /// Must be zero.
    pub reserved: u32,
}

/// The plugin descriptor, returned by the plugin's exported `pyz3_plugin_entry` function.
///
/// The descriptor and everything it points to must stay valid and unchanged for as long as the
/// library is loaded (plugins are never unloaded); pyz3 retains the pointers.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pyz3_plugin {
    /// Version handshake; use `PYZ3_PLUGIN_HEADER_INIT`.
    pub header: pyz3_plugin_header,
    /// Module name: a NUL-terminated identifier.
    pub name: *const c_char,
    /// Module doc string (NUL-terminated UTF-8) or NULL.
    pub doc: *const c_char,
    /// `function_count` function definitions, laid out with stride `function_size`.
    pub functions: *const pyz3_function_def,
    /// Number of functions (at most `PYZ3_MAX_FUNCTIONS`).
    pub function_count: u32,
    /// `sizeof(pyz3_function_def)` as the plugin saw it.
    pub function_size: u32,
    /// `sizeof(pyz3_param)` as the plugin saw it.
    pub param_size: u32,
    /// `PYZ3_PLUGIN_*` bits (ABI 1.1: `PYZ3_PLUGIN_FREE_THREADED`); 0 in ABI 1.0, where every
    /// bit had to be zero. C plugins set it with `#define PYZ3_PLUGIN_FLAGS` before including
    /// pyz3.h.
    pub flags: u32,
    /// ABI 1.1: `class_count` class definitions, laid out with stride `class_size`.
    pub classes: *const pyz3_class_def,
    /// ABI 1.1: number of classes (at most `PYZ3_MAX_CLASSES`).
    pub class_count: u32,
    /// ABI 1.1: `sizeof(pyz3_class_def)` as the plugin saw it.
    pub class_size: u32,
    /// ABI 1.1: `constant_count` module constants, laid out with stride `constant_size`.
    pub constants: *const pyz3_constant_def,
    /// ABI 1.1: number of constants (at most `PYZ3_MAX_CONSTANTS`).
    pub constant_count: u32,
    /// ABI 1.1: `sizeof(pyz3_constant_def)` as the plugin saw it.
    pub constant_size: u32,
    /// ABI 1.1: `exception_count` exception classes, laid out with stride `exception_size`.
    pub exceptions: *const pyz3_exception_def,
    /// ABI 1.1: number of exception classes (at most `PYZ3_MAX_EXCEPTIONS`).
    pub exception_count: u32,
    /// ABI 1.1: `sizeof(pyz3_exception_def)` as the plugin saw it.
    pub exception_size: u32,
}

/// The destructor of a class's native state (`pyz3_class_def.deinit`).
pub type pyz3_deinit_fn = Option<unsafe extern "C" fn(state: *mut c_void)>;

/// A class of a plugin (ABI 1.1): a Python type whose instances carry `state_size` bytes of
/// native state inline in the Python object (docs/classes.md).
///
/// Every function of a class is a `pyz3_function_def`, read with the stride
/// `pyz3_plugin.function_size`, called through the same trampolines as module functions. An
/// instance method, the constructor, the property accessors and the pickling hooks receive the
/// instance's state in `args[0].inst` and their declared parameters in `args[1]`, `args[2]`, ...;
/// bit `i` of `call->none_mask` is declared parameter `i`; `call->self_` is the instance.
/// cbindgen:field-names=[name, doc, state_size, state_align, flags, object_field_count, object_fields, init, deinit, methods, method_count, property_count, properties, property_size, reserved, export_state, import_state]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pyz3_class_def {
    /// Python name: a NUL-terminated identifier, unique among the plugin's names.
    pub name: *const c_char,
    /// Doc string (NUL-terminated UTF-8) or NULL.
    pub doc: *const c_char,
    /// Size of the native state in bytes (at most `PYZ3_MAX_STATE_SIZE`; may be 0). A new
    /// instance's state is zeroed.
    pub state_size: u32,
    /// Alignment of the state: a power of two up to `PYZ3_MAX_STATE_ALIGN`, or 0 for 16.
    pub state_align: u32,
    /// `PYZ3_CLASS_*` bits.
    pub flags: u32,
    /// Number of entries in `object_fields`.
    pub object_field_count: u32,
    /// Byte offsets into the state of `PyObject *` fields (NULL or a strong reference). pyz3
    /// owns what they hold: the garbage collector visits them (cycles through instances are
    /// collected) and clears them to break a cycle, and pyz3 releases them after `deinit`. Code
    /// that stores into one releases the reference it replaces (`pyz3_decref`). NULL when the
    /// count is 0.
    pub object_fields: *const u32,
    /// The constructor, `__init__`: a typed function returning `PYZ3_T_VOID` that fills the
    /// zeroed state in `args[0].inst` from its declared parameters. A constructor that fails
    /// releases what it acquired (the destructor does not run for it). NULL: Python code cannot
    /// create instances (functions can, with `PYZ3_T_INSTANCE` results).
    pub init: *const pyz3_function_def,
    /// The destructor, or NULL: called with the GIL held, exactly once for every instance whose
    /// state was made (by `init`, by a function with a `PYZ3_T_INSTANCE` result, or by
    /// `import_state`), when the instance is freed.
    pub deinit: pyz3_deinit_fn,
    /// `method_count` methods (stride `pyz3_plugin.function_size`): instance methods, static
    /// methods (`PYZ3_FN_STATIC`) and class methods (`PYZ3_FN_CLASS`); special methods by their
    /// names (`__repr__`, `__len__`, ...; docs/classes.md lists them and their signatures).
    pub methods: *const pyz3_function_def,
    /// Number of methods (at most `PYZ3_MAX_METHODS`).
    pub method_count: u32,
    /// Number of properties (at most `PYZ3_MAX_PROPERTIES`).
    pub property_count: u32,
    /// `property_count` properties, laid out with stride `property_size`.
    pub properties: *const pyz3_property_def,
    /// `sizeof(pyz3_property_def)` as the plugin saw it.
    pub property_size: u32,
    /// Must be zero.
    pub reserved: u32,
    /// Pickling (with `import_state`), or NULL: a typed function without declared parameters
    /// that returns the state as a picklable value of its declared result type. Instances then
    /// pickle by reference to the plugin's path, like functions.
    pub export_state: *const pyz3_function_def,
    /// Unpickling: a typed function returning `PYZ3_T_VOID` with one declared parameter, of the
    /// type `export_state` returns, that fills the zeroed state from it (like `init`).
    pub import_state: *const pyz3_function_def,
}

/// A property of a class (ABI 1.1): `obj.name` calls `get`, `obj.name = v` calls `set`.
/// cbindgen:field-names=[name, doc, get, set, user_data, type, flags, class_index, reserved]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pyz3_property_def {
    /// Python name: a NUL-terminated identifier, unique in the class.
    pub name: *const c_char,
    /// Doc string (NUL-terminated UTF-8) or NULL.
    pub doc: *const c_char,
    /// The getter: `args[0].inst` is the state; writes the value to `*result` like a function
    /// with result type `type`.
    pub get: pyz3_fn,
    /// The setter, or NULL for a read-only property (assigning raises `AttributeError`):
    /// `args[0].inst` is the state, `args[1]` the new value converted to `type`.
    pub set: pyz3_fn,
    /// Passed back in `pyz3_call.user_data`.
    pub user_data: *mut c_void,
    /// The value's `PYZ3_T_*` code.
    pub type_: u8,
    /// `PYZ3_PARAM_OPTIONAL`: the value may be `None` (the setter sees bit 0 of
    /// `call->none_mask`; the getter may return `PYZ3_RETURN_NONE`).
    pub flags: u8,
    /// `PYZ3_T_INSTANCE`: the class, as an index into `pyz3_plugin.classes`; 0 otherwise.
    pub class_index: u16,
    /// Must be zero.
    pub reserved: u32,
}

/// A module constant of a plugin (ABI 1.1): a module attribute with a value that never changes.
/// cbindgen:field-names=[name, doc, value, type, reserved]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pyz3_constant_def {
    /// Python name: a NUL-terminated identifier, unique among the plugin's names.
    pub name: *const c_char,
    /// Doc string (NUL-terminated UTF-8) or NULL. Shown in stubs; Python has no place for the
    /// doc of a plain attribute.
    pub doc: *const c_char,
    /// The value as a Python literal (NUL-terminated): `"1024"`, `"0.5"`, `"'1.2'"`, `"b'x'"`,
    /// `"True"`, `"None"`; evaluated with `ast.literal_eval` at load time and checked against
    /// `type`.
    pub value: *const c_char,
    /// `PYZ3_T_*` code of the value: an integer, float, bool, str or bytes type;
    /// `PYZ3_T_VOID` for `None`; `PYZ3_T_OBJECT` for any literal (a tuple, ...).
    pub type_: u8,
    /// Must be zero.
    pub reserved: [u8; 7],
}

/// An exception class of a plugin (ABI 1.1): a subclass of a built-in exception, published as
/// a module attribute and raised with `pyz3_raise_exception(call->module, index, message)`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pyz3_exception_def {
    /// Python name: a NUL-terminated identifier, unique among the plugin's names.
    pub name: *const c_char,
    /// Doc string (NUL-terminated UTF-8) or NULL.
    pub doc: *const c_char,
    /// The base class, a `PYZ3_EXC_*` kind (`PYZ3_EXC_VALUE_ERROR`: a `ValueError` subclass).
    pub base: i32,
    /// Must be zero.
    pub reserved: u32,
}

/// Name of the symbol every plugin exports: `const pyz3_plugin *pyz3_plugin_entry(void)`.
pub const PYZ3_ENTRY_SYMBOL: &str = "pyz3_plugin_entry";

/// Signature of the plugin entry point.
pub type pyz3_entry_fn = unsafe extern "C" fn() -> *const pyz3_plugin;

/// A GIL scope returned by `pyz3_gil_acquire`; pass it back to `pyz3_gil_release` unchanged.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pyz3_gil {
    /// Internal: how the scope was entered.
    pub state: i32,
}

/// A GIL-released region returned by `pyz3_nogil_begin`; pass it to `pyz3_nogil_end` unchanged.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pyz3_nogil {
    /// Internal: the saved thread state (NULL when nothing was released).
    pub tstate: *mut c_void,
    /// Internal: the saved scope depth.
    pub depth: u32,
    /// Must be zero.
    pub reserved: u32,
}

// Frozen layouts (x86_64 / aarch64 LP64 and any 32-bit target alike: written in pointer words).
// The same numbers are asserted by `_Static_assert` in include/pyz3.h.
const W: usize = size_of::<usize>();
const _: () = assert!(size_of::<pyz3_str>() == 2 * W);
const _: () = assert!(size_of::<pyz3_value>() == 2 * W);
const _: () = assert!(size_of::<pyz3_call>() == 8 + 3 * W);
const _: () = assert!(offset_of!(pyz3_call, module) == 8 + W);
const _: () = assert!(size_of::<pyz3_param>() == 2 * W + 8);
const _: () = assert!(offset_of!(pyz3_param, type_) == 2 * W);
const _: () = assert!(offset_of!(pyz3_param, elem) == 2 * W + 2);
const _: () = assert!(offset_of!(pyz3_param, class_index) == 2 * W + 6);
const _: () = assert!(size_of::<pyz3_function_def>() == 7 * W + 16);
const _: () = assert!(offset_of!(pyz3_function_def, fn_) == 3 * W);
const _: () = assert!(offset_of!(pyz3_function_def, param_count) == 6 * W);
const _: () = assert!(offset_of!(pyz3_function_def, flags) == 6 * W + 6);
const _: () = assert!(offset_of!(pyz3_function_def, ret_elem) == 6 * W + 8);
const _: () = assert!(offset_of!(pyz3_function_def, ret_class_index) == 6 * W + 12);
const _: () = assert!(offset_of!(pyz3_function_def, ret_items) == 6 * W + 16);
const _: () = assert!(size_of::<pyz3_plugin_header>() == 16);
const _: () = assert!(offset_of!(pyz3_plugin, name) == 16);
const _: () = assert!(offset_of!(pyz3_plugin, function_count) == 16 + 3 * W);
const _: () = assert!(offset_of!(pyz3_plugin, classes) == 16 + 3 * W + 16);
const _: () = assert!(offset_of!(pyz3_plugin, constants) == 16 + 4 * W + 24);
const _: () = assert!(offset_of!(pyz3_plugin, exceptions) == 16 + 5 * W + 32);
const _: () = assert!(size_of::<pyz3_plugin>() == 16 + 6 * W + 40);
const _: () = assert!(size_of::<pyz3_items>() == W);
const _: () = assert!(size_of::<pyz3_seq>() == 3 * W);
const _: () = assert!(size_of::<pyz3_dict>() == 4 * W);
const _: () = assert!(size_of::<pyz3_out>() == 3 * W);
const _: () = assert!(size_of::<pyz3_constant_def>() == 3 * W + 8);
const _: () = assert!(offset_of!(pyz3_constant_def, type_) == 3 * W);
const _: () = assert!(size_of::<pyz3_exception_def>() == 2 * W + 8);
const _: () = assert!(size_of::<pyz3_class_def>() == 9 * W + 32);
const _: () = assert!(offset_of!(pyz3_class_def, state_size) == 2 * W);
const _: () = assert!(offset_of!(pyz3_class_def, init) == 3 * W + 16);
const _: () = assert!(offset_of!(pyz3_class_def, method_count) == 6 * W + 16);
const _: () = assert!(offset_of!(pyz3_class_def, export_state) == 7 * W + 32);
const _: () = assert!(size_of::<pyz3_property_def>() == 5 * W + 8);
const _: () = assert!(offset_of!(pyz3_property_def, type_) == 5 * W);
const _: () = assert!(offset_of!(pyz3_property_def, class_index) == 5 * W + 2);
const _: () = assert!(size_of::<pyz3_buffer>() == 6 * W + 8);
const _: () = assert!(offset_of!(pyz3_buffer, itemsize) == 4 * W);
const _: () = assert!(offset_of!(pyz3_buffer, ndim) == 6 * W);
const _: () = assert!(size_of::<pyz3_gil>() == 4);
const _: () = assert!(size_of::<pyz3_nogil>() == W + 8);

/// The sizes an ABI 1.0 plugin declares (`struct_size`, `function_size`): the 1.0 structs end
/// where 1.1 appended fields. Used by the loader's and the tests' compatibility checks.
pub const PYZ3_PLUGIN_SIZE_1_0: usize = 16 + 3 * W + 16;
/// `sizeof(pyz3_function_def)` in ABI 1.0.
pub const PYZ3_FUNCTION_SIZE_1_0: usize = 6 * W + 8;

/// Layout facts exported for the cross-language layout test.
pub const LAYOUT: [(&str, usize); 40] = [
    ("sizeof(pyz3_str)", size_of::<pyz3_str>()),
    ("sizeof(pyz3_value)", size_of::<pyz3_value>()),
    ("sizeof(pyz3_call)", size_of::<pyz3_call>()),
    ("offsetof(pyz3_call, module)", offset_of!(pyz3_call, module)),
    ("sizeof(pyz3_param)", size_of::<pyz3_param>()),
    ("offsetof(pyz3_param, type)", offset_of!(pyz3_param, type_)),
    ("offsetof(pyz3_param, elem)", offset_of!(pyz3_param, elem)),
    (
        "offsetof(pyz3_param, class_index)",
        offset_of!(pyz3_param, class_index),
    ),
    ("sizeof(pyz3_function_def)", size_of::<pyz3_function_def>()),
    (
        "offsetof(pyz3_function_def, fn)",
        offset_of!(pyz3_function_def, fn_),
    ),
    (
        "offsetof(pyz3_function_def, param_count)",
        offset_of!(pyz3_function_def, param_count),
    ),
    (
        "offsetof(pyz3_function_def, flags)",
        offset_of!(pyz3_function_def, flags),
    ),
    (
        "offsetof(pyz3_function_def, ret_elem)",
        offset_of!(pyz3_function_def, ret_elem),
    ),
    (
        "offsetof(pyz3_function_def, ret_class_index)",
        offset_of!(pyz3_function_def, ret_class_index),
    ),
    (
        "offsetof(pyz3_function_def, ret_items)",
        offset_of!(pyz3_function_def, ret_items),
    ),
    (
        "sizeof(pyz3_plugin_header)",
        size_of::<pyz3_plugin_header>(),
    ),
    ("offsetof(pyz3_plugin, name)", offset_of!(pyz3_plugin, name)),
    (
        "offsetof(pyz3_plugin, function_count)",
        offset_of!(pyz3_plugin, function_count),
    ),
    (
        "offsetof(pyz3_plugin, classes)",
        offset_of!(pyz3_plugin, classes),
    ),
    (
        "offsetof(pyz3_plugin, constants)",
        offset_of!(pyz3_plugin, constants),
    ),
    (
        "offsetof(pyz3_plugin, exceptions)",
        offset_of!(pyz3_plugin, exceptions),
    ),
    ("sizeof(pyz3_plugin)", size_of::<pyz3_plugin>()),
    ("sizeof(pyz3_seq)", size_of::<pyz3_seq>()),
    ("offsetof(pyz3_seq, obj)", offset_of!(pyz3_seq, obj)),
    ("sizeof(pyz3_dict)", size_of::<pyz3_dict>()),
    ("sizeof(pyz3_out)", size_of::<pyz3_out>()),
    ("sizeof(pyz3_constant_def)", size_of::<pyz3_constant_def>()),
    (
        "offsetof(pyz3_constant_def, type)",
        offset_of!(pyz3_constant_def, type_),
    ),
    (
        "sizeof(pyz3_exception_def)",
        size_of::<pyz3_exception_def>(),
    ),
    ("sizeof(pyz3_class_def)", size_of::<pyz3_class_def>()),
    (
        "offsetof(pyz3_class_def, state_size)",
        offset_of!(pyz3_class_def, state_size),
    ),
    (
        "offsetof(pyz3_class_def, init)",
        offset_of!(pyz3_class_def, init),
    ),
    (
        "offsetof(pyz3_class_def, method_count)",
        offset_of!(pyz3_class_def, method_count),
    ),
    (
        "offsetof(pyz3_class_def, export_state)",
        offset_of!(pyz3_class_def, export_state),
    ),
    ("sizeof(pyz3_property_def)", size_of::<pyz3_property_def>()),
    (
        "offsetof(pyz3_property_def, type)",
        offset_of!(pyz3_property_def, type_),
    ),
    (
        "offsetof(pyz3_property_def, class_index)",
        offset_of!(pyz3_property_def, class_index),
    ),
    ("sizeof(pyz3_buffer)", size_of::<pyz3_buffer>()),
    (
        "offsetof(pyz3_buffer, itemsize)",
        offset_of!(pyz3_buffer, itemsize),
    ),
    ("offsetof(pyz3_buffer, ndim)", offset_of!(pyz3_buffer, ndim)),
];
