//! loader/src/plugin/classes.rs: the classes section of a descriptor (ABI 1.1), validated.
//!
//! [`read_classes`] copies each `pyz3_class_def` out of plugin memory (through [`SafeMem`]) into
//! an owned [`ClassSpec`]: its state layout, object fields, constructor, destructor, methods
//! (function definitions, read like module functions), properties and pickling hooks. Special
//! methods are methods with the names of [`SPECIALS`]; each has the signature its slot needs.
//! Every refusal names the class and the field.

use pyz3_core::abi::*;
use pyz3_core::names;
use pyz3_core::types::{Needs, TypeCode};

use super::code::CodeRanges;
use super::safemem::SafeMem;
use super::validate::{check_class_index, read_function, read_optional_doc, Strides};
use super::FunctionSpec;

/// A property, validated.
#[derive(Debug, Clone)]
pub struct PropertySpec {
    /// Python identifier.
    pub name: String,
    /// Doc string, if any.
    pub doc: Option<String>,
    /// The getter.
    pub get: pyz3_fn,
    /// The setter (`None`: read-only).
    pub set: pyz3_fn,
    /// Handed back in `pyz3_call.user_data`.
    pub user_data: usize,
    /// The value's type.
    pub ty: TypeCode,
    /// `PYZ3_PARAM_OPTIONAL` or 0.
    pub flags: u8,
    /// `PYZ3_T_INSTANCE`: the class.
    pub class_index: u16,
}

/// A class, validated.
#[derive(Debug, Clone)]
pub struct ClassSpec {
    /// Python identifier.
    pub name: String,
    /// Doc string, if any.
    pub doc: Option<String>,
    /// Bytes of native state.
    pub state_size: usize,
    /// Alignment of the state (a power of two, at most `PYZ3_MAX_STATE_ALIGN`).
    pub state_align: usize,
    /// `PYZ3_CLASS_*` bits.
    pub flags: u32,
    /// Offsets of the `PyObject *` fields in the state.
    pub object_fields: Vec<u32>,
    /// The constructor.
    pub init: Option<FunctionSpec>,
    /// The destructor.
    pub deinit: pyz3_deinit_fn,
    /// Every method, specials included, in declaration order.
    pub methods: Vec<FunctionSpec>,
    /// Properties in declaration order.
    pub properties: Vec<PropertySpec>,
    /// Pickling hooks: (export, import).
    pub pickling: Option<(FunctionSpec, FunctionSpec)>,
}

impl ClassSpec {
    /// Is `m` an instance method (not static, not a class method)?
    pub fn is_instance_method(m: &FunctionSpec) -> bool {
        m.flags & (PYZ3_FN_STATIC | PYZ3_FN_CLASS) == 0
    }
}

/// What a special method's result may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ResultRule {
    /// Exactly this type.
    Is(TypeCode),
    /// Any integer type.
    Integer,
    /// An object: `PYZ3_T_OBJECT` or `PYZ3_T_INSTANCE`.
    Object,
    /// Any result but `PYZ3_T_VOID`.
    Value,
    /// Anything.
    Any,
}

/// The special methods pyz3 serves: name, number of declared parameters (`None`: any), result
/// rule, whether it may be raw. Each one with a slot is wired to it (loader/src/class/special.rs);
/// `__enter__` and `__exit__` are plain methods (the `with` statement looks them up by name).
pub const SPECIALS: &[(&str, Option<usize>, &str)] = &[
    ("__repr__", Some(0), "str"),
    ("__str__", Some(0), "str"),
    ("__len__", Some(0), "an integer"),
    ("__bool__", Some(0), "bool"),
    ("__hash__", Some(0), "an integer"),
    ("__eq__", Some(1), "bool"),
    ("__iter__", Some(0), "object or instance"),
    ("__next__", Some(0), "any value"),
    ("__getitem__", Some(1), "any value"),
    ("__contains__", Some(1), "bool"),
    ("__call__", None, "anything"),
    ("__enter__", None, "anything"),
    ("__exit__", None, "anything"),
];

