//! loader/src/plugin/elf.rs: checking a library's ELF headers before `dlopen` maps it.

use std::path::Path;

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
