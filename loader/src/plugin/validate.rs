//! loader/src/plugin/validate.rs: the version handshake and the descriptor rules of docs/abi.md.
//!
//! [`read_descriptor`] copies the descriptor out of plugin memory (through [`SafeMem`]) and
//! checks it into an owned [`PluginSpec`]: the header first ([`check_header`]), then the plugin
//! fields, each function ([`read_function`]) and each parameter ([`read_param`]). Every refusal
//! is a message naming the field and what was wrong with it.

use std::path::Path;

use pyz3_core::abi::*;
use pyz3_core::exceptions::ExcKind;
use pyz3_core::types::{Needs, TypeCode, TypeFacts};
use pyz3_core::{array, buffer, names};

use super::classes::{read_classes, ClassSpec};
use super::code::CodeRanges;
use super::safemem::SafeMem;
use super::{ConstantSpec, ExceptionSpec, FunctionSpec, ParamSpec, PluginSpec};

/// Checks the handshake and reads the descriptor at `desc` (the entry point's return value).
/// Every `fn` and `raw` pointer must lie in `code`, the plugin's executable segments.
pub fn read_descriptor(path: &Path, desc: usize, code: &CodeRanges) -> Result<PluginSpec, String> {
    let mem = SafeMem::new();
    if let Some(why) = mem.unavailable() {
        return Err(format!(
            "the descriptor cannot be read safely, so it is not trusted: {why}"
        ));
    }
    if desc == 0 {
        return Err(format!(
            "{PYZ3_ENTRY_SYMBOL}() returned NULL instead of a descriptor"
        ));
    }
    let header: pyz3_plugin_header = mem
        .read_struct(desc, core::mem::size_of::<pyz3_plugin_header>())
        .map_err(|e| {
            format!("cannot read the descriptor header returned by {PYZ3_ENTRY_SYMBOL}(): {e}")
        })?;
    check_header(&header)?;

    let plugin: pyz3_plugin = mem
        .read_struct(desc, header.struct_size as usize)
        .map_err(|e| format!("cannot read the descriptor: {e}"))?;
    let unknown_flags = plugin.flags & !PYZ3_PLUGIN_FLAGS_KNOWN;
    if unknown_flags != 0 {
        return Err(format!(
            "descriptor field 'flags' has unknown bits {unknown_flags:#x} (this runtime knows \
             PYZ3_PLUGIN_FREE_THREADED = {PYZ3_PLUGIN_FREE_THREADED:#x}): upgrade pyz3"
        ));
    }
    let name = mem
        .read_cstr(plugin.name as usize, PYZ3_MAX_NAME_LEN as usize)
        .map_err(|e| format!("module name: {e}"))?;
    names::check("module name", &name)?;
    let doc =
        read_optional_doc(&mem, plugin.doc as usize).map_err(|e| format!("module doc: {e}"))?;
    let strides = Strides::of(&plugin);
    let functions = read_functions(&mem, &plugin, &strides, code)?;
    let classes = read_classes(&mem, &plugin, &strides, code)?;
    let constants = read_constants(&mem, &plugin)?;
    let exceptions = read_exceptions(&mem, &plugin)?;
    check_unique_names(&functions, &classes, &constants, &exceptions)?;
    Ok(PluginSpec {
        path: path.to_path_buf(),
        name,
        doc,
        abi: (header.abi_major, header.abi_minor),
        free_threaded: plugin.flags & PYZ3_PLUGIN_FREE_THREADED != 0,
        #[cfg(Py_GIL_DISABLED)]
        lock: None,
        functions,
        classes,
        constants,
        exceptions,
    })
}

