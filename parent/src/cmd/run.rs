//! `runlet run`: create the container, start it, wait for it (passing on the
//! signals runlet gets), remove it, and exit with its status.

use std::os::fd::{AsFd, OwnedFd};

use rustix::event::{poll, PollFd, PollFlags};

use crate::cli::{CreateArgs, Global};
use crate::container::{self, CreateOptions};
use crate::debug;
use crate::error::{Error, Result};
use crate::os::sys;
use crate::process::spawn::{Exit, Init};
use crate::terminal::recv_master;
use crate::terminal::relay::{copy_winsize, relay, RawMode, SIGWINCH};
use std::time::Duration;

/// Signals `runlet run` passes on to the container's init, as runc does for the
/// ones a terminal or a supervisor sends.
pub(crate) const FORWARDED: [i32; 6] = [1, 2, 3, 10, 12, 15]; // HUP INT QUIT USR1 USR2 TERM

pub fn run(g: &Global, o: &CreateArgs) -> Result<i32> {
    // First: before runlet opens an fd of its own.
    let passed = crate::process::fds::collect(o.preserve_fds, true)?;
    // Orphans of a container that shares our PID namespace come to us, to be reaped.
    rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
        .map_err(|e| Error::sys("prctl PR_SET_CHILD_SUBREAPER", e))?;
    // Blocked before the clone so none is lost; the child restores the old mask.
    // SIGWINCH too: with a terminal it resizes the pty (otherwise it is ignored).
    let sigs = [&FORWARDED[..], &[SIGWINCH]].concat();
    let sigmask = sys::block_signals(&sigs).map_err(|e| Error::sys("sigprocmask", e))?;
    let sigfd = sys::signal_fd(&sigs).map_err(|e| Error::sys("signalfd", e))?;

    let mut c = container::create(&CreateOptions {
        root: &g.root,
        bundle: &o.bundle,
        id: &o.id,
        pid_file: o.pid_file.as_deref(),
        new_keyring: !o.no_new_keyring,
        no_pivot: o.no_pivot,
        sigmask,
        passed: &passed,
        console_socket: o.console_socket.as_deref(),
        detach: false,
    })?;
    // With a terminal: the init sent the master before `Ready`.
    let master = match c.console_relay.take() {
        Some(sock) => Some(recv_master(&sock, Duration::from_secs(10))?),
        None => None,
    };
    let raw = match &master {
        Some(m) => {
            copy_winsize(m);
            RawMode::enter()?
        }
        None => None,
    };
    c.start()?;
    let exit = match master {
        Some(m) => relay(m, &mut c.init, &sigfd)?,
        None => wait_forwarding(&mut c.init, &sigfd)?,
    };
    drop(raw);
    debug!("container exited: {exit:?}");
    c.destroy()?;
    reap_orphans();
    Ok(exit.status())
}

/// Waits for the init to exit, passing on the signals runlet receives.
pub(crate) fn wait_forwarding(init: &mut Init, sigfd: &OwnedFd) -> Result<Exit> {
    loop {
        let mut fds = [
            PollFd::new(&init.pidfd, PollFlags::IN),
            PollFd::new(sigfd, PollFlags::IN),
        ];
        match poll(&mut fds, None) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(Error::sys("poll", e)),
        }
        let (exited, signalled) = (!fds[0].revents().is_empty(), !fds[1].revents().is_empty());
        if signalled {
            // struct signalfd_siginfo is 128 bytes; ssi_signo is its first u32.
            let mut buf = [0u8; 128];
            while let Ok(128) = rustix::io::read(sigfd.as_fd(), &mut buf) {
                let sig = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as i32;
                if sig != SIGWINCH {
                    let _ = init.signal(sig);
                }
            }
        }
        if exited {
            if let Some(exit) = init.wait(false)? {
                return Ok(exit);
            }
        }
    }
}

/// Reaps children left to us as subreaper (orphans of a container in our PID namespace).
pub(crate) fn reap_orphans() {
    use rustix::process::{waitpid, WaitOptions};
    while let Ok(Some(_)) = waitpid(None, WaitOptions::NOHANG) {}
}
