//! loader/src/plugin.rs: opening a plugin library, the version handshake, and descriptor checks.
//!
//! Order of events for `open`:
//! 1. resolve the path to an absolute, existing regular file (a bare name without a '/' is
//!    refused, so neither the library search path nor the current directory is ever searched);
//! 2. `dlopen(path, RTLD_NOW | RTLD_LOCAL)`: every undefined symbol must resolve now;
//! 3. look up `pyz3_plugin_entry` and call it — the first plugin code that runs besides the
//!    library's own constructors;
//! 4. read the 16-byte header and check magic, major, minor and struct size — before any other
//!    field is read;
//! 5. read and validate the rest into an owned [`PluginSpec`].
//!
//! Every read of plugin memory goes through [`SafeMem`], which copies with
//! `process_vm_readv` on our own process: a wild pointer yields an error, not a crash.

use std::ffi::CString;
use std::fmt;
use std::path::{Path, PathBuf};

use pyz3_sdk::abi::*;

/// Why a plugin could not be loaded; the message names the file and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The path as given (or resolved, when that succeeded).
    pub path: String,
    /// What went wrong, for a human.
    pub reason: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot load pyz3 plugin '{}': {}",
            self.path, self.reason
        )
    }
}

impl std::error::Error for LoadError {}

/// A parameter, validated and copied out of the plugin's descriptor.
#[derive(Debug, Clone)]
pub struct ParamSpec {
    /// Python identifier.
    pub name: String,
    /// `PYZ3_T_*`.
    pub ty: u8,
    /// `PYZ3_PARAM_*` bits.
    pub flags: u8,
    /// The default as the Python literal the plugin gave, if any.
    pub default: Option<String>,
}

/// A function, validated and copied out of the plugin's descriptor.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    /// Python identifier.
    pub name: String,
    /// Doc string, if any.
    pub doc: Option<String>,
    /// Parameters in order.
    pub params: Vec<ParamSpec>,
    /// `PYZ3_T_*` of the result.
    pub return_type: u8,
    /// `PYZ3_RETURN_*` bits.
    pub return_flags: u8,
    /// `PYZ3_FN_*` bits.
    pub flags: u16,
    /// Typed entry point (exactly one of `fn_`, `raw` is set).
    pub fn_: pyz3_fn,
    /// Raw entry point.
    pub raw: pyz3_raw_fn,
    /// Opaque pointer handed back in `pyz3_call.user_data`.
    pub user_data: usize,
}

/// A plugin, validated.
#[derive(Debug, Clone)]
pub struct PluginSpec {
    /// Absolute path of the library.
    pub path: PathBuf,
    /// Module name from the descriptor.
    pub name: String,
    /// Module doc string.
    pub doc: Option<String>,
    /// ABI version the plugin was built for.
    pub abi: (u16, u16),
    /// Functions in declaration order.
    pub functions: Vec<FunctionSpec>,
}

/// Copies of plugin memory that cannot fault.
struct SafeMem {
    vm_readv_works: bool,
}

impl SafeMem {
    fn new() -> SafeMem {
        // Probe once: seccomp profiles may forbid process_vm_readv; then fall back to plain reads
        // (pointers are still null-checked and strings bounded).
        let probe = 0u64;
        let mut out = [0u8; 8];
        let ok = Self::vm_read(&probe as *const u64 as usize, &mut out).is_ok();
        SafeMem { vm_readv_works: ok }
    }

    fn vm_read(addr: usize, out: &mut [u8]) -> Result<(), ()> {
        let local = libc::iovec {
            iov_base: out.as_mut_ptr().cast(),
            iov_len: out.len(),
        };
        let remote = libc::iovec {
            iov_base: addr as *mut libc::c_void,
            iov_len: out.len(),
        };
        // SAFETY: reads from our own address space into `out`; the kernel validates `remote`.
        let n = unsafe { libc::process_vm_readv(libc::getpid(), &local, 1, &remote, 1, 0) };
        if n == out.len() as isize {
            Ok(())
        } else {
            Err(())
        }
    }

    /// Copies `out.len()` bytes from `addr`.
    fn read(&self, addr: usize, out: &mut [u8]) -> Result<(), String> {
        if addr == 0 {
            return Err("NULL pointer".to_owned());
        }
        if out.is_empty() {
            return Ok(());
        }
        if self.vm_readv_works {
            Self::vm_read(addr, out).map_err(|()| format!("unreadable memory at {addr:#x}"))
        } else {
            // SAFETY: best effort without process_vm_readv: the pointer is non-null and the
            // caller bounds the length.
            unsafe {
                core::ptr::copy_nonoverlapping(addr as *const u8, out.as_mut_ptr(), out.len())
            };
            Ok(())
        }
    }

