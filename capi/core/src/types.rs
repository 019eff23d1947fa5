//! capi/core/src/types.rs: the type registry — every declared type of the plugin ABI, once.
//!
//! One list ([`type_registry!`] below) declares each type code with its facts. From it come the
//! `#[repr(u8)]` enum [`TypeCode`] that conversion and trampoline code match on exhaustively (a
//! new code makes the compiler name every place that must handle it), the `PYZ3_T_*` constants,
//! and the table [`TYPES`] that `capi/gen` turns into the header's type codes, the Rust SDK's and
//! the Zig SDK's tables, and that the loader serves to Python (`describe()`, stubs, the CLI).
//! docs/design.md, "Adding a type", lists the few hand-written places a new type touches.

/// Which `pyz3_value` member carries a value of the type, and how it is represented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repr {
    /// No value: `None` as a result.
    Void,
    /// A two's-complement integer of `bits` bits (`signed` or not).
    Int {
        /// 8, 16, 32 or 64.
        bits: u32,
        /// Signed (`intN_t`) or unsigned (`uintN_t`).
        signed: bool,
    },
    /// An IEEE 754 binary float of `bits` bits (32 or 64).
    Float {
        /// 32 or 64.
        bits: u32,
    },
    /// A C `bool`.
    Bool,
    /// UTF-8 text: `pyz3_str` argument borrowed for the call, new `str` object as a result.
    Text,
    /// Bytes: `pyz3_str` argument borrowed for the call, new `bytes` object as a result.
    Bytes,
    /// A Python object: borrowed argument, new reference as a result.
    Object,
    /// A buffer argument (PEP 3118): a `pyz3_buffer` view the trampoline fills and releases
    /// (a per-call view, docs/design.md "Per-call views").
    Buffer,
    /// A new array the plugin fills in: a new reference in `pyz3_value.obj` (`pyz3_array_new`).
    Array,
}

impl Repr {
    /// `(kind, bits, signed)`: the representation as plain facts for the SDK tables and
    /// `type_registry()` — kind is "void", "int", "float", "bool", "str", "bytes" or "object".
    pub const fn kind_bits_signed(self) -> (&'static str, u32, bool) {
        match self {
            Repr::Void => ("void", 0, false),
            Repr::Int { bits, signed } => ("int", bits, signed),
            Repr::Float { bits } => ("float", bits, true),
            Repr::Bool => ("bool", 8, false),
            Repr::Text => ("str", 0, false),
            Repr::Bytes => ("bytes", 0, false),
            Repr::Object => ("object", 0, false),
            Repr::Buffer => ("buffer", 0, false),
            Repr::Array => ("array", 0, false),
        }
    }
}

/// Which literals a parameter default of the type may be (`pyz3_param.default_value`). The
/// loader evaluates the literal with `ast.literal_eval` and converts it like an argument, so a
/// default is valid exactly when an argument with that value would be; these rules say what the
/// SDKs may write, and what no signature can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultRule {
    /// No default (the type is not a parameter type).
    None,
    /// An `int` literal within the type's range.
    Int,
    /// An `int` or `float` literal; infinities are written `1e999` / `-1e999`; NaN is refused
    /// (a signature cannot show it).
    Float,
    /// `True` or `False`.
    Bool,
    /// A `str` literal.
    Str,
    /// A `bytes` literal.
    Bytes,
    /// Any literal, including `None`.
    Any,
    /// Only `None`, for an optional parameter (a per-call view has no literal).
    NoneOnly,
}

