//! Where runlet put a helper's fds. Normally the sync socket is fd 3, the second fd
//! (the init's exec FIFO, runlet-exec's `/proc/<pid>`) fd 4 and the console socket
//! (with `TERMINAL`) fd 5. With `--preserve-fds` or `LISTEN_FDS`, the caller's fds
//! occupy 3..3+E, to reach the container's process where they are, and the helper's
//! own follow them; argv[1] is E in decimal (absent: 0).

use core::ffi::{c_char, c_int, CStr};

use rustix::fd::RawFd;

/// The most fds runlet passes on (its own check refuses more).
pub const MAX_EXTRA: u32 = 1024;

#[derive(Clone, Copy)]
pub struct HelperFds {
    /// E: the fds 3..3+E the container's process gets as they are.
    pub extra: u32,
}

impl HelperFds {
    /// From the helper's argv.
    ///
    /// # Safety
    /// `argv` has `argc` valid NUL-terminated strings, as the C runtime passes them.
    pub unsafe fn from_argv(argc: c_int, argv: *const *const c_char) -> Self {
        let mut extra = 0u32;
        if argc >= 2 {
            // SAFETY: the caller guarantees argv[1] is a valid C string.
            let s = unsafe { CStr::from_ptr(*argv.add(1)) };
            for &b in s.to_bytes() {
                if !b.is_ascii_digit() || extra > MAX_EXTRA {
                    extra = 0;
                    break;
                }
                extra = extra * 10 + u32::from(b - b'0');
            }
            if extra > MAX_EXTRA {
                extra = 0;
            }
        }
        HelperFds { extra }
    }

    /// The sync socket.
    pub fn sync(self) -> RawFd {
        3 + self.extra as RawFd
    }

    /// The exec FIFO (runlet-init) or the init's `/proc/<pid>` (runlet-exec).
    pub fn second(self) -> RawFd {
        4 + self.extra as RawFd
    }

    /// The console socket (only with `TERMINAL`).
    pub fn console(self) -> RawFd {
        5 + self.extra as RawFd
    }

    /// The first fd that must not reach the container's process.
    pub fn first_private(self) -> u32 {
        3 + self.extra
    }

    /// Closes every fd runlet did not hand the helper on purpose: anything runlet's
    /// caller leaked (not close-on-exec) above the helper's own, and the console
    /// slot when there is no terminal. Called before any path in the container is
    /// touched (CVE-2024-21626: `/proc/self/fd/N` of a leaked directory is the host).
    pub fn close_unowned(self, terminal: bool) -> Result<(), rustix::io::Errno> {
        let first = if terminal {
            self.console() + 1
        } else {
            self.console()
        };
        crate::sys::close_fds(first as u32, u32::MAX)
    }
}

#[cfg(test)]
mod tests;
