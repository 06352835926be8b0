//! A container's life as runlet drives it: `create` (everything up to `Ready`),
//! `start` (release the init; its exec is EOF on the sync socket), `destroy`.
//!
//! The order of docs/design.md "Starting a container" (`create`, step by step, is in
//! create.rs). `Container` owns every resource it made; its fields drop in
//! declaration order, so a failure anywhere unwinds in reverse: the init is killed
//! and reaped, then the cgroups go, then the state dir.

mod create;
mod idmap;
mod namespaces;
pub mod rootless;
pub mod shared_root;
pub mod userns;

use std::os::fd::OwnedFd;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};
use wire::FrameKind;

use crate::cgroup::CgroupManager;
use crate::config::{HookKind, Hooks};
use crate::debug;
use crate::error::{Error, Result};
use crate::hooks;
use crate::net;
use crate::os::poll::poll_until;
use crate::os::sys::SigSet;
use crate::process::channel::{helper_error, Channel, Incoming};
use crate::process::spawn::{Child, Exit};
use crate::state::StateDir;
use shared_root::SharedRoot;

/// The exit status of a helper that panicked (helper-rt's panic handler).
const HELPER_PANIC: i32 = 126;

/// How long a helper may take for one step of the setup before runlet gives up.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

pub use create::create;

pub struct CreateOptions<'a> {
    pub root: &'a Path,
    pub bundle: &'a Path,
    pub id: &'a str,
    pub pid_file: Option<&'a Path>,
    /// Join a new session keyring (false: `--no-new-keyring`).
    pub new_keyring: bool,
    /// `--no-pivot`: move the rootfs over `/` and chroot instead of pivot_root.
    pub no_pivot: bool,
    /// The signal mask the container's process starts with (runlet's own, before
    /// it blocked the signals it forwards).
    pub sigmask: SigSet,
    /// The caller's fds passed on (`--preserve-fds`, socket activation: crate::process::fds).
    pub passed: &'a crate::process::fds::Passed,
    /// `--console-socket`.
    pub console_socket: Option<&'a Path>,
    /// The command returns while the container runs (`create`, `run -d`).
    pub detach: bool,
}

/// A created container. Dropped without `destroy`, it is torn down all the same.
pub struct Container {
    pub init: Child,
    chan: Option<Channel>,
    fifo: OwnedFd,
    cgroups: CgroupManager,
    /// Host ends of veth pairs (deleted on drop): after the init, so they go once
    /// nothing runs in the container any more.
    veths: net::Veths,
    state: StateDir,
    hooks: Hooks,
    /// What hooks read on stdin (status and pid set per hook kind).
    hook_state: hooks::State,
    /// The init reported a failed createContainer or startContainer hook.
    hook_failed: bool,
    /// A foreground run's end of the console socket: the pty master arrives on it.
    pub console_relay: Option<OwnedFd>,
    /// resctrl groups made for `linux.intelRdt` (after the init: removed once it went).
    rdt: crate::rdt::Groups,
    /// The rootfs bind in runlet's mount namespace, for a container without one of
    /// its own. Last: it goes once the init has.
    shared_root: Option<SharedRoot>,
}

impl Container {
    fn chan(&mut self) -> Result<&mut Channel> {
        self.chan
            .as_mut()
            .ok_or_else(|| Error::msg("runlet-init: the sync socket is closed"))
    }

    /// Sends a frame. If the init is gone, the error is the reason it gave (its
    /// `Error` frame, still queued), else how it ended.
    fn send(&mut self, frame: &[u8]) -> Result<()> {
        let sent = self.chan()?.send(frame);
        sent.map_err(|e| match self.chan.as_mut().and_then(Channel::last_word) {
            Some(reason) => reason,
            None => self.with_exit(e),
        })
    }

    /// Waits for a frame of kind `want` (`None`: for EOF). An `Error` frame is the
    /// error it reports; a broken connection or an early EOF says how the init ended.
    fn expect(&mut self, want: Option<FrameKind>) -> Result<()> {
        self.expect_within(want, STEP_TIMEOUT)
    }

