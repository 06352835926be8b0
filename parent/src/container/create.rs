//! `create`, step by step: everything up to the init's `Ready`. Each step names what
//! it makes; a failure anywhere drops the `Container` built so far, which unwinds it.

use std::os::fd::OwnedFd;
use std::path::Path;

use wire::FrameKind;

use super::idmap;
use super::namespaces::{c_paths, open_namespaces};
use super::shared_root::SharedRoot;
use super::{Container, CreateOptions, STEP_TIMEOUT};
use crate::cgroup::{cgroup_path, CgroupManager, Layout};
use crate::config::{Config, HookKind};
use crate::debug;
use crate::error::{Error, Result};
use crate::hooks;
use crate::net;
use crate::os::clock;
use crate::process::channel::{socket_pair, Channel};
use crate::process::helpers::{self, Helper};
use crate::process::spawn::{spawn, Child, Spawn};
use crate::process::{pid_file, proc};
use crate::state::{Saved, StateDir};
use crate::terminal::{self, Console};

/// The hooks runlet runs between the init's `Prestart` and `Resume`.
const RUNTIME_HOOKS: [HookKind; 2] = [HookKind::Prestart, HookKind::CreateRuntime];

pub fn create(o: &CreateOptions<'_>) -> Result<Container> {
    let (cfg, console) = load(o)?;
    let state = StateDir::create(o.root, o.id)?;
    let layout = Layout::detect()?;
    let cgroup = cgroup_path(cfg.cgroups_path.as_deref(), o.id)?;
    let mut cgroups = CgroupManager::plan(&layout, &cgroup);
    if super::rootless::active() {
        cgroups = super::rootless::cgroups(cgroups, &cfg.resources)?;
    }
    cgroups.create(true)?;
    super::userns::delegate(&cgroups, &cfg)?;
    // In a user namespace the child enters the v1 cgroups itself, first thing: they
    // are made before it (CgroupManager::v1_tasks).
    if cfg.user_ns() {
        cgroups.create(false)?;
    }
    debug!("state dir and v2 cgroup made");
    let mut frame = cfg.bootstrap(&cgroups.mounts(&layout))?;
    let shared_root = match cfg.mount_ns() {
        wire::SharedMount::Bound => Some(SharedRoot::bind(&cfg.rootfs)?),
        _ => None,
    };
    let fifo = state.exec_fifo()?;
    let (ours, theirs) = socket_pair("sync")?;
    let idmapped = idmap::prepare(&cfg.idmapped, &cfg.rootfs)?;
    let mut chan = Channel::new(ours, "runlet-init");
    let init = spawn_init(
        &cfg,
        o,
        &cgroups,
        theirs,
        &fifo,
        console.for_helper,
        &mut chan,
    )?;
    let hook_state = hook_state(&cfg, o.id, init.pid);
    hooks::add_init_states(&mut frame, &cfg.hooks, &hook_state, init.pid)?;
    let mut c = Container {
        init,
        chan: Some(chan),
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
    c.map_ids(&cfg)?;
    let resume_sent = c.set_up_host_side(&cfg, o.id, &frame, idmapped.is_empty())?;
    c.save(&cfg, o.id, &cgroup)?;
    c.expect(Some(FrameKind::Prestart))?;
    debug!("init: mounts before placement done (Prestart)");
    if !idmapped.is_empty() {
        idmap::attach(&idmapped, c.init.pid, &cfg.rootfs)?;
        debug!("id-mapped mounts attached");
    }
    if !resume_sent {
        c.run_runtime_hooks()?;
    }
    c.wait_ready()?;
    if let Some(p) = o.pid_file {
        pid_file::write(p, c.init.pid)?;
        debug!("pid file {} written", p.display());
    }
    Ok(c)
}

/// The bundle's config, with the command line's choices laid over it, and the
/// console socket its terminal setting asks for.
fn load(o: &CreateOptions<'_>) -> Result<(Config, Console)> {
    let mut cfg = Config::load(o.bundle)?;
    cfg.new_keyring = o.new_keyring;
    // Without a mount namespace of its own the init chroots (docs/config.md).
    if cfg.mount_ns() == wire::SharedMount::No {
        cfg.root = crate::config::rootplan::plan(o.no_pivot)?;
    }
    let console = terminal::prepare(cfg.boot.process.terminal, o.console_socket, o.detach)?;
    cfg.boot.process.env.extend(o.passed.env());
    net::check_host(&cfg.net)?;
    debug!("config {} loaded", o.bundle.join("config.json").display());
    Ok((cfg, console))
}

/// Clones runlet-init into the container's new namespaces (and its cgroup2
/// directory), with its sync socket, the exec FIFO and the fds passed on. With a
/// new PID namespace in a joined user namespace, the init is the spawned child's
/// child, whose pid comes on `chan` (docs/userns.md).
fn spawn_init(
    cfg: &Config,
    o: &CreateOptions<'_>,
    cgroups: &CgroupManager,
    sync: OwnedFd,
    fifo: &OwnedFd,
    console: Option<OwnedFd>,
    chan: &mut Channel,
) -> Result<Child> {
    let ns = open_namespaces(cfg)?;
    let dup = |fd: &OwnedFd, what: &str| fd.try_clone().map_err(|e| Error::sys(what, e));
    let init = spawn(
        Spawn {
            ns_flags: ns.clone_flags,
            unshare: ns.unshare,
            join: ns.join,
            around: ns.around,
            userns: ns.userns,
            fork_pid1: ns.fork_pid1,
            tasks: match cfg.user_ns() {
                true => c_paths(&cgroups.v1_tasks()),
                false => Vec::new(),
            },
            cgroup: cgroups.v2_dir_fd()?,
            helper: helpers::memfd(Helper::Init)?,
            sync,
            second: dup(fifo, "dup exec fifo")?,
            sigmask: o.sigmask,
            extra: (o.passed.fds.iter())
                .map(|fd| dup(fd, "dup passed fd"))
                .collect::<Result<_>>()?,
            console,
        },
        Helper::Init,
    )?;
    let init = match ns.fork_pid1 {
        true => super::userns::adopt_pid1(chan, init)?,
        false => init,
    };
    debug!(
        "init {} cloned (namespace flags {:#x})",
        init.pid, ns.clone_flags
    );
    Ok(init)
}

fn text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// What the hooks read on stdin (status and pid are set per hook kind).
fn hook_state(cfg: &Config, id: &str, pid: i32) -> hooks::State {
    hooks::State {
        oci_version: cfg.oci_version.clone(),
        id: id.to_string(),
        status: "created".into(),
        pid,
        bundle: text(&cfg.bundle),
        annotations: cfg.annotations.clone(),
    }
}

impl Container {
    /// The init decodes and prepares mounts while runlet makes its v1 cgroups,
    /// applies the resources (and `linux.intelRdt`), places it in cgroup2 (when clone3 could not) and makes
    /// the veths. It enters the v1 cgroups itself on `Resume`; with no runtime hooks
    /// to run, `Resume` goes right away (returns true), and the init finds it waiting
    /// when it reaches the barrier.
    fn set_up_host_side(
        &mut self,
        cfg: &Config,
        id: &str,
        frame: &[u8],
        no_idmapped: bool,
    ) -> Result<bool> {
        self.send(frame)?;
        debug!("Bootstrap sent to runlet-init");
        if !cfg.user_ns() {
            self.cgroups.create(false)?;
        }
        // Rootless without cgroups: no limits were asked for (super::rootless).
        if !self.cgroups.is_none() {
            self.cgroups.apply(&cfg.resources, &cfg.device_rules())?;
        }
        debug!("v1 cgroups made, resources applied");
        if let Some(r) = &cfg.intel_rdt {
            self.rdt = crate::rdt::apply(r, id, self.init.pid)?;
        }
        if !self.init.in_v2_cgroup {
            self.cgroups.place_v2(self.init.pid)?;
        }
        self.veths = net::create(&cfg.net, self.init.pid)?;
        // Id-mapped mounts are attached at `Prestart` too.
        let resume_now = RUNTIME_HOOKS.iter().all(|k| self.hooks.get(*k).is_empty()) && no_idmapped;
        if resume_now {
            self.send(&wire::empty_frame(FrameKind::Resume))?;
            debug!("Resume sent");
        }
        Ok(resume_now)
    }

    /// With a new user namespace: its `uid_map` and `gid_map`, then `IdMapped`, for
    /// which the spawned child waits before it execs runlet-init (docs/userns.md).
    fn map_ids(&mut self, cfg: &Config) -> Result<()> {
        if let Some(maps) = &cfg.userns {
            super::userns::write_maps(self.init.pid, maps)?;
            self.send(&wire::empty_frame(FrameKind::IdMapped))?;
            debug!("id maps written, IdMapped sent");
        }
        Ok(())
    }

    /// One write, before `Ready`: the init stops dying with runlet when it sends
    /// `Ready`, so from then on a state.json must exist for `delete` to find it (if
    /// runlet is killed). The status is read live: the exec FIFO exists until start;
    /// the saved start time tells the init from a process reusing its pid.
    fn save(&mut self, cfg: &Config, id: &str, cgroup: &Path) -> Result<()> {
        let pid = self.init.pid;
        self.state.write(&Saved {
            oci_version: cfg.oci_version.clone(),
            id: id.to_string(),
            status: "created".into(),
            pid,
            bundle: text(&cfg.bundle),
            rootfs: text(&cfg.rootfs),
            created: clock::now(),
            annotations: cfg.annotations.clone(),
            start_time: proc::start_time(pid)?,
            cgroup_path: text(cgroup),
            cgroup_paths: self.cgroups.paths().iter().map(|p| text(p)).collect(),
            cgroup_created: self.cgroups.created().iter().map(|p| text(p)).collect(),
            stdio: proc::stdio_targets(pid),
            host_veths: self.veths.host_names(),
            config: cfg.source.clone(),
            shared_root_mount: self.shared_root.as_ref().map(|s| s.mount_id),
            rdt_made: Some(self.rdt.made.iter().map(|p| text(p)).collect()),
        })?;
        debug!("state.json written");
        Ok(())
    }

    /// The prestart and createRuntime hooks, in the runtime's namespaces: the
    /// container's exist; nothing of it has pivoted or run yet. Then `Resume`.
    fn run_runtime_hooks(&mut self) -> Result<()> {
        // "created", as crun gives: a hook checking the status expects it.
        let json = self.hook_state.json("created", self.init.pid);
        for kind in RUNTIME_HOOKS {
            if let Err(e) = hooks::run_all(kind, &self.hooks, &json) {
                return Err(self.abort_after_hook(e));
            }
        }
        self.send(&wire::empty_frame(FrameKind::Resume))
    }

    /// Waits for `Ready`, the createContainer hooks' time included.
    fn wait_ready(&mut self) -> Result<()> {
        let t = STEP_TIMEOUT + self.hooks.total_timeout(&[HookKind::CreateContainer]);
        if let Err(e) = self.expect_within(Some(FrameKind::Ready), t) {
            return Err(if self.hook_failed {
                self.abort_after_hook(e)
            } else {
                e
            });
        }
        debug!("init: set up (Ready)");
        Ok(())
    }
}
