//! sdk/rust/src/stable.rs: abi_stable's FFI-safe types as plugin function parameters and results.
//!
//! A plugin whose Rust code already passes `RString`, `RVec<u8>`, `RStr`, `RSlice<u8>` or
//! `ROption` across other abi_stable boundaries can use them in its Python functions directly:
//! each converts exactly as its std counterpart (`String`, `Vec<u8>`, `&str`, `&[u8]`, `Option`).
//! Defaults (`= value`) are written with the std types.

use crate::abi_stable::std_types::{ROption, RSlice, RStr, RString, RVec};

use crate::abi::{pyz3_call, pyz3_value};
use crate::{rt, FromArg, IntoResult, PyErr};

// SAFETY: the same member and contract as `&str`.
unsafe impl<'a> FromArg<'a> for RStr<'a> {
    const TYPE: u8 = <&str as FromArg>::TYPE;
    unsafe fn from_value(
        v: &'a pyz3_value,
        none: bool,
        guards: &mut rt::Guards,
    ) -> Result<Self, PyErr> {
        // SAFETY: per the trait contract, forwarded.
        Ok(RStr::from_str(unsafe {
            <&str as FromArg>::from_value(v, none, guards)
        }?))
    }
}

// SAFETY: the same member and contract as `&[u8]`.
unsafe impl<'a> FromArg<'a> for RSlice<'a, u8> {
    const TYPE: u8 = <&[u8] as FromArg>::TYPE;
    unsafe fn from_value(
        v: &'a pyz3_value,
        none: bool,
        guards: &mut rt::Guards,
    ) -> Result<Self, PyErr> {
        // SAFETY: per the trait contract, forwarded.
        Ok(RSlice::from_slice(unsafe {
            <&[u8] as FromArg>::from_value(v, none, guards)
        }?))
    }
}

// SAFETY: delegates to `Option<T>`.
unsafe impl<'a, T: FromArg<'a>> FromArg<'a> for ROption<T> {
    const TYPE: u8 = T::TYPE;
    const OPTIONAL: bool = true;
    unsafe fn from_value(
        v: &'a pyz3_value,
        none: bool,
        guards: &mut rt::Guards,
    ) -> Result<Self, PyErr> {
        // SAFETY: per the trait contract, forwarded.
        Ok(ROption::from(unsafe {
            <Option<T> as FromArg>::from_value(v, none, guards)
        }?))
    }
}

impl IntoResult for RStr<'_> {
    const TYPE: u8 = <&str as IntoResult>::TYPE;
    unsafe fn write(self, out: *mut pyz3_value, call: *const pyz3_call) -> i32 {
        // SAFETY: per the trait contract, forwarded.
        unsafe { self.as_str().write(out, call) }
    }
}

impl IntoResult for RString {
    const TYPE: u8 = <String as IntoResult>::TYPE;
    unsafe fn write(self, out: *mut pyz3_value, call: *const pyz3_call) -> i32 {
        // SAFETY: per the trait contract, forwarded.
        unsafe { self.as_str().write(out, call) }
    }
}

impl IntoResult for RSlice<'_, u8> {
    const TYPE: u8 = <&[u8] as IntoResult>::TYPE;
    unsafe fn write(self, out: *mut pyz3_value, call: *const pyz3_call) -> i32 {
        // SAFETY: per the trait contract, forwarded.
        unsafe { self.as_slice().write(out, call) }
    }
}

impl IntoResult for RVec<u8> {
    const TYPE: u8 = <Vec<u8> as IntoResult>::TYPE;
    unsafe fn write(self, out: *mut pyz3_value, call: *const pyz3_call) -> i32 {
        // SAFETY: per the trait contract, forwarded.
        unsafe { self.as_slice().write(out, call) }
    }
}

impl<T: IntoResult> IntoResult for ROption<T> {
    const TYPE: u8 = T::TYPE;
    const OPTIONAL: bool = true;
    unsafe fn write(self, out: *mut pyz3_value, call: *const pyz3_call) -> i32 {
        // SAFETY: per the trait contract, forwarded.
        unsafe { self.into_option().write(out, call) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_converts_as_its_std_counterpart() {
        assert_eq!(<RStr as FromArg>::TYPE, <&str as FromArg>::TYPE);
        assert_eq!(<RSlice<u8> as FromArg>::TYPE, <&[u8] as FromArg>::TYPE);
        assert_eq!(<ROption<i64> as FromArg>::TYPE, <i64 as FromArg>::TYPE);
        const { assert!(<ROption<i64> as FromArg>::OPTIONAL) };
        assert_eq!(<RString as IntoResult>::TYPE, <String as IntoResult>::TYPE);
        assert_eq!(
            <RVec<u8> as IntoResult>::TYPE,
            <Vec<u8> as IntoResult>::TYPE
        );
        const { assert!(<ROption<RString> as IntoResult>::OPTIONAL) };
        let mut out = pyz3_value::ZERO;
        let none = core::ptr::null();
        // SAFETY: `out` is a value slot; no call is needed for scalars.
        unsafe {
            assert_eq!(
                ROption::<i64>::RNone.write(&mut out, none),
                crate::abi::PYZ3_RETURN_NONE
            );
            assert_eq!(
                ROption::RSome(7i64).write(&mut out, none),
                crate::abi::PYZ3_OK
            );
        }
        // SAFETY: i64 was just written.
        assert_eq!(unsafe { out.i64 }, 7);
    }

    #[test]
    fn arguments_read_the_borrowed_value() {
        let text = "héllo";
        let v = pyz3_value {
            str: crate::abi::pyz3_str {
                ptr: text.as_ptr().cast(),
                len: text.len(),
            },
        };
        let mut g = crate::rt::Guards::new();
        // SAFETY: `v` holds a str value borrowed from `text`.
        unsafe {
            let s = <RStr as FromArg>::from_value(&v, false, &mut g)
                .ok()
                .unwrap();
            assert_eq!(s.as_str(), "héllo");
            let none = <ROption<RStr> as FromArg>::from_value(&v, true, &mut g).ok();
            assert_eq!(none, Some(ROption::RNone));
            let bytes = <RSlice<u8> as FromArg>::from_value(&v, false, &mut g)
                .ok()
                .unwrap();
            assert_eq!(bytes.len(), 6);
        }
    }
}
