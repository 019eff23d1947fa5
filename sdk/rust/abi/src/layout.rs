//! sdk/rust/abi/src/layout.rs: the ABI's layout as abi_stable describes it — the record a Rust
//! plugin exports, and the two checks the loader makes with it.
//!
//! A Rust plugin exports [`pyz3_rust_layout`] as the data symbol `pyz3_plugin_layout` (the
//! `plugin!` macro does): magic, the ABI version, abi_stable's own header, and the abi_stable
//! layout of [`pyz3_abi_types`](crate::pyz3_abi_types), which holds every struct of the ABI. The
//! loader reads the record after the descriptor's version handshake and before it reads the rest
//! of the descriptor:
//!
//! * the plugin's minor is the runtime's: [`check_same`], abi_stable's own layout checker — every
//!   struct, field, field type, size, alignment and function-pointer signature must match;
//! * an older minor: [`check_extension`] — every field the older ABI had is still there, at the
//!   same offset with the same type, and structs only grew at their end (the ABI's growth rule;
//!   abi_stable's checker would call any growth an error).
//!
//! A C or Zig plugin exports no record; for it the handshake and the declared struct sizes are
//! the whole check, as before.

use abi_stable::abi_stability::abi_checking::{
    check_layout_compatibility, AbiInstability, AbiInstabilityErrors,
};
use abi_stable::library::AbiHeader;
use abi_stable::type_layout::{TLData, TLField, TLFieldOrFunction, TLPrimitive, TypeLayout};
use abi_stable::StableAbi;

use crate::{pyz3_abi_types, PYZ3_ABI_MAJOR, PYZ3_ABI_MINOR};

/// `pyz3_rust_layout.magic`.
pub const PYZ3_RUST_LAYOUT_MAGIC: [u8; 8] = *b"PYZ3SABI";
/// The data symbol a Rust plugin exports its [`pyz3_rust_layout`] as.
pub const PYZ3_RUST_LAYOUT_SYMBOL: &str = "pyz3_plugin_layout";

/// What a Rust plugin exports as `pyz3_plugin_layout`: its SDK's idea of every ABI struct.
#[repr(C)]
#[allow(non_camel_case_types, reason = "named like the ABI's other C structs")]
pub struct pyz3_rust_layout {
    /// [`PYZ3_RUST_LAYOUT_MAGIC`].
    pub magic: [u8; 8],
    /// `PYZ3_ABI_MAJOR` of the SDK that built the plugin.
    pub abi_major: u16,
    /// `PYZ3_ABI_MINOR` of the SDK that built the plugin.
    pub abi_minor: u16,
    /// `size_of::<pyz3_rust_layout>()` as the plugin saw it.
    pub size: u32,
    /// abi_stable's header: [`types`](Self::types) is read only when it is compatible with the
    /// loader's abi_stable.
    pub abi_stable: AbiHeader,
    /// The layout of `pyz3_abi_types`.
    pub types: &'static TypeLayout,
}

impl pyz3_rust_layout {
    /// The record of this crate's ABI.
    pub const CURRENT: pyz3_rust_layout = pyz3_rust_layout {
        magic: PYZ3_RUST_LAYOUT_MAGIC,
        abi_major: PYZ3_ABI_MAJOR,
        abi_minor: PYZ3_ABI_MINOR,
        size: core::mem::size_of::<pyz3_rust_layout>() as u32,
        abi_stable: AbiHeader::VALUE,
        types: <pyz3_abi_types as StableAbi>::LAYOUT,
    };
}

/// The layout of this crate's ABI: what the loader compares a plugin's with.
pub fn current() -> &'static TypeLayout {
    <pyz3_abi_types as StableAbi>::LAYOUT
}

/// Whether a plugin's abi_stable header lets the loader read its layout.
pub fn abi_stable_compatible(theirs: &AbiHeader) -> bool {
    AbiHeader::VALUE.is_compatible(theirs)
}

/// The abi_stable version in a header, for messages.
pub fn abi_stable_version(header: &AbiHeader) -> String {
    format!("{}.{}", header.abi_major, header.abi_minor)
}

/// abi_stable's layout checker: `found` (the plugin's, same ABI minor) must lay out every ABI
/// type as `expected` (the runtime's) does. The error names the first differing field.
pub fn check_same(expected: &'static TypeLayout, found: &'static TypeLayout) -> Result<(), String> {
    check_layout_compatibility(expected, found).map_err(|e| describe(&e))
}

/// The differences abi_stable found, `; `-separated: `pyz3_plugin.functions->flags: type u16
/// here, i16 in the plugin`.
pub fn describe(errors: &AbiInstabilityErrors) -> String {
    let mut lines = Vec::new();
    for error in errors.errors.iter() {
        // `pyz3_plugin.functions->flags`: abi_stable names a pointer's pointee by its type
        // parameter's index ("0"), shown here as C's `->`.
        let mut path = errors.interface.name().to_owned();
        let mut separator = ".";
        for step in error.stack_trace.iter() {
            let name = match &step.expected {
                TLFieldOrFunction::Field(f) => f.name().to_owned(),
                TLFieldOrFunction::Function(f) => format!("{}()", f.name),
            };
            if name.bytes().all(|b| b.is_ascii_digit()) {
                separator = "->";
                continue;
            }
            path.push_str(separator);
            path.push_str(&name);
            separator = ".";
        }
        for instability in error.errs.iter() {
            lines.push(format!("{path}: {}", instability_text(instability)));
        }
    }
    if lines.is_empty() {
        return "the layouts differ".to_owned();
    }
    lines.join("; ")
}

