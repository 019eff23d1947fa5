//! loader/src/describe.rs: a validated descriptor and the type registry as Python data.
//!
//! `pyz3._pyz3.describe(path)` feeds the CLI (`inspect`, `stubs`, `build`); `type_registry()` and
//! `exception_kinds()` let Python code and tests read the runtime's one table instead of keeping
//! copies. Type names and annotations come from the registry (capi/core/src/types.rs).

use pyz3_core::abi::*;
use pyz3_core::error::EXCEPTIONS;
use pyz3_core::owned::{Owned, PyResult};
use pyz3_core::types::{DefaultRule, Needs, Repr, TypeCode, TypeFacts, TYPES};

use crate::plugin::classes::{ClassSpec, PropertySpec};
use crate::plugin::{ConstantSpec, ExceptionSpec, FunctionSpec, ParamSpec, PluginSpec};

/// An annotation template of the registry with its `{elem}` and `{items}` filled in: a
/// parameter's element takes its parameter annotation, a result's its result annotation.
pub fn fill_annotation(
    template: &str,
    elem: Option<TypeCode>,
    items: &[TypeCode],
    result: bool,
) -> String {
    let of = |t: TypeCode| {
        if result {
            t.info().result_annotation
        } else {
            t.info().param_annotation
        }
    };
    let items = items.iter().map(|&t| of(t)).collect::<Vec<_>>().join(", ");
    template
        .replace("{elem}", elem.map_or("Any", of))
        .replace("{items}", &items)
}

/// The registry name with the element or items: `sequence[int64]`, `tuple[float64, str]`.
pub fn type_display(ty: TypeCode, elem: Option<TypeCode>, items: &[TypeCode]) -> String {
    match (elem, items.is_empty()) {
        (Some(e), _) => format!("{}[{}]", ty.name(), e.name()),
        (None, false) => format!(
            "{}[{}]",
            ty.name(),
            items
                .iter()
                .map(|t| t.name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (None, true) => ty.name().to_owned(),
    }
}

/// The descriptor as nested dicts and lists.
///
/// # Safety
/// GIL held.
pub unsafe fn describe_spec(spec: &PluginSpec) -> PyResult<Owned> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let functions = spec
            .functions
            .iter()
            .map(|f| describe_function(f, spec))
            .collect::<PyResult<Vec<_>>>()?;
        let classes = spec
            .classes
            .iter()
            .map(|c| describe_class(c, spec))
            .collect::<PyResult<Vec<_>>>()?;
        Owned::dict(vec![
            (c"path", Owned::str(&spec.path.display().to_string())?),
            (c"name", Owned::str(&spec.name)?),
            (c"doc", Owned::str_or_none(spec.doc.as_deref())?),
            (
                c"abi",
                Owned::tuple(vec![
                    Owned::int(spec.abi.0.into())?,
                    Owned::int(spec.abi.1.into())?,
                ])?,
            ),
            (c"free_threaded", Owned::bool(spec.free_threaded)),
            (c"functions", Owned::list(functions)?),
            (
                c"constants",
                Owned::list(
                    spec.constants
                        .iter()
                        .map(|c| describe_constant(c))
                        .collect::<PyResult<Vec<_>>>()?,
                )?,
            ),
            (
                c"exceptions",
                Owned::list(
                    spec.exceptions
                        .iter()
                        .map(|e| describe_exception(e))
                        .collect::<PyResult<Vec<_>>>()?,
                )?,
            ),
            (c"classes", Owned::list(classes)?),
        ])
    }
}

unsafe fn describe_constant(c: &ConstantSpec) -> PyResult<Owned> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let info = c.ty.info();
        let annotation = match info.repr {
            Repr::Void => "None",
            Repr::Object => "object",
            _ => info.result_annotation,
        };
        Owned::dict(vec![
            (c"name", Owned::str(&c.name)?),
            (c"doc", Owned::str_or_none(c.doc.as_deref())?),
            (c"type", Owned::str(c.ty.name())?),
            (c"annotation", Owned::str(annotation)?),
            (c"value", Owned::str(&c.value)?),
        ])
    }
}