    fn expect_within(&mut self, want: Option<FrameKind>, timeout: Duration) -> Result<()> {
        let got = self.chan()?.recv(timeout);
        let what = want.map_or("the exec (EOF)", FrameKind::name);
        match got.map_err(|e| self.with_exit(e))? {
            Incoming::Frame(k, _) if Some(k) == want => Ok(()),
            Incoming::Eof if want.is_none() => Ok(()),
            Incoming::Frame(FrameKind::Error, body) => Err(helper_error(&body)),
            Incoming::Frame(FrameKind::HookFailed, body) => {
                self.hook_failed = true;
                Err(helper_error(&body))
            }
            Incoming::Frame(k, _) => Err(self.chan()?.unexpected(what, k)),
            Incoming::Eof => {
                Err(self.with_exit(Error::msg(format!("runlet-init exited before {what}"))))
            }
        }
    }

    /// Adds how the init ended, when it has: a lost connection or an early EOF says
    /// nothing by itself. (An `Error` frame needs nothing added.)
    fn with_exit(&mut self, e: Error) -> Error {
        // Its socket closes a moment before it can be reaped: give it that moment.
        let mut fds = [PollFd::new(&self.init.pidfd, PollFlags::IN)];
        let _ = poll_until(&mut fds, Some(Instant::now() + Duration::from_millis(100)));
        match self.init.wait(true) {
            Ok(Some(Exit::Code(HELPER_PANIC))) => {
                e.context("runlet-init crashed (a bug: exit status 126)")
            }
            Ok(Some(Exit::Signal(s))) => {
                Error::msg(format!("{e} (runlet-init killed by signal {s})"))
            }
            Ok(Some(Exit::Code(c))) => Error::msg(format!("{e} (exit status {c})")),
            _ => e,
        }
    }

    /// Releases the init (one byte through the exec FIFO) and returns once it has
    /// exec'd the container's process: EOF on the CLOEXEC sync socket. A failed exec
    /// comes back as its `Error` frame.
    pub fn start(&mut self) -> Result<()> {
        rustix::io::write(&self.fifo, &[0]).map_err(|e| Error::sys("write exec fifo", e))?;
        // Started from here, as `state` reads it: the container's process may run, and
        // be asked about, before the exec's EOF reaches runlet.
        self.state.started()?;
        let t = STEP_TIMEOUT + self.hooks.total_timeout(&[HookKind::StartContainer]);
        if let Err(e) = self.expect_within(None, t) {
            return Err(if self.hook_failed {
                self.abort_after_hook(e)
            } else {
                e
            });
        }
        self.chan = None;
        debug!("container process exec'd (EOF on the sync socket)");
        // Unlocked first: a poststart hook may well ask `runlet state` about it.
        self.state.unlock();
        let json = self.hook_state.json("running", self.init.pid);
        hooks::run_warn(HookKind::Poststart, &self.hooks, &json);
        Ok(())
    }

    /// After a failed hook: the container's processes and cgroups go, then the
    /// poststop hooks run, as the spec's lifecycle has it (the state directory goes
    /// when the container is dropped). Returns `e`.
    fn abort_after_hook(&mut self, e: Error) -> Error {
        self.init.kill();
        if let Err(c) = self.cgroups.destroy() {
            eprintln!("runlet: warning: {c}");
        }
        let json = self.hook_state.json("stopped", 0);
        hooks::run_warn(HookKind::Poststop, &self.hooks, &json);
        e
    }

    /// Leaves the container to live on after this command (`create`, `run -d`): its
    /// init, cgroups and state directory stay; the init's end of the sync socket and
    /// of the exec FIFO stay with it.
    pub fn detach(mut self) {
        self.state.keep();
        self.cgroups.release();
        self.veths.keep();
        if let Some(s) = &mut self.shared_root {
            s.keep();
        }
        self.rdt.keep();
        let Container { init, .. } = self;
        init.release();
    }

    /// Removes what is left once the init has exited: any process still in the
    /// cgroups (a container sharing the host's PID namespace leaves orphans), the
    /// cgroups, the state directory.
    pub fn destroy(mut self) -> Result<()> {
        self.init.kill();
        self.veths.remove()?;
        // A `delete --force` from elsewhere may be at it: one at a time. If it
        // removed the directory meanwhile, what follows finds nothing left to do.
        let _ = self.state.relock();
        self.cgroups.destroy()?;
        debug!("cgroups removed");
        crate::rdt::remove(&std::mem::take(&mut self.rdt.made))?;
        self.shared_root.take();
        let json = self.hook_state.json("stopped", 0);
        hooks::run_warn(HookKind::Poststop, &self.hooks, &json);
        self.state.remove()
    }
}