/// The handshake rules of docs/abi.md.
pub fn check_header(h: &pyz3_plugin_header) -> Result<(), String> {
    if h.magic != PYZ3_ABI_MAGIC {
        return Err(format!(
            "{PYZ3_ENTRY_SYMBOL}() returned something that is not a pyz3 descriptor (magic {:#010x}, \
             expected {PYZ3_ABI_MAGIC:#010x})",
            h.magic
        ));
    }
    if h.abi_major != PYZ3_ABI_MAJOR {
        return Err(format!(
            "the plugin was built for pyz3 ABI {}.{} ({PYZ3_ENTRY_SYMBOL}), but this runtime serves \
             ABI {PYZ3_ABI_MAJOR}.x: rebuild the plugin against this pyz3's pyz3.h, or install a \
             pyz3 that serves ABI {}.x",
            h.abi_major, h.abi_minor, h.abi_major
        ));
    }
    if h.abi_minor > PYZ3_ABI_MINOR {
        return Err(format!(
            "the plugin was built for pyz3 ABI {}.{} ({PYZ3_ENTRY_SYMBOL}), newer than this runtime's \
             ABI {PYZ3_ABI_MAJOR}.{PYZ3_ABI_MINOR}: upgrade pyz3 to a version serving ABI {}.{}",
            h.abi_major, h.abi_minor, h.abi_major, h.abi_minor
        ));
    }
    let min = core::mem::offset_of!(pyz3_plugin, flags) + 4;
    if (h.struct_size as usize) < min {
        return Err(format!(
            "descriptor struct_size is {}, smaller than the ABI {PYZ3_ABI_MAJOR}.0 descriptor ({min} \
             bytes)",
            h.struct_size
        ));
    }
    if h.struct_size > 65536 {
        return Err(format!(
            "descriptor struct_size {} is implausibly large",
            h.struct_size
        ));
    }
    if h.reserved != 0 {
        return Err(format!(
            "descriptor header field 'reserved' must be 0, got {:#x}",
            h.reserved
        ));
    }
    Ok(())
}

/// The address of entry `i` of a section (`base`, `count` entries of `size` bytes), after
/// checking the section's count, stride and pointer; `what` names it in messages.
fn section_entry(
    what: &str,
    base: usize,
    count: u32,
    size: u32,
    max: u32,
    min_size: usize,
) -> Result<(), String> {
    if count > max {
        return Err(format!(
            "{what}_count is {count}, more than the limit of {max}"
        ));
    }
    if count > 0 && ((size as usize) < min_size || size > 4096) {
        return Err(format!(
            "{what}_size is {size}; expected at least {min_size} (rebuild the plugin with a \
             matching pyz3.h)"
        ));
    }
    if count > 0 && base == 0 {
        return Err(format!("{what}_count is {count} but {what}s is NULL"));
    }
    Ok(())
}

/// The module constants (ABI 1.1).
fn read_constants(mem: &SafeMem, plugin: &pyz3_plugin) -> Result<Vec<ConstantSpec>, String> {
    let (base, count, size) = (
        plugin.constants as usize,
        plugin.constant_count,
        plugin.constant_size,
    );
    let min = core::mem::offset_of!(pyz3_constant_def, type_) + 1;
    section_entry("constant", base, count, size, PYZ3_MAX_CONSTANTS, min)?;
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        let def: pyz3_constant_def = mem
            .read_struct(base + i * size as usize, size as usize)
            .map_err(|e| format!("constant #{i}: cannot read its definition: {e}"))?;
        let name = mem
            .read_cstr(def.name as usize, PYZ3_MAX_NAME_LEN as usize)
            .map_err(|e| format!("constant #{i}: name: {e}"))?;
        names::check(&format!("constant #{i} name"), &name)?;
        let ctx = format!("constant '{name}'");
        let doc =
            read_optional_doc(mem, def.doc as usize).map_err(|e| format!("{ctx}: doc: {e}"))?;
        let ty = TypeCode::from_u8(def.type_)
            .filter(|t| t.info().is_scalar())
            .ok_or_else(|| format!("{ctx}: type code {} cannot be a constant's", def.type_))?;
        if def.reserved.iter().any(|&b| b != 0) {
            return Err(format!("{ctx}: reserved bytes must be 0"));
        }
        if def.value.is_null() {
            return Err(format!(
                "{ctx}: value is NULL (write it as a Python literal: \"1\", \"'text'\")"
            ));
        }
        let value = mem
            .read_cstr(def.value as usize, PYZ3_MAX_DOC_LEN as usize)
            .map_err(|e| format!("{ctx}: value: {e}"))?;
        out.push(ConstantSpec {
            name,
            doc,
            ty,
            value,
        });
    }
    Ok(out)
}

