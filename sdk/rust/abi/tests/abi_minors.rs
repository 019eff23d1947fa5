//! sdk/rust/abi/tests/abi_minors.rs: each ABI minor's structs are a compatible extension of the
//! previous one's, and the layout checks find what they must.
//!
//! `v1_0` is ABI 1.0 frozen (tests/plugins/abi_1_0.h, in Rust, with abi_stable layouts; do not
//! update it). When ABI 1.2 is made, freeze 1.1 the same way (`v1_1`: a copy of today's
//! generated abi.rs) and add the pair to `every_minor_extends_the_previous_one`.

use abi_stable::type_layout::TypeLayout;
use abi_stable::StableAbi;
use pyz3_abi::layout::{check_extension, check_same, current, pyz3_rust_layout};

#[allow(non_camel_case_types, dead_code, reason = "C names, layouts only")]
mod v1_0 {
    use abi_stable::StableAbi;
    use core::ffi::{c_char, c_void};
    use pyz3_abi::PyObject;

    #[repr(C)]
    #[derive(Clone, Copy, StableAbi)]
    pub struct pyz3_str {
        pub ptr: *const c_char,
        pub len: usize,
    }
    #[repr(C)]
    #[derive(Clone, Copy, StableAbi)]
    pub union pyz3_value {
        pub i8: i8,
        pub i16: i16,
        pub i32: i32,
        pub i64: i64,
        pub u8: u8,
        pub u16: u16,
        pub u32: u32,
        pub u64: u64,
        pub f32: f32,
        pub f64: f64,
        pub b: bool,
        pub str: pyz3_str,
        pub bytes: pyz3_str,
        pub obj: *mut PyObject,
    }
    #[repr(C)]
    #[derive(StableAbi)]
    pub struct pyz3_call {
        pub none_mask: u64,
        pub user_data: *mut c_void,
    }
    #[repr(C)]
    #[derive(StableAbi)]
    pub struct pyz3_param {
        pub name: *const c_char,
        pub default_value: *const c_char,
        pub type_: u8,
        pub flags: u8,
        pub reserved: [u8; 6],
    }
    #[repr(C)]
    #[derive(StableAbi)]
    pub struct pyz3_function_def {
        pub name: *const c_char,
        pub doc: *const c_char,
        pub params: *const pyz3_param,
        pub fn_: Option<
            unsafe extern "C" fn(
                args: *const pyz3_value,
                result: *mut pyz3_value,
                call: *const pyz3_call,
            ) -> i32,
        >,
        pub raw: Option<
            unsafe extern "C" fn(
                args: *const *mut PyObject,
                nargs: usize,
                call: *const pyz3_call,
            ) -> *mut PyObject,
        >,
        pub user_data: *mut c_void,
        pub param_count: u32,
        pub return_type: u8,
        pub return_flags: u8,
        pub flags: u16,
    }
    #[repr(C)]
    #[derive(StableAbi)]
    pub struct pyz3_plugin_header {
        pub magic: u32,
        pub abi_major: u16,
        pub abi_minor: u16,
        pub struct_size: u32,
        pub reserved: u32,
    }
    #[repr(C)]
    #[derive(StableAbi)]
    pub struct pyz3_plugin {
        pub header: pyz3_plugin_header,
        pub name: *const c_char,
        pub doc: *const c_char,
        pub functions: *const pyz3_function_def,
        pub function_count: u32,
        pub function_size: u32,
        pub param_size: u32,
        pub flags: u32,
    }
    #[repr(C)]
    #[derive(StableAbi)]
    pub struct pyz3_gil {
        pub state: i32,
    }
    #[repr(C)]
    #[derive(StableAbi)]
    pub struct pyz3_nogil {
        pub tstate: *mut c_void,
        pub depth: u32,
        pub reserved: u32,
    }
    #[repr(C)]
    #[derive(StableAbi)]
    pub struct pyz3_abi_types {
        pub pyz3_str: pyz3_str,
        pub pyz3_value: pyz3_value,
        pub pyz3_call: pyz3_call,
        pub pyz3_param: pyz3_param,
        pub pyz3_function_def: pyz3_function_def,
        pub pyz3_plugin_header: pyz3_plugin_header,
        pub pyz3_plugin: pyz3_plugin,
        pub pyz3_gil: pyz3_gil,
        pub pyz3_nogil: pyz3_nogil,
    }

    // The sizes tests/plugins/abi_1_0.h asserts (in pointer words W).
    const W: usize = core::mem::size_of::<usize>();
    const _: () = assert!(core::mem::size_of::<pyz3_param>() == 2 * W + 8);
    const _: () = assert!(core::mem::size_of::<pyz3_function_def>() == 6 * W + 8);
    const _: () = assert!(core::mem::size_of::<pyz3_plugin>() == 16 + 3 * W + 16);
}

/// A function giving one ABI minor's layout.
type Layout = fn() -> &'static TypeLayout;

fn v1_0() -> &'static TypeLayout {
    <v1_0::pyz3_abi_types as StableAbi>::LAYOUT
}

#[test]
fn every_minor_extends_the_previous_one() {
    // (older, newer): the newer minor keeps every field of the older one in place. Add the next
    // pair here when a minor is frozen.
    let minors: &[(&str, Layout, Layout)] = &[("1.0 -> 1.1", v1_0, current)];
    for (names, older, newer) in minors {
        check_extension(older(), newer()).unwrap_or_else(|e| panic!("ABI {names}: {e}"));
    }
}