fn result_rule(name: &str) -> ResultRule {
    match name {
        "__repr__" | "__str__" => ResultRule::Is(TypeCode::Str),
        "__len__" | "__hash__" => ResultRule::Integer,
        "__bool__" | "__eq__" | "__contains__" => ResultRule::Is(TypeCode::Bool),
        "__iter__" => ResultRule::Object,
        "__next__" | "__getitem__" => ResultRule::Value,
        _ => ResultRule::Any,
    }
}

/// Methods whose slot calls them with a fixed shape: typed, with no default and no keyword-only
/// parameter (the slot passes its arguments by position).
fn slot_special(name: &str) -> bool {
    !matches!(name, "__call__" | "__enter__" | "__exit__")
}

fn is_dunder(name: &str) -> bool {
    name.len() > 4 && name.starts_with("__") && name.ends_with("__")
}

/// Reads and checks the classes section.
pub(super) fn read_classes(
    mem: &SafeMem,
    plugin: &pyz3_plugin,
    strides: &Strides,
    code: &CodeRanges,
) -> Result<Vec<ClassSpec>, String> {
    let count = plugin.class_count;
    if count == 0 {
        return Ok(Vec::new());
    }
    if count > PYZ3_MAX_CLASSES {
        return Err(format!(
            "class_count is {count}, more than the limit of {PYZ3_MAX_CLASSES}"
        ));
    }
    let min = core::mem::offset_of!(pyz3_class_def, import_state) + core::mem::size_of::<usize>();
    let stride = plugin.class_size as usize;
    if stride < min || stride > 4096 {
        return Err(format!(
            "class_size is {stride}; expected sizeof(pyz3_class_def) = {} (rebuild the plugin \
             with a matching pyz3.h)",
            core::mem::size_of::<pyz3_class_def>()
        ));
    }
    if plugin.classes.is_null() {
        return Err(format!("class_count is {count} but classes is NULL"));
    }
    let mut classes: Vec<ClassSpec> = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        let c = read_class(mem, plugin.classes as usize + i * stride, i, strides, code)?;
        if classes.iter().any(|d| d.name == c.name) {
            return Err(format!("duplicate class name '{}'", c.name));
        }
        classes.push(c);
    }
    Ok(classes)
}

fn read_class(
    mem: &SafeMem,
    addr: usize,
    i: usize,
    strides: &Strides,
    code: &CodeRanges,
) -> Result<ClassSpec, String> {
    let def: pyz3_class_def = mem
        .read_struct(addr, core::mem::size_of::<pyz3_class_def>())
        .map_err(|e| format!("class #{i}: cannot read its definition: {e}"))?;
    let name = mem
        .read_cstr(def.name as usize, PYZ3_MAX_NAME_LEN as usize)
        .map_err(|e| format!("class #{i}: name: {e}"))?;
    names::check_attribute(&format!("class #{i} name"), &name)?;
    let ctx = format!("class '{name}'");
    let doc = read_optional_doc(mem, def.doc as usize).map_err(|e| format!("{ctx}: doc: {e}"))?;
    if def.state_size > PYZ3_MAX_STATE_SIZE {
        return Err(format!(
            "{ctx}: state_size is {}, more than the limit of {PYZ3_MAX_STATE_SIZE} bytes \
             (allocate large data separately and keep a pointer in the state)",
            def.state_size
        ));
    }
    let state_align = match def.state_align {
        0 => PYZ3_MAX_STATE_ALIGN,
        a if a.is_power_of_two() && a <= PYZ3_MAX_STATE_ALIGN => a,
        a => {
            return Err(format!(
                "{ctx}: state_align is {a}; it must be 0 or a power of two up to \
                 {PYZ3_MAX_STATE_ALIGN} (what CPython's allocator guarantees)"
            ))
        }
    };
    let known = PYZ3_CLASS_FINAL | PYZ3_CLASS_WEAKREF;
    if def.flags & !known != 0 {
        return Err(format!(
            "{ctx}: unknown flags bits {:#x}",
            def.flags & !known
        ));
    }
    if def.reserved != 0 {
        return Err(format!(
            "{ctx}: reserved must be 0, got {:#x}",
            def.reserved
        ));
    }
    let object_fields = read_object_fields(mem, &def, &ctx)?;
    let init = match def.init.is_null() {
        true => None,
        false => {
            strides.check_function_size()?;
            let f = read_function(
                mem,
                def.init as usize,
                &format!("{ctx}: init"),
                &format!("{ctx}: constructor"),
                strides,
                0,
                code,
                true,
            )?;
            check_state_filler(&f, &format!("{ctx}: constructor"))?;
            Some(f)
        }
    };
    if let Some(ptr) = def
        .deinit
        .map(|f| f as usize)
        .filter(|&p| !code.contains(p))
    {
        return Err(format!(
            "{ctx}: 'deinit' is {ptr:#x}, which is not in the plugin's code (a wild or data \
             pointer would crash when an instance is freed)"
        ));
    }
    let methods = read_methods(mem, &def, strides, code, &ctx)?;
    let properties = read_properties(mem, &def, strides.class_count, code, &ctx)?;
    for p in &properties {
        if methods.iter().any(|m| m.name == p.name) {
            return Err(format!(
                "{ctx}: property '{}' has the name of a method",
                p.name
            ));
        }
    }
    let pickling = read_pickling(mem, &def, strides, code, &ctx)?;
    Ok(ClassSpec {
        name,
        doc,
        state_size: def.state_size as usize,
        state_align: state_align as usize,
        flags: def.flags,
        object_fields,
        init,
        deinit: def.deinit,
        methods,
        properties,
        pickling,
    })
}

