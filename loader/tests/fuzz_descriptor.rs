//! loader/tests/fuzz_descriptor.rs: fuzzing the descriptor validator against a model of its rules.
//!
//! Each input is a byte string that a small generator turns into a plugin descriptor laid out in
//! this process's memory: mostly valid (an all-zero input is a valid descriptor), with broken
//! handshake fields, bad names, NULL and wild pointers, strings that run into an inaccessible
//! page or past their length limit, wrong strides, counts and flags. `read_descriptor` must never
//! crash or panic, must accept exactly the descriptors that the model below accepts (the rules
//! of docs/abi.md, written down independently of the loader), and must copy accepted ones
//! faithfully.
//!
//! Inputs: the seed corpus `tests/fuzz_seeds/descriptor.txt` (hex, one input per line), then
//! `PYZ3_FUZZ_CASES` random inputs (default 2000), half fresh and half mutated seeds. A failing
//! input is printed as bytes: add it to the seed corpus as hex once the bug is fixed.
//! `make fuzz` runs this with many more cases.

use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use pyz3_core::abi::*;
use pyz3_core::types::{
    Needs, TypeCode, PYZ3_T_ARRAY, PYZ3_T_BUFFER, PYZ3_T_COUNT, PYZ3_T_INSTANCE,
};
use pyz3_loader::plugin::code::CodeRanges;
use pyz3_loader::plugin::{read_descriptor, PluginSpec};

const PAGE: usize = 4096;
const FN_SIZE: usize = core::mem::size_of::<pyz3_function_def>();
const PARAM_SIZE: usize = core::mem::size_of::<pyz3_param>();
const MIN_PARAM_SIZE: usize = core::mem::offset_of!(pyz3_param, flags) + 1;
// The six bytes after `flags` (reserved in ABI 1.0; compound-type facts in 1.1, zero for every
// type the registry has so far).
const RESERVED_AT: usize = core::mem::offset_of!(pyz3_param, elem);
const MAX_NAME: usize = PYZ3_MAX_NAME_LEN as usize;
const MAX_DOC: usize = PYZ3_MAX_DOC_LEN as usize;
const KEYWORDS: [&str; 6] = ["lambda", "None", "class", "async", "True", "yield"];

/// This test binary's code, where the descriptors' function pointers (`typed_fn`, `raw_fn`)
/// point.
fn test_code() -> &'static CodeRanges {
    static CODE: OnceLock<CodeRanges> = OnceLock::new();
    CODE.get_or_init(|| CodeRanges::of_object_containing(typed_fn as *const () as usize))
}

// ---- the model --------------------------------------------------------------------------------

/// A `const char *` field.
#[derive(Debug, Clone)]
enum Text {
    Null,
    /// An address that is never readable.
    Wild(usize),
    /// Bytes followed by a NUL (the string ends at the first NUL, as in C).
    Bytes(Vec<u8>),
    /// This many non-NUL bytes, then an inaccessible page.
    Unterminated(usize),
}

/// A pointer to `count` elements.
#[derive(Debug, Clone)]
enum Array<T> {
    Null(u32),
    Wild(usize, u32),
    Items(Vec<T>),
}

impl<T> Array<T> {
    fn count(&self) -> u32 {
        match self {
            Array::Null(n) | Array::Wild(_, n) => *n,
            Array::Items(v) => v.len() as u32,
        }
    }
}

#[derive(Debug, Clone)]
struct Param {
    name: Text,
    /// `Text::Null` means no default.
    default: Text,
    ty: u8,
    flags: u8,
    reserved: [u8; 6],
}

#[derive(Debug, Clone)]
struct Func {
    name: Text,
    doc: Text,
    params: Array<Param>,
    typed: bool,
    raw: bool,
    ret: u8,
    ret_flags: u8,
    flags: u16,
}

#[derive(Debug, Clone)]
struct Model {
    magic: u32,
    major: u16,
    minor: u16,
    struct_size: u32,
    reserved: u32,
    name: Text,
    doc: Text,
    functions: Array<Func>,
    function_size: u32,
    param_size: u32,
    flags: u32,
}

// ---- bytes to a model: byte 0 always picks the valid choice ------------------------------------