/// The exception classes (ABI 1.1).
fn read_exceptions(mem: &SafeMem, plugin: &pyz3_plugin) -> Result<Vec<ExceptionSpec>, String> {
    let (base, count, size) = (
        plugin.exceptions as usize,
        plugin.exception_count,
        plugin.exception_size,
    );
    let min = core::mem::offset_of!(pyz3_exception_def, base) + 4;
    section_entry("exception", base, count, size, PYZ3_MAX_EXCEPTIONS, min)?;
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        let def: pyz3_exception_def = mem
            .read_struct(base + i * size as usize, size as usize)
            .map_err(|e| format!("exception #{i}: cannot read its definition: {e}"))?;
        let name = mem
            .read_cstr(def.name as usize, PYZ3_MAX_NAME_LEN as usize)
            .map_err(|e| format!("exception #{i}: name: {e}"))?;
        names::check(&format!("exception #{i} name"), &name)?;
        let ctx = format!("exception '{name}'");
        let doc =
            read_optional_doc(mem, def.doc as usize).map_err(|e| format!("{ctx}: doc: {e}"))?;
        let base_kind = ExcKind::from_i32(def.base)
            .ok_or_else(|| format!("{ctx}: base {} is not a PYZ3_EXC_* kind", def.base))?;
        if def.reserved != 0 {
            return Err(format!(
                "{ctx}: reserved must be 0, got {:#x}",
                def.reserved
            ));
        }
        out.push(ExceptionSpec {
            name,
            doc,
            base: base_kind,
        });
    }
    Ok(out)
}

/// Functions, classes, constants and exception classes share the module's namespace.
fn check_unique_names(
    functions: &[FunctionSpec],
    classes: &[ClassSpec],
    constants: &[ConstantSpec],
    exceptions: &[ExceptionSpec],
) -> Result<(), String> {
    let mut seen = std::collections::HashMap::new();
    let all = functions
        .iter()
        .map(|f| ("function", f.name.as_str()))
        .chain(classes.iter().map(|c| ("class", c.name.as_str())))
        .chain(constants.iter().map(|c| ("constant", c.name.as_str())))
        .chain(exceptions.iter().map(|e| ("exception", e.name.as_str())));
    for (kind, name) in all {
        if name.starts_with("__") && name.ends_with("__") {
            return Err(format!(
                "{kind} '{name}': dunder names are the module's own (__doc__, __all__, ...)"
            ));
        }
        if let Some(first) = seen.insert(name, kind) {
            return Err(format!(
                "{kind} '{name}' has the name of a {first} of the plugin"
            ));
        }
    }
    Ok(())
}

/// The strides of the function and parameter arrays, as the plugin declared them, and the
/// number of classes a `class_index` may name.
pub(super) struct Strides {
    pub(super) function: usize,
    pub(super) param: usize,
    pub(super) class_count: u32,
}

impl Strides {
    fn of(plugin: &pyz3_plugin) -> Strides {
        Strides {
            function: plugin.function_size as usize,
            param: plugin.param_size as usize,
            class_count: plugin.class_count,
        }
    }

    /// Refuses a `function_size` that cannot hold a function definition.
    pub(super) fn check_function_size(&self) -> Result<(), String> {
        let min_fsize = core::mem::offset_of!(pyz3_function_def, flags) + 2;
        if self.function < min_fsize || self.function > 4096 {
            return Err(format!(
                "function_size is {}; expected sizeof(pyz3_function_def) = {} (rebuild the plugin \
                 with a matching pyz3.h)",
                self.function,
                core::mem::size_of::<pyz3_function_def>()
            ));
        }
        Ok(())
    }
}

fn read_functions(
    mem: &SafeMem,
    plugin: &pyz3_plugin,
    strides: &Strides,
    code: &CodeRanges,
) -> Result<Vec<FunctionSpec>, String> {
    let count = plugin.function_count;
    if count > PYZ3_MAX_FUNCTIONS {
        return Err(format!(
            "function_count is {count}, more than the limit of {PYZ3_MAX_FUNCTIONS}"
        ));
    }
    if count > 0 {
        strides.check_function_size()?;
    }
    if count > 0 && plugin.functions.is_null() {
        return Err(format!("function_count is {count} but functions is NULL"));
    }
    let mut functions: Vec<FunctionSpec> = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        let f = read_function(
            mem,
            plugin.functions as usize + i * strides.function,
            &format!("function #{i}"),
            "function",
            strides,
            0,
            code,
            false,
        )?;
        if functions.iter().any(|g| g.name == f.name) {
            return Err(format!("duplicate function name '{}'", f.name));
        }
        functions.push(f);
    }
    Ok(functions)
}

