//! A new user namespace: the id maps runlet writes for the cloned child, and the
//! child's side of that step (docs/userns.md, docs/protocol.md "IdMapped").
//!
//! The child is born in the namespace with no ids mapped. It must not exec
//! runlet-init before the maps are there: exec recomputes capabilities, and a
//! process that is not the namespace's root (an unmapped one is not) loses them
//! all. So the child waits for `IdMapped`, becomes the namespace's root, then execs.

use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::io::Errno;
use rustix::process::{getegid, geteuid, Signal};
use rustix::thread::{set_thread_groups, set_thread_res_gid, set_thread_res_uid};

use crate::config::userns::{IdMap, IdMaps};
use crate::error::{Error, Result};

/// How long the child waits for `IdMapped`, and newuidmap/newgidmap may take.
const MAP_TIMEOUT: Duration = Duration::from_secs(60);

/// The child's side, between clone3 and exec: waits for `IdMapped` (with `wait`),
/// drops the host's supplementary groups where the namespace allows it, and becomes
/// uid/gid 0 of the namespace. Async-signal-safe: nothing allocated. Returns what
/// failed and the errno.
pub fn become_root(sync: &OwnedFd, wait: bool) -> std::result::Result<(), (&'static str, i32)> {
    if wait {
        wait_mapped(sync)?;
    }
    // Refused where setgroups is denied (an unprivileged map): nothing to drop then
    // that the namespace would let the process use.
    match set_thread_groups(&[]) {
        Ok(()) | Err(Errno::PERM) => {}
        Err(e) => return Err(("setgroups in the new user namespace", e.raw_os_error())),
    }
    let root_gid = rustix::process::Gid::ROOT;
    set_thread_res_gid(root_gid, root_gid, root_gid).map_err(|e| {
        (
            "setresgid 0 in the user namespace (is gid 0 mapped?)",
            e.raw_os_error(),
        )
    })?;
    let root = rustix::process::Uid::ROOT;
    set_thread_res_uid(root, root, root).map_err(|e| {
        (
            "setresuid 0 in the user namespace (is uid 0 mapped?)",
            e.raw_os_error(),
        )
    })?;
    // A credential change clears it.
    rustix::process::set_parent_process_death_signal(Some(Signal::KILL))
        .map_err(|e| ("prctl PR_SET_PDEATHSIG", e.raw_os_error()))
}

/// Reads exactly the `IdMapped` frame from the sync socket, within MAP_TIMEOUT.
fn wait_mapped(sync: &OwnedFd) -> std::result::Result<(), (&'static str, i32)> {
    let want = [1u8, 0, 0, 0, wire::FrameKind::IdMapped as u8];
    let mut got = [0u8; 5];
    let mut have = 0;
    while have < got.len() {
        let mut fds = [PollFd::new(sync, PollFlags::IN)];
        let t = Timespec {
            tv_sec: MAP_TIMEOUT.as_secs() as i64,
            tv_nsec: 0,
        };
        match poll(&mut fds, Some(&t)) {
            Ok(0) => return Err(("no IdMapped from runlet within 60 s", 0)),
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => return Err(("poll the sync socket", e.raw_os_error())),
        }
        match rustix::io::read(sync.as_fd(), &mut got[have..]) {
            Ok(0) => return Err(("runlet closed the sync socket before IdMapped", 0)),
            Ok(n) => have += n,
            Err(Errno::INTR | Errno::AGAIN) => {}
            Err(e) => return Err(("read IdMapped", e.raw_os_error())),
        }
    }
    match got == want {
        true => Ok(()),
        false => Err((
            "expected IdMapped on the sync socket",
            Errno::PROTO.raw_os_error(),
        )),
    }
}

