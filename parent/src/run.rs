//! `runlet run`: create the container, start it, wait for it, remove it.
//!
//! The order of DESIGN.md "Starting a container". Every resource is owned by a guard
//! declared in the order it is made, so any failure unwinds in reverse: the init is
//! killed and reaped, then the cgroups go, then the state directory.

use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::event::{poll, PollFd, PollFlags};
use rustix::fs::{open, Mode, OFlags};
use rustix::net::{socketpair, AddressFamily, SocketFlags, SocketType};
use rustix::thread::LinkNameSpaceType;
use wire::FrameKind;

use crate::cgroup::{cgroup_path, CgroupManager, Layout};
use crate::channel::{helper_error, Channel, Incoming};
use crate::config::{Config, NsKind};
use crate::error::{Error, Result};
use crate::helpers::{self, Helper};
use crate::spawn::{spawn_init, Exit, Init, InitSpawn};
use crate::state::{Record, StateDir};
use crate::sys;

/// The exit status of a helper that panicked (helper-rt's panic handler).
const HELPER_PANIC: i32 = 126;

/// How long a helper may take for one step of the setup before runlet gives up.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// Signals `runlet run` passes on to the container's init, as runc does for the
/// ones a terminal or a supervisor sends.
const FORWARDED: [i32; 6] = [1, 2, 3, 10, 12, 15]; // HUP INT QUIT USR1 USR2 TERM

pub struct RunOptions {
    pub root: PathBuf,
    pub bundle: PathBuf,
    pub id: String,
    pub pid_file: Option<PathBuf>,
}

pub fn run(o: &RunOptions) -> Result<i32> {
    let cfg = Config::load(&o.bundle)?;
    let mut state = StateDir::create(&o.root, &o.id)?;
    let layout = Layout::detect()?;
    let cg_path = cgroup_path(cfg.cgroups_path.as_deref(), &o.id)?;
    let mut cgroups = CgroupManager::plan(&layout, &cg_path);
    cgroups.create(true)?;
    let frame = cfg.bootstrap(&cgroups.mounts(&layout))?;
    let fifo = state.exec_fifo()?;
    let (ours, theirs) = socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| Error::sys("socketpair", e))?;
    let (join, join_pid) = open_namespaces(&cfg)?;

    // Orphans of a container that shares our PID namespace come to us, to be reaped.
    rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
        .map_err(|e| Error::sys("prctl PR_SET_CHILD_SUBREAPER", e))?;
    let sigmask = sys::block_signals(&FORWARDED).map_err(|e| Error::sys("sigprocmask", e))?;
    let sigfd = sys::signal_fd(&FORWARDED).map_err(|e| Error::sys("signalfd", e))?;

    let mut init = spawn_init(InitSpawn {
        ns_flags: clone_flags(&cfg),
        join,
        join_pid,
        cgroup: cgroups.v2_dir_fd()?,
        helper: helpers::memfd(Helper::Init)?,
        sync: theirs,
        fifo: fifo
            .try_clone()
            .map_err(|e| Error::sys("dup exec fifo", e))?,
        sigmask,
    })?;
    let mut chan = Channel::new(ours, "runlet-init");

    // The init decodes and prepares mounts while we make its v1 cgroups. It enters
    // them itself on `Resume`; with no hooks to run, `Resume` goes right away, and
    // the init finds it waiting when it reaches the barrier.
    chan.send(&frame)?;
    cgroups.create(false)?;
    if !init.in_v2_cgroup {
        cgroups.place_v2(init.pid)?;
    }
    chan.send_empty(FrameKind::Resume)?;
    // prestart and createRuntime hooks will run here, between Prestart and Resume.
    step(&mut chan, &mut init, FrameKind::Prestart)?;
    step(&mut chan, &mut init, FrameKind::Ready)?;
    // One write: from here on the status is read live (the exec FIFO exists until
    // start; then the saved start time tells the init from a process reusing its pid).
    state.write(&Record {
        oci_version: &cfg.oci_version,
        id: &o.id,
        status: "created",
        pid: init.pid,
        bundle: &cfg.bundle,
        annotations: &cfg.annotations,
        start_time: proc_start_time(init.pid)?,
        cgroup_paths: &cgroups.paths(),
        stdio: &stdio_targets(init.pid),
    })?;
    if let Some(p) = &o.pid_file {
        write_pid_file(p, init.pid)?;
    }

    // Start: one byte through the FIFO releases the init, which then execs.
    rustix::io::write(&fifo, &[0]).map_err(|e| Error::sys("write exec fifo", e))?;
    match chan.recv(STEP_TIMEOUT).map_err(|e| explain(e, &mut init))? {
        Incoming::Eof => {}
        Incoming::Frame(FrameKind::Error, body) => return Err(helper_error(&body)),
        Incoming::Frame(k, _) => {
            return Err(Error::msg(format!(
                "runlet-init: unexpected {} frame",
                k.name()
            )))
        }
    }
    drop(chan);
    state.started()?;

    let exit = wait_forwarding(&mut init, &sigfd)?;
    cgroups.destroy()?;
    reap_orphans();
    state.remove()?;
    Ok(exit.status())
}

/// Waits for a frame; if the init died instead, says how.
fn step(chan: &mut Channel, init: &mut Init, want: FrameKind) -> Result<()> {
    chan.expect(want, STEP_TIMEOUT)
        .map(|_| ())
        .map_err(|e| explain(e, init))
}

fn explain(e: Error, init: &mut Init) -> Error {
    match init.wait(true) {
        Ok(Some(Exit::Code(HELPER_PANIC))) => {
            e.context("runlet-init crashed (a bug: exit status 126)")
        }
        Ok(Some(Exit::Signal(s))) => Error::msg(format!("{e} (runlet-init killed by signal {s})")),
        Ok(Some(Exit::Code(c))) if e.as_str().contains("exited before") => {
            Error::msg(format!("{e} (exit status {c})"))
        }
        _ => e,
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

type Joins = (Vec<(OwnedFd, LinkNameSpaceType, PathBuf)>, Option<OwnedFd>);

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
                pid = Some(fd);
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

/// Field 22 of /proc/<pid>/stat: the start time in clock ticks since boot, which
/// tells a live container from a process that reused its pid.
pub fn proc_start_time(pid: i32) -> Result<u64> {
    let p = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&p).map_err(|e| Error::io("read", &p, e))?;
    // The command name may hold spaces and parentheses: count from the last ')'.
    let after = text.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    after
        .split_whitespace()
        .nth(19)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Error::msg(format!("{p}: no start time field")))
}

/// Where the init's stdin, stdout and stderr point, recorded before the container
/// can change them.
fn stdio_targets(pid: i32) -> Vec<String> {
    (0..3)
        .map(|i| {
            std::fs::read_link(format!("/proc/{pid}/fd/{i}"))
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect()
}

fn write_pid_file(p: &Path, pid: i32) -> Result<()> {
    let tmp = p.with_extension("runlet-tmp");
    std::fs::write(&tmp, pid.to_string())
        .and_then(|_| std::fs::rename(&tmp, p))
        .map_err(|e| Error::io("write pid file", p, e))
}

/// Waits for the init to exit, passing on the signals runlet receives.
fn wait_forwarding(init: &mut Init, sigfd: &OwnedFd) -> Result<Exit> {
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
                let _ = init.signal(sig);
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
fn reap_orphans() {
    use rustix::process::{waitpid, WaitOptions};
    while let Ok(Some(_)) = waitpid(None, WaitOptions::NOHANG) {}
}