/// Reads and checks the function definition at `addr`: `label` names it before its name is
/// known ("function #3"), `noun` after ("function 'add'"); `extra_flags` are the `PYZ3_FN_*`
/// bits allowed beyond the module functions' (methods: static, class); `member`: a function of
/// a class, whose name may be a dunder (special methods).
#[allow(
    clippy::too_many_arguments,
    reason = "one call site per kind of function"
)]
pub(super) fn read_function(
    mem: &SafeMem,
    addr: usize,
    label: &str,
    noun: &str,
    strides: &Strides,
    extra_flags: u16,
    code: &CodeRanges,
    member: bool,
) -> Result<FunctionSpec, String> {
    let def: pyz3_function_def = mem
        .read_struct(addr, strides.function)
        .map_err(|e| format!("{label}: cannot read its definition: {e}"))?;
    let fname = mem
        .read_cstr(def.name as usize, PYZ3_MAX_NAME_LEN as usize)
        .map_err(|e| format!("{label}: name: {e}"))?;
    // A class's special methods have dunder names; a module attribute may not.
    if member {
        names::check(&format!("{label} name"), &fname)?;
    } else {
        names::check_attribute(&format!("{label} name"), &fname)?;
    }
    let ctx = format!("{noun} '{fname}'");
    let fdoc = read_optional_doc(mem, def.doc as usize).map_err(|e| format!("{ctx}: doc: {e}"))?;
    match (def.fn_.is_some(), def.raw.is_some()) {
        (false, false) => return Err(format!("{ctx}: both 'fn' and 'raw' are NULL")),
        (true, true) => {
            return Err(format!(
                "{ctx}: both 'fn' and 'raw' are set; set exactly one"
            ))
        }
        _ => {}
    }
    for (field, ptr) in [
        ("fn", def.fn_.map(|f| f as usize)),
        ("raw", def.raw.map(|f| f as usize)),
    ] {
        if let Some(ptr) = ptr.filter(|&p| !code.contains(p)) {
            return Err(format!(
                "{ctx}: '{field}' is {ptr:#x}, which is not in the plugin's code (a wild or \
                 data pointer would crash on the first call)"
            ));
        }
    }
    let return_type = match TypeCode::from_u8(def.return_type) {
        Some(t) if t.info().result => t,
        Some(t) => {
            return Err(format!(
                "{ctx}: type code {} ({}) is only valid as a parameter type",
                def.return_type,
                t.info().macro_name
            ))
        }
        None => {
            return Err(format!(
                "{ctx}: unknown return type code {}",
                def.return_type
            ))
        }
    };
    let (ret_facts, ret_items) =
        check_result_facts(mem, &def, return_type, strides.class_count, &ctx)?;
    if def.return_flags & !PYZ3_RETURN_OPTIONAL != 0 {
        return Err(format!(
            "{ctx}: unknown return_flags bits {:#x}",
            def.return_flags
        ));
    }
    let known = PYZ3_FN_RELEASE_GIL | PYZ3_FN_POSITIONAL_ONLY | extra_flags;
    if def.flags & !known != 0 {
        return Err(format!(
            "{ctx}: unknown flags bits {:#x}",
            def.flags & !known
        ));
    }
    if def.raw.is_some() && def.flags & PYZ3_FN_RELEASE_GIL != 0 {
        return Err(format!(
            "{ctx}: PYZ3_FN_RELEASE_GIL cannot be used with a raw function (it receives Python objects)"
        ));
    }
    if def.param_count > PYZ3_MAX_PARAMS {
        return Err(format!(
            "{ctx}: param_count is {}, more than the limit of {PYZ3_MAX_PARAMS}",
            def.param_count
        ));
    }
    if def.param_count > 0 && def.params.is_null() {
        return Err(format!(
            "{ctx}: param_count is {} but params is NULL",
            def.param_count
        ));
    }
    let min_psize = core::mem::offset_of!(pyz3_param, flags) + 1;
    if def.param_count > 0 && (strides.param < min_psize || strides.param > 4096) {
        return Err(format!(
            "param_size is {}; expected sizeof(pyz3_param) = {} (rebuild the plugin with a \
             matching pyz3.h)",
            strides.param,
            core::mem::size_of::<pyz3_param>()
        ));
    }
    let positional_only = def.flags & PYZ3_FN_POSITIONAL_ONLY != 0;
    let mut params: Vec<ParamSpec> = Vec::with_capacity(def.param_count as usize);
    for j in 0..def.param_count as usize {
        let p = read_param(
            mem,
            def.params as usize + j * strides.param,
            j,
            strides,
            &ctx,
        )?;
        check_param_order(&params, &p, positional_only, &ctx)?;
        params.push(p);
    }
    Ok(FunctionSpec {
        name: fname,
        doc: fdoc,
        params,
        return_type,
        ret_facts,
        ret_items,
        return_flags: def.return_flags,
        flags: def.flags,
        fn_: def.fn_,
        raw: def.raw,
        user_data: def.user_data as usize,
        ret_class_index: def.ret_class_index,
    })
}

