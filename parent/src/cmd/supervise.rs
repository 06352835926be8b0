//! A foreground command's wait: for the container's init (`run`) or an exec'd
//! process (`exec`), passing on the signals runlet gets, then reaping the orphans
//! that came to runlet as subreaper.

use std::os::fd::OwnedFd;

use rustix::event::{poll, PollFd, PollFlags};

use crate::error::{Error, Result};
use crate::os::sys::{self, SigSet};
use crate::process::signals::{self, FORWARDED, SIGWINCH};
use crate::process::spawn::{Child, Exit};

/// Before the container's process is cloned. `forward`: runlet waits for it, so it
/// becomes a child subreaper (orphans of the container come to it, to be reaped) and
/// blocks the signals it passes on, read from the signalfd returned — SIGWINCH too,
/// which resizes a relayed pty (otherwise it is ignored). Blocked before the clone so
/// none is lost. Returns the mask the child restores: runlet's own from before.
pub fn prepare(forward: bool) -> Result<(SigSet, Option<OwnedFd>)> {
    if !forward {
        let mask = sys::block_signals(&[]).map_err(|e| Error::sys("sigprocmask", e))?;
        return Ok((mask, None));
    }
    rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
        .map_err(|e| Error::sys("prctl PR_SET_CHILD_SUBREAPER", e))?;
    let sigs = [&FORWARDED[..], &[SIGWINCH]].concat();
    let mask = sys::block_signals(&sigs).map_err(|e| Error::sys("sigprocmask", e))?;
    let sigfd = sys::signal_fd(&sigs).map_err(|e| Error::sys("signalfd", e))?;
    Ok((mask, Some(sigfd)))
}

/// Waits for the process to exit, passing on the signals runlet receives.
pub fn wait_forwarding(process: &mut Child, sigfd: &OwnedFd) -> Result<Exit> {
    loop {
        let mut fds = [
            PollFd::new(&process.pidfd, PollFlags::IN),
            PollFd::new(sigfd, PollFlags::IN),
        ];
        match poll(&mut fds, None) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(Error::sys("poll", e)),
        }
        let (exited, signalled) = (!fds[0].revents().is_empty(), !fds[1].revents().is_empty());
        if signalled {
            signals::drain(sigfd, |sig| {
                if sig != SIGWINCH {
                    let _ = process.signal(sig);
                }
            });
        }
        if exited {
            if let Some(exit) = process.wait(false)? {
                return Ok(exit);
            }
        }
    }
}

/// Reaps children left to us as subreaper (orphans of a container in our PID namespace).
pub fn reap_orphans() {
    use rustix::process::{waitpid, WaitOptions};
    while let Ok(Some(_)) = waitpid(None, WaitOptions::NOHANG) {}
}
