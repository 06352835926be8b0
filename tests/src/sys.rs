//! The few C library calls the harness needs that std does not offer (musl, static).

use std::ffi::{c_char, c_int, CString};
use std::io;
use std::path::Path;

extern "C" {
    fn geteuid() -> u32;
    fn kill(pid: c_int, sig: c_int) -> c_int;
    fn umount2(target: *const c_char, flags: c_int) -> c_int;
}

pub const SIGHUP: i32 = 1;
pub const SIGINT: i32 = 2;
pub const SIGKILL: i32 = 9;
pub const SIGSEGV: i32 = 11;
pub const SIGTERM: i32 = 15;

const MNT_DETACH: c_int = 2;

pub fn euid() -> u32 {
    // SAFETY: no arguments, no memory effects.
    unsafe { geteuid() }
}

pub fn send_signal(pid: u32, sig: i32) -> io::Result<()> {
    // SAFETY: kill has no memory effects.
    if unsafe { kill(pid as c_int, sig) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Lazy unmount (`umount2(path, MNT_DETACH)`).
pub fn umount_detach(path: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: c is a valid NUL-terminated string.
    if unsafe { umount2(c.as_ptr(), MNT_DETACH) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