/// Reads and checks parameter `#j` of the function `ctx` at `addr`, on its own.
pub(super) fn read_param(
    mem: &SafeMem,
    addr: usize,
    j: usize,
    strides: &Strides,
    ctx: &str,
) -> Result<ParamSpec, String> {
    let p: pyz3_param = mem
        .read_struct(addr, strides.param)
        .map_err(|e| format!("{ctx}: parameter #{j}: cannot read it: {e}"))?;
    let pname = mem
        .read_cstr(p.name as usize, PYZ3_MAX_NAME_LEN as usize)
        .map_err(|e| format!("{ctx}: parameter #{j} name: {e}"))?;
    names::check(&format!("{ctx}: parameter #{j} name"), &pname)?;
    let pctx = format!("{ctx}: parameter '{pname}'");
    let ty = match TypeCode::from_u8(p.type_) {
        Some(t) if t.info().param => t,
        Some(t) => {
            return Err(format!(
                "{pctx}: type code {} ({}) is only valid as a return type",
                p.type_,
                t.info().macro_name
            ))
        }
        None => return Err(format!("{pctx}: unknown type code {}", p.type_)),
    };
    if p.flags & !(PYZ3_PARAM_OPTIONAL | PYZ3_PARAM_KEYWORD_ONLY) != 0 {
        return Err(format!("{pctx}: unknown flags bits {:#x}", p.flags));
    }
    let facts = check_param_facts(&p, ty, strides.class_count, &pctx)?;
    let default = if p.default_value.is_null() {
        None
    } else {
        Some(
            mem.read_cstr(p.default_value as usize, PYZ3_MAX_DOC_LEN as usize)
                .map_err(|e| format!("{pctx}: default value: {e}"))?,
        )
    };
    Ok(ParamSpec {
        name: pname,
        ty,
        flags: p.flags,
        facts,
        default,
        class_index: p.class_index,
    })
}

/// The compound-type facts of a parameter (ABI 1.1: `elem`, `type_flags`, `ndim`,
/// `class_index`; `reserved`). A 1.0 plugin has zeros there. Each is 0 unless the parameter's
/// type uses it, so a later minor can give a zero field a meaning without misreading old plugins.
/// A type that uses some checks them with its own rule and leaves the rest to be zero.
fn check_param_facts(
    p: &pyz3_param,
    ty: TypeCode,
    class_count: u32,
    pctx: &str,
) -> Result<TypeFacts, String> {
    let (facts, used): (TypeFacts, &[&str]) = match ty {
        TypeCode::Buffer => (
            buffer::check_param_facts(p.elem, p.type_flags, p.ndim)
                .map_err(|e| format!("{pctx}: {e}"))?,
            &["elem", "type_flags", "ndim"],
        ),
        TypeCode::Instance => {
            check_class_index(ty, p.class_index, class_count, "class_index", pctx)?;
            (
                TypeFacts {
                    class_index: p.class_index,
                    ..TypeFacts::NONE
                },
                &["class_index"],
            )
        }
        // Sequences and dicts: a scalar element type, by the registry's `needs`.
        _ if ty.info().needs == Needs::Elem => (
            TypeFacts {
                elem: element_type(p.elem, "elem", ty, false, pctx)?,
                ..TypeFacts::NONE
            },
            &["elem"],
        ),
        _ => (TypeFacts::NONE, &[]),
    };
    let fields = [
        ("elem", u32::from(p.elem)),
        ("type_flags", u32::from(p.type_flags)),
        ("ndim", u32::from(p.ndim)),
        ("reserved", u32::from(p.reserved)),
        ("class_index", u32::from(p.class_index)),
    ];
    for (field, value) in fields {
        if value != 0 && !used.contains(&field) {
            return Err(format!(
                "{pctx}: {field} must be 0 for a parameter of type {}, got {value}",
                ty.name()
            ));
        }
    }
    Ok(facts)
}