#[test]
fn the_record_names_this_abi() {
    let record = pyz3_rust_layout::CURRENT;
    assert_eq!(&record.magic, b"PYZ3SABI");
    assert_eq!(
        (record.abi_major, record.abi_minor),
        (pyz3_abi::PYZ3_ABI_MAJOR, pyz3_abi::PYZ3_ABI_MINOR)
    );
    assert_eq!(
        record.size as usize,
        core::mem::size_of::<pyz3_rust_layout>()
    );
    assert_eq!(record.types.name(), "pyz3_abi_types");
    check_same(current(), record.types).unwrap();
    // The crate's version is the ABI's: abi_stable's "same major" rule is then the ABI's rule.
    let version = env!("CARGO_PKG_VERSION");
    let abi = format!("{}.{}.", pyz3_abi::PYZ3_ABI_MAJOR, pyz3_abi::PYZ3_ABI_MINOR);
    assert!(
        version.starts_with(&abi),
        "pyz3-abi {version} must be {abi}x"
    );
}

#[test]
fn the_current_layout_is_compatible_with_itself() {
    check_same(current(), current()).unwrap();
    check_extension(current(), current()).unwrap();
}

// The negative controls: layouts each check must refuse, with a message naming the field.
#[allow(non_camel_case_types, dead_code, reason = "C names, layouts only")]
mod changed {
    use abi_stable::StableAbi;

    pub mod before {
        use super::StableAbi;
        #[repr(C)]
        #[derive(StableAbi)]
        pub struct pyz3_function_def {
            pub param_count: u32,
            pub return_type: u8,
            pub return_flags: u8,
            pub flags: u16,
        }
        #[repr(C)]
        #[derive(StableAbi)]
        pub struct pyz3_plugin {
            pub functions: *const pyz3_function_def,
            pub header: [u8; 16],
        }
    }
    /// `flags` retyped (same size and offset).
    pub mod retyped {
        use super::StableAbi;
        #[repr(C)]
        #[derive(StableAbi)]
        pub struct pyz3_function_def {
            pub param_count: u32,
            pub return_type: u8,
            pub return_flags: u8,
            pub flags: i16,
        }
        #[repr(C)]
        #[derive(StableAbi)]
        pub struct pyz3_plugin {
            pub functions: *const pyz3_function_def,
            pub header: [u8; 16],
        }
    }
    /// Two fields swapped.
    pub mod reordered {
        use super::StableAbi;
        #[repr(C)]
        #[derive(StableAbi)]
        pub struct pyz3_function_def {
            pub param_count: u32,
            pub return_flags: u8,
            pub return_type: u8,
            pub flags: u16,
        }
        #[repr(C)]
        #[derive(StableAbi)]
        pub struct pyz3_plugin {
            pub functions: *const pyz3_function_def,
            pub header: [u8; 16],
        }
    }
    /// A field appended to a struct held by value (`header` grew).
    pub mod grown_by_value {
        use super::StableAbi;
        #[repr(C)]
        #[derive(StableAbi)]
        pub struct pyz3_function_def {
            pub param_count: u32,
            pub return_type: u8,
            pub return_flags: u8,
            pub flags: u16,
            pub more: u32,
        }
        #[repr(C)]
        #[derive(StableAbi)]
        pub struct pyz3_plugin {
            pub functions: *const pyz3_function_def,
            pub header: [u8; 24],
        }
    }
}

fn layout<T: StableAbi>() -> &'static TypeLayout {
    T::LAYOUT
}

#[test]
fn abi_stables_checker_names_the_differing_field() {
    use changed::*;
    let err = check_same(
        layout::<before::pyz3_plugin>(),
        layout::<retyped::pyz3_plugin>(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        "pyz3_plugin.functions->flags: type u16 here, i16 in the plugin"
    );
    let err = check_same(
        layout::<before::pyz3_plugin>(),
        layout::<reordered::pyz3_plugin>(),
    )
    .unwrap_err();
    assert!(
        err.contains("return_type") && err.contains("return_flags"),
        "{err}"
    );
    // A newer minor's growth is an error to abi_stable (a plugin of the same minor must match
    // exactly)...
    let err = check_same(
        layout::<before::pyz3_function_def>(),
        layout::<grown_by_value::pyz3_function_def>(),
    )
    .unwrap_err();
    assert!(err.contains("field count"), "{err}");
    // ...and to the extension check only where the struct is held by value.
    check_extension(
        layout::<before::pyz3_function_def>(),
        layout::<grown_by_value::pyz3_function_def>(),
    )
    .unwrap();
    let err = check_extension(
        layout::<before::pyz3_plugin>(),
        layout::<grown_by_value::pyz3_plugin>(),
    )
    .unwrap_err();
    assert!(err.contains("pyz3_plugin.header"), "{err}");
}

#[test]
fn the_extension_check_refuses_retyped_and_moved_fields() {
    use changed::*;
    let err = check_extension(
        layout::<before::pyz3_plugin>(),
        layout::<retyped::pyz3_plugin>(),
    )
    .unwrap_err();
    assert!(err.contains("pyz3_function_def.flags"), "{err}");
    let err = check_extension(
        layout::<before::pyz3_plugin>(),
        layout::<reordered::pyz3_plugin>(),
    )
    .unwrap_err();
    assert!(
        err.contains("pyz3_function_def.return_type: at offset 4"),
        "{err}"
    );
    // And the frozen 1.0 layout is not the current one read backwards.
    assert!(check_extension(current(), v1_0()).is_err());
}
