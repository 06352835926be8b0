//! `runlet run`: create the container, start it, wait for it (passing on the
//! signals runlet gets), remove it, and exit with its status. `run --detach`:
//! create, start, leave it running.

use std::time::Duration;

use crate::cli::{CreateArgs, Global};
use crate::cmd::create_options;
use crate::cmd::supervise::{self, reap_orphans, wait_forwarding};
use crate::container;
use crate::debug;
use crate::error::Result;
use crate::process::fds;
use crate::terminal::recv_master;
use crate::terminal::relay::{copy_winsize, relay, RawMode};

pub fn run(g: &Global, o: &CreateArgs) -> Result<i32> {
    // First: before runlet opens an fd of its own.
    let passed = fds::collect(o.preserve_fds, true)?;
    let (sigmask, sigfd) = supervise::prepare(true)?;
    let sigfd = sigfd.expect("prepare(true) gives a signalfd");
    let mut c = container::create(&create_options(g, o, &passed, sigmask, false))?;
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

/// `runlet run --detach`: create, start through the sync socket, leave it running.
pub fn run_detached(g: &Global, c: &CreateArgs) -> Result<i32> {
    let passed = fds::collect(c.preserve_fds, true)?;
    let (sigmask, _) = supervise::prepare(false)?;
    let mut ct = container::create(&create_options(g, c, &passed, sigmask, true))?;
    ct.start()?;
    ct.detach();
    Ok(0)
}