/// The facts about one declared type.
#[derive(Clone, Copy, Debug)]
pub struct TypeInfo {
    /// The code.
    pub code: TypeCode,
    /// The C macro (`PYZ3_T_I64`).
    pub macro_name: &'static str,
    /// The registry name, used in messages ("out of range for int64"), `describe()` and docs.
    pub name: &'static str,
    /// The C type of the value as the plugin sees it.
    pub c_type: &'static str,
    /// The `pyz3_value` member an argument arrives in ("" when not a parameter type).
    pub arg_member: &'static str,
    /// The `pyz3_value` member a result is written to ("" for `void`).
    pub result_member: &'static str,
    /// The Python annotation of a parameter of this type.
    pub param_annotation: &'static str,
    /// The Python annotation of a result of this type.
    pub result_annotation: &'static str,
    /// What a conversion error says an argument must be: "must be {expected}, not str".
    pub expected: &'static str,
    /// Representation.
    pub repr: Repr,
    /// Valid as a parameter type.
    pub param: bool,
    /// Valid as a result type.
    pub result: bool,
    /// An argument borrows from the Python object: valid for the call only.
    pub borrowed_arg: bool,
    /// Producing a result of this type creates a Python object, which needs the GIL: an SDK
    /// making it inside a GIL-released function must take a GIL scope first.
    pub result_needs_gil: bool,
    /// An argument is a per-call view: the trampoline converts it into storage it owns (stack
    /// first, heap when large), passes a pointer in the `pyz3_value`, and releases it on every
    /// path after the call (`capi/core/src/views.rs`). Such a type converts with
    /// `convert::to_arg_into`, never `to_value_into`.
    pub arg_view: bool,
    /// What a default of this type may be.
    pub default: DefaultRule,
    /// The doc comment the header carries for the macro.
    pub doc: &'static str,
}

