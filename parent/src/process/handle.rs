//! A container's init as a later command (`kill`, `delete`) reaches it: not our
//! child, so held by a pidfd opened from the saved pid and checked against the saved
//! start time — after the pidfd exists, so a pid reused in between cannot be hit.

use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};
use rustix::process::{pidfd_open, Pid, PidfdFlags};

use crate::error::{Error, Result};
use crate::os::poll::poll_until;
use crate::os::sys;
use crate::process::proc::init_alive;

pub struct InitHandle {
    pub pid: i32,
    pidfd: OwnedFd,
}

impl InitHandle {
    /// The init, if it is still the process `create` started; `None` once it is gone.
    pub fn open(pid: i32, start_time: u64) -> Result<Option<InitHandle>> {
        let Some(p) = Pid::from_raw(pid) else {
            return Ok(None);
        };
        let pidfd = match pidfd_open(p, PidfdFlags::empty()) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::SRCH) => return Ok(None),
            Err(e) => return Err(Error::sys(&format!("pidfd_open {pid}"), e)),
        };
        Ok(init_alive(pid, start_time).then_some(InitHandle { pid, pidfd }))
    }

    pub fn signal(&self, sig: i32) -> Result<()> {
        match sys::pidfd_send_signal(self.pidfd.as_fd(), sig) {
            // Exited after we looked: nothing left to signal.
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::SRCH.raw_os_error()) => Ok(()),
            r => r.map_err(|e| Error::sys(&format!("kill {} (signal {sig})", self.pid), e)),
        }
    }

    /// Waits until the init has exited (a pidfd turns readable then, reaped or not).
    pub fn wait_exit(&self, timeout: Duration) -> Result<()> {
        let mut fds = [PollFd::new(&self.pidfd, PollFlags::IN)];
        match poll_until(&mut fds, Some(Instant::now() + timeout)) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::msg(format!(
                "container init {} still running {}s after SIGKILL",
                self.pid,
                timeout.as_secs()
            ))),
            Err(e) => Err(Error::sys("poll pidfd", e)),
        }
    }
}
