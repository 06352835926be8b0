//! Starting one hook: `clone3` (a fork with a pidfd), the child's stdio set up, exec.
//! std's `Command` would do, at the cost of some 20 KiB in runlet; the init's own
//! clone (`crate::process::spawn`) shows the pattern this follows.

use std::ffi::{c_char, CString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use rustix::io::fcntl_dupfd_cloexec;
use rustix::pipe::{pipe_with, PipeFlags};

use crate::config::Hook;
use crate::error::{Error, Result};
use crate::os::sys::{self, CloneArgs, SigSet, CLONE_PIDFD};
use crate::process::spawn::dup_high;

/// Exit code of the child when the hook cannot be exec'd (the errno goes through
/// the exec pipe).
const EXEC_FAILED: i32 = 127;

/// A started hook: its pidfd, our ends of its stdin and stderr, and the pipe that
/// reports a failed exec (EOF: the exec happened).
pub struct Started {
    pub pid: i32,
    pub pidfd: OwnedFd,
    pub stdin: Option<OwnedFd>,
    pub stderr: OwnedFd,
    pub exec_report: OwnedFd,
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    pipe_with(PipeFlags::CLOEXEC).map_err(|e| Error::sys("pipe", e))
}

fn cstrings<'a>(v: impl Iterator<Item = &'a [u8]>) -> Result<Vec<CString>> {
    v.map(|s| CString::new(s).map_err(|_| Error::msg("a hook string holds a NUL byte")))
        .collect()
}

pub fn start(h: &Hook) -> Result<Started> {
    let path =
        CString::new(h.path.as_bytes()).map_err(|_| Error::msg("a hook path holds a NUL byte"))?;
    let args = if h.args.is_empty() {
        vec![path.clone()]
    } else {
        cstrings(h.args.iter().map(|a| a.as_bytes()))?
    };
    let env = cstrings(h.env.iter().map(|e| e.as_bytes()))?;
    let ptrs = |v: &[CString]| -> Vec<*const c_char> {
        v.iter()
            .map(|c| c.as_ptr())
            .chain(std::iter::once(std::ptr::null()))
            .collect()
    };
    let (argv, envp) = (ptrs(&args), ptrs(&env));

    let (in_r, in_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    let (exec_r, exec_w) = pipe()?;
    let out = fcntl_dupfd_cloexec(std::io::stderr(), 10)
        .map_err(|e| Error::sys("fcntl F_DUPFD_CLOEXEC stderr", e))?;
    // Above 0, 1, 2, so the child's dup2s onto them cannot clobber one.
    let high = |fd: &OwnedFd| dup_high(fd, 10);
    let (in_r, err_w, exec_w) = (high(&in_r)?, high(&err_w)?, high(&exec_w)?);
    let empty = sys::empty_sigset();

    let mut pidfd: RawFd = -1;
    let mut ca = CloneArgs {
        flags: CLONE_PIDFD,
        pidfd: &mut pidfd as *mut RawFd as u64,
        exit_signal: linux_raw_sys::general::SIGCHLD as u64,
        ..Default::default()
    };
    // SAFETY: runlet is single-threaded; the child below only makes async-signal-safe
    // calls on memory prepared before the clone, then execs or exits.
    let pid = unsafe { sys::clone3(&mut ca) }.map_err(|e| Error::sys("clone3 (a hook)", e))?;
    if pid == 0 {
        child(
            &path,
            (&argv, &envp),
            [in_r.as_raw_fd(), out.as_raw_fd(), err_w.as_raw_fd()],
            exec_w.as_raw_fd(),
            &empty,
        );
    }
    // SAFETY: clone3 wrote a new pidfd that nothing else owns.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
    Ok(Started {
        pid,
        pidfd,
        stdin: Some(in_w),
        stderr: err_r,
        exec_report: exec_r,
    })
}

/// The child: default signal mask and SIGPIPE, stdio in place, exec. Never returns.
fn child(
    path: &CString,
    (argv, envp): (&[*const c_char], &[*const c_char]),
    stdio: [RawFd; 3],
    exec_w: RawFd,
    empty: &SigSet,
) -> ! {
    let mut ok = sys::set_signal_mask(empty).is_ok();
    sys::default_sigpipe();
    for (to, from) in stdio.into_iter().enumerate() {
        ok = ok && sys::dup_to(from, to as RawFd).is_ok();
    }
    let errno = if ok {
        // SAFETY: argv/envp are NULL-terminated arrays of C strings made before the clone.
        let e = unsafe { sys::execve_path(path, argv.as_ptr(), envp.as_ptr()) };
        e.raw_os_error().unwrap_or(0)
    } else {
        0
    };
    // SAFETY: exec_w is open (a copy made before the clone); 4 bytes from the stack.
    let _ = rustix::io::write(
        unsafe { std::os::fd::BorrowedFd::borrow_raw(exec_w) },
        &errno.to_le_bytes(),
    );
    sys::exit_now(EXEC_FAILED)
}