fn read_object_fields(mem: &SafeMem, def: &pyz3_class_def, ctx: &str) -> Result<Vec<u32>, String> {
    let n = def.object_field_count;
    if n == 0 {
        return Ok(Vec::new());
    }
    if n > PYZ3_MAX_OBJECT_FIELDS {
        return Err(format!(
            "{ctx}: object_field_count is {n}, more than the limit of {PYZ3_MAX_OBJECT_FIELDS}"
        ));
    }
    if def.object_fields.is_null() {
        return Err(format!(
            "{ctx}: object_field_count is {n} but object_fields is NULL"
        ));
    }
    let mut bytes = vec![0u8; n as usize * 4];
    mem.read(def.object_fields as usize, &mut bytes)
        .map_err(|e| format!("{ctx}: object_fields: {e}"))?;
    let word = core::mem::size_of::<usize>() as u32;
    let mut fields: Vec<u32> = Vec::with_capacity(n as usize);
    for (k, chunk) in bytes.chunks_exact(4).enumerate() {
        let off = u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        if off % word != 0 || u64::from(off) + u64::from(word) > u64::from(def.state_size) {
            return Err(format!(
                "{ctx}: object_fields[{k}] is {off}: a PyObject * field must be pointer-aligned \
                 and lie inside the {}-byte state",
                def.state_size
            ));
        }
        if fields.contains(&off) {
            return Err(format!(
                "{ctx}: object_fields[{k}]: offset {off} is listed twice"
            ));
        }
        fields.push(off);
    }
    Ok(fields)
}

/// A constructor or state import: typed, returns nothing.
fn check_state_filler(f: &FunctionSpec, ctx: &str) -> Result<(), String> {
    if f.raw.is_some() {
        return Err(format!(
            "{ctx}: must be a typed function (it fills the state in args[0].inst), not raw"
        ));
    }
    if f.return_type != TypeCode::Void {
        return Err(format!(
            "{ctx}: must return PYZ3_T_VOID (it fills the state), not {}",
            f.return_type.info().macro_name
        ));
    }
    Ok(())
}

fn read_methods(
    mem: &SafeMem,
    def: &pyz3_class_def,
    strides: &Strides,
    code: &CodeRanges,
    ctx: &str,
) -> Result<Vec<FunctionSpec>, String> {
    let n = def.method_count;
    if n == 0 {
        return Ok(Vec::new());
    }
    if n > PYZ3_MAX_METHODS {
        return Err(format!(
            "{ctx}: method_count is {n}, more than the limit of {PYZ3_MAX_METHODS}"
        ));
    }
    if def.methods.is_null() {
        return Err(format!("{ctx}: method_count is {n} but methods is NULL"));
    }
    strides.check_function_size()?;
    let mut methods: Vec<FunctionSpec> = Vec::with_capacity(n as usize);
    for k in 0..n as usize {
        let m = read_function(
            mem,
            def.methods as usize + k * strides.function,
            &format!("{ctx}: method #{k}"),
            &format!("{ctx}: method"),
            strides,
            PYZ3_FN_STATIC | PYZ3_FN_CLASS,
            code,
            true,
        )?;
        let mctx = format!("{ctx}: method '{}'", m.name);
        if methods.iter().any(|o| o.name == m.name) {
            return Err(format!("{ctx}: duplicate method name '{}'", m.name));
        }
        if m.flags & PYZ3_FN_STATIC != 0 && m.flags & PYZ3_FN_CLASS != 0 {
            return Err(format!(
                "{mctx}: PYZ3_FN_STATIC and PYZ3_FN_CLASS exclude each other"
            ));
        }
        if is_dunder(&m.name) {
            check_special(&m, &mctx)?;
        }
        methods.push(m);
    }
    Ok(methods)
}

