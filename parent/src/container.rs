//! A container's life as runlet drives it: `create` (everything up to `Ready`),
//! `start` (release the init; its exec is EOF on the sync socket), `destroy`.
//!
//! The order of DESIGN.md "Starting a container". `Container` owns every resource it
//! made; its fields drop in declaration order, so a failure anywhere unwinds in
//! reverse: the init is killed and reaped, then the cgroups go, then the state dir.

use crate::shared_root::SharedRoot;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::fs::{open, Mode, OFlags};
use rustix::thread::LinkNameSpaceType;
use wire::FrameKind;

use crate::cgroup::{cgroup_path, CgroupManager, Layout};
use crate::channel::{helper_error, socket_pair, Channel, Incoming};
use crate::clock;
use crate::config::{Config, HookKind, Hooks, NsKind};
use crate::debug;
use crate::error::{Error, Result};
use crate::helpers::{self, Helper};
use crate::hooks;
use crate::net;
use crate::proc;
use crate::spawn::{spawn_init, Exit, Init, InitSpawn};
use crate::state::{Saved, StateDir};
use crate::sys::SigSet;

/// The exit status of a helper that panicked (helper-rt's panic handler).
const HELPER_PANIC: i32 = 126;

/// How long a helper may take for one step of the setup before runlet gives up.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

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
    /// The caller's fds passed on (`--preserve-fds`, socket activation: crate::fds).
    pub passed: &'a crate::fds::Passed,
    /// `--console-socket`.
    pub console_socket: Option<&'a Path>,
    /// The command returns while the container runs (`create`, `run -d`).
    pub detach: bool,
}