struct Src<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Src<'_> {
    fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.u8() as usize % from.len()]
    }
}

fn wild_addresses() -> [usize; 5] {
    [
        0x10,
        0x1000,
        guard_page() + 8,
        0xffff_8000_0000_0000,
        usize::MAX - 15,
    ]
}

const UNTERMINATED_LENS: [usize; 7] = [0, 1, 100, 255, 256, 4096, 70_000];

fn gen_text(src: &mut Src, pool: &[&str], nth: usize, max: usize) -> Text {
    let b = src.u8();
    match b {
        0..=199 => Text::Bytes(pool[(b as usize + nth) % pool.len()].as_bytes().to_vec()),
        200..=209 => Text::Null,
        210..=214 => Text::Wild(src.pick(&wild_addresses())),
        215..=224 => Text::Unterminated(src.pick(&UNTERMINATED_LENS)),
        225..=234 => {
            let n = src.u8() as usize % 48;
            Text::Bytes((0..n).map(|_| src.u8()).collect())
        }
        235..=244 => Text::Bytes(src.pick(&KEYWORDS).as_bytes().to_vec()),
        _ => Text::Bytes(vec![b'a'; src.pick(&[max - 1, max, max + 1, max + 45])]),
    }
}

fn gen_optional(src: &mut Src, pool: &[&str], max: usize) -> Text {
    let b = src.u8();
    match b {
        0..=149 => Text::Null,
        150..=219 => Text::Bytes(pool[b as usize % pool.len()].as_bytes().to_vec()),
        220..=229 => Text::Unterminated(src.pick(&UNTERMINATED_LENS)),
        230..=239 => {
            let n = src.u8() as usize % 48;
            Text::Bytes((0..n).map(|_| src.u8()).collect())
        }
        240..=247 => Text::Wild(src.pick(&wild_addresses())),
        _ => Text::Bytes(vec![b'd'; src.pick(&[max, max + 1])]),
    }
}

fn gen_array<T>(src: &mut Src, max: u32, mut item: impl FnMut(&mut Src, usize) -> T) -> Array<T> {
    let b = src.u8();
    let counts = [0, 1, max, max + 1, u32::MAX];
    match b {
        0..=219 => Array::Items((0..src.u8() as usize % 4).map(|i| item(src, i)).collect()),
        220..=234 => Array::Null(src.pick(&counts)),
        _ => Array::Wild(src.pick(&wild_addresses()), src.pick(&counts)),
    }
}

const DOCS: [&str; 4] = ["A doc string.", "", "ünïcödé ✓", "line\nbreaks\n"];
const DEFAULTS: [&str; 9] = [
    "1",
    "'x'",
    "None",
    "2.5",
    "b'x'",
    "True",
    "(1,",
    "__import__('os')",
    "",
];

fn gen_param(src: &mut Src, nth: usize) -> Param {
    let name = gen_text(src, &["x", "y", "a", "b", "self", "x"], nth, MAX_NAME);
    let default = gen_optional(src, &DEFAULTS, MAX_DOC);
    let b = src.u8();
    let ty = if b < 230 { 1 + b % 14 } else { src.u8() };
    let b = src.u8();
    let flags = match b {
        0..=199 => 0,
        200..=239 => b & 3,
        _ => src.u8(),
    };
    let reserved = if src.u8() < 245 {
        [0; 6]
    } else {
        [src.u8(), src.u8(), src.u8(), src.u8(), src.u8(), src.u8()]
    };
    Param {
        name,
        default,
        ty,
        flags,
        reserved,
    }
}

fn gen_func(src: &mut Src, nth: usize) -> Func {
    let name = gen_text(src, &["f", "g", "add", "ok", "h_2", "f"], nth, MAX_NAME);
    let doc = gen_optional(src, &DOCS, MAX_DOC);
    let params = gen_array(src, PYZ3_MAX_PARAMS, gen_param);
    let (typed, raw) = match src.u8() {
        0..=199 => (true, false),
        200..=224 => (false, true),
        225..=234 => (true, true),
        _ => (false, false),
    };
    let b = src.u8();
    let ret = if b < 230 { b % PYZ3_T_COUNT } else { src.u8() };
    let b = src.u8();
    let ret_flags = if b < 230 { b & 1 } else { src.u8() };
    let b = src.u8();
    let flags = match b {
        0..=179 => 0,
        180..=229 => (b & 3) as u16,
        _ => src.u16(),
    };
    Func {
        name,
        doc,
        params,
        typed,
        raw,
        ret,
        ret_flags,
        flags,
    }
}

