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
    /// An instance of one of the plugin's classes (which one: `class_index`), as a pointer to
    /// its native state.
    Instance,
    /// A sequence argument: a `pyz3_seq` view of converted items (ABI 1.1).
    Sequence,
    /// A `dict[str, T]`: a `pyz3_dict` view as an argument, built from a `pyz3_out` as a result.
    Dict,
    /// A `list[T]` result, built from a `pyz3_out` (ABI 1.1).
    List,
    /// A `tuple[T1, T2, ...]` result: one `pyz3_value` per item (ABI 1.1).
    Tuple,
    /// A callable argument: borrowed, called back with `pyz3_call_typed` (ABI 1.1).
    Callable,
    /// A native iterator result, made by `pyz3_result_iter` (ABI 1.1).
    Iterator,
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
            Repr::Instance => ("instance", 0, false),
            Repr::Sequence => ("sequence", 0, false),
            Repr::Dict => ("dict", 0, false),
            Repr::List => ("list", 0, false),
            Repr::Tuple => ("tuple", 0, false),
            Repr::Callable => ("callable", 0, false),
            Repr::Iterator => ("iterator", 0, false),
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
    /// Only `None`, for an optional parameter (a per-call view or an instance has no literal).
    NoneOnly,
}

/// Which compound-type facts a declaration of the type carries (ABI 1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// None: `elem`, `ret_elem`, `ret_item_count`, `ret_items` are 0.
    None,
    /// An element type in `pyz3_param.elem` / `pyz3_function_def.ret_elem`.
    Elem,
    /// Per-item types in `ret_item_count` / `ret_items` (tuple results).
    Items,
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
    /// The compound-type facts a declaration carries. In the annotations and `expected`,
    /// `{elem}` stands for the element type's annotation and `{items}` for the items'.
    pub needs: Needs,
    /// The doc comment the header carries for the macro.
    pub doc: &'static str,
}

