//! The few C library calls the harness needs that std does not offer (musl, static).

use std::ffi::{c_char, c_int, CString};
use std::io;
use std::path::Path;

extern "C" {
    fn geteuid() -> u32;
    fn kill(pid: c_int, sig: c_int) -> c_int;
    fn umount2(target: *const c_char, flags: c_int) -> c_int;
    fn prctl(op: c_int, ...) -> c_int;
    fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
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

const PR_SET_CHILD_SUBREAPER: c_int = 36;
const WNOHANG: c_int = 1;
const ECHILD: i32 = 10;

/// Makes this process a child subreaper, as containerd's shim is: the inits that
/// `runlet create` leaves behind become its children, and the test reaps them.
pub fn become_subreaper() {
    // SAFETY: integer arguments only.
    let r = unsafe { prctl(PR_SET_CHILD_SUBREAPER, 1 as std::ffi::c_ulong) };
    assert_eq!(
        r,
        0,
        "PR_SET_CHILD_SUBREAPER: {}",
        io::Error::last_os_error()
    );
}

/// Reaps child `pid` once it exits, within `timeout`. Returns its raw wait status,
/// or None if `pid` is not (or no longer) a child of this process.
pub fn reap_child(pid: u32, timeout: std::time::Duration) -> Option<i32> {
    let end = std::time::Instant::now() + timeout;
    loop {
        let mut status: c_int = 0;
        // SAFETY: status is a valid out-pointer.
        let r = unsafe { waitpid(pid as c_int, &mut status, WNOHANG) };
        if r == pid as c_int {
            return Some(status);
        }
        if r < 0 && io::Error::last_os_error().raw_os_error() == Some(ECHILD) {
            return None;
        }
        assert!(
            std::time::Instant::now() < end,
            "child {pid} still running after {timeout:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
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
