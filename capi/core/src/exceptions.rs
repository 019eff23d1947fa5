//! capi/core/src/exceptions.rs: the exception kinds a plugin raises by number, once.
//!
//! One list declares each `PYZ3_EXC_*` kind; `capi/gen` writes it into the header and the SDKs,
//! `error.rs` maps each kind to its class with an exhaustive match. Plain Rust with no CPython
//! dependency, so the generator can compile it on its own.

/// One exception kind a plugin can raise by number (`pyz3_raise(kind, message)`).
#[derive(Clone, Copy, Debug)]
pub struct ExcInfo {
    /// The kind.
    pub kind: ExcKind,
    /// The C macro (`PYZ3_EXC_VALUE_ERROR`).
    pub macro_name: &'static str,
    /// The Python class name (`ValueError`).
    pub py_name: &'static str,
    /// The snake-case name the SDKs use (`value_error`).
    pub snake_name: &'static str,
    /// The doc comment the header carries for the macro.
    pub doc: &'static str,
}

macro_rules! exception_kinds {
    ($(
        $(#[doc = $doc:literal])+
        $variant:ident = $kind:literal, $macro_name:ident, $snake:literal;
    )+) => {
        /// An exception kind (`PYZ3_EXC_*`), validated.
        #[allow(
            clippy::enum_variant_names,
            reason = "the variants are Python's class names, which all end in Error"
        )]
        #[repr(i32)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ExcKind {
            $( $(#[doc = $doc])+ $variant = $kind, )+
        }

        $(
            $(#[doc = $doc])+
            pub const $macro_name: i32 = $kind;
        )+

        /// Every exception kind, in order (`EXCEPTIONS[k].kind as i32 == k`).
        pub const EXCEPTIONS: &[ExcInfo] = &[
            $( ExcInfo {
                kind: ExcKind::$variant,
                macro_name: stringify!($macro_name),
                py_name: stringify!($variant),
                snake_name: $snake,
                doc: concat!($($doc, "\n"),+),
            }, )+
        ];
    };
}

exception_kinds! {
    /// `RuntimeError` (also what an unknown kind raises).
    RuntimeError = 0, PYZ3_EXC_RUNTIME_ERROR, "runtime_error";
    /// `ValueError`.
    ValueError = 1, PYZ3_EXC_VALUE_ERROR, "value_error";
    /// `TypeError`.
    TypeError = 2, PYZ3_EXC_TYPE_ERROR, "type_error";
    /// `OverflowError`.
    OverflowError = 3, PYZ3_EXC_OVERFLOW_ERROR, "overflow_error";
    /// `KeyError`.
    KeyError = 4, PYZ3_EXC_KEY_ERROR, "key_error";
    /// `IndexError`.
    IndexError = 5, PYZ3_EXC_INDEX_ERROR, "index_error";
    /// `MemoryError`.
    MemoryError = 6, PYZ3_EXC_MEMORY_ERROR, "memory_error";
    /// `ZeroDivisionError`.
    ZeroDivisionError = 7, PYZ3_EXC_ZERO_DIVISION_ERROR, "zero_division_error";
    /// `NotImplementedError`.
    NotImplementedError = 8, PYZ3_EXC_NOT_IMPLEMENTED_ERROR, "not_implemented_error";
    /// `OSError`.
    OSError = 9, PYZ3_EXC_OS_ERROR, "os_error";
    /// `AttributeError`.
    AttributeError = 10, PYZ3_EXC_ATTRIBUTE_ERROR, "attribute_error";
    /// `AssertionError`.
    AssertionError = 11, PYZ3_EXC_ASSERTION_ERROR, "assertion_error";
    /// `TimeoutError`.
    TimeoutError = 12, PYZ3_EXC_TIMEOUT_ERROR, "timeout_error";
    /// `SystemError` (for bugs in native code).
    SystemError = 13, PYZ3_EXC_SYSTEM_ERROR, "system_error";
}

/// One past the last exception kind.
pub const PYZ3_EXC_COUNT: i32 = EXCEPTIONS.len() as i32;

impl ExcKind {
    /// The kind for a number, if it names one.
    pub const fn from_i32(kind: i32) -> Option<ExcKind> {
        if kind >= 0 && (kind as usize) < EXCEPTIONS.len() {
            Some(EXCEPTIONS[kind as usize].kind)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_dense_and_in_order() {
        for (i, e) in EXCEPTIONS.iter().enumerate() {
            assert_eq!(e.kind as usize, i, "{}", e.py_name);
            assert_eq!(ExcKind::from_i32(i as i32), Some(e.kind));
            assert!(e.macro_name.starts_with("PYZ3_EXC_"));
        }
        assert_eq!(ExcKind::from_i32(PYZ3_EXC_COUNT), None);
        assert_eq!(ExcKind::from_i32(-1), None);
    }
}