impl TypeInfo {
    /// The facts the registry entries below do not spell out.
    const DEFAULTS: TypeInfo = TypeInfo {
        code: TypeCode::Void,
        macro_name: "",
        name: "",
        c_type: "",
        arg_member: "",
        result_member: "",
        param_annotation: "",
        result_annotation: "",
        expected: "",
        repr: Repr::Void,
        param: false,
        result: false,
        borrowed_arg: false,
        result_needs_gil: false,
        arg_view: false,
        default: DefaultRule::None,
        needs: Needs::None,
        doc: "",
    };
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
        #[allow(
            clippy::needless_update,
            reason = "entries that spell out every fact keep the defaults too"
        )]
        pub const TYPES: &[TypeInfo] = &[
            $( TypeInfo {
                code: TypeCode::$variant,
                macro_name: stringify!($macro_name),
                doc: concat!($($doc, "\n"),+),
                $($field: $value,)*
                ..TypeInfo::DEFAULTS
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
    /// An instance of a class of the plugin: `pyz3_param.class_index` and
    /// `pyz3_function_def.ret_class_index` name the class. Arguments arrive as the instance's
    /// native state in `pyz3_value.inst`, borrowed for the call (instances of Python subclasses
    /// are accepted). For a result, pyz3 makes a new instance before the call and passes its
    /// zeroed state in `result->inst`; the function fills it and returns `PYZ3_OK`.
    Instance = 17, PYZ3_T_INSTANCE {
        name: "instance", c_type: "void *", arg_member: "inst", result_member: "inst",
        param_annotation: "object", result_annotation: "object",
        expected: "an instance of its class",
        repr: Repr::Instance, param: true, result: true,
        borrowed_arg: true, result_needs_gil: false, arg_view: false,
        default: DefaultRule::NoneOnly,
    }
    /// A sequence argument (ABI 1.1): a `list`, `tuple` or other sequence (not `str`, `bytes`
    /// or `bytearray`) whose items convert to `pyz3_param.elem`. Arrives in `pyz3_value.seq`, a
    /// view the loader owns for the call.
    Sequence = 18, PYZ3_T_SEQUENCE {
        name: "sequence", c_type: "const pyz3_seq *", arg_member: "seq",
        param_annotation: "Sequence[{elem}]", expected: "a sequence",
        repr: Repr::Sequence, param: true, borrowed_arg: true, arg_view: true,
        default: DefaultRule::NoneOnly, needs: Needs::Elem,
    }
    /// A `dict` with `str` keys whose values convert to `elem` (ABI 1.1). Arguments arrive in
    /// `pyz3_value.dict`, a view the loader owns for the call; results are filled through
    /// `pyz3_result_dict` (`ret_elem` names the values' type).
    Dict = 19, PYZ3_T_DICT {
        name: "dict", c_type: "const pyz3_dict *", arg_member: "dict", result_member: "out",
        param_annotation: "dict[str, {elem}]", result_annotation: "dict[str, {elem}]",
        expected: "dict", repr: Repr::Dict, param: true, result: true, borrowed_arg: true,
        arg_view: true, result_needs_gil: true, default: DefaultRule::NoneOnly, needs: Needs::Elem,
    }
    /// A `list` result (ABI 1.1), filled through `pyz3_result_list`; `ret_elem` names the
    /// items' type.
    List = 20, PYZ3_T_LIST {
        name: "list", c_type: "pyz3_out *", result_member: "out",
        result_annotation: "list[{elem}]", repr: Repr::List, result: true,
        result_needs_gil: true, needs: Needs::Elem,
    }
    /// A `tuple` result (ABI 1.1): `result` points to `ret_item_count` values, item `i` of type
    /// `ret_items[i]`, each written as a result of that type.
    Tuple = 21, PYZ3_T_TUPLE {
        name: "tuple", c_type: "pyz3_value[]",
        result_annotation: "tuple[{items}]", repr: Repr::Tuple, result: true,
        result_needs_gil: true, needs: Needs::Items,
    }
    /// A callable argument (ABI 1.1), borrowed in `pyz3_value.obj`; call it with
    /// `pyz3_call_typed` (typed values) or `pyz3_call_kw` (objects).
    Callable = 22, PYZ3_T_CALLABLE {
        name: "callable", c_type: "PyObject *", arg_member: "obj",
        param_annotation: "Callable[..., Any]", expected: "callable",
        repr: Repr::Callable, param: true, borrowed_arg: true, default: DefaultRule::NoneOnly,
    }
    /// An iterator result (ABI 1.1), made by `pyz3_iterator_new` in `pyz3_value.obj`; its
    /// `next` yields items of type `ret_elem`.
    Iterator = 23, PYZ3_T_ITERATOR {
        name: "iterator", c_type: "PyObject *", result_member: "obj",
        result_annotation: "Iterator[{elem}]", repr: Repr::Iterator, result: true,
        result_needs_gil: true, needs: Needs::Elem,
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
            Repr::Text | Repr::Bytes | Repr::Object | Repr::Array | Repr::Iterator
        )
    }

    /// A scalar type: one C value in one `pyz3_value` member (everything but the compound
    /// types of ABI 1.1). Only scalars can be the elements of a container type.
    #[inline]
    pub const fn is_scalar(&self) -> bool {
        !matches!(
            self.repr,
            Repr::Buffer
                | Repr::Array
                | Repr::Sequence
                | Repr::Dict
                | Repr::List
                | Repr::Tuple
                | Repr::Callable
                | Repr::Iterator
        )
    }

    /// Valid as the element of a compound parameter (`pyz3_param.elem`): a scalar parameter
    /// type.
    #[inline]
    pub const fn is_param_elem(&self) -> bool {
        self.is_scalar() && self.param
    }

    /// Valid as the element or item of a compound result (`ret_elem`, `ret_items`): a scalar
    /// result type other than `void`.
    #[inline]
    pub const fn is_result_elem(&self) -> bool {
        self.is_scalar() && self.result && !matches!(self.repr, Repr::Void)
    }

    /// The size in bytes of one item of this (scalar) type in a `pyz3_items` array: as an
    /// argument (`str`/`bytes` are `pyz3_str`) or as a result (`str`/`bytes`/`object` are
    /// `PyObject *`). 0 for types that cannot be items.
    pub const fn item_size(&self, as_result: bool) -> usize {
        match self.repr {
            Repr::Int { bits, .. } | Repr::Float { bits } => (bits / 8) as usize,
            Repr::Bool => 1,
            Repr::Text | Repr::Bytes if !as_result => 2 * core::mem::size_of::<usize>(),
            Repr::Text | Repr::Bytes | Repr::Object => core::mem::size_of::<usize>(),
            _ => 0,
        }
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
                Repr::Object | Repr::Callable => "obj",
                Repr::Buffer => "buf",
                Repr::Sequence => "seq",
                Repr::Dict => "dict",
                Repr::Array | Repr::List | Repr::Tuple | Repr::Iterator => "",
                Repr::Instance => {
                    assert_eq!(t.arg_member, "inst", "{}", t.name);
                    assert_eq!(t.result_member, "inst", "{}", t.name);
                    continue;
                }
            };
            assert_eq!(t.arg_member, expected_arg, "{}", t.name);
            assert_eq!(t.param, !t.arg_member.is_empty(), "{}", t.name);
            if t.is_scalar() {
                assert_eq!(
                    t.result_needs_gil,
                    t.result_member == "obj",
                    "{}: results in `obj` are objects",
                    t.name
                );
            } else {
                assert_eq!(t.result_needs_gil, t.result, "{}", t.name);
                assert_eq!(t.default == DefaultRule::NoneOnly, t.param, "{}", t.name);
            }
            assert_eq!(t.default == DefaultRule::None, !t.param, "{}", t.name);
            assert!(
                !t.arg_view || t.param,
                "{}: a view type is a parameter type",
                t.name
            );
        }
    }

    #[test]
    fn compound_types_name_their_facts_in_annotations() {
        for t in TYPES {
            let anns = [t.param_annotation, t.result_annotation, t.expected];
            let uses_elem = anns.iter().any(|a| a.contains("{elem}"));
            let uses_items = anns.iter().any(|a| a.contains("{items}"));
            assert_eq!(uses_elem, t.needs == Needs::Elem, "{}", t.name);
            assert_eq!(uses_items, t.needs == Needs::Items, "{}", t.name);
            if !t.is_scalar() {
                assert_eq!(t.param, !t.param_annotation.is_empty(), "{}", t.name);
                assert_eq!(t.result, !t.result_annotation.is_empty(), "{}", t.name);
            }
        }
        assert_eq!(TypeCode::I64.info().item_size(false), 8);
        assert_eq!(TypeCode::Str.info().item_size(false), 16);
        assert_eq!(TypeCode::Str.info().item_size(true), 8);
        assert_eq!(TypeCode::Bool.info().item_size(true), 1);
        assert!(!TypeCode::Void.info().is_result_elem());
        assert!(!TypeCode::List.info().is_result_elem());
        assert!(TypeCode::Object.info().is_param_elem());
    }

    #[test]
    fn integer_ranges() {
        assert_eq!(TypeCode::I8.int_range(), Some((-128, 127)));
        assert_eq!(TypeCode::U64.int_range(), Some((0, u64::MAX as i128)));
        assert_eq!(TypeCode::F64.int_range(), None);
    }
}