fn check_special(m: &FunctionSpec, mctx: &str) -> Result<(), String> {
    let Some(&(_, arity, result)) = SPECIALS.iter().find(|s| s.0 == m.name) else {
        let served: Vec<&str> = SPECIALS.iter().map(|s| s.0).collect();
        return Err(format!(
            "{mctx}: pyz3 does not serve this special method (it serves {}; the constructor, \
             destructor and pickling hooks have their own fields)",
            served.join(", ")
        ));
    };
    if !ClassSpec::is_instance_method(m) {
        return Err(format!(
            "{mctx}: a special method must be an instance method (not PYZ3_FN_STATIC or \
             PYZ3_FN_CLASS)"
        ));
    }
    if !slot_special(&m.name) {
        return Ok(());
    }
    if m.raw.is_some() {
        return Err(format!(
            "{mctx}: must be a typed function (its slot converts arguments and result)"
        ));
    }
    if let Some(n) = arity {
        if m.params.len() != n {
            return Err(format!(
                "{mctx}: takes {n} declared parameter{}, not {}",
                if n == 1 { "" } else { "s" },
                m.params.len()
            ));
        }
    }
    if m.params.iter().any(|p| p.default.is_some()) {
        return Err(format!(
            "{mctx}: its slot passes every argument: no parameter may have a default"
        ));
    }
    if m.flags & PYZ3_FN_RELEASE_GIL != 0 && m.name != "__getitem__" && m.name != "__next__" {
        return Err(format!("{mctx}: PYZ3_FN_RELEASE_GIL is not allowed here"));
    }
    let t = m.return_type;
    let ok = match result_rule(&m.name) {
        ResultRule::Is(want) => t == want,
        ResultRule::Integer => t.int_range().is_some(),
        ResultRule::Object => matches!(t, TypeCode::Object | TypeCode::Instance),
        ResultRule::Value => t != TypeCode::Void,
        ResultRule::Any => true,
    };
    if !ok {
        return Err(format!(
            "{mctx}: must return {result}, not {}",
            t.info().macro_name
        ));
    }
    if m.name == "__next__" && m.return_flags & PYZ3_RETURN_OPTIONAL == 0 {
        return Err(format!(
            "{mctx}: needs PYZ3_RETURN_OPTIONAL: it ends the iteration by returning \
             PYZ3_RETURN_NONE"
        ));
    }
    Ok(())
}