    /// Reads a `T` (a plain C struct) from `addr`, zero-filling bytes beyond `avail`.
    fn read_struct<T: Copy>(&self, addr: usize, avail: usize) -> Result<T, String> {
        let size = core::mem::size_of::<T>();
        let mut buf = vec![0u8; size];
        let n = avail.min(size);
        self.read(addr, &mut buf[..n])?;
        // SAFETY: `T` is a repr(C) struct of integers and pointers: every bit pattern is valid
        // except for the `Option<fn>` fields, whose null pattern is `None`; `buf` is `size` bytes.
        Ok(unsafe { core::ptr::read_unaligned(buf.as_ptr() as *const T) })
    }

    /// Reads a NUL-terminated string of at most `max` bytes.
    fn read_cstr(&self, addr: usize, max: usize) -> Result<String, String> {
        if addr == 0 {
            return Err("NULL pointer".to_owned());
        }
        let mut out = Vec::new();
        let mut chunk = [0u8; 64];
        let mut at = addr;
        loop {
            // Read up to the end of the page so a string that ends near a page boundary works.
            let to_page_end = 4096 - (at % 4096);
            let n = chunk.len().min(to_page_end);
            if let Err(e) = self.read(at, &mut chunk[..n]) {
                return Err(if out.is_empty() {
                    e
                } else {
                    format!("no terminating NUL before {e}")
                });
            }
            if let Some(z) = chunk[..n].iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..z]);
                break;
            }
            out.extend_from_slice(&chunk[..n]);
            if out.len() > max {
                return Err(format!("no terminating NUL within {max} bytes"));
            }
            at += n;
        }
        if out.len() > max {
            return Err(format!("longer than {max} bytes"));
        }
        String::from_utf8(out).map_err(|e| format!("not valid UTF-8 ({e})"))
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_ascii_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

const KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

fn check_name(what: &str, name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if !is_identifier(name) {
        return Err(format!(
            "{what} {name:?} is not a Python identifier (ASCII letters, digits, '_')"
        ));
    }
    if KEYWORDS.contains(&name) {
        return Err(format!("{what} {name:?} is a Python keyword"));
    }
    Ok(())
}

/// The library handle, kept for the life of the process (plugins are never unloaded).
pub struct OpenedLibrary {
    /// Raw `dlopen` handle (never closed).
    pub handle: usize,
}

fn resolve(path: &str) -> Result<PathBuf, LoadError> {
    let err = |reason: String| LoadError {
        path: path.to_owned(),
        reason,
    };
    if path.is_empty() {
        return Err(err("empty path".to_owned()));
    }
    if path.as_bytes().contains(&0) {
        return Err(err("path contains a NUL byte".to_owned()));
    }
    if !path.contains('/') {
        // dlopen would search the library path for a bare name, and resolving it against the
        // current directory would make that directory an implicit search path: refuse both.
        return Err(err(format!(
            "a bare file name is not searched for (pyz3 has no search path and never looks in the \
             current directory implicitly): pass a path such as './{path}'"
        )));
    }
    let p = Path::new(path);
    let meta = std::fs::metadata(p).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => err("no such file".to_owned()),
        _ => err(format!("cannot stat the file: {e}")),
    })?;
    if meta.is_dir() {
        return Err(err("is a directory, not a shared library".to_owned()));
    }
    if !meta.is_file() {
        return Err(err("is not a regular file".to_owned()));
    }
    std::fs::canonicalize(p).map_err(|e| err(format!("cannot resolve the path: {e}")))
}

fn machine_name(m: u16) -> String {
    match m {
        3 => "x86 (i386)".to_owned(),
        40 => "ARM".to_owned(),
        62 => "x86-64".to_owned(),
        183 => "AArch64".to_owned(),
        243 => "RISC-V".to_owned(),
        21 => "PowerPC64".to_owned(),
        22 => "S/390".to_owned(),
        other => format!("machine {other}"),
    }
}

#[cfg(target_arch = "x86_64")]
const NATIVE_MACHINE: u16 = 62;
#[cfg(target_arch = "aarch64")]
const NATIVE_MACHINE: u16 = 183;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const NATIVE_MACHINE: u16 = 0;

