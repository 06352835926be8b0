//! Birth of a helper: `clone3` with the namespace flags to create (the container's
//! init) or none (`runlet-exec`), a pidfd and (on cgroup v2) the container's cgroup,
//! then straight into the sealed helper memfd. And [`Child`]: a process runlet holds
//! by its pidfd — a helper, or the process `runlet exec` started.
//!
//! Between clone3 and execveat the child runs only async-signal-safe syscalls, in this
//! order: join namespaces given by path, arm PDEATHSIG, restore the signal mask, put
//! the passed-on fds on 3..3+E, the sync socket on 3+E, the helper's second fd on 4+E
//! and a console socket on 5+E (E is 0 unless fds are passed on: helper_rt::fds), exec
//! the sealed helper memfd.

use std::ffi::c_char;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;

use rustix::io::fcntl_dupfd_cloexec;
use rustix::process::{waitid, Signal, WaitId, WaitIdOptions};
use rustix::thread::{move_into_link_name_space, LinkNameSpaceType};
use wire::{ErrorReport, Sink, SliceSink};

use crate::error::{Error, Result};
use crate::os::sys::{self, CloneArgs, SigSet, CLONE_INTO_CGROUP, CLONE_PIDFD};
use crate::process::helpers::Helper;

/// Everything the child needs, prepared before the clone so it allocates nothing.
pub struct Spawn {
    /// CLONE_NEW* flags of the namespaces to create.
    pub ns_flags: u64,
    /// CLONE_NEW* flags the child unshares after its joins (and becoming root in a
    /// joined user namespace), so that the user namespace it joined owns them.
    pub unshare: u64,
    /// Namespaces to join by path before exec (not pid: see `around`).
    pub join: Vec<(OwnedFd, LinkNameSpaceType, PathBuf)>,
    /// Namespaces the parent joins around clone3, so the child is born in them: a
    /// PID namespace (it applies to children), and with a new user namespace every
    /// joined one (the child, born in the new user namespace, could join none of the
    /// host's).
    pub around: Vec<(OwnedFd, LinkNameSpaceType, PathBuf)>,
    /// The child is in a user namespace (new: it waits for `IdMapped` first) and
    /// becomes its root before exec, so the helper keeps its capabilities there.
    pub userns: UserNsStep,
    /// With a user namespace joined by path and a new PID namespace: the child,
    /// having unshared it, forks the namespace's first process as runlet's child
    /// (CLONE_PARENT), reports its pid in an `ExecPid` frame and exits.
    pub fork_pid1: bool,
    /// v1 `tasks` files the child writes "0" to before anything else (in a user
    /// namespace it could not later: crate::cgroup::CgroupManager::v1_tasks).
    pub tasks: Vec<std::ffi::CString>,
    /// The container's cgroup2 directory, for CLONE_INTO_CGROUP.
    pub cgroup: Option<OwnedFd>,
    pub helper: OwnedFd,
    pub sync: OwnedFd,
    /// The fd after the sync socket: the exec FIFO for runlet-init (it waits there
    /// for `start`), the init's /proc/<pid> directory for runlet-exec (what it joins).
    pub second: OwnedFd,
    /// The mask to restore in the child (the parent blocks signals it forwards).
    pub sigmask: SigSet,
    /// The caller's fds passed on as they are (`--preserve-fds`, `LISTEN_FDS`): they
    /// land on 3..3+E and the helper's own fds follow them (helper_rt::fds).
    pub extra: Vec<OwnedFd>,
    /// The console socket (with a terminal), after the sync fds.
    pub console: Option<OwnedFd>,
}

/// What the child does about a user namespace before it execs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserNsStep {
    /// None: the helper runs with runlet's ids.
    Host,
    /// Born in a new one: waits for `IdMapped`, then setresuid/setresgid 0.
    New,
    /// Joined one by path (its first join): setresuid/setresgid 0.
    Joined,
}