unsafe fn describe_exception(e: &ExceptionSpec) -> PyResult<Owned> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let base = pyz3_core::error::EXCEPTIONS[e.base as usize].py_name;
        Owned::dict(vec![
            (c"name", Owned::str(&e.name)?),
            (c"doc", Owned::str_or_none(e.doc.as_deref())?),
            (c"base", Owned::str(base)?),
        ])
    }
}

/// The Python annotation of a value of type `ty`: the class's name for an instance, else the
/// registry's annotation with the element type or the items filled in.
fn annotation(
    spec: &PluginSpec,
    ty: TypeCode,
    class_index: u16,
    elem: Option<TypeCode>,
    items: &[TypeCode],
    result: bool,
) -> String {
    if ty == TypeCode::Instance {
        if let Some(c) = spec.classes.get(usize::from(class_index)) {
            return c.name.clone();
        }
    }
    let info = ty.info();
    let template = if result {
        info.result_annotation
    } else {
        info.param_annotation
    };
    fill_annotation(template, elem, items, result)
}

/// The class a value of type `ty` belongs to (`None` unless it is an instance).
unsafe fn class_name(spec: &PluginSpec, ty: TypeCode, class_index: u16) -> PyResult<Owned> {
    // SAFETY: GIL held by the caller.
    unsafe {
        match spec.classes.get(usize::from(class_index)) {
            Some(c) if ty == TypeCode::Instance => Owned::str(&c.name),
            _ => Ok(Owned::none()),
        }
    }
}

unsafe fn describe_class(c: &ClassSpec, spec: &PluginSpec) -> PyResult<Owned> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let methods = c
            .methods
            .iter()
            .map(|m| describe_method(m, spec))
            .collect::<PyResult<Vec<_>>>()?;
        let properties = c
            .properties
            .iter()
            .map(|p| describe_property(p, spec))
            .collect::<PyResult<Vec<_>>>()?;
        let init = match &c.init {
            Some(f) => describe_function(f, spec)?,
            None => Owned::none(),
        };
        Owned::dict(vec![
            (c"name", Owned::str(&c.name)?),
            (c"doc", Owned::str_or_none(c.doc.as_deref())?),
            (c"final", Owned::bool(c.flags & PYZ3_CLASS_FINAL != 0)),
            (c"weakref", Owned::bool(c.flags & PYZ3_CLASS_WEAKREF != 0)),
            (c"picklable", Owned::bool(c.pickling.is_some())),
            (c"state_size", Owned::int(c.state_size as i64)?),
            (c"object_fields", Owned::int(c.object_fields.len() as i64)?),
            (c"init", init),
            (c"methods", Owned::list(methods)?),
            (c"properties", Owned::list(properties)?),
        ])
    }
}

unsafe fn describe_method(m: &FunctionSpec, spec: &PluginSpec) -> PyResult<Owned> {
    let kind = if m.flags & PYZ3_FN_STATIC != 0 {
        "static"
    } else if m.flags & PYZ3_FN_CLASS != 0 {
        "class"
    } else {
        "instance"
    };
    // SAFETY: GIL held by the caller.
    unsafe {
        let d = describe_function(m, spec)?;
        d.set_item_str(c"kind", &Owned::str(kind)?)?;
        Ok(d)
    }
}

unsafe fn describe_property(p: &PropertySpec, spec: &PluginSpec) -> PyResult<Owned> {
    // SAFETY: GIL held by the caller.
    unsafe {
        Owned::dict(vec![
            (c"name", Owned::str(&p.name)?),
            (c"doc", Owned::str_or_none(p.doc.as_deref())?),
            (c"type", Owned::str(p.ty.name())?),
            (
                c"annotation",
                Owned::str(&annotation(spec, p.ty, p.class_index, None, &[], true))?,
            ),
            (c"class", class_name(spec, p.ty, p.class_index)?),
            (c"readonly", Owned::bool(p.set.is_none())),
            (c"optional", Owned::bool(p.flags & PYZ3_PARAM_OPTIONAL != 0)),
        ])
    }
}