/// Writes the child's `uid_map` and `gid_map`: directly when runlet may (root over
/// the ranges, or an unprivileged runlet mapping only its own id), else through
/// newuidmap/newgidmap, which check /etc/subuid and /etc/subgid (runc's way).
pub fn write_maps(pid: i32, maps: &IdMaps) -> Result<()> {
    let proc = format!("/proc/{pid}");
    let root = geteuid().is_root();
    let own_uid = only_own(&maps.uid, geteuid().as_raw());
    let own_gid = only_own(&maps.gid, getegid().as_raw());
    if !root && own_gid {
        // An unprivileged process may map its own gid only with setgroups denied.
        write(&proc, "setgroups", "deny")?;
    }
    write_one(
        &proc,
        pid,
        "uid_map",
        "newuidmap",
        &maps.uid,
        root || own_uid,
    )?;
    write_one(
        &proc,
        pid,
        "gid_map",
        "newgidmap",
        &maps.gid,
        root || own_gid,
    )
}

/// One map: directly when `direct`, falling back to the setuid tool when the kernel
/// says runlet is not privileged over the ranges.
fn write_one(
    proc: &str,
    pid: i32,
    file: &str,
    tool: &str,
    maps: &[IdMap],
    direct: bool,
) -> Result<()> {
    if direct {
        let path = Path::new(proc).join(file);
        match std::fs::write(&path, IdMaps::text(maps)) {
            Ok(()) => return Ok(()),
            Err(e) if e.raw_os_error() == Some(Errno::PERM.raw_os_error()) => {}
            Err(e) => return Err(Error::io("write", &path, e)),
        }
    }
    map_tool(tool, pid, maps)
}

/// Whether `maps` maps exactly one id, `own`: what an unprivileged process may write.
fn only_own(maps: &[IdMap], own: u32) -> bool {
    matches!(maps, [m] if m.size == 1 && m.host == own)
}

fn write(proc: &str, file: &str, text: &str) -> Result<()> {
    let path = Path::new(proc).join(file);
    std::fs::write(&path, text).map_err(|e| Error::io("write", &path, e))
}

/// `newuidmap PID inside outside count ...`, with a deadline.
fn map_tool(tool: &str, pid: i32, maps: &[IdMap]) -> Result<()> {
    let mut cmd = Command::new(tool);
    cmd.arg(pid.to_string());
    for m in maps {
        cmd.args([m.container, m.host, m.size].map(|n| n.to_string()));
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Error::msg(format!(
                "{tool} (needed to map ids runlet is not privileged over; package uidmap): {e}"
            ))
        })?;
    let deadline = Instant::now() + MAP_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(1)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::msg(format!("{tool} {pid}: no answer within 60 s")));
            }
            Err(e) => return Err(Error::msg(format!("wait for {tool}: {e}"))),
        }
    };
    if status.success() {
        return Ok(());
    }
    let mut text = String::new();
    if let Some(mut err) = child.stderr.take() {
        use std::io::Read;
        let _ = err.read_to_string(&mut text);
    }
    let line = text.lines().next().unwrap_or("").trim();
    Err(Error::msg(format!("{tool} {pid}: {status}: {line}")))
}

/// cgroup2 delegation, as runc does it: with a new user namespace, a new cgroup
/// namespace and a `cgroup` mount the config leaves writable, the container's
/// cgroup2 directory and the files the kernel lists as delegatable
/// (`/sys/kernel/cgroup/delegate`; else `cgroup.procs`, `cgroup.threads`,
/// `cgroup.subtree_control`) become its root's: it may make and manage cgroups
/// below its own, and no more.
pub fn delegate(cgroups: &crate::cgroup::CgroupManager, cfg: &crate::config::Config) -> Result<()> {
    use crate::config::NsKind;
    let Some(maps) = &cfg.userns else {
        return Ok(());
    };
    if !cfg.new_namespace(NsKind::Cgroup) || !cfg.cgroup_mount_writable() {
        return Ok(());
    }
    let (Some(dir), Some(uid), Some(gid)) = (
        cgroups.v2_directory(),
        IdMaps::root_on_host(&maps.uid),
        IdMaps::root_on_host(&maps.gid),
    ) else {
        return Ok(());
    };
    let listed = std::fs::read_to_string("/sys/kernel/cgroup/delegate").unwrap_or_default();
    let mut files: Vec<&str> = listed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if files.is_empty() {
        files = vec!["cgroup.procs", "cgroup.threads", "cgroup.subtree_control"];
    }
    let own = |p: &Path| {
        std::os::unix::fs::chown(p, Some(uid), Some(gid))
            .map_err(|e| Error::io("chown (cgroup delegation)", p, e))
    };
    own(dir)?;
    for f in files {
        let p = dir.join(f);
        // A file this kernel lists but this cgroup lacks (a controller not enabled).
        if p.exists() {
            own(&p)?;
        }
    }
    Ok(())
}