fn instability_text(err: &AbiInstability) -> String {
    fn pair<T: std::fmt::Display>(what: &str, expected: T, found: T) -> String {
        format!("{what} {expected} here, {found} in the plugin")
    }
    match err {
        AbiInstability::Name(v) => pair("type", v.expected, v.found),
        AbiInstability::Package(v) => pair("package", v.expected, v.found),
        AbiInstability::PackageVersion(v) => pair("package version", &v.expected, &v.found),
        AbiInstability::Size(v) => pair("size", v.expected, v.found),
        AbiInstability::Alignment(v) => pair("alignment", v.expected, v.found),
        AbiInstability::FieldCountMismatch(v) => pair("field count", v.expected, v.found),
        AbiInstability::UnexpectedField(v) => pair("field", v.expected.name(), v.found.name()),
        AbiInstability::MismatchedPrimitive(v) => format!(
            "primitive {:?} here, {:?} in the plugin",
            v.expected, v.found
        ),
        AbiInstability::TLDataDiscriminant(v) => {
            format!("a {:?} here, a {:?} in the plugin", v.expected, v.found)
        }
        AbiInstability::FnQualifierMismatch(v) => format!(
            "function pointer `{}` here, `{}` in the plugin",
            v.expected, v.found
        ),
        AbiInstability::ReprAttr(v) => {
            format!("repr {:?} here, {:?} in the plugin", v.expected, v.found)
        }
        // The rest, by kind only: formatting them would pull abi_stable's whole layout printer
        // into libpyz3.
        AbiInstability::NonZeroness(_) => "non-zeroness differs".to_owned(),
        AbiInstability::GenericParamCount(_) => "generic parameters differ".to_owned(),
        AbiInstability::FieldLifetimeMismatch(_) | AbiInstability::FnLifetimeMismatch(_) => {
            "lifetimes differ".to_owned()
        }
        AbiInstability::PackageVersionParseError(_) => "unparsable package version".to_owned(),
        _ => "the layouts differ".to_owned(),
    }
}

/// Checks that `new` (the runtime's layout) is a compatible extension of `old` (a plugin built for
/// an older ABI minor, or the frozen layout of the previous minor in the tests): every field of
/// every struct `old` reaches is in `new` under the same name, at the same offset, with a
/// compatible type; a struct reached through a pointer may have grown at its end (the plugin
/// declares its size); a struct held by value, and a union, keep their size. A field named
/// `reserved*` in `old` may have been given to new fields. Returns the first difference.
pub fn check_extension(old: &'static TypeLayout, new: &'static TypeLayout) -> Result<(), String> {
    let mut seen = Vec::new();
    let roots = (old.get_fields(), new.get_fields());
    if let (ROOT, ROOT, (Some(old_types), Some(new_types))) = (old.name(), new.name(), roots) {
        // `pyz3_abi_types` only gathers the ABI's types: each is compared on its own, as a
        // pointee (its offset in the gathering struct means nothing).
        for ty in old_types.iter() {
            let Some(now) = new_types.iter().find(|t| t.name() == ty.name()) else {
                return Err(format!("{}: the type is gone", ty.name()));
            };
            extension(
                ty.layout(),
                now.layout(),
                Held::Pointee,
                ty.name(),
                &mut seen,
            )?;
        }
        return Ok(());
    }
    extension(old, new, Held::Pointee, old.name(), &mut seen)
}

/// The name of the struct that gathers every ABI type.
const ROOT: &str = "pyz3_abi_types";

/// How the type being compared is held by its parent: by value (its size is part of the
/// parent's layout) or behind a pointer (its size is declared at run time).
#[derive(Clone, Copy, PartialEq)]
enum Held {
    Value,
    Pointee,
}