/// Checks the ELF headers before `dlopen` sees the file: the dynamic loader maps segments
/// straight from the file, so a truncated library would fault (SIGBUS) instead of failing.
pub fn elf_precheck(path: &Path) -> Result<(), String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).map_err(|e| format!("cannot open the file: {e}"))?;
    let size = f
        .metadata()
        .map_err(|e| format!("cannot stat the file: {e}"))?
        .len();
    let mut eh = [0u8; 64];
    let n = f
        .read(&mut eh)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    if n < 4 || &eh[..4] != b"\x7fELF" {
        return Err("not a shared library (no ELF header)".to_owned());
    }
    if n < 64 {
        return Err(format!(
            "not a loadable shared library: truncated ELF header ({size} bytes)"
        ));
    }
    if eh[4] != 2 || cfg!(not(target_pointer_width = "64")) {
        return Err("not a loadable shared library: not a 64-bit ELF file".to_owned());
    }
    if eh[5] != 1 {
        return Err("not a loadable shared library: not a little-endian ELF file".to_owned());
    }
    let u16_at = |o: usize| u16::from_le_bytes([eh[o], eh[o + 1]]);
    let u64_at = |b: &[u8], o: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[o..o + 8]);
        u64::from_le_bytes(w)
    };
    if u16_at(16) != 3 {
        return Err("not a shared library (ELF type is not ET_DYN)".to_owned());
    }
    let machine = u16_at(18);
    if NATIVE_MACHINE != 0 && machine != NATIVE_MACHINE {
        return Err(format!(
            "built for {}, but this process runs on {}",
            machine_name(machine),
            machine_name(NATIVE_MACHINE)
        ));
    }
    let phoff = u64_at(&eh, 32);
    let phentsize = u16_at(54) as u64;
    let phnum = u16_at(56) as u64;
    if phentsize < 56 || phnum == 0 || phnum > 4096 {
        return Err("not a loadable shared library: bad program header table".to_owned());
    }
    let table_end = phoff.saturating_add(phentsize * phnum);
    if table_end > size {
        return Err(format!(
            "truncated: the program header table ends at byte {table_end}, the file has {size}"
        ));
    }
    let mut table = vec![0u8; (phentsize * phnum) as usize];
    f.seek(SeekFrom::Start(phoff))
        .and_then(|_| f.read_exact(&mut table))
        .map_err(|e| format!("cannot read the program headers: {e}"))?;
    for i in 0..phnum as usize {
        let ph = &table[i * phentsize as usize..];
        let p_type = u32::from_le_bytes([ph[0], ph[1], ph[2], ph[3]]);
        let (offset, filesz) = (u64_at(ph, 8), u64_at(ph, 32));
        // PT_LOAD and PT_DYNAMIC are read from the file by the dynamic loader.
        if (p_type == 1 || p_type == 2) && offset.checked_add(filesz).is_none_or(|end| end > size) {
            return Err(format!(
                "truncated: a segment needs bytes up to {}, the file has {size}",
                offset.saturating_add(filesz)
            ));
        }
    }
    Ok(())
}

/// Opens the library at `path` and validates its descriptor.
pub fn open(path: &str) -> Result<(PluginSpec, OpenedLibrary), LoadError> {
    let abs = resolve(path)?;
    let shown = abs.display().to_string();
    let err = |reason: String| LoadError {
        path: shown.clone(),
        reason,
    };
    elf_precheck(&abs).map_err(err)?;

    // SAFETY: loading a library runs its constructors; that is the documented trust boundary
    // (docs/reliability.md). The path is absolute, so no search path is consulted.
    let lib = unsafe {
        libloading::os::unix::Library::open(
            Some(&abs),
            libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_LOCAL,
        )
    }
    .map_err(|e| {
        let detail = std::error::Error::source(&e)
            .map(|s| s.to_string())
            .unwrap_or_else(|| e.to_string());
        err(format!(
            "not a loadable shared library: {}",
            dl_reason(&detail)
        ))
    })?;

    let entry_name = CString::new(PYZ3_ENTRY_SYMBOL).unwrap_or_default();
    // SAFETY: the symbol is declared by the ABI as `const pyz3_plugin *(void)`.
    let entry: Result<libloading::os::unix::Symbol<pyz3_entry_fn>, _> =
        unsafe { lib.get(entry_name.as_bytes_with_nul()) };
    let entry = match entry {
        Ok(e) => *e,
        Err(_) => {
            return Err(err(format!(
                "the library does not export '{PYZ3_ENTRY_SYMBOL}', so it is not a pyz3 plugin \
                 (declare its descriptor with PYZ3_PLUGIN(...) from pyz3.h)"
            )))
        }
    };
    // SAFETY: calling the plugin's entry point, per the ABI.
    let desc = unsafe { entry() } as usize;
    let spec = read_descriptor(&abs, desc).map_err(err)?;
    let handle = lib.into_raw() as usize;
    Ok((spec, OpenedLibrary { handle }))
}