/// In the spawned child, after it unshared a PID namespace inside a joined user
/// namespace: forks the namespace's first process as runlet's own child
/// (CLONE_PARENT), which returns here and goes on to exec runlet-init; this process
/// reports that child's pid (`ExecPid`) and exits. Allocation-free.
pub fn fork_pid1(sync: &OwnedFd) -> std::result::Result<(), (&'static str, i32)> {
    use crate::os::sys::{self, CloneArgs};
    let mut args = CloneArgs {
        // Its exit signal is the caller's (SIGCHLD); clone3 wants 0 with CLONE_PARENT.
        flags: linux_raw_sys::general::CLONE_PARENT as u64,
        ..Default::default()
    };
    // SAFETY: single-threaded; both sides only make syscalls on memory prepared
    // before the first clone, then exec or exit.
    match unsafe { sys::clone3(&mut args) } {
        Ok(0) => rustix::process::set_parent_process_death_signal(Some(Signal::KILL))
            .map_err(|e| ("prctl PR_SET_PDEATHSIG", e.raw_os_error())),
        Ok(pid) => {
            let mut buf = [0u8; 16];
            let report = wire::ExecPid { pid: pid as u32 };
            if let Ok(s) = report.encode(wire::SliceSink::new(&mut buf)) {
                let n = wire::Sink::written(&s);
                let _ = rustix::io::write(sync, &buf[..n]);
            }
            sys::exit_now(0)
        }
        Err(e) => Err((
            "clone3 (the pid namespace's first process)",
            e.raw_os_error().unwrap_or(0),
        )),
    }
}

/// runlet's side of `fork_pid1`: reads the pid of the PID namespace's first process
/// from `ExecPid`, holds it by a pidfd (it is runlet's child, so the pid cannot have
/// been reused), and reaps the spawned child, which exits.
pub fn adopt_pid1(
    chan: &mut crate::process::channel::Channel,
    mut middle: crate::process::spawn::Child,
) -> Result<crate::process::spawn::Child> {
    use crate::process::channel::Incoming;
    use wire::FrameKind;
    let pid = match chan.recv(MAP_TIMEOUT)? {
        Incoming::Frame(FrameKind::ExecPid, body) => {
            wire::ExecPid::decode(&body)
                .map_err(|e| Error::msg(format!("runlet's child: {e}")))?
                .pid as i32
        }
        Incoming::Frame(FrameKind::Error, body) => {
            return Err(crate::process::channel::helper_error(&body))
        }
        Incoming::Frame(k, _) => return Err(chan.unexpected("ExecPid", k)),
        Incoming::Eof => {
            return Err(Error::msg(
                "runlet's child exited before it forked the pid namespace's first process",
            ))
        }
    };
    let p = rustix::process::Pid::from_raw(pid).ok_or_else(|| Error::msg("ExecPid: pid 0"))?;
    let pidfd = rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty())
        .map_err(|e| Error::sys(&format!("pidfd_open {pid}"), e))?;
    let _ = middle.wait(false);
    let mut init = crate::process::spawn::Child::adopt(pid, pidfd);
    init.what = "init";
    // Born where its parent was placed.
    init.in_v2_cgroup = middle.in_v2_cgroup;
    Ok(init)
}