fn extension(
    old: &'static TypeLayout,
    new: &'static TypeLayout,
    held: Held,
    path: &str,
    seen: &mut Vec<(usize, usize, bool)>,
) -> Result<(), String> {
    let key = (
        old as *const TypeLayout as usize,
        new as *const TypeLayout as usize,
        held == Held::Value,
    );
    if seen.contains(&key) {
        return Ok(());
    }
    seen.push(key);
    if old.name() != new.name() {
        return Err(format!(
            "{path}: type {} in the older ABI, {} now",
            old.name(),
            new.name()
        ));
    }
    if old.alignment() != new.alignment() {
        return Err(format!(
            "{path}: alignment {} in the older ABI, {} now",
            old.alignment(),
            new.alignment()
        ));
    }
    let grew = new.size() != old.size();
    match (old.data(), new.data()) {
        (TLData::Primitive(a), TLData::Primitive(b)) => {
            if a != b || grew {
                return Err(format!("{path}: {a:?} in the older ABI, {b:?} now"));
            }
            if matches!(a, TLPrimitive::ConstPtr | TLPrimitive::MutPtr) {
                let (Some(a), Some(b)) = (pointee(old), pointee(new)) else {
                    return Err(format!("{path}: a pointer without a pointee"));
                };
                return extension(a, b, Held::Pointee, path, seen);
            }
            if matches!(a, TLPrimitive::Array) {
                let (Some(a), Some(b)) = (pointee(old), pointee(new)) else {
                    return Err(format!("{path}: an array without an element type"));
                };
                return extension(a, b, Held::Value, path, seen);
            }
            Ok(())
        }
        (TLData::Struct { fields: a }, TLData::Struct { fields: b }) => {
            if new.size() < old.size() || (held == Held::Value && grew) {
                return Err(format!(
                    "{path}: {} bytes in the older ABI, {} now (a struct held by value cannot grow)",
                    old.size(),
                    new.size()
                ));
            }
            let old_fields = with_offsets(a.iter());
            let new_fields = with_offsets(b.iter());
            for (field, offset) in &old_fields {
                let name = field.name();
                if name.starts_with("reserved") {
                    continue;
                }
                let here = format!("{}.{name}", old.name());
                let Some((now, now_offset)) = new_fields.iter().find(|(f, _)| f.name() == name)
                else {
                    return Err(format!("{here}: the field is gone"));
                };
                if now_offset != offset {
                    return Err(format!(
                        "{here}: at offset {offset} in the older ABI, {now_offset} now"
                    ));
                }
                extension(field.layout(), now.layout(), Held::Value, &here, seen)?;
                functions(field, now, &here, seen)?;
            }
            Ok(())
        }
        (TLData::Union { fields: a }, TLData::Union { fields: b }) => {
            if grew {
                return Err(format!(
                    "{path}: a union of {} bytes in the older ABI, {} now",
                    old.size(),
                    new.size()
                ));
            }
            for field in a.iter() {
                let here = format!("{}.{}", old.name(), field.name());
                let Some(now) = b.iter().find(|f| f.name() == field.name()) else {
                    return Err(format!("{here}: the member is gone"));
                };
                extension(field.layout(), now.layout(), Held::Value, &here, seen)?;
            }
            Ok(())
        }
        // `Option<fn>`: the same enum of the same size; the signature is compared by the field.
        (TLData::Enum(_), TLData::Enum(_)) if !grew => Ok(()),
        (TLData::Opaque, TLData::Opaque) => {
            if grew && held == Held::Value {
                return Err(format!("{path}: an opaque type held by value changed size"));
            }
            Ok(())
        }
        _ => Err(format!(
            "{path}: a {:?} in the older ABI, a {:?} now",
            old.data_discriminant(),
            new.data_discriminant()
        )),
    }
}

/// The function-pointer signatures of a field (`pyz3_fn`): the same number of parameters, each
/// pointing at a type the newer ABI extends.
fn functions(
    old: &TLField,
    new: &TLField,
    path: &str,
    seen: &mut Vec<(usize, usize, bool)>,
) -> Result<(), String> {
    let (a, b) = (old.function_range(), new.function_range());
    if a.len() != b.len() {
        return Err(format!("{path}: a different function pointer"));
    }
    for (fa, fb) in a.iter().zip(b.iter()) {
        let (pa, pb) = (&fa.param_type_layouts, &fb.param_type_layouts);
        if pa.len() != pb.len() || fa.fn_qualifs != fb.fn_qualifs {
            return Err(format!("{path}: the function signature changed"));
        }
        for (i, (la, lb)) in pa.iter().zip(pb.iter()).enumerate() {
            extension(
                la(),
                lb(),
                Held::Value,
                &format!("{path}(parameter {i})"),
                seen,
            )?;
        }
        match (fa.return_type_layout(), fb.return_type_layout()) {
            (Some(ra), Some(rb)) => {
                extension(ra(), rb(), Held::Value, &format!("{path}(result)"), seen)?
            }
            (None, None) => {}
            _ => return Err(format!("{path}: the function's result changed")),
        }
    }
    Ok(())
}

/// The type a pointer points to, or an array's element type.
fn pointee(layout: &'static TypeLayout) -> Option<&'static TypeLayout> {
    layout.generics().type_params().first().map(|get| get())
}

/// Each field with its `repr(C)` offset (the layout records sizes and alignments, not offsets).
fn with_offsets(fields: impl Iterator<Item = TLField>) -> Vec<(TLField, usize)> {
    let mut at = 0usize;
    fields
        .map(|f| {
            let layout = f.layout();
            let align = layout.alignment().max(1);
            at = at.div_ceil(align) * align;
            let offset = at;
            at += layout.size();
            (f, offset)
        })
        .collect()
}