fn gen_model(data: &[u8]) -> Model {
    let src = &mut Src { data, pos: 0 };
    let mut m = Model {
        magic: PYZ3_ABI_MAGIC,
        major: PYZ3_ABI_MAJOR,
        minor: PYZ3_ABI_MINOR,
        struct_size: core::mem::size_of::<pyz3_plugin>() as u32,
        reserved: 0,
        name: Text::Null,
        doc: Text::Null,
        functions: Array::Null(0),
        function_size: FN_SIZE as u32,
        param_size: PARAM_SIZE as u32,
        flags: 0,
    };
    if src.u8() >= 200 {
        match src.u8() % 6 {
            0 => m.magic = src.u32(),
            1 => m.major = src.u16(),
            2 => m.minor = src.u16(),
            3 => m.struct_size = src.pick(&[0, 8, 55, 56, 57, 64, 4096, 65536, 65537, u32::MAX]),
            4 => m.reserved = src.u32(),
            _ => m.minor = m.minor.wrapping_sub(1), // an older minor
        }
    }
    m.name = gen_text(src, &["fuzz", "m", "_mod", "x1"], 0, MAX_NAME);
    m.doc = gen_optional(src, &DOCS, MAX_DOC);
    m.functions = gen_array(src, PYZ3_MAX_FUNCTIONS, gen_func);
    if src.u8() >= 220 {
        m.function_size = src.pick(&[0, 8, 55, 57, 64, 128, 4096, 4097]);
    }
    if src.u8() >= 220 {
        m.param_size = src.pick(&[0, 17, 18, 20, 23, 32, 4096, 4097]);
    }
    match src.u8() {
        200..=239 => m.flags = PYZ3_PLUGIN_FREE_THREADED,
        240.. => m.flags = src.u32(),
        _ => {}
    }
    m
}

// ---- laying a model out in memory -------------------------------------------------------------

fn guard_page() -> usize {
    static GUARD: OnceLock<usize> = OnceLock::new();
    *GUARD.get_or_init(|| {
        // SAFETY: a fresh anonymous mapping with no access, kept for the life of the process.
        let p = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                PAGE,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED);
        p as usize
    })
}

/// Owns the memory a laid-out descriptor points into.
#[derive(Default)]
struct Arena {
    bufs: Vec<Vec<u8>>,
    maps: Vec<(usize, usize)>,
}

impl Drop for Arena {
    fn drop(&mut self) {
        for &(addr, len) in &self.maps {
            // SAFETY: mappings made by `unterminated`, unmapped once.
            unsafe { libc::munmap(addr as *mut libc::c_void, len) };
        }
    }
}

impl Arena {
    fn buf(&mut self, bytes: Vec<u8>) -> usize {
        let addr = bytes.as_ptr() as usize;
        self.bufs.push(bytes); // the heap block does not move
        addr
    }

    fn unterminated(&mut self, len: usize) -> usize {
        let span = len.div_ceil(PAGE).max(1) * PAGE;
        // SAFETY: a fresh anonymous mapping, recorded for munmap.
        let base = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                span + PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED);
        let base = base as usize;
        self.maps.push((base, span + PAGE));
        // SAFETY: inside the mapping just made.
        unsafe {
            core::ptr::write_bytes(base as *mut u8, b'a', span);
            assert_eq!(
                libc::mprotect((base + span) as *mut libc::c_void, PAGE, libc::PROT_NONE),
                0
            );
        }
        base + span - len
    }

    fn text(&mut self, t: &Text) -> usize {
        match t {
            Text::Null => 0,
            Text::Wild(a) => *a,
            Text::Bytes(b) => {
                let mut v = b.clone();
                v.push(0);
                self.buf(v)
            }
            Text::Unterminated(n) => self.unterminated(*n),
        }
    }

    /// Lays out `items` with `stride` bytes each (a valid stride may be smaller than the struct:
    /// an older minor's), writing the first `min(stride, size)` bytes of each; the buffer
    /// extends one whole struct past the last item.
    fn array<T: Copy>(&mut self, items: &[T], stride: usize) -> usize {
        let size = core::mem::size_of::<T>();
        let step = stride.clamp(1, 8192);
        let mut out = vec![0u8; items.len() * step + size];
        for (i, item) in items.iter().enumerate() {
            // SAFETY: the ABI structs have no padding (their layouts are asserted in sdk/abi.rs).
            let bytes = unsafe { core::slice::from_raw_parts(item as *const T as *const u8, size) };
            let n = size.min(stride);
            out[i * step..i * step + n].copy_from_slice(&bytes[..n]);
        }
        self.buf(out)
    }
}