unsafe fn describe_function(f: &FunctionSpec, spec: &PluginSpec) -> PyResult<Owned> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let params = f
            .params
            .iter()
            .map(|p| describe_param(p, spec))
            .collect::<PyResult<Vec<_>>>()?;
        let ret = f.return_type.info();
        let numpy =
            f.return_type == TypeCode::Array && f.ret_facts.type_flags & PYZ3_ARRAY_NUMPY != 0;
        let ret_annotation = if numpy {
            "numpy.ndarray".to_owned()
        } else {
            annotation(
                spec,
                f.return_type,
                f.ret_class_index,
                elem_of(&f.ret_facts),
                &f.ret_items,
                true,
            )
        };
        Owned::dict(vec![
            (c"name", Owned::str(&f.name)?),
            (c"doc", Owned::str_or_none(f.doc.as_deref())?),
            (c"return_type", Owned::str(ret.name)?),
            (
                c"return_display",
                Owned::str(&type_display(
                    f.return_type,
                    elem_of(&f.ret_facts),
                    &f.ret_items,
                ))?,
            ),
            (c"return_annotation", Owned::str(&ret_annotation)?),
            (
                c"return_class",
                class_name(spec, f.return_type, f.ret_class_index)?,
            ),
            (c"return_elem", elem_name(&f.ret_facts)?),
            (c"return_ndim", Owned::int(f.ret_facts.ndim.into())?),
            (c"return_numpy", Owned::bool(numpy)),
            (
                c"return_optional",
                Owned::bool(f.return_flags & PYZ3_RETURN_OPTIONAL != 0),
            ),
            (
                c"release_gil",
                Owned::bool(f.flags & PYZ3_FN_RELEASE_GIL != 0),
            ),
            (
                c"positional_only",
                Owned::bool(f.flags & PYZ3_FN_POSITIONAL_ONLY != 0),
            ),
            (c"raw", Owned::bool(f.raw.is_some())),
            (c"params", Owned::list(params)?),
        ])
    }
}

unsafe fn describe_param(p: &ParamSpec, spec: &PluginSpec) -> PyResult<Owned> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let ann = annotation(spec, p.ty, p.class_index, elem_of(&p.facts), &[], false);
        Owned::dict(vec![
            (c"name", Owned::str(&p.name)?),
            (c"type", Owned::str(p.ty.name())?),
            (
                c"display",
                Owned::str(&type_display(p.ty, elem_of(&p.facts), &[]))?,
            ),
            (c"annotation", Owned::str(&ann)?),
            (c"class", class_name(spec, p.ty, p.class_index)?),
            (c"optional", Owned::bool(p.flags & PYZ3_PARAM_OPTIONAL != 0)),
            (
                c"keyword_only",
                Owned::bool(p.flags & PYZ3_PARAM_KEYWORD_ONLY != 0),
            ),
            (c"default", Owned::str_or_none(p.default.as_deref())?),
            (c"elem", elem_name(&p.facts)?),
            (
                c"writable",
                Owned::bool(
                    p.ty == TypeCode::Buffer && p.facts.type_flags & PYZ3_BUF_WRITABLE != 0,
                ),
            ),
            (
                c"contiguous",
                Owned::bool(
                    p.ty == TypeCode::Buffer && p.facts.type_flags & PYZ3_BUF_CONTIGUOUS != 0,
                ),
            ),
            (c"ndim", Owned::int(p.facts.ndim.into())?),
        ])
    }
}

