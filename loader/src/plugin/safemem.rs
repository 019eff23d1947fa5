//! loader/src/plugin/safemem.rs: copies of plugin memory that cannot fault.
//!
//! Descriptor memory is copied by the kernel, which validates the addresses, so a wild pointer or
//! an unterminated string running into an unmapped page is an error message instead of a crash.
//! The copy is `process_vm_readv` on our own pid; where a seccomp profile denies that system
//! call (some container runtimes do), a `write` of the memory into a pipe, which the kernel
//! checks the same way (`EFAULT`). If neither works the descriptor is not trusted at all: the load
//! is refused with a message saying why. Plain reads are never used.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// How plugin memory is copied.
#[derive(Debug)]
enum Copier {
    /// `process_vm_readv` on our own process.
    VmReadv,
    /// `write` into a pipe (read end, write end), then `read` back.
    Pipe(OwnedFd, OwnedFd),
    /// No fault-free copy works here.
    Unavailable(String),
}

/// Copies of plugin memory that cannot fault.
#[derive(Debug)]
pub struct SafeMem {
    copier: Copier,
}

/// The largest copy through the pipe in one step (a pipe takes `PIPE_BUF` bytes atomically).
const PIPE_CHUNK: usize = 4096;

impl SafeMem {
    /// Probes for a fault-free way to copy memory.
    pub fn new() -> SafeMem {
        let probe = 0x5a5a_5a5a_u64;
        let mut out = [0u8; 8];
        if Self::vm_read(&probe as *const u64 as usize, &mut out).is_ok() {
            return SafeMem {
                copier: Copier::VmReadv,
            };
        }
        let vm_error = std::io::Error::last_os_error().to_string();
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: pipe2 writes two descriptors into `fds`.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            let pipe_error = std::io::Error::last_os_error();
            return SafeMem {
                copier: Copier::Unavailable(format!(
                    "process_vm_readv failed ({vm_error}) and no pipe could be made ({pipe_error})"
                )),
            };
        }
        // SAFETY: both descriptors were just created and are owned here.
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let mem = SafeMem {
            copier: Copier::Pipe(r, w),
        };
        match mem.read(&probe as *const u64 as usize, &mut out) {
            Ok(()) if out == probe.to_ne_bytes() => mem,
            _ => SafeMem {
                copier: Copier::Unavailable(format!(
                    "process_vm_readv failed ({vm_error}) and copying through a pipe failed too"
                )),
            },
        }
    }

    /// Why no fault-free copy works here, if none does.
    pub fn unavailable(&self) -> Option<&str> {
        match &self.copier {
            Copier::Unavailable(why) => Some(why),
            _ => None,
        }
    }

    /// The mechanism in use, for messages and tests.
    pub fn mechanism(&self) -> &'static str {
        match self.copier {
            Copier::VmReadv => "process_vm_readv",
            Copier::Pipe(..) => "pipe",
            Copier::Unavailable(_) => "none",
        }
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

    fn pipe_read(r: &OwnedFd, w: &OwnedFd, addr: usize, out: &mut [u8]) -> Result<(), ()> {
        for (k, chunk) in out.chunks_mut(PIPE_CHUNK).enumerate() {
            let from = addr.wrapping_add(k * PIPE_CHUNK);
            // SAFETY: the kernel copies from `from` and fails with EFAULT instead of faulting;
            // at most PIPE_BUF bytes, which a pipe takes in one atomic write.
            let n = unsafe { libc::write(w.as_raw_fd(), from as *const libc::c_void, chunk.len()) };
            if n != chunk.len() as isize {
                return Err(());
            }
            // SAFETY: reads back exactly what was written into `chunk`.
            let m = unsafe { libc::read(r.as_raw_fd(), chunk.as_mut_ptr().cast(), chunk.len()) };
            if m != chunk.len() as isize {
                return Err(());
            }
        }
        Ok(())
    }

    /// Copies `out.len()` bytes from `addr`.
    pub fn read(&self, addr: usize, out: &mut [u8]) -> Result<(), String> {
        if addr == 0 {
            return Err("NULL pointer".to_owned());
        }
        if out.is_empty() {
            return Ok(());
        }
        let copied = match &self.copier {
            Copier::VmReadv => Self::vm_read(addr, out),
            Copier::Pipe(r, w) => Self::pipe_read(r, w, addr, out),
            Copier::Unavailable(why) => {
                return Err(format!("plugin memory cannot be read safely here: {why}"))
            }
        };
        copied.map_err(|()| format!("unreadable memory at {addr:#x}"))
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
        assert_eq!(
            mem.mechanism(),
            "process_vm_readv",
            "process_vm_readv is unavailable here"
        );
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

#[cfg(test)]
mod pipe_tests {
    use super::*;

    #[test]
    fn the_pipe_copier_refuses_wild_pointers_too() {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: pipe2 writes two descriptors into `fds`.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        // SAFETY: just created.
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let mem = SafeMem {
            copier: Copier::Pipe(r, w),
        };
        let mut buf = [0u8; 8];
        assert!(mem.read(8, &mut buf).is_err());
        let long = vec![b'y'; 10_000];
        let mut copy = vec![0u8; 10_000];
        mem.read(long.as_ptr() as usize, &mut copy).unwrap();
        assert_eq!(copy, long);
        let s = b"hello\0";
        assert_eq!(mem.read_cstr(s.as_ptr() as usize, 100).unwrap(), "hello");
    }
}
