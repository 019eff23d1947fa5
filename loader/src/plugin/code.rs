//! loader/src/plugin/code.rs: where a loaded object's machine code is, to check function pointers.
//!
//! A descriptor's `fn` and `raw` pointers are called later, on the first call of each function.
//! A pointer that is not NULL but does not point into the plugin's code would crash then, far
//! from the cause; so at load time every one must lie inside an executable `PT_LOAD` segment of
//! the plugin itself, as the dynamic loader mapped it (`dl_iterate_phdr`).

use core::ffi::{c_int, c_void};

/// The executable address ranges of one loaded object.
#[derive(Debug, Clone, Default)]
pub struct CodeRanges {
    ranges: Vec<(usize, usize)>,
}

impl CodeRanges {
    /// The executable segments of the object `dlopen` returned `handle` for.
    ///
    /// # Safety
    /// `handle` is a live handle returned by `dlopen`.
    pub unsafe fn of_handle(handle: *mut c_void) -> CodeRanges {
        let mut map: *mut LinkMapHead = core::ptr::null_mut();
        // SAFETY: RTLD_DI_LINKMAP writes the object's `struct link_map *` into `map`.
        let rc = unsafe {
            libc::dlinfo(
                handle,
                libc::RTLD_DI_LINKMAP,
                (&raw mut map).cast::<c_void>(),
            )
        };
        if rc != 0 || map.is_null() {
            return CodeRanges::default();
        }
        // SAFETY: glibc's link_map starts with `ElfW(Addr) l_addr`, the object's load bias.
        let base = unsafe { (*map).l_addr };
        CodeRanges::of_object_at(base)
    }

    /// The executable segments of the loaded object whose load bias is `base`.
    pub fn of_object_at(base: usize) -> CodeRanges {
        let mut found = Search {
            base,
            ranges: Vec::new(),
        };
        // SAFETY: the callback only reads the `dl_phdr_info` it is given, during the call.
        unsafe { libc::dl_iterate_phdr(Some(collect), (&raw mut found).cast::<c_void>()) };
        CodeRanges {
            ranges: found.ranges,
        }
    }

    /// The executable segments of the loaded object whose code contains `addr`.
    pub fn of_object_containing(addr: usize) -> CodeRanges {
        let mut objects: Vec<Search> = Vec::new();
        // SAFETY: as in `of_object_at`.
        unsafe { libc::dl_iterate_phdr(Some(collect_each), (&raw mut objects).cast::<c_void>()) };
        objects
            .into_iter()
            .find(|o| o.ranges.iter().any(|&(lo, hi)| lo <= addr && addr < hi))
            .map_or_else(CodeRanges::default, |o| CodeRanges { ranges: o.ranges })
    }

    /// Is `addr` inside one of the ranges?
    pub fn contains(&self, addr: usize) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= addr && addr < hi)
    }

    /// No range at all (the object was not found).
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

/// The first field of glibc's `struct link_map`.
#[repr(C)]
struct LinkMapHead {
    l_addr: usize,
}

struct Search {
    base: usize,
    ranges: Vec<(usize, usize)>,
}

/// Adds the executable `PT_LOAD` segments of `info` to `search`.
fn push_code(info: &libc::dl_phdr_info, search: &mut Search) {
    let base = info.dlpi_addr as usize;
    for i in 0..info.dlpi_phnum as usize {
        // SAFETY: `dlpi_phdr` points to `dlpi_phnum` program headers.
        let ph = unsafe { &*info.dlpi_phdr.add(i) };
        if ph.p_type == libc::PT_LOAD && ph.p_flags & libc::PF_X != 0 {
            let lo = base.wrapping_add(ph.p_vaddr as usize);
            search
                .ranges
                .push((lo, lo.saturating_add(ph.p_memsz as usize)));
        }
    }
}

unsafe extern "C" fn collect(
    info: *mut libc::dl_phdr_info,
    _size: usize,
    data: *mut c_void,
) -> c_int {
    // SAFETY: `data` is the `Search` passed to dl_iterate_phdr; `info` is valid for the call.
    let (info, search) = unsafe { (&*info, &mut *data.cast::<Search>()) };
    if info.dlpi_addr as usize == search.base {
        push_code(info, search);
        return 1; // found: stop iterating
    }
    0
}

unsafe extern "C" fn collect_each(
    info: *mut libc::dl_phdr_info,
    _size: usize,
    data: *mut c_void,
) -> c_int {
    // SAFETY: `data` is the `Vec<Search>` passed to dl_iterate_phdr; `info` is valid for the call.
    let (info, objects) = unsafe { (&*info, &mut *data.cast::<Vec<Search>>()) };
    let mut object = Search {
        base: info.dlpi_addr as usize,
        ranges: Vec::new(),
    };
    push_code(info, &mut object);
    objects.push(object);
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_test_is_code_and_its_data_is_not() {
        static DATA: [u8; 16] = [0; 16];
        let f = this_test_is_code_and_its_data_is_not as *const () as usize;
        let code = CodeRanges::of_object_containing(f);
        assert!(!code.is_empty());
        assert!(code.contains(f));
        assert!(!code.contains(DATA.as_ptr() as usize));
        assert!(!code.contains(0x10));
    }
}