/// The element type the facts name, if any.
pub fn elem_of(facts: &TypeFacts) -> Option<TypeCode> {
    (facts.elem != TypeCode::Void).then_some(facts.elem)
}

/// The registry name of a compound type's element type, or `None`.
unsafe fn elem_name(facts: &TypeFacts) -> PyResult<Owned> {
    // SAFETY: GIL held by the caller.
    unsafe {
        if facts.elem == TypeCode::Void {
            Ok(Owned::none())
        } else {
            Owned::str(facts.elem.name())
        }
    }
}

/// `_pyz3.type_registry()`: one dict per type code, in code order.
///
/// # Safety
/// GIL held.
pub unsafe fn type_registry() -> PyResult<Owned> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let mut entries = Vec::with_capacity(TYPES.len());
        for t in TYPES {
            let (kind, bits, signed) = t.repr.kind_bits_signed();
            let needs = match t.needs {
                Needs::None => "none",
                Needs::Elem => "elem",
                Needs::Items => "items",
            };
            let range = match t.code.int_range() {
                Some((min, max)) => Owned::tuple(vec![wide_int(min)?, wide_int(max)?])?,
                None => Owned::none(),
            };
            entries.push(Owned::dict(vec![
                (c"code", Owned::int(t.code as i64)?),
                (c"macro", Owned::str(t.macro_name)?),
                (c"name", Owned::str(t.name)?),
                (c"c_type", Owned::str(t.c_type)?),
                (c"arg_member", Owned::str(t.arg_member)?),
                (c"result_member", Owned::str(t.result_member)?),
                (c"param_annotation", Owned::str(t.param_annotation)?),
                (c"result_annotation", Owned::str(t.result_annotation)?),
                (c"expected", Owned::str(t.expected)?),
                (c"kind", Owned::str(kind)?),
                (c"bits", Owned::int(bits.into())?),
                (c"signed", Owned::bool(signed)),
                (c"range", range),
                (c"param", Owned::bool(t.param)),
                (c"result", Owned::bool(t.result)),
                (c"borrowed_arg", Owned::bool(t.borrowed_arg)),
                (c"result_needs_gil", Owned::bool(t.result_needs_gil)),
                (c"default_rule", Owned::str(default_rule_name(t.default))?),
                (c"needs", Owned::str(needs)?),
            ])?);
        }
        Owned::tuple(entries)
    }
}

/// A Python int for an integer-type bound (every bound fits i64 or u64).
unsafe fn wide_int(v: i128) -> PyResult<Owned> {
    // SAFETY: GIL held by the caller.
    unsafe {
        match i64::try_from(v) {
            Ok(v) => Owned::int(v),
            Err(_) => Owned::new(pyo3_ffi::PyLong_FromUnsignedLongLong(v as u64)),
        }
    }
}

/// The name of a default-literal rule, as `type_registry()` reports it.
pub fn default_rule_name(rule: DefaultRule) -> &'static str {
    match rule {
        DefaultRule::None => "none",
        DefaultRule::Int => "int",
        DefaultRule::Float => "float",
        DefaultRule::Bool => "bool",
        DefaultRule::Str => "str",
        DefaultRule::Bytes => "bytes",
        DefaultRule::Any => "any",
        DefaultRule::NoneOnly => "none_only",
    }
}

/// `_pyz3.exception_kinds()`: `(kind, macro, class name, snake name)` per exception kind.
///
/// # Safety
/// GIL held.
pub unsafe fn exception_kinds() -> PyResult<Owned> {
    // SAFETY: GIL held by the caller.
    unsafe {
        let mut entries = Vec::with_capacity(EXCEPTIONS.len());
        for e in EXCEPTIONS {
            entries.push(Owned::tuple(vec![
                Owned::int(e.kind as i64)?,
                Owned::str(e.macro_name)?,
                Owned::str(e.py_name)?,
                Owned::str(e.snake_name)?,
            ])?);
        }
        Owned::tuple(entries)
    }
}