unsafe extern "C" fn typed_fn(
    _: *const pyz3_value,
    _: *mut pyz3_value,
    _: *const pyz3_call,
) -> i32 {
    0
}

unsafe extern "C" fn raw_fn(
    _: *const *mut pyo3_ffi::PyObject,
    _: usize,
    _: *const pyz3_call,
) -> *mut pyo3_ffi::PyObject {
    core::ptr::null_mut()
}

fn array_address<T>(a: &Array<T>, lay: impl FnOnce() -> usize) -> usize {
    match a {
        Array::Null(_) => 0,
        Array::Wild(addr, _) => *addr,
        Array::Items(_) => lay(),
    }
}

fn lay_out(m: &Model, arena: &mut Arena) -> usize {
    let mut defs = Vec::new();
    if let Array::Items(funcs) = &m.functions {
        for f in funcs {
            let mut params = Vec::new();
            if let Array::Items(ps) = &f.params {
                for p in ps {
                    params.push(pyz3_param {
                        name: arena.text(&p.name) as *const _,
                        default_value: arena.text(&p.default) as *const _,
                        type_: p.ty,
                        flags: p.flags,
                        elem: p.reserved[0],
                        type_flags: p.reserved[1],
                        ndim: p.reserved[2],
                        reserved: p.reserved[3],
                        class_index: u16::from_ne_bytes([p.reserved[4], p.reserved[5]]),
                    });
                }
            }
            let params_addr =
                array_address(&f.params, || arena.array(&params, m.param_size as usize));
            defs.push(pyz3_function_def {
                name: arena.text(&f.name) as *const _,
                doc: arena.text(&f.doc) as *const _,
                params: params_addr as *const _,
                fn_: if f.typed { Some(typed_fn) } else { None },
                raw: if f.raw { Some(raw_fn) } else { None },
                user_data: core::ptr::null_mut(),
                param_count: f.params.count(),
                return_type: f.ret,
                return_flags: f.ret_flags,
                flags: f.flags,
                ret_elem: 0,
                ret_type_flags: 0,
                ret_ndim: 0,
                ret_reserved: 0,
                ret_class_index: 0,
                ret_item_count: 0,
                ret_items: core::ptr::null(),
            });
        }
    }
    let functions = array_address(&m.functions, || {
        arena.array(&defs, m.function_size as usize)
    });
    let plugin = pyz3_plugin {
        header: pyz3_plugin_header {
            magic: m.magic,
            abi_major: m.major,
            abi_minor: m.minor,
            struct_size: m.struct_size,
            reserved: m.reserved,
        },
        name: arena.text(&m.name) as *const _,
        doc: arena.text(&m.doc) as *const _,
        functions: functions as *const _,
        function_count: m.functions.count(),
        function_size: m.function_size,
        param_size: m.param_size,
        flags: m.flags,
        classes: core::ptr::null(),
        class_count: 0,
        class_size: 0,
        constants: core::ptr::null(),
        constant_count: 0,
        constant_size: 0,
        exceptions: core::ptr::null(),
        exception_count: 0,
        exception_size: 0,
    };
    arena.array(&[plugin], core::mem::size_of::<pyz3_plugin>())
}

// ---- the rules, written from docs/abi.md ------------------------------------------------------