/// The element type `code` of a compound `ty` (a parameter's or a result's, per `as_result`).
fn element_type(
    code: u8,
    field: &str,
    ty: TypeCode,
    as_result: bool,
    ctx: &str,
) -> Result<TypeCode, String> {
    let elem = TypeCode::from_u8(code)
        .filter(|_| code != 0 || field.starts_with("ret_items"))
        .ok_or_else(|| {
            format!(
                "{ctx}: {field} is {code}, not an element type (a {} needs its element type \
                 there)",
                ty.name()
            )
        })?;
    let ok = if as_result {
        elem.info().is_result_elem()
    } else {
        elem.info().is_param_elem()
    };
    if !ok {
        return Err(format!(
            "{ctx}: {field} {} ({}) cannot be the element type of {} {}: use an integer, float, \
             bool, str, bytes or object type",
            code,
            elem.info().macro_name,
            if ty.name().starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            },
            ty.name()
        ));
    }
    Ok(elem)
}

/// For a `PYZ3_T_INSTANCE` value: is `index` a class of the plugin? Returns whether the type
/// uses the class index (its other facts must then still be 0).
pub(super) fn check_class_index(
    ty: TypeCode,
    index: u16,
    class_count: u32,
    field: &str,
    ctx: &str,
) -> Result<bool, String> {
    if ty != TypeCode::Instance {
        return Ok(false);
    }
    if u32::from(index) >= class_count {
        return Err(format!(
            "{ctx}: {field} is {index}, but the plugin declares {class_count} class{}",
            if class_count == 1 { "" } else { "es" }
        ));
    }
    Ok(true)
}

/// The compound-result facts of a function (ABI 1.1 `ret_*` fields), as for parameters.
/// Returns the facts (`elem`: the element type of array, list, dict and iterator results) and
/// the item types of a tuple result.
fn check_result_facts(
    mem: &SafeMem,
    def: &pyz3_function_def,
    ty: TypeCode,
    class_count: u32,
    ctx: &str,
) -> Result<(TypeFacts, Vec<TypeCode>), String> {
    let needs = ty.info().needs;
    let (facts, used): (TypeFacts, &[&str]) = match ty {
        TypeCode::Array => (
            array::check_result_facts(def.ret_elem, def.ret_type_flags, def.ret_ndim)
                .map_err(|e| format!("{ctx}: {e}"))?,
            &["ret_elem", "ret_type_flags", "ret_ndim"],
        ),
        TypeCode::Instance => {
            check_class_index(ty, def.ret_class_index, class_count, "ret_class_index", ctx)?;
            (
                TypeFacts {
                    class_index: def.ret_class_index,
                    ..TypeFacts::NONE
                },
                &["ret_class_index"],
            )
        }
        // Lists, dicts and iterators: a scalar element type, by the registry's `needs`.
        _ if needs == Needs::Elem => (
            TypeFacts {
                elem: element_type(def.ret_elem, "ret_elem", ty, true, ctx)?,
                ..TypeFacts::NONE
            },
            &["ret_elem"],
        ),
        _ => (TypeFacts::NONE, &[]),
    };
    let mut items = Vec::new();
    if needs == Needs::Items {
        let n = def.ret_item_count as u32;
        if n == 0 || n > PYZ3_MAX_ITEMS {
            return Err(format!(
                "{ctx}: ret_item_count is {n}; a {} result has 1 to {PYZ3_MAX_ITEMS} items",
                ty.name()
            ));
        }
        if def.ret_items.is_null() {
            return Err(format!(
                "{ctx}: ret_item_count is {n} but ret_items is NULL"
            ));
        }
        let mut codes = vec![0u8; n as usize];
        mem.read(def.ret_items as usize, &mut codes)
            .map_err(|e| format!("{ctx}: ret_items: {e}"))?;
        for (i, &c) in codes.iter().enumerate() {
            items.push(element_type(c, &format!("ret_items[{i}]"), ty, true, ctx)?);
        }
    }
    let fields = [
        ("ret_elem", u32::from(def.ret_elem)),
        ("ret_type_flags", u32::from(def.ret_type_flags)),
        ("ret_ndim", u32::from(def.ret_ndim)),
        ("ret_reserved", u32::from(def.ret_reserved)),
        ("ret_class_index", u32::from(def.ret_class_index)),
        (
            "ret_item_count",
            if items.is_empty() {
                u32::from(def.ret_item_count)
            } else {
                0
            },
        ),
    ];
    for (field, value) in fields {
        if value != 0 && !used.contains(&field) {
            return Err(format!(
                "{ctx}: {field} must be 0 for a result of type {}, got {value}",
                ty.name()
            ));
        }
    }
    if items.is_empty() && !def.ret_items.is_null() {
        return Err(format!(
            "{ctx}: ret_items must be NULL for a result of type {}",
            ty.name()
        ));
    }
    Ok((facts, items))
}

