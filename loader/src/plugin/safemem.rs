//! loader/src/plugin/safemem.rs: copies of plugin memory that cannot fault.
//!
//! Descriptor memory is copied with `process_vm_readv` on our own pid: the kernel validates the
//! addresses, so a wild pointer or an unterminated string running into an unmapped page is an
//! error message instead of a crash.

/// Copies of plugin memory that cannot fault.
pub struct SafeMem {
    pub(crate) vm_readv_works: bool,
}

impl SafeMem {
    pub fn new() -> SafeMem {
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
    pub fn read(&self, addr: usize, out: &mut [u8]) -> Result<(), String> {
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
    pub fn read_struct<T: Copy>(&self, addr: usize, avail: usize) -> Result<T, String> {
        let size = core::mem::size_of::<T>();
        let mut buf = vec![0u8; size];
        let n = avail.min(size);
        self.read(addr, &mut buf[..n])?;
        // SAFETY: `T` is a repr(C) struct of integers and pointers: every bit pattern is valid
        // except for the `Option<fn>` fields, whose null pattern is `None`; `buf` is `size` bytes.
        Ok(unsafe { core::ptr::read_unaligned(buf.as_ptr() as *const T) })
    }

    /// Reads a NUL-terminated string of at most `max` bytes.
    pub fn read_cstr(&self, addr: usize, max: usize) -> Result<String, String> {
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

impl Default for SafeMem {
    fn default() -> SafeMem {
        SafeMem::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