/// The string a field holds, if it is readable, terminated within `max` bytes and UTF-8.
fn text_value(t: &Text, max: usize) -> Option<String> {
    match t {
        Text::Bytes(b) => {
            let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            (end <= max)
                .then(|| String::from_utf8(b[..end].to_vec()).ok())
                .flatten()
        }
        _ => None,
    }
}

fn identifier(t: &Text) -> Option<String> {
    let s = text_value(t, MAX_NAME)?;
    let mut chars = s.chars();
    let first_ok = matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c == '_' || c.is_ascii_alphanumeric());
    let keywords = [
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
        "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
        "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
        "try", "while", "with", "yield",
    ];
    (first_ok && rest_ok && !keywords.contains(&s.as_str())).then_some(s)
}

/// `None`/`Some(None)`/`Some(Some(s))`: invalid / NULL (allowed) / a valid string.
fn optional_text(t: &Text, max: usize) -> Option<Option<String>> {
    match t {
        Text::Null => Some(None),
        _ => text_value(t, max).map(Some),
    }
}

#[derive(Debug, PartialEq)]
struct ExpectedParam {
    name: String,
    ty: u8,
    flags: u8,
    default: Option<String>,
}

#[derive(Debug, PartialEq)]
struct ExpectedFunc {
    name: String,
    doc: Option<String>,
    params: Vec<ExpectedParam>,
    typed: bool,
    raw: bool,
    ret: u8,
    ret_flags: u8,
    flags: u16,
}

#[derive(Debug, PartialEq)]
struct Expected {
    name: String,
    doc: Option<String>,
    abi: (u16, u16),
    free_threaded: bool,
    functions: Vec<ExpectedFunc>,
}

fn expected_param(p: &Param, param_size: usize, fn_flags: u16) -> Option<ExpectedParam> {
    let name = identifier(&p.name)?;
    // A code the registry declares as a parameter type. An instance names a class by index,
    // and the model's plugins declare none.
    if !TypeCode::from_u8(p.ty).is_some_and(|t| t.info().param) || p.ty == PYZ3_T_INSTANCE {
        return None;
    }
    if p.flags & !(PYZ3_PARAM_OPTIONAL | PYZ3_PARAM_KEYWORD_ONLY) != 0 {
        return None;
    }
    if p.flags & PYZ3_PARAM_KEYWORD_ONLY != 0 && fn_flags & PYZ3_FN_POSITIONAL_ONLY != 0 {
        return None;
    }
    // Reserved bytes beyond the plugin's param_size read as zero. A buffer uses the first three
    // (elem, type_flags, ndim) under its own rule; a sequence or dict (ABI 1.1) needs `elem` to
    // name a scalar parameter type; every other byte must be zero.
    let visible = param_size.saturating_sub(RESERVED_AT).min(6);
    let mut facts = [0u8; 6];
    facts[..visible].copy_from_slice(&p.reserved[..visible]);
    let ty = TypeCode::from_u8(p.ty)?;
    let used = if p.ty == PYZ3_T_BUFFER {
        pyz3_core::buffer::check_param_facts(facts[0], facts[1], facts[2]).ok()?;
        3
    } else if ty.info().needs == Needs::Elem {
        if !TypeCode::from_u8(facts[0]).is_some_and(|e| e.info().is_param_elem()) {
            return None;
        }
        1
    } else {
        0
    };
    if facts[used..].iter().any(|&b| b != 0) {
        return None;
    }
    let default = optional_text(&p.default, MAX_DOC)?;
    Some(ExpectedParam {
        name,
        ty: p.ty,
        flags: p.flags,
        default,
    })
}