macro_rules! type_registry {
    ($(
        $(#[doc = $doc:literal])+
        $variant:ident = $code:literal, $macro_name:ident {
            $($field:ident: $value:expr),* $(,)?
        }
    )+) => {
        /// A declared type code (`pyz3_param.type`, `pyz3_function_def.return_type`), validated.
        #[repr(u8)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum TypeCode {
            $( $(#[doc = $doc])+ $variant = $code, )+
        }

        $(
            $(#[doc = $doc])+
            pub const $macro_name: u8 = $code;
        )+

        /// Every type, in code order. Codes need not be dense: each feature of the ABI owns a
        /// block of codes (docs/design.md, "Adding a type").
        pub const TYPES: &[TypeInfo] = &[
            $( TypeInfo {
                code: TypeCode::$variant,
                macro_name: stringify!($macro_name),
                doc: concat!($($doc, "\n"),+),
                $($field: $value,)*
            }, )+
        ];
    };
}

type_registry! {
    /// No value: valid only as a return type, and returns `None`.
    Void = 0, PYZ3_T_VOID {
        name: "void", c_type: "void", arg_member: "", result_member: "",
        param_annotation: "None", result_annotation: "None", expected: "None",
        repr: Repr::Void, param: false, result: true, borrowed_arg: false,
        result_needs_gil: false, arg_view: false, default: DefaultRule::None,
    }
    /// `int8_t`, in `pyz3_value.i8`.
    I8 = 1, PYZ3_T_I8 {
        name: "int8", c_type: "int8_t", arg_member: "i8", result_member: "i8",
        param_annotation: "int", result_annotation: "int", expected: "int",
        repr: Repr::Int { bits: 8, signed: true }, param: true, result: true,
        borrowed_arg: false, result_needs_gil: false, arg_view: false, default: DefaultRule::Int,
    }
    /// `int16_t`, in `pyz3_value.i16`.
    I16 = 2, PYZ3_T_I16 {
        name: "int16", c_type: "int16_t", arg_member: "i16", result_member: "i16",
        param_annotation: "int", result_annotation: "int", expected: "int",
        repr: Repr::Int { bits: 16, signed: true }, param: true, result: true,
        borrowed_arg: false, result_needs_gil: false, arg_view: false, default: DefaultRule::Int,
    }
    /// `int32_t`, in `pyz3_value.i32`.
    I32 = 3, PYZ3_T_I32 {
        name: "int32", c_type: "int32_t", arg_member: "i32", result_member: "i32",
        param_annotation: "int", result_annotation: "int", expected: "int",
        repr: Repr::Int { bits: 32, signed: true }, param: true, result: true,
        borrowed_arg: false, result_needs_gil: false, arg_view: false, default: DefaultRule::Int,
    }
    /// `int64_t`, in `pyz3_value.i64`.
    I64 = 4, PYZ3_T_I64 {
        name: "int64", c_type: "int64_t", arg_member: "i64", result_member: "i64",
        param_annotation: "int", result_annotation: "int", expected: "int",
        repr: Repr::Int { bits: 64, signed: true }, param: true, result: true,
        borrowed_arg: false, result_needs_gil: false, arg_view: false, default: DefaultRule::Int,
    }
    /// `uint8_t`, in `pyz3_value.u8`.
    U8 = 5, PYZ3_T_U8 {
        name: "uint8", c_type: "uint8_t", arg_member: "u8", result_member: "u8",
        param_annotation: "int", result_annotation: "int", expected: "int",
        repr: Repr::Int { bits: 8, signed: false }, param: true, result: true,
        borrowed_arg: false, result_needs_gil: false, arg_view: false, default: DefaultRule::Int,
    }
    /// `uint16_t`, in `pyz3_value.u16`.
    U16 = 6, PYZ3_T_U16 {
        name: "uint16", c_type: "uint16_t", arg_member: "u16", result_member: "u16",
        param_annotation: "int", result_annotation: "int", expected: "int",
        repr: Repr::Int { bits: 16, signed: false }, param: true, result: true,
        borrowed_arg: false, result_needs_gil: false, arg_view: false, default: DefaultRule::Int,
    }
    /// `uint32_t`, in `pyz3_value.u32`.
    U32 = 7, PYZ3_T_U32 {
        name: "uint32", c_type: "uint32_t", arg_member: "u32", result_member: "u32",
        param_annotation: "int", result_annotation: "int", expected: "int",
        repr: Repr::Int { bits: 32, signed: false }, param: true, result: true,
        borrowed_arg: false, result_needs_gil: false, arg_view: false, default: DefaultRule::Int,
    }
    /// `uint64_t`, in `pyz3_value.u64`.
    U64 = 8, PYZ3_T_U64 {
        name: "uint64", c_type: "uint64_t", arg_member: "u64", result_member: "u64",
        param_annotation: "int", result_annotation: "int", expected: "int",
        repr: Repr::Int { bits: 64, signed: false }, param: true, result: true,
        borrowed_arg: false, result_needs_gil: false, arg_view: false, default: DefaultRule::Int,
    }
    /// `float`, in `pyz3_value.f32`.
    F32 = 9, PYZ3_T_F32 {
        name: "float32", c_type: "float", arg_member: "f32", result_member: "f32",
        param_annotation: "float", result_annotation: "float",
        expected: "a real number (float or int)",
        repr: Repr::Float { bits: 32 }, param: true, result: true,
        borrowed_arg: false, result_needs_gil: false, arg_view: false, default: DefaultRule::Float,
    }
    /// `double`, in `pyz3_value.f64`.
    F64 = 10, PYZ3_T_F64 {
        name: "float64", c_type: "double", arg_member: "f64", result_member: "f64",
        param_annotation: "float", result_annotation: "float",
        expected: "a real number (float or int)",
        repr: Repr::Float { bits: 64 }, param: true, result: true,
        borrowed_arg: false, result_needs_gil: false, arg_view: false, default: DefaultRule::Float,
    }
    /// `bool`, in `pyz3_value.b`. Arguments accept only `True` and `False`.
    Bool = 11, PYZ3_T_BOOL {
        name: "bool", c_type: "bool", arg_member: "b", result_member: "b",
        param_annotation: "bool", result_annotation: "bool", expected: "bool",
        repr: Repr::Bool, param: true, result: true,
        borrowed_arg: false, result_needs_gil: false, arg_view: false, default: DefaultRule::Bool,
    }
    /// Python `str`. Arguments arrive as UTF-8 in `pyz3_value.str`, borrowed for the call;
    /// results are a new reference in `pyz3_value.obj` (make one with `pyz3_from_str`).
    Str = 12, PYZ3_T_STR {
        name: "str", c_type: "pyz3_str", arg_member: "str", result_member: "obj",
        param_annotation: "str", result_annotation: "str", expected: "str",
        repr: Repr::Text, param: true, result: true,
        borrowed_arg: true, result_needs_gil: true, arg_view: false, default: DefaultRule::Str,
    }
    /// Python `bytes`. Arguments arrive in `pyz3_value.bytes`, borrowed for the call; results
    /// are a new reference in `pyz3_value.obj` (make one with `pyz3_from_bytes`).
    Bytes = 13, PYZ3_T_BYTES {
        name: "bytes", c_type: "pyz3_str", arg_member: "bytes", result_member: "obj",
        param_annotation: "bytes", result_annotation: "bytes", expected: "bytes",
        repr: Repr::Bytes, param: true, result: true,
        borrowed_arg: true, result_needs_gil: true, arg_view: false, default: DefaultRule::Bytes,
    }
    /// Any Python object. Arguments arrive as a borrowed reference in `pyz3_value.obj`; results
    /// are a new reference in `pyz3_value.obj`.
    Object = 14, PYZ3_T_OBJECT {
        name: "object", c_type: "PyObject *", arg_member: "obj", result_member: "obj",
        param_annotation: "object", result_annotation: "Any", expected: "object",
        repr: Repr::Object, param: true, result: true,
        borrowed_arg: true, result_needs_gil: true, arg_view: false, default: DefaultRule::Any,
    }
    /// A buffer (PEP 3118: `bytes`, `bytearray`, `memoryview`, `array.array`, numpy arrays, ...).
    /// Arguments arrive as a `pyz3_buffer *` in `pyz3_value.buf`, a view the trampoline holds
    /// for the call (also across `PYZ3_FN_RELEASE_GIL`). `pyz3_param.elem` is the element type,
    /// `type_flags` the `PYZ3_BUF_*` requirements, `ndim` the dimensions (0 = any).
    Buffer = 15, PYZ3_T_BUFFER {
        name: "buffer", c_type: "pyz3_buffer *", arg_member: "buf", result_member: "",
        param_annotation: "Buffer", result_annotation: "", expected: "a buffer",
        repr: Repr::Buffer, param: true, result: false,
        borrowed_arg: true, result_needs_gil: false, arg_view: true,
        default: DefaultRule::NoneOnly,
    }
    /// A new array (`pyz3.Array`, C-contiguous) that the function fills in: make it with
    /// `pyz3_array_new`, which stores a new reference in `pyz3_value.obj`.
    /// `pyz3_function_def.ret_elem` is the element type, `ret_ndim` the dimensions,
    /// `ret_type_flags` the `PYZ3_ARRAY_*` bits.
    Array = 16, PYZ3_T_ARRAY {
        name: "array", c_type: "PyObject *", arg_member: "", result_member: "obj",
        param_annotation: "", result_annotation: "Buffer", expected: "array",
        repr: Repr::Array, param: false, result: true,
        borrowed_arg: false, result_needs_gil: true, arg_view: false,
        default: DefaultRule::None,
    }
}

/// The facts a compound type carries besides its code (ABI 1.1: `pyz3_param.elem`,
/// `type_flags`, `ndim`, `class_index`, and the `ret_*` fields of `pyz3_function_def`), as the
/// loader validated them. All zero (`elem` = `Void`) for the other types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeFacts {
    /// The element type: a buffer's or array's items, a sequence's items, a dict's values.
    pub elem: TypeCode,
    /// Bits specific to the type (buffers: `PYZ3_BUF_*`; arrays: `PYZ3_ARRAY_*`).
    pub type_flags: u8,
    /// Buffers and arrays: the number of dimensions (0 = any, for parameters).
    pub ndim: u8,
    /// Instances: the class, as an index into the plugin's classes.
    pub class_index: u16,
}

impl TypeFacts {
    /// No facts: what every non-compound type has.
    pub const NONE: TypeFacts = TypeFacts {
        elem: TypeCode::Void,
        type_flags: 0,
        ndim: 0,
        class_index: 0,
    };
}

/// One past the last valid type code.
pub const PYZ3_T_COUNT: u8 = TYPES[TYPES.len() - 1].code as u8 + 1;

/// `INDEX[code]` is the position of `code` in [`TYPES`], or `u8::MAX` for an unused code.
const INDEX: [u8; 256] = {
    let mut index = [u8::MAX; 256];
    let mut i = 0;
    while i < TYPES.len() {
        let code = TYPES[i].code as usize;
        assert!(index[code] == u8::MAX, "a type code is declared twice");
        assert!(
            i == 0 || (TYPES[i - 1].code as usize) < code,
            "TYPES must be in code order"
        );
        index[code] = i as u8;
        i += 1;
    }
    index
};

impl TypeInfo {
    /// A result of this type is a Python object the plugin made (a new reference in
    /// `pyz3_value.obj`), which the caller owns.
    #[inline]
    pub const fn result_is_object(&self) -> bool {
        matches!(
            self.repr,
            Repr::Text | Repr::Bytes | Repr::Object | Repr::Array
        )
    }
}

impl TypeCode {
    /// The code for a descriptor byte, if it names a type.
    #[inline]
    pub const fn from_u8(code: u8) -> Option<TypeCode> {
        match INDEX[code as usize] {
            u8::MAX => None,
            i => Some(TYPES[i as usize].code),
        }
    }

    /// The registry entry.
    #[inline]
    pub const fn info(self) -> &'static TypeInfo {
        &TYPES[INDEX[self as usize] as usize]
    }

    /// The registry name (`int64`).
    #[inline]
    pub const fn name(self) -> &'static str {
        self.info().name
    }

    /// The `(min, max)` of an integer type, as i128 (so both signed and unsigned fit).
    pub const fn int_range(self) -> Option<(i128, i128)> {
        match self.info().repr {
            Repr::Int { bits, signed: true } => {
                Some((-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1))
            }
            Repr::Int {
                bits,
                signed: false,
            } => Some((0, (1i128 << bits) - 1)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_finds_its_entry() {
        for t in TYPES {
            assert_eq!(TypeCode::from_u8(t.code as u8), Some(t.code), "{}", t.name);
            assert_eq!(t.code.info().name, t.name);
        }
        let used = TYPES.iter().map(|t| t.code as u8).collect::<Vec<_>>();
        for c in 0..=u8::MAX {
            assert_eq!(
                TypeCode::from_u8(c).is_some(),
                used.contains(&c),
                "code {c}"
            );
        }
        assert_eq!(TypeCode::from_u8(PYZ3_T_COUNT), None);
    }

    #[test]
    fn members_agree_with_representation() {
        for t in TYPES {
            let expected_arg = match t.repr {
                Repr::Void => "",
                Repr::Int { bits, signed } => {
                    let m = format!("{}{bits}", if signed { "i" } else { "u" });
                    assert_eq!(t.arg_member, m, "{}", t.name);
                    assert_eq!(t.result_member, m, "{}", t.name);
                    continue;
                }
                Repr::Float { bits } => {
                    assert_eq!(t.arg_member, format!("f{bits}"), "{}", t.name);
                    continue;
                }
                Repr::Bool => "b",
                Repr::Text => "str",
                Repr::Bytes => "bytes",
                Repr::Object => "obj",
                Repr::Buffer => "buf",
                Repr::Array => "",
            };
            assert_eq!(t.arg_member, expected_arg, "{}", t.name);
            assert_eq!(t.param, !t.arg_member.is_empty(), "{}", t.name);
            assert_eq!(
                t.result_needs_gil,
                t.result_member == "obj",
                "{}: results in `obj` are objects",
                t.name
            );
            assert_eq!(t.default == DefaultRule::None, !t.param, "{}", t.name);
            assert!(
                !t.arg_view || t.param,
                "{}: a view type is a parameter type",
                t.name
            );
        }
    }

    #[test]
    fn integer_ranges() {
        assert_eq!(TypeCode::I8.int_range(), Some((-128, 127)));
        assert_eq!(TypeCode::U64.int_range(), Some((0, u64::MAX as i128)));
        assert_eq!(TypeCode::F64.int_range(), None);
    }
}
