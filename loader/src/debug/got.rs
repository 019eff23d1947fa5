//! loader/src/debug/got.rs: pointing a debug-mode plugin's calls into libpyz3 at the checking
//! wrappers, by rewriting the plugin's GOT entries for them.
//!
//! A plugin calls `pyz3_*` through its global offset table (it links libpyz3.so.1 dynamically),
//! so the plugin's own relocations say where each entry is: `JUMP_SLOT` (calls through the PLT)
//! and `GLOB_DAT` (addresses taken) relocations against a `pyz3_*` symbol. Writing a wrapper's
//! address there changes that one plugin only; libpyz3 itself and every other plugin keep the
//! direct calls (HPy gets the same effect by handing a debug module another context table).
//! Entries under `PT_GNU_RELRO` are read-only after loading: made writable for the write and
//! read-only again.

use core::ffi::{c_int, c_void, CStr};

const DT_NULL: u64 = 0;
const DT_PLTRELSZ: u64 = 2;
const DT_STRTAB: u64 = 5;
const DT_SYMTAB: u64 = 6;
const DT_RELA: u64 = 7;
const DT_RELASZ: u64 = 8;
const DT_JMPREL: u64 = 23;
const PT_GNU_RELRO: u32 = 0x6474_e552;

#[cfg(target_arch = "x86_64")]
const GOT_RELOCATIONS: [u32; 2] = [6, 7]; // R_X86_64_GLOB_DAT, R_X86_64_JUMP_SLOT
#[cfg(target_arch = "aarch64")]
const GOT_RELOCATIONS: [u32; 2] = [1025, 1026]; // R_AARCH64_GLOB_DAT, R_AARCH64_JUMP_SLOT
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const GOT_RELOCATIONS: [u32; 2] = [u32::MAX, u32::MAX];

#[repr(C)]
struct Dyn {
    tag: u64,
    val: u64,
}

#[repr(C)]
struct Rela {
    offset: u64,
    info: u64,
    addend: i64,
}

#[repr(C)]
struct Sym {
    name: u32,
    info: u8,
    other: u8,
    shndx: u16,
    value: u64,
    size: u64,
}

/// What `dl_iterate_phdr` found for the object loaded at `base`.
struct Segments {
    base: usize,
    found: bool,
    dynamic: usize,
    relro: Option<(usize, usize)>,
}

unsafe extern "C" fn find_segments(
    info: *mut libc::dl_phdr_info,
    _size: usize,
    data: *mut c_void,
) -> c_int {
    // SAFETY: `data` is the `Segments` passed to dl_iterate_phdr; `info` is valid for the call.
    let (info, seg) = unsafe { (&*info, &mut *data.cast::<Segments>()) };
    if info.dlpi_addr as usize != seg.base {
        return 0;
    }
    seg.found = true;
    for i in 0..info.dlpi_phnum as usize {
        // SAFETY: `dlpi_phdr` points to `dlpi_phnum` program headers.
        let ph = unsafe { &*info.dlpi_phdr.add(i) };
        let lo = seg.base.wrapping_add(ph.p_vaddr as usize);
        if ph.p_type == libc::PT_DYNAMIC {
            seg.dynamic = lo;
        } else if ph.p_type == PT_GNU_RELRO {
            seg.relro = Some((lo, lo + ph.p_memsz as usize));
        }
    }
    1
}

/// Rewrites the GOT entries of the object loaded at `base` whose symbol has a wrapper in
/// `wrappers`; returns the names patched, or why nothing could be.
///
/// # Safety
/// `base` is the load bias of an object that stays loaded (a plugin: never closed) and whose
/// code is not running on another thread (the plugin is being loaded, under the load lock).
pub unsafe fn patch(
    base: usize,
    wrappers: &[(&'static str, *const c_void)],
) -> Result<Vec<&'static str>, String> {
    let mut seg = Segments {
        base,
        found: false,
        dynamic: 0,
        relro: None,
    };
    // SAFETY: the callback only reads the `dl_phdr_info` it is given, during the call.
    unsafe { libc::dl_iterate_phdr(Some(find_segments), (&raw mut seg).cast::<c_void>()) };
    if !seg.found || seg.dynamic == 0 {
        return Err("the library has no dynamic section".to_owned());
    }
    // glibc relocates the address entries of a loaded object's dynamic section in place; other
    // C libraries leave them as file addresses.
    let addr = |v: u64| {
        let v = v as usize;
        if v < base {
            base + v
        } else {
            v
        }
    };
    let (mut strtab, mut symtab) = (0usize, 0usize);
    let mut tables = [(0usize, 0usize); 2];
    let mut d = seg.dynamic as *const Dyn;
    // SAFETY: the dynamic section of a loaded object is an array ending with DT_NULL.
    unsafe {
        while (*d).tag != DT_NULL {
            match (*d).tag {
                DT_STRTAB => strtab = addr((*d).val),
                DT_SYMTAB => symtab = addr((*d).val),
                DT_RELA => tables[0].0 = addr((*d).val),
                DT_RELASZ => tables[0].1 = (*d).val as usize,
                DT_JMPREL => tables[1].0 = addr((*d).val),
                DT_PLTRELSZ => tables[1].1 = (*d).val as usize,
                _ => {}
            }
            d = d.add(1);
        }
    }
    if strtab == 0 || symtab == 0 {
        return Err("the library has no dynamic symbol table".to_owned());
    }
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    let mut patched = Vec::new();
    for &(table, size) in &tables {
        if table == 0 {
            continue;
        }
        for i in 0..size / core::mem::size_of::<Rela>() {
            // SAFETY: DT_RELA/DT_JMPREL hold `size` bytes of Elf64_Rela entries; each symbol index
            // is within the dynamic symbol table and each name within the string table.
            unsafe {
                let r = &*(table as *const Rela).add(i);
                if !GOT_RELOCATIONS.contains(&((r.info & 0xffff_ffff) as u32)) {
                    continue;
                }
                let sym = &*(symtab as *const Sym).add((r.info >> 32) as usize);
                let name = CStr::from_ptr((strtab + sym.name as usize) as *const core::ffi::c_char);
                let Ok(name) = name.to_str() else { continue };
                let Some(&(api, wrapper)) = wrappers.iter().find(|(n, _)| *n == name) else {
                    continue;
                };
                let slot = base + r.offset as usize;
                let in_relro = seg.relro.is_some_and(|(lo, hi)| lo <= slot && slot < hi);
                let page_start = slot & !(page - 1);
                if in_relro
                    && libc::mprotect(
                        page_start as *mut c_void,
                        page,
                        libc::PROT_READ | libc::PROT_WRITE,
                    ) != 0
                {
                    return Err(format!("cannot make the GOT entry of {api} writable"));
                }
                (slot as *mut *const c_void).write(wrapper);
                if in_relro {
                    libc::mprotect(page_start as *mut c_void, page, libc::PROT_READ);
                }
                patched.push(api);
            }
        }
    }
    Ok(patched)
}