/// A created container. Dropped without `destroy`, it is torn down all the same.
pub struct Container {
    pub init: Init,
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

pub fn create(o: &CreateOptions<'_>) -> Result<Container> {
    let mut cfg = Config::load(o.bundle)?;
    cfg.new_keyring = o.new_keyring;
    // Without a mount namespace of its own the init chroots (docs/config.md).
    if cfg.mount_ns() == wire::SharedMount::No {
        cfg.root = crate::rootplan::plan(o.no_pivot)?;
    }
    let console = crate::terminal::prepare(cfg.boot.process.terminal, o.console_socket, o.detach)?;
    cfg.boot.process.env.extend(o.passed.env());
    net::check_host(&cfg.net)?;
    debug!("config {} loaded", o.bundle.join("config.json").display());
    let state = StateDir::create(o.root, o.id)?;
    let layout = Layout::detect()?;
    let cgroup = cgroup_path(cfg.cgroups_path.as_deref(), o.id)?;
    let mut cgroups = CgroupManager::plan(&layout, &cgroup);
    cgroups.create(true)?;
    debug!("state dir and v2 cgroup made");
    let mut frame = cfg.bootstrap(&cgroups.mounts(&layout))?;
    let shared_root = match cfg.mount_ns() {
        wire::SharedMount::Bound => Some(SharedRoot::bind(&cfg.rootfs)?),
        _ => None,
    };
    let fifo = state.exec_fifo()?;
    let (ours, theirs) = socket_pair("sync")?;
    let (join, join_pid) = open_namespaces(&cfg)?;
    let init = spawn_init(InitSpawn {
        ns_flags: clone_flags(&cfg),
        join,
        join_pid,
        cgroup: cgroups.v2_dir_fd()?,
        helper: helpers::memfd(Helper::Init)?,
        sync: theirs,
        fifo: fifo
            .try_clone()
            .map_err(|e| Error::sys("dup exec fifo", e))?,
        sigmask: o.sigmask,
        extra: o
            .passed
            .fds
            .iter()
            .map(|fd| fd.try_clone().map_err(|e| Error::sys("dup passed fd", e)))
            .collect::<Result<_>>()?,
        console: console.for_helper,
    })?;
    debug!(
        "init {} cloned (namespace flags {:#x})",
        init.pid,
        clone_flags(&cfg)
    );
    let text = |p: &Path| p.to_string_lossy().into_owned();
    let hook_state = hooks::State {
        oci_version: cfg.oci_version.clone(),
        id: o.id.to_string(),
        status: "created".into(),
        pid: init.pid,
        bundle: text(&cfg.bundle),
        annotations: cfg.annotations.clone(),
    };
    hooks::add_init_states(&mut frame, &cfg.hooks, &hook_state, init.pid)?;
    let mut c = Container {
        init,
        chan: Some(Channel::new(ours, "runlet-init")),
        fifo,
        cgroups,
        veths: net::Veths::default(),
        state,
        hooks: cfg.hooks.clone(),
        hook_state,
        hook_failed: false,
        console_relay: console.relay,
        rdt: Default::default(),
        shared_root,
    };

    // The init decodes and prepares mounts while we make its v1 cgroups. It enters
    // them itself on `Resume`; with no hooks to run, `Resume` goes right away, and
    // the init finds it waiting when it reaches the barrier.
    c.send(&frame)?;
    debug!("Bootstrap sent to runlet-init");
    c.cgroups.create(false)?;
    c.cgroups.apply(&cfg.resources, &cfg.device_rules())?;
    debug!("v1 cgroups made, resources applied");
    if let Some(r) = &cfg.intel_rdt {
        c.rdt = crate::rdt::apply(r, o.id, c.init.pid)?;
    }
    if !c.init.in_v2_cgroup {
        c.cgroups.place_v2(c.init.pid)?;
    }
    c.veths = net::create(&cfg.net, c.init.pid)?;
    // With prestart or createRuntime hooks, `Resume` waits for them (below).
    let runtime_hooks = [HookKind::Prestart, HookKind::CreateRuntime];
    let resume_now = runtime_hooks.iter().all(|k| c.hooks.get(*k).is_empty());
    if resume_now {
        c.send(&wire::empty_frame(FrameKind::Resume))?;
        debug!("Resume sent");
    }
    // One write, before `Ready`: the init stops dying with runlet when it sends
    // `Ready`, so from then on a state.json must exist for `delete` to find it (if
    // runlet is killed). The status is read live: the exec FIFO exists until start;
    // the saved start time tells the init from a process reusing its pid.
    let pid = c.init.pid;
    c.state.write(&Saved {
        oci_version: cfg.oci_version.clone(),
        id: o.id.to_string(),
        status: "created".into(),
        pid,
        bundle: text(&cfg.bundle),
        rootfs: text(&cfg.rootfs),
        created: clock::now(),
        annotations: cfg.annotations.clone(),
        start_time: proc::start_time(pid)?,
        cgroup_path: text(&cgroup),
        cgroup_paths: c.cgroups.paths().iter().map(|p| text(p)).collect(),
        cgroup_created: c.cgroups.created().iter().map(|p| text(p)).collect(),
        stdio: proc::stdio_targets(pid),
        host_veths: c.veths.host_names(),
        config: cfg.source.clone(),
        shared_root_mount: c.shared_root.as_ref().map(|s| s.mount_id),
        rdt_made: Some(c.rdt.made.iter().map(|p| text(p)).collect()),
    })?;
    debug!("state.json written");
    c.expect(Some(FrameKind::Prestart))?;
    debug!("init: mounts before placement done (Prestart)");
    if !resume_now {
        // In the runtime's namespaces, the container's exist; nothing of it has
        // pivoted or run yet.
        // "created", as crun gives: a hook checking the status expects it.
        let json = c.hook_state.json("created", pid);
        for kind in runtime_hooks {
            if let Err(e) = hooks::run_all(kind, &c.hooks, &json) {
                return Err(c.abort_after_hook(e));
            }
        }
        c.send(&wire::empty_frame(FrameKind::Resume))?;
    }
    let t = STEP_TIMEOUT + c.hooks.total_timeout(&[HookKind::CreateContainer]);
    if let Err(e) = c.expect_within(Some(FrameKind::Ready), t) {
        return Err(if c.hook_failed {
            c.abort_after_hook(e)
        } else {
            e
        });
    }
    debug!("init: set up (Ready)");

    if let Some(p) = o.pid_file {
        write_pid_file(p, pid)?;
        debug!("pid file {} written", p.display());
    }
    Ok(c)
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
        let mut fds = [rustix::event::PollFd::new(
            &self.init.pidfd,
            rustix::event::PollFlags::IN,
        )];
        let moment = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 100_000_000,
        };
        let _ = rustix::event::poll(&mut fds, Some(&moment));
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

/// CLONE_NEW* for the namespaces to create at clone time. A new cgroup namespace is
/// made later by the init itself, once it sits in the container's cgroups, so that
/// the namespace is rooted there.
fn clone_flags(cfg: &Config) -> u64 {
    cfg.namespaces
        .iter()
        .filter(|n| n.path.is_none() && n.kind != NsKind::Cgroup)
        .fold(0, |f, n| f | n.kind.clone_flag())
}

type Joins = (
    Vec<(OwnedFd, LinkNameSpaceType, PathBuf)>,
    Option<(OwnedFd, PathBuf)>,
);

/// Opens every namespace the config joins by path; the PID one separately.
fn open_namespaces(cfg: &Config) -> Result<Joins> {
    let mut join = Vec::new();
    let mut pid = None;
    for ns in &cfg.namespaces {
        let Some(path) = &ns.path else { continue };
        let fd = open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).map_err(|e| {
            Error::io(
                &format!("open {} namespace", ns.kind.proc_name()),
                path,
                e.into(),
            )
        })?;
        let t = match ns.kind {
            NsKind::Pid => {
                pid = Some((fd, path.clone()));
                continue;
            }
            NsKind::Mount => LinkNameSpaceType::Mount,
            NsKind::Ipc => LinkNameSpaceType::InterProcessCommunication,
            NsKind::Uts => LinkNameSpaceType::HostNameAndNISDomainName,
            NsKind::Network => LinkNameSpaceType::Network,
            NsKind::Cgroup => LinkNameSpaceType::ControlGroup,
        };
        join.push((fd, t, path.clone()));
    }
    Ok((join, pid))
}

fn write_pid_file(p: &Path, pid: i32) -> Result<()> {
    let tmp = p.with_extension("runlet-tmp");
    std::fs::write(&tmp, pid.to_string())
        .and_then(|_| std::fs::rename(&tmp, p))
        .map_err(|e| Error::io("write pid file", p, e))
}
