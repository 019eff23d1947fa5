//! capi/core/src/abi.rs: the plugin ABI v1 — the structs and constants a plugin shares with libpyz3.
//!
//! This module is the single source of truth for the C header's structs: cbindgen copies these
//! items and their doc comments into `include/pyz3.h`, and `capi/gen` copies the file into the
//! Rust SDK (`sdk/rust/src/abi.rs`). The type codes and exception kinds come from their
//! registries (`types.rs`, `exceptions.rs`). The layout rules (docs/abi.md):
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
pub const PYZ3_ABI_MINOR: u16 = 0;

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

/// Function status: success, the result is in `*result`.
pub const PYZ3_OK: i32 = 0;
/// Function status: failure; an exception was set with `pyz3_raise` (or a failing pyz3 call).
pub const PYZ3_ERROR: i32 = -1;
/// Function status: success, the result is `None` (only with `PYZ3_RETURN_OPTIONAL`).
pub const PYZ3_RETURN_NONE: i32 = 1;

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
    /// `PYZ3_T_OBJECT` arguments (borrowed) and `str`/`bytes`/`object` results (new reference).
    pub obj: *mut PyObject,
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

/// One declared parameter.
/// cbindgen:field-names=[name, default_value, type, flags, reserved]
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
    /// Must be zero.
    pub reserved: [u8; 6],
}

/// One function of a plugin.
/// cbindgen:field-names=[name, doc, params, fn, raw, user_data, param_count, return_type, return_flags, flags]
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
    /// Must be zero.
    pub flags: u32,
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
const _: () = assert!(size_of::<pyz3_call>() == 8 + W);
const _: () = assert!(size_of::<pyz3_param>() == 2 * W + 8);
const _: () = assert!(offset_of!(pyz3_param, type_) == 2 * W);
const _: () = assert!(size_of::<pyz3_function_def>() == 6 * W + 8);
const _: () = assert!(offset_of!(pyz3_function_def, fn_) == 3 * W);
const _: () = assert!(offset_of!(pyz3_function_def, param_count) == 6 * W);
const _: () = assert!(offset_of!(pyz3_function_def, flags) == 6 * W + 6);
const _: () = assert!(size_of::<pyz3_plugin_header>() == 16);
const _: () = assert!(offset_of!(pyz3_plugin, name) == 16);
const _: () = assert!(offset_of!(pyz3_plugin, function_count) == 16 + 3 * W);
const _: () = assert!(size_of::<pyz3_plugin>() == 16 + 3 * W + 16);
const _: () = assert!(size_of::<pyz3_gil>() == 4);
const _: () = assert!(size_of::<pyz3_nogil>() == W + 8);

/// Layout facts exported for the cross-language layout test.
pub const LAYOUT: [(&str, usize); 13] = [
    ("sizeof(pyz3_str)", size_of::<pyz3_str>()),
    ("sizeof(pyz3_value)", size_of::<pyz3_value>()),
    ("sizeof(pyz3_call)", size_of::<pyz3_call>()),
    ("sizeof(pyz3_param)", size_of::<pyz3_param>()),
    ("offsetof(pyz3_param, type)", offset_of!(pyz3_param, type_)),
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
        "sizeof(pyz3_plugin_header)",
        size_of::<pyz3_plugin_header>(),
    ),
    ("offsetof(pyz3_plugin, name)", offset_of!(pyz3_plugin, name)),
    (
        "offsetof(pyz3_plugin, function_count)",
        offset_of!(pyz3_plugin, function_count),
    ),
    ("sizeof(pyz3_plugin)", size_of::<pyz3_plugin>()),
];
