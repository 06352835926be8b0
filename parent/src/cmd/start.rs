//! `runlet start`: releases a created container's init through its exec FIFO and
//! returns once the container's process has been exec'd (or says why it was not).

use std::os::fd::OwnedFd;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};
use rustix::fs::{open, Mode, OFlags};
use rustix::io::Errno;

use crate::cli::Global;
use crate::cmd::delete::remove_made;
use crate::cmd::{cgroups, find};
use crate::config::{HookKind, Hooks};
use crate::debug;
use crate::error::{Error, Result};
use crate::hooks;
use crate::net;
use crate::os::poll::poll_until;
use crate::process::channel::helper_error;
use crate::process::proc::init_alive;
use crate::state::Status;

/// How long `start` waits for the init to exec once released.
const START_TIMEOUT: Duration = Duration::from_secs(60);

pub fn start(g: &Global, id: &str) -> Result<i32> {
    let mut f = find(&g.root, id)?;
    match f.live.status {
        Status::Created => {}
        Status::Running => return Err(Error::msg("cannot start an already running container")),
        Status::Paused => return Err(Error::msg("cannot start a paused container")),
        Status::Stopped => return Err(Error::msg("cannot start a container that has stopped")),
    }
    let hks = Hooks::from_config_text(&f.saved.config)?;
    let timeout = START_TIMEOUT + hks.total_timeout(&[HookKind::StartContainer]);
    let (pid, start_time) = (f.saved.pid, f.saved.start_time);
    let alive = || init_alive(pid, start_time);
    debug!("releasing the init of {id} through exec.fifo");
    match release(&f.dir.fifo_path(), timeout, &alive) {
        Ok(()) => debug!("the init of {id} exec'd the container's process"),
        // A failed startContainer hook stops the start and takes the container with
        // it (the init has exited): its cgroups go, the poststop hooks run, and its
        // state goes.
        Err(Failed::Hook(e)) => {
            cgroups(&f.saved)?.destroy()?;
            remove_made(&f.saved)?;
            net::remove_host_ends(&f.saved.host_veths)?;
            let state = hooks::State::from_saved(&f.saved);
            hooks::run_warn(HookKind::Poststop, &hks, &state.json("stopped", 0));
            f.dir.remove()?;
            return Err(e);
        }
        Err(Failed::Other(e)) => return Err(e),
    }
    f.dir.started()?;
    debug!("container {id} started");
    // Unlocked first: a poststart hook may well ask `runlet state` about it.
    f.dir.unlock();
    let state = hooks::State::from_saved(&f.saved);
    hooks::run_warn(
        HookKind::Poststart,
        &hks,
        &state.json("running", f.saved.pid),
    );
    Ok(0)
}

/// How a start failed: a startContainer hook (the container is to be destroyed), or
/// anything else (a failed exec leaves a stopped container for `delete`).
enum Failed {
    Hook(Error),
    Other(Error),
}

impl From<Error> for Failed {
    fn from(e: Error) -> Self {
        Failed::Other(e)
    }
}

/// One byte into the exec FIFO, then wait until no reader is left: the init's fd 4
/// is close-on-exec, so that is its exec (or its death). A failed exec left its
/// `Error` frame in the FIFO (docs/init.md, step 12). Our byte left unread while the
/// init is `alive` means an earlier `start`, killed after its own byte, released it
/// first: the container runs, which is what was asked.
fn release(fifo: &Path, timeout: Duration, alive: &dyn Fn() -> bool) -> Result<(), Failed> {
    // Non-blocking: ENXIO at once when no init holds the FIFO any more.
    let w = match open(
        fifo,
        OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(Errno::NXIO) => {
            return Err(Error::msg("cannot start a container that has stopped").into())
        }
        Err(e) => return Err(Error::io("open", fifo, e.into()).into()),
    };
    rustix::io::write(&w, &[0]).map_err(|e| Error::io("write", fifo, e.into()))?;
    wait_no_reader(&w, fifo, timeout)?;
    let r = open(
        fifo,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::io("open", fifo, e.into()))?;
    let mut buf = [0u8; 1024];
    let n = match rustix::io::read(&r, &mut buf) {
        Ok(n) => n,
        Err(Errno::AGAIN) => 0,
        Err(e) => return Err(Error::io("read", fifo, e.into()).into()),
    };
    match &buf[..n] {
        [] => Ok(()),
        [0] if alive() => Ok(()),
        [0] => Err(Error::msg("the container's init exited before it was started").into()),
        frame => Err(exec_failure(frame)),
    }
}

fn wait_no_reader(w: &OwnedFd, fifo: &Path, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        // POLLERR on a pipe's write end: no reader left. Nothing else is asked for.
        let mut fds = [PollFd::new(w, PollFlags::empty())];
        match poll_until(&mut fds, Some(deadline)) {
            Ok(false) => {
                return Err(Error::msg(format!(
                    "the container's init did not exec within {}s of start",
                    timeout.as_secs()
                )))
            }
            Ok(true) if fds[0].revents().contains(PollFlags::ERR) => return Ok(()),
            Ok(true) => {}
            Err(e) => return Err(Error::io("poll", fifo, e.into())),
        }
    }
}

/// The init's `Error` (or `HookFailed`) frame from the FIFO, as its message.
fn exec_failure(frame: &[u8]) -> Failed {
    use wire::FrameKind::{Error as ErrorFrame, HookFailed};
    match wire::parse_header(frame) {
        Ok((k @ (ErrorFrame | HookFailed), len)) if frame.len() == wire::HEADER_LEN + len => {
            let e = helper_error(&frame[wire::HEADER_LEN..]);
            if k == HookFailed {
                Failed::Hook(e)
            } else {
                Failed::Other(e)
            }
        }
        _ => Failed::Other(Error::msg(
            "the container's process failed to start (garbled report in the exec FIFO)",
        )),
    }
}