/// The rules that relate a parameter to the ones before it: unique names, keyword-only ones
/// last, no required positional parameter after one with a default.
fn check_param_order(
    before: &[ParamSpec],
    p: &ParamSpec,
    positional_only: bool,
    ctx: &str,
) -> Result<(), String> {
    let pctx = format!("{ctx}: parameter '{}'", p.name);
    if before.iter().any(|q| q.name == p.name) {
        return Err(format!("{ctx}: duplicate parameter name '{}'", p.name));
    }
    let kwonly = p.flags & PYZ3_PARAM_KEYWORD_ONLY != 0;
    if kwonly && positional_only {
        return Err(format!(
            "{pctx}: keyword-only parameter in a PYZ3_FN_POSITIONAL_ONLY function"
        ));
    }
    if !kwonly
        && before
            .iter()
            .any(|q| q.flags & PYZ3_PARAM_KEYWORD_ONLY != 0)
    {
        return Err(format!(
            "{pctx}: positional parameter after a keyword-only one"
        ));
    }
    if !kwonly && p.default.is_none() && before.iter().any(|q| q.default.is_some()) {
        return Err(format!(
            "{pctx}: parameter without a default follows one with a default"
        ));
    }
    Ok(())
}

pub(super) fn read_optional_doc(mem: &SafeMem, addr: usize) -> Result<Option<String>, String> {
    if addr == 0 {
        return Ok(None);
    }
    mem.read_cstr(addr, PYZ3_MAX_DOC_LEN as usize).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(magic: u32, major: u16, minor: u16, size: u32) -> pyz3_plugin_header {
        pyz3_plugin_header {
            magic,
            abi_major: major,
            abi_minor: minor,
            struct_size: size,
            reserved: 0,
        }
    }

    const SIZE: u32 = core::mem::size_of::<pyz3_plugin>() as u32;

    #[test]
    fn handshake_accepts_current_and_older_minor() {
        assert!(check_header(&header(
            PYZ3_ABI_MAGIC,
            PYZ3_ABI_MAJOR,
            PYZ3_ABI_MINOR,
            SIZE
        ))
        .is_ok());
    }

    #[test]
    fn handshake_refusals_name_the_symbol_and_the_fix() {
        let e = check_header(&header(0xdead_beef, 1, 0, SIZE)).unwrap_err();
        assert!(e.contains("magic 0xdeadbeef"), "{e}");
        let e = check_header(&header(PYZ3_ABI_MAGIC, PYZ3_ABI_MAJOR + 1, 0, SIZE)).unwrap_err();
        assert!(
            e.contains("pyz3_plugin_entry") && e.contains("rebuild the plugin"),
            "{e}"
        );
        let e = check_header(&header(
            PYZ3_ABI_MAGIC,
            PYZ3_ABI_MAJOR,
            PYZ3_ABI_MINOR + 1,
            SIZE,
        ))
        .unwrap_err();
        assert!(e.contains("upgrade pyz3"), "{e}");
        let e = check_header(&header(PYZ3_ABI_MAGIC, PYZ3_ABI_MAJOR, 0, 8)).unwrap_err();
        assert!(e.contains("struct_size is 8"), "{e}");
    }
}