fn expected_func(f: &Func, param_size: usize) -> Option<ExpectedFunc> {
    let name = identifier(&f.name)?;
    let doc = optional_text(&f.doc, MAX_DOC)?;
    // The generated result facts (ret_elem, ...) are zero: no valid array result, and no
    // instance result (the model's plugins declare no class).
    if f.typed == f.raw
        // Compound results need facts (ret_elem, ret_items, ret_ndim) the model does not
        // generate.
        || f.ret == PYZ3_T_ARRAY
        || f.ret == PYZ3_T_INSTANCE
        || !TypeCode::from_u8(f.ret).is_some_and(|t| t.info().result && t.info().needs == Needs::None)
        || f.ret_flags & !PYZ3_RETURN_OPTIONAL != 0
    {
        return None;
    }
    if f.flags & !(PYZ3_FN_RELEASE_GIL | PYZ3_FN_POSITIONAL_ONLY) != 0 {
        return None;
    }
    if f.raw && f.flags & PYZ3_FN_RELEASE_GIL != 0 {
        return None;
    }
    let count = f.params.count();
    if count > PYZ3_MAX_PARAMS || (count > 0 && !(MIN_PARAM_SIZE..=PAGE).contains(&param_size)) {
        return None;
    }
    let mut params: Vec<ExpectedParam> = Vec::new();
    match &f.params {
        Array::Items(ps) => {
            let (mut seen_default, mut seen_kwonly) = (false, false);
            for p in ps {
                let e = expected_param(p, param_size, f.flags)?;
                let kwonly = e.flags & PYZ3_PARAM_KEYWORD_ONLY != 0;
                if params.iter().any(|q| q.name == e.name) || (seen_kwonly && !kwonly) {
                    return None;
                }
                if e.default.is_some() {
                    seen_default = true;
                } else if seen_default && !kwonly {
                    return None;
                }
                seen_kwonly |= kwonly;
                params.push(e);
            }
        }
        _ if count > 0 => return None,
        _ => {}
    }
    Some(ExpectedFunc {
        name,
        doc,
        params,
        typed: f.typed,
        raw: f.raw,
        ret: f.ret,
        ret_flags: f.ret_flags,
        flags: f.flags,
    })
}

fn expected(m: &Model) -> Option<Expected> {
    let min_size = PYZ3_PLUGIN_SIZE_1_0 as u32;
    if m.magic != PYZ3_ABI_MAGIC
        || m.major != PYZ3_ABI_MAJOR
        || m.minor > PYZ3_ABI_MINOR
        || !(min_size..=65536).contains(&m.struct_size)
        || m.reserved != 0
        || m.flags & !PYZ3_PLUGIN_FREE_THREADED != 0
    {
        return None;
    }
    let name = identifier(&m.name)?;
    let doc = optional_text(&m.doc, MAX_DOC)?;
    let count = m.functions.count();
    if count > PYZ3_MAX_FUNCTIONS
        || (count > 0 && !(PYZ3_FUNCTION_SIZE_1_0..=PAGE).contains(&(m.function_size as usize)))
    {
        return None;
    }
    let mut functions: Vec<ExpectedFunc> = Vec::new();
    match &m.functions {
        Array::Items(fs) => {
            for f in fs {
                let e = expected_func(f, m.param_size as usize)?;
                if functions.iter().any(|g| g.name == e.name) {
                    return None;
                }
                functions.push(e);
            }
        }
        _ if count > 0 => return None,
        _ => {}
    }
    Some(Expected {
        name,
        doc,
        abi: (m.major, m.minor),
        free_threaded: m.flags & PYZ3_PLUGIN_FREE_THREADED != 0,
        functions,
    })
}

fn observed(spec: &PluginSpec) -> Expected {
    Expected {
        name: spec.name.clone(),
        doc: spec.doc.clone(),
        abi: spec.abi,
        free_threaded: spec.free_threaded,
        functions: spec
            .functions
            .iter()
            .map(|f| ExpectedFunc {
                name: f.name.clone(),
                doc: f.doc.clone(),
                params: f
                    .params
                    .iter()
                    .map(|p| ExpectedParam {
                        name: p.name.clone(),
                        ty: p.ty as u8,
                        flags: p.flags,
                        default: p.default.clone(),
                    })
                    .collect(),
                typed: f.fn_.is_some(),
                raw: f.raw.is_some(),
                ret: f.return_type as u8,
                ret_flags: f.return_flags,
                flags: f.flags,
            })
            .collect(),
    }
}