fn read_properties(
    mem: &SafeMem,
    def: &pyz3_class_def,
    class_count: u32,
    code: &CodeRanges,
    ctx: &str,
) -> Result<Vec<PropertySpec>, String> {
    let n = def.property_count;
    if n == 0 {
        return Ok(Vec::new());
    }
    if n > PYZ3_MAX_PROPERTIES {
        return Err(format!(
            "{ctx}: property_count is {n}, more than the limit of {PYZ3_MAX_PROPERTIES}"
        ));
    }
    if def.properties.is_null() {
        return Err(format!(
            "{ctx}: property_count is {n} but properties is NULL"
        ));
    }
    let stride = def.property_size as usize;
    let min = core::mem::offset_of!(pyz3_property_def, reserved) + 4;
    if stride < min || stride > 4096 {
        return Err(format!(
            "{ctx}: property_size is {stride}; expected sizeof(pyz3_property_def) = {}",
            core::mem::size_of::<pyz3_property_def>()
        ));
    }
    let mut props: Vec<PropertySpec> = Vec::with_capacity(n as usize);
    for k in 0..n as usize {
        let p: pyz3_property_def = mem
            .read_struct(def.properties as usize + k * stride, stride)
            .map_err(|e| format!("{ctx}: property #{k}: cannot read it: {e}"))?;
        let pname = mem
            .read_cstr(p.name as usize, PYZ3_MAX_NAME_LEN as usize)
            .map_err(|e| format!("{ctx}: property #{k}: name: {e}"))?;
        names::check(&format!("{ctx}: property #{k} name"), &pname)?;
        let pctx = format!("{ctx}: property '{pname}'");
        let pdoc =
            read_optional_doc(mem, p.doc as usize).map_err(|e| format!("{pctx}: doc: {e}"))?;
        let ty = TypeCode::from_u8(p.type_)
            .filter(|t| t.info().param && t.info().result && t.info().needs == Needs::None)
            .ok_or_else(|| {
                format!(
                    "{pctx}: type code {} is not valid for a property (it must be both a \
                     parameter and a result type, and need no element type)",
                    p.type_
                )
            })?;
        check_class_index(ty, p.class_index, class_count, "class_index", &pctx)?;
        if ty != TypeCode::Instance && p.class_index != 0 {
            return Err(format!(
                "{pctx}: class_index must be 0 for a property of type {}",
                ty.name()
            ));
        }
        if p.flags & !PYZ3_PARAM_OPTIONAL != 0 {
            return Err(format!("{pctx}: unknown flags bits {:#x}", p.flags));
        }
        if p.reserved != 0 {
            return Err(format!("{pctx}: reserved must be 0"));
        }
        if p.get.is_none() {
            return Err(format!("{pctx}: get is NULL (every property has a getter)"));
        }
        for (field, ptr) in [
            ("get", p.get.map(|f| f as usize)),
            ("set", p.set.map(|f| f as usize)),
        ] {
            if let Some(ptr) = ptr.filter(|&a| !code.contains(a)) {
                return Err(format!(
                    "{pctx}: '{field}' is {ptr:#x}, which is not in the plugin's code"
                ));
            }
        }
        if props.iter().any(|q| q.name == pname) {
            return Err(format!("{ctx}: duplicate property name '{pname}'"));
        }
        props.push(PropertySpec {
            name: pname,
            doc: pdoc,
            get: p.get,
            set: p.set,
            user_data: p.user_data as usize,
            ty,
            flags: p.flags,
            class_index: p.class_index,
        });
    }
    Ok(props)
}

fn read_pickling(
    mem: &SafeMem,
    def: &pyz3_class_def,
    strides: &Strides,
    code: &CodeRanges,
    ctx: &str,
) -> Result<Option<(FunctionSpec, FunctionSpec)>, String> {
    match (def.export_state.is_null(), def.import_state.is_null()) {
        (true, true) => return Ok(None),
        (false, false) => {}
        _ => {
            return Err(format!(
                "{ctx}: export_state and import_state come together (pickling needs both)"
            ))
        }
    }
    strides.check_function_size()?;
    let export = read_function(
        mem,
        def.export_state as usize,
        &format!("{ctx}: export_state"),
        &format!("{ctx}: export_state"),
        strides,
        0,
        code,
        true,
    )?;
    let ectx = format!("{ctx}: export_state");
    if export.raw.is_some() || !export.params.is_empty() || export.return_type == TypeCode::Void {
        return Err(format!(
            "{ectx}: must be a typed function without declared parameters that returns a value"
        ));
    }
    let import = read_function(
        mem,
        def.import_state as usize,
        &format!("{ctx}: import_state"),
        &format!("{ctx}: import_state"),
        strides,
        0,
        code,
        true,
    )?;
    let ictx = format!("{ctx}: import_state");
    check_state_filler(&import, &ictx)?;
    let [p] = import.params.as_slice() else {
        return Err(format!(
            "{ictx}: takes exactly one declared parameter (what export_state returns), not {}",
            import.params.len()
        ));
    };
    if p.ty != export.return_type
        || (p.ty == TypeCode::Instance && p.class_index != export.ret_class_index)
    {
        return Err(format!(
            "{ictx}: its parameter has type {}, but export_state returns {}",
            p.ty.name(),
            export.return_type.name()
        ));
    }
    Ok(Some((export, import)))
}
