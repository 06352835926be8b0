//! The caller's fds a container's process gets as they are: `--preserve-fds N` (fds
//! 3..3+N) and, for `create`/`run`, socket activation (`LISTEN_FDS`), as runc passes
//! them: the activation fds first (with `LISTEN_FDS=L` and `LISTEN_PID=1` added to
//! the process's env), the preserved ones after them.

use std::os::fd::{BorrowedFd, OwnedFd};

use rustix::io::{fcntl_dupfd_cloexec, Errno};

use crate::error::{Error, Result};

/// The most fds passed on (helper_rt::fds::MAX_EXTRA is the same).
pub const MAX_EXTRA_FDS: u32 = 1024;

pub struct Passed {
    /// Copies of the caller's fds 3..3+E, in order.
    pub fds: Vec<OwnedFd>,
    /// How many of them are socket activation's (0: no `LISTEN_FDS` for us).
    pub listen: u32,
}

impl Passed {
    /// The env entries a socket-activated process gets (none without activation).
    pub fn env(&self) -> Vec<String> {
        match self.listen {
            0 => Vec::new(),
            n => vec![format!("LISTEN_FDS={n}"), "LISTEN_PID=1".into()],
        }
    }
}

/// Socket activation's fd count: `LISTEN_FDS` when `LISTEN_PID` is runlet's pid (as
/// systemd's protocol and runc's reading of it have it), else 0.
fn listen_fds() -> u32 {
    let ours = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|p| p.parse::<u32>().ok())
        .is_some_and(|p| p == std::process::id());
    match std::env::var("LISTEN_FDS").ok().map(|n| n.parse::<u32>()) {
        Some(Ok(n)) if ours && n <= MAX_EXTRA_FDS => n,
        _ => 0,
    }
}

/// Takes copies of the fds to pass on. Call it before runlet opens anything, so a
/// closed fd in the range is reported rather than filled by one of runlet's own.
pub fn collect(preserve: u32, activation: bool) -> Result<Passed> {
    let listen = if activation { listen_fds() } else { 0 };
    let total = listen + preserve;
    if total > MAX_EXTRA_FDS {
        return Err(Error::msg(format!(
            "{total} fds to pass on (LISTEN_FDS {listen} + --preserve-fds {preserve}); at most {MAX_EXTRA_FDS}"
        )));
    }
    let fds = (3..3 + total as i32)
        .map(|fd| {
            // SAFETY: only duplicated; an fd that is not open fails with EBADF.
            let b = unsafe { BorrowedFd::borrow_raw(fd) };
            fcntl_dupfd_cloexec(b, 3).map_err(|e| match e {
                Errno::BADF => Error::msg(format!(
                    "--preserve-fds {preserve}: fd {fd} is not open (fds 3 to {} pass on)",
                    2 + total
                )),
                e => Error::sys(&format!("dup fd {fd}"), e),
            })
        })
        .collect::<Result<_>>()?;
    Ok(Passed { fds, listen })
}