/// Lays out the descriptor for `data`, validates it, and compares with the model.
fn check(data: &[u8]) -> Result<(), String> {
    let model = gen_model(data);
    let mut arena = Arena::default();
    let addr = lay_out(&model, &mut arena);
    let got = read_descriptor(Path::new("/fuzz/libfuzz.so"), addr, test_code());
    let want = expected(&model);
    match (got, want) {
        (Ok(spec), Some(want)) if observed(&spec) == want => Ok(()),
        (Ok(spec), Some(want)) => Err(format!(
            "accepted, but copied wrongly:\n got {:?}\nwant {want:?}",
            observed(&spec)
        )),
        (Ok(_), None) => Err(format!("accepted a descriptor the rules refuse: {model:?}")),
        (Err(e), Some(_)) => Err(format!("refused a valid descriptor ({e}): {model:?}")),
        (Err(e), None) if e.is_empty() || e.contains('\0') => {
            Err(format!("refusal without a usable message: {e:?}"))
        }
        (Err(_), None) => Ok(()),
    }
}

// ---- inputs -----------------------------------------------------------------------------------

/// A seed input and its note: `None` for "ok", or part of the expected refusal message.
struct Seed {
    data: Vec<u8>,
    refusal: Option<String>,
    line: usize,
}

fn seed_corpus_entries() -> Vec<Seed> {
    let text = include_str!("fuzz_seeds/descriptor.txt");
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let (hex, note) = line.split_once('#').unwrap_or((line, ""));
        let hex: String = hex.chars().filter(|c| !c.is_whitespace()).collect();
        if hex.is_empty() {
            continue; // a comment line
        }
        let hex = if hex == "-" { String::new() } else { hex };
        let data = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex seed"))
            .collect();
        let note = note.trim();
        let refusal = if note.starts_with("ok") {
            None
        } else {
            let quoted = note.strip_prefix("err \"").and_then(|r| r.split_once('"'));
            Some(
                quoted
                    .expect("a seed note is 'ok' or 'err \"...\"'")
                    .0
                    .to_owned(),
            )
        };
        out.push(Seed {
            data,
            refusal,
            line: n + 1,
        });
    }
    out
}

fn seeds() -> Vec<Vec<u8>> {
    seed_corpus_entries().into_iter().map(|s| s.data).collect()
}

fn cases() -> u32 {
    std::env::var("PYZ3_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

#[test]
fn all_zero_input_is_a_valid_descriptor() {
    assert!(expected(&gen_model(&[])).is_some());
    check(&[]).unwrap();
}

#[test]
fn seed_corpus() {
    let seeds = seed_corpus_entries();
    assert!(seeds.len() >= 10, "the seed corpus is missing");
    let mut outcomes = HashSet::new();
    for seed in &seeds {
        let at = format!("descriptor.txt line {}", seed.line);
        if let Err(e) = check(&seed.data) {
            panic!("{at}: {e}");
        }
        let mut arena = Arena::default();
        let addr = lay_out(&gen_model(&seed.data), &mut arena);
        match (
            read_descriptor(Path::new("/fuzz/libfuzz.so"), addr, test_code()),
            &seed.refusal,
        ) {
            (Ok(_), None) => {}
            (Err(e), Some(part)) => {
                assert!(e.contains(part.as_str()), "{at}: {e:?} lacks {part:?}")
            }
            (got, want) => panic!("{at}: got {:?}, the note says {want:?}", got.map(|_| ())),
        }
        outcomes.insert(seed.refusal.is_none());
    }
    assert_eq!(
        outcomes.len(),
        2,
        "the corpus holds valid and invalid descriptors"
    );
}

/// Mostly zero bytes (the valid choice), so that most inputs get deep into the descriptor and
/// break only a few things at once.
fn biased_byte() -> impl Strategy<Value = u8> {
    prop_oneof![6 => Just(0u8), 2 => 0u8..8, 2 => any::<u8>()]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases() / 2,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_descriptors(data in proptest::collection::vec(biased_byte(), 0..400)) {
        check(&data).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn mutated_seeds(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), biased_byte()), 1..6),
    ) {
        let seeds = seeds();
        let mut data = seeds[which.index(seeds.len())].clone();
        for (at, byte) in edits {
            if data.is_empty() {
                data.push(byte);
            } else {
                let i = at.index(data.len());
                data[i] = byte;
            }
        }
        check(&data).map_err(TestCaseError::fail)?;
    }
}