/// A child process owned through its pidfd: a helper, or an exec'd process adopted
/// by runlet. Killed and reaped on drop unless it was already reaped (or released).
pub struct Child {
    /// What it is, for messages: "init", "runlet-exec", "process".
    pub what: &'static str,
    pub pid: i32,
    pub pidfd: OwnedFd,
    /// Born into its cgroup2 directory by CLONE_INTO_CGROUP.
    pub in_v2_cgroup: bool,
    reaped: bool,
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

impl Exit {
    /// The shell's convention: the code, or 128+N for signal N.
    pub fn status(self) -> i32 {
        match self {
            Exit::Code(c) => c,
            Exit::Signal(s) => 128 + s,
        }
    }
}

impl Child {
    /// A process that became our child by other means (the exec'd process, orphaned
    /// to runlet as subreaper), held by a pidfd opened while it could not be reaped.
    pub fn adopt(pid: i32, pidfd: OwnedFd) -> Child {
        Child {
            what: "process",
            pid,
            pidfd,
            in_v2_cgroup: false,
            reaped: false,
        }
    }

    pub fn signal(&self, sig: i32) -> Result<()> {
        sys::pidfd_send_signal(self.pidfd.as_fd(), sig)
            .map_err(|e| Error::sys(&format!("signal {} {}", self.what, self.pid), e))
    }

    /// Waits for it to exit (or returns at once with `nohang` if it has not).
    pub fn wait(&mut self, nohang: bool) -> Result<Option<Exit>> {
        let mut opts = WaitIdOptions::EXITED;
        if nohang {
            opts |= WaitIdOptions::NOHANG;
        }
        let st = loop {
            match waitid(WaitId::PidFd(self.pidfd.as_fd()), opts) {
                Err(rustix::io::Errno::INTR) => continue,
                r => {
                    break r.map_err(|e| {
                        Error::sys(&format!("wait for {} {}", self.what, self.pid), e)
                    })?
                }
            }
        };
        let Some(st) = st else { return Ok(None) };
        self.reaped = true;
        Ok(Some(match (st.exit_status(), st.terminating_signal()) {
            (_, Some(sig)) => Exit::Signal(sig),
            (Some(code), _) => Exit::Code(code),
            _ => Exit::Code(255),
        }))
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        if !self.reaped {
            let _ = self.signal(Signal::KILL.as_raw());
            let _ = self.wait(false);
        }
    }