fn dl_reason(msg: &str) -> String {
    // dlerror() text starts with the path again ("/p/libx.so: reason"); drop that part.
    match msg.split_once(".so: ") {
        Some((_, tail)) if !tail.is_empty() => tail.to_owned(),
        _ => msg.to_owned(),
    }
}

/// Checks the handshake and reads the descriptor at `desc` (the entry point's return value).
pub fn read_descriptor(path: &Path, desc: usize) -> Result<PluginSpec, String> {
    let mem = SafeMem::new();
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
    if plugin.flags != 0 {
        return Err(format!(
            "descriptor field 'flags' must be 0, got {:#x}",
            plugin.flags
        ));
    }
    let name = mem
        .read_cstr(plugin.name as usize, PYZ3_MAX_NAME_LEN as usize)
        .map_err(|e| format!("module name: {e}"))?;
    check_name("module name", &name)?;
    let doc =
        read_optional_doc(&mem, plugin.doc as usize).map_err(|e| format!("module doc: {e}"))?;

    let count = plugin.function_count;
    if count > PYZ3_MAX_FUNCTIONS {
        return Err(format!(
            "function_count is {count}, more than the limit of {PYZ3_MAX_FUNCTIONS}"
        ));
    }
    let fsize = plugin.function_size as usize;
    let psize = plugin.param_size as usize;
    let min_fsize = core::mem::offset_of!(pyz3_function_def, flags) + 2;
    let min_psize = core::mem::offset_of!(pyz3_param, flags) + 1;
    if count > 0 && (fsize < min_fsize || fsize > 4096) {
        return Err(format!(
            "function_size is {fsize}; expected sizeof(pyz3_function_def) = {} (rebuild the plugin \
             with a matching pyz3.h)",
            core::mem::size_of::<pyz3_function_def>()
        ));
    }
    if count > 0 && plugin.functions.is_null() {
        return Err(format!("function_count is {count} but functions is NULL"));
    }

    let mut functions: Vec<FunctionSpec> = Vec::with_capacity(count as usize);
    for i in 0..count as usize {
        let addr = plugin.functions as usize + i * fsize;
        let def: pyz3_function_def = mem
            .read_struct(addr, fsize)
            .map_err(|e| format!("function #{i}: cannot read its definition: {e}"))?;
        let fname = mem
            .read_cstr(def.name as usize, PYZ3_MAX_NAME_LEN as usize)
            .map_err(|e| format!("function #{i}: name: {e}"))?;
        check_name(&format!("function #{i} name"), &fname)?;
        let ctx = format!("function '{fname}'");
        if functions.iter().any(|f| f.name == fname) {
            return Err(format!("duplicate function name '{fname}'"));
        }
        let fdoc =
            read_optional_doc(&mem, def.doc as usize).map_err(|e| format!("{ctx}: doc: {e}"))?;
        match (def.fn_.is_some(), def.raw.is_some()) {
            (false, false) => return Err(format!("{ctx}: both 'fn' and 'raw' are NULL")),
            (true, true) => {
                return Err(format!(
                    "{ctx}: both 'fn' and 'raw' are set; set exactly one"
                ))
            }
            _ => {}
        }
        if def.return_type >= PYZ3_T_COUNT {
            return Err(format!(
                "{ctx}: unknown return type code {}",
                def.return_type
            ));
        }
        if def.return_flags & !PYZ3_RETURN_OPTIONAL != 0 {
            return Err(format!(
                "{ctx}: unknown return_flags bits {:#x}",
                def.return_flags
            ));
        }
        let known = PYZ3_FN_RELEASE_GIL | PYZ3_FN_POSITIONAL_ONLY;
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
        if def.param_count > 0 && (psize < min_psize || psize > 4096) {
            return Err(format!(
                "param_size is {psize}; expected sizeof(pyz3_param) = {} (rebuild the plugin with a \
                 matching pyz3.h)",
                core::mem::size_of::<pyz3_param>()
            ));
        }
        let mut params: Vec<ParamSpec> = Vec::with_capacity(def.param_count as usize);
        let mut seen_default = false;
        let mut seen_kwonly = false;
        for j in 0..def.param_count as usize {
            let p: pyz3_param = mem
                .read_struct(def.params as usize + j * psize, psize)
                .map_err(|e| format!("{ctx}: parameter #{j}: cannot read it: {e}"))?;
            let pname = mem
                .read_cstr(p.name as usize, PYZ3_MAX_NAME_LEN as usize)
                .map_err(|e| format!("{ctx}: parameter #{j} name: {e}"))?;
            check_name(&format!("{ctx}: parameter #{j} name"), &pname)?;
            let pctx = format!("{ctx}: parameter '{pname}'");
            if params.iter().any(|q| q.name == pname) {
                return Err(format!("{ctx}: duplicate parameter name '{pname}'"));
            }
            if p.type_ == PYZ3_T_VOID {
                return Err(format!(
                    "{pctx}: type code 0 (PYZ3_T_VOID) is only valid as a return type"
                ));
            }
            if p.type_ >= PYZ3_T_COUNT {
                return Err(format!("{pctx}: unknown type code {}", p.type_));
            }
            if p.flags & !(PYZ3_PARAM_OPTIONAL | PYZ3_PARAM_KEYWORD_ONLY) != 0 {
                return Err(format!("{pctx}: unknown flags bits {:#x}", p.flags));
            }
            if p.reserved != [0; 6] {
                // Reserved for later minors: a non-zero byte would be misread by them.
                return Err(format!(
                    "{pctx}: reserved bytes must be 0, got {:?}",
                    p.reserved
                ));
            }
            let kwonly = p.flags & PYZ3_PARAM_KEYWORD_ONLY != 0;
            if kwonly && def.flags & PYZ3_FN_POSITIONAL_ONLY != 0 {
                return Err(format!(
                    "{pctx}: keyword-only parameter in a PYZ3_FN_POSITIONAL_ONLY function"
                ));
            }
            if seen_kwonly && !kwonly {
                return Err(format!(
                    "{pctx}: positional parameter after a keyword-only one"
                ));
            }
            seen_kwonly |= kwonly;
            let default = if p.default_value.is_null() {
                None
            } else {
                Some(
                    mem.read_cstr(p.default_value as usize, PYZ3_MAX_DOC_LEN as usize)
                        .map_err(|e| format!("{pctx}: default value: {e}"))?,
                )
            };
            if default.is_some() {
                seen_default = true;
            } else if seen_default && !kwonly {
                return Err(format!(
                    "{pctx}: parameter without a default follows one with a default"
                ));
            }
            params.push(ParamSpec {
                name: pname,
                ty: p.type_,
                flags: p.flags,
                default,
            });
        }
        functions.push(FunctionSpec {
            name: fname,
            doc: fdoc,
            params,
            return_type: def.return_type,
            return_flags: def.return_flags,
            flags: def.flags,
            fn_: def.fn_,
            raw: def.raw,
            user_data: def.user_data as usize,
        });
    }

    Ok(PluginSpec {
        path: path.to_path_buf(),
        name,
        doc,
        abi: (header.abi_major, header.abi_minor),
        functions,
    })
}

fn read_optional_doc(mem: &SafeMem, addr: usize) -> Result<Option<String>, String> {
    if addr == 0 {
        return Ok(None);
    }
    mem.read_cstr(addr, PYZ3_MAX_DOC_LEN as usize).map(Some)
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

    #[test]
    fn names_must_be_identifiers() {
        assert!(check_name("n", "add_2").is_ok());
        assert!(check_name("n", "").is_err());
        assert!(check_name("n", "2add").is_err());
        assert!(check_name("n", "a-b").is_err());
        assert!(check_name("n", "lambda").is_err());
    }

    #[test]
    fn safe_reads_refuse_wild_pointers() {
        let mem = SafeMem::new();
        assert!(mem.vm_readv_works, "process_vm_readv is unavailable here");
        let mut buf = [0u8; 8];
        assert!(mem.read(8, &mut buf).is_err());
        assert!(mem.read_cstr(16, 100).is_err());
        let s = b"hello\0";
        assert_eq!(mem.read_cstr(s.as_ptr() as usize, 100).unwrap(), "hello");
        let long = [b'x'; 300];
        let e = mem.read_cstr(long.as_ptr() as usize, 255).unwrap_err();
        assert!(e.contains("NUL"), "{e}");
    }
}