    /// It outlives this command (the init after `create`, `run -d`; a process after
    /// `exec -d`): left running, to be reparented to the nearest subreaper when
    /// runlet exits.
    pub fn release(mut self) {
        self.reaped = true;
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A copy of `fd` at `min` or above, so a child's dup2 onto lower fds cannot clobber it.
pub(crate) fn dup_high(fd: &OwnedFd, min: RawFd) -> Result<OwnedFd> {
    fcntl_dupfd_cloexec(fd, min).map_err(|e| Error::sys("fcntl F_DUPFD_CLOEXEC", e))
}

/// Clones and execs helper `h` (its memfd is `req.helper`): its argv[0] is the
/// helper's name, which names it in errors.
pub fn spawn(req: Spawn, h: Helper) -> Result<Child> {
    let name = h.argv0();
    // Above every fd the child dup2s onto (3..3+E, then sync, second, console).
    let min = req.extra.len() as RawFd + 10;
    let sync = dup_high(&req.sync, min)?;
    let second = dup_high(&req.second, min)?;
    let helper = dup_high(&req.helper, min)?;
    let extra: Vec<OwnedFd> = req
        .extra
        .iter()
        .map(|fd| dup_high(fd, min))
        .collect::<Result<_>>()?;
    let console = req.console.as_ref().map(|c| dup_high(c, min)).transpose()?;
    let join: Vec<(OwnedFd, LinkNameSpaceType, String)> = req
        .join
        .iter()
        .map(|(fd, t, p)| Ok((dup_high(fd, min)?, *t, format!("setns {}", p.display()))))
        .collect::<Result<_>>()?;
    // The child's dup2s, in order; none of the sources is a target.
    let base = 3 + extra.len() as RawFd;
    let mut moves: Vec<(RawFd, RawFd)> = (3..)
        .zip(&extra)
        .map(|(to, fd)| (fd.as_raw_fd(), to))
        .collect();
    moves.push((sync.as_raw_fd(), base));
    moves.push((second.as_raw_fd(), base + 1));
    if let Some(c) = &console {
        moves.push((c.as_raw_fd(), base + 2));
    }
    // argv[1]: how many fds come before the helper's own (absent: none).
    let count = std::ffi::CString::new(extra.len().to_string()).expect("digits");
    let back = join_around(&req.around)?;
    let fds = ChildFds {
        sync: &sync,
        moves: &moves,
        helper: &helper,
        join: &join,
        userns: req.userns,
        unshare: req.unshare,
        tasks: &req.tasks,
        fork_pid1: req.fork_pid1,
    };
    let argv: [*const c_char; 3] = match extra.is_empty() {
        true => [name.as_ptr(), std::ptr::null(), std::ptr::null()],
        false => [name.as_ptr(), count.as_ptr(), std::ptr::null()],
    };
    let result = clone_child(
        h,
        &argv,
        req.ns_flags,
        req.cgroup.as_ref(),
        &req.sigmask,
        &fds,
    );

    for (own, kind) in back {
        move_into_link_name_space(own.as_fd(), Some(kind)).map_err(|e| {
            Error::sys(
                &format!("setns back to runlet's own {} namespace", ns_file(kind)),
                e,
            )
        })?;
    }
    result
}

/// Joins `around` in runlet itself (single-threaded here) for the clone; returns
/// runlet's own namespaces to go back to, opened first.
fn join_around(
    around: &[(OwnedFd, LinkNameSpaceType, PathBuf)],
) -> Result<Vec<(OwnedFd, LinkNameSpaceType)>> {
    let mut back = Vec::with_capacity(around.len());
    for (_, kind, _) in around {
        let own = format!("/proc/thread-self/ns/{}", ns_file(*kind));
        let fd = rustix::fs::open(
            &own,
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .map_err(|e| Error::io("open", &own, e.into()))?;
        back.push((fd, *kind));
    }
    for (i, (target, kind, path)) in around.iter().enumerate() {
        if let Err(e) = move_into_link_name_space(target.as_fd(), Some(*kind)) {
            // Back to runlet's own in those joined so far.
            for (own, k) in &back[..i] {
                let _ = move_into_link_name_space(own.as_fd(), Some(*k));
            }
            return Err(Error::io("setns", path, e.into()));
        }
    }
    Ok(back)
}

/// The name under /proc/<pid>/ns/ of a namespace runlet may join around clone3.
fn ns_file(kind: LinkNameSpaceType) -> &'static str {
    match kind {
        LinkNameSpaceType::ProcessID => "pid",
        LinkNameSpaceType::Network => "net",
        LinkNameSpaceType::InterProcessCommunication => "ipc",
        LinkNameSpaceType::HostNameAndNISDomainName => "uts",
        LinkNameSpaceType::ControlGroup => "cgroup",
        LinkNameSpaceType::Mount => "mnt",
        _ => "user",
    }
}

/// The fds the child works with, all above the targets of its dup2s.
struct ChildFds<'a> {
    sync: &'a OwnedFd,
    /// (from, to) for dup2, in order: passed-on fds, sync, second, console.
    moves: &'a [(RawFd, RawFd)],
    helper: &'a OwnedFd,
    join: &'a [(OwnedFd, LinkNameSpaceType, String)],
    userns: UserNsStep,
    unshare: u64,
    tasks: &'a [std::ffi::CString],
    fork_pid1: bool,
}

fn clone_child(
    h: Helper,
    argv: &[*const c_char; 3],
    ns_flags: u64,
    cgroup: Option<&OwnedFd>,
    sigmask: &SigSet,
    fds: &ChildFds<'_>,
) -> Result<Child> {
    let envp: [*const c_char; 1] = [std::ptr::null()];
    let exec_what = format!("exec {}", h.name());
    let mut pidfd: RawFd = -1;
    let mut args = CloneArgs {
        flags: ns_flags | CLONE_PIDFD,
        pidfd: &mut pidfd as *mut RawFd as u64,
        exit_signal: linux_raw_sys::general::SIGCHLD as u64,
        ..Default::default()
    };
    let mut in_v2 = false;
    if let Some(cg) = cgroup {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = cg.as_raw_fd() as u64;
        in_v2 = true;
    }
    // SAFETY: runlet is single-threaded here; the child branch below only makes
    // async-signal-safe syscalls on memory prepared before the clone, then execs or exits.
    let mut r = unsafe { sys::clone3(&mut args) };
    use linux_raw_sys::errno::{EBUSY, EINVAL, EOPNOTSUPP};
    let refused_cgroup = |e: &std::io::Error| matches!(e.raw_os_error(), Some(n) if [EBUSY, EOPNOTSUPP, EINVAL].contains(&(n as u32)));
    if in_v2 && r.as_ref().is_err_and(refused_cgroup) {
        // The kernel would not place the child at birth (e.g. a threaded or
        // domain-invalid cgroup): clone plainly; the parent places it by pid.
        args.flags &= !CLONE_INTO_CGROUP;
        args.cgroup = 0;
        in_v2 = false;
        // SAFETY: as above.
        r = unsafe { sys::clone3(&mut args) };
    }
    match r {
        Ok(0) => child(sigmask, fds, argv, &envp, &exec_what),
        Ok(pid) => {
            // SAFETY: clone3 wrote a new pidfd that nothing else owns.
            let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
            Ok(Child {
                what: h.what(),
                pid,
                pidfd,
                in_v2_cgroup: in_v2,
                reaped: false,
            })
        }
        Err(e) => Err(Error::sys(
            "clone3 (creating the container's namespaces)",
            e,
        )),
    }
}

/// Writes "0" to a v1 `tasks` file: the calling thread enters that cgroup.
fn enter_cgroup(tasks: &std::ffi::CStr) -> rustix::io::Result<()> {
    use rustix::fs::{open, Mode, OFlags};
    let fd = open(tasks, OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty())?;
    rustix::io::write(&fd, b"0").map(drop)
}

/// The child between clone3 and exec. Never returns.
fn child(
    sigmask: &SigSet,
    fds: &ChildFds<'_>,
    argv: &[*const c_char; 3],
    envp: &[*const c_char; 1],
    exec_what: &str,
) -> ! {
    let ChildFds {
        sync,
        moves,
        helper,
        join,
        userns,
        unshare,
        tasks,
        fork_pid1,
    } = *fds;
    let fail = |what: &str, errno: i32| -> ! {
        let mut buf = [0u8; 512];
        if let Ok(s) =
            ErrorReport::encode(SliceSink::new(&mut buf), &[what.as_bytes()], errno as u32)
        {
            let n = s.written();
            let _ = rustix::io::write(sync, &buf[..n]);
        }
        sys::exit_now(1)
    };
    let errno = |e: rustix::io::Errno| e.raw_os_error();
    for t in tasks {
        if let Err(e) = enter_cgroup(t) {
            fail("enter the v1 cgroups (write 0 to tasks)", errno(e));
        }
    }
    for (fd, kind, what) in join {
        // The type is checked: a path to a namespace of another kind is refused.
        if let Err(e) = move_into_link_name_space(fd.as_fd(), Some(*kind)) {
            fail(what, errno(e));
        }
    }
    if let Err(e) = rustix::process::set_parent_process_death_signal(Some(Signal::KILL)) {
        fail("prctl PR_SET_PDEATHSIG", errno(e));
    }
    if userns != UserNsStep::Host {
        if let Err((what, e)) =
            crate::container::userns::become_root(sync, userns == UserNsStep::New)
        {
            fail(what, e);
        }
    }
    if unshare != 0 {
        let flags = rustix::thread::UnshareFlags::from_bits_retain(unshare as u32);
        // SAFETY: single-threaded child; the fs and files it shares with nothing.
        if let Err(e) = unsafe { rustix::thread::unshare_unsafe(flags) } {
            fail(
                "unshare the new namespaces in the joined user namespace",
                errno(e),
            );
        }
    }
    if fork_pid1 {
        if let Err((what, e)) = crate::container::userns::fork_pid1(sync) {
            fail(what, e);
        }
    }
    if let Err(e) = sys::set_signal_mask(sigmask) {
        fail("sigprocmask", e.raw_os_error().unwrap_or(0));
    }
    // Not ignored in the init, its hooks or the container's process (runlet's
    // Rust runtime ignores it, and exec keeps an ignored signal ignored).
    sys::default_sigpipe();
    for &(from, to) in moves {
        if let Err(e) = sys::dup_to(from, to) {
            fail("dup2 sync fds", e.raw_os_error().unwrap_or(0));
        }
    }
    // SAFETY: argv/envp are NULL-terminated arrays of static C strings.
    let e = unsafe { sys::execveat_fd(helper.as_raw_fd(), argv.as_ptr(), envp.as_ptr()) };
    fail(exec_what, e.raw_os_error().unwrap_or(0))
}
