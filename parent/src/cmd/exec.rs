//! `runlet exec`: a new process in a running container, through `runlet-exec`
//! (runc's setnsProcess). docs/exec.md gives the order and the reasons:
//!
//! 1. find the container (locked) and refuse a stopped one (`check_status`); build
//!    the `Process` frame, every capacity checked before anything starts (`Plan`);
//! 2. open the init's /proc/<pid> and check its start time through that fd, so the
//!    helper joins exactly that process or nothing (`open_init`);
//! 3. spawn runlet-exec (sync socket on fd 3, /proc/<pid> on fd 4; born into the
//!    cgroup2 directory by CLONE_INTO_CGROUP), send `Process` (`Run::spawn`);
//! 4. the helper enters the v1 cgroups itself, joins, forks, reports the child's
//!    host pid (`ExecPid`) and exits; the child goes on once the helper is gone.
//!    runlet holds the child by a pidfd and reaps the helper; only when the helper
//!    was not born in the cgroup2 directory does the child wait for runlet to place
//!    it there and say `Resume` (`Run::join`);
//! 5. EOF means the program was exec'd; an `Error` frame that it was not
//!    (`Run::wait_exec`).
//!
//! Without `-d`, runlet (a child subreaper, so the orphaned child is its own) waits
//! for the process, passing on the signals it gets, and exits with its status.

use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};
use rustix::fs::{open, Mode, OFlags};
use rustix::process::{pidfd_open, Pid, PidfdFlags};
use wire::{empty_frame, ExecPid, FrameKind};

use crate::cgroup::{CgroupManager, Layout};
use crate::cli::{ExecArgs, Global};
use crate::cmd::supervise::{self, reap_orphans, wait_forwarding};
use crate::cmd::{exec_process, find, Found};
use crate::config::process::Proc;
use crate::debug;
use crate::error::{Error, Result};
use crate::os::poll::poll_until;
use crate::os::sys::SigSet;
use crate::process::channel::{helper_error, socket_pair, Channel, Incoming};
use crate::process::helpers::{self, Helper};
use crate::process::proc::is_the_init;
use crate::process::spawn::{spawn, Child, Exit, Spawn};
use crate::process::{fds, pid_file, proc};
use crate::seccomp::Filter;
use crate::state::{Saved, Status};
use crate::terminal::relay::{copy_winsize, relay, RawMode};
use crate::terminal::{self, recv_master, Console};

/// How long the helper may take for each step (joining, the exec).
const STEP: Duration = Duration::from_secs(60);
/// How long the helper may take to exit once it reported its child.
const HELPER_EXIT: Duration = Duration::from_secs(10);

pub fn exec(g: &Global, a: &ExecArgs) -> Result<i32> {
    // First: before runlet opens an fd of its own (runc's exec passes no
    // socket-activation fds).
    let passed = fds::collect(a.preserve_fds, false)?;
    let found = find(&g.root, &a.id)?;
    check_status(&found, a)?;
    let plan = Plan::new(&found.saved, a)?;
    let proc_dir = open_init(&found.saved)?;
    let (sigmask, sigfd) = supervise::prepare(!a.detach)?;
    let mut run = Run::spawn(plan, proc_dir, sigmask, passed.fds)?;
    let pid = run.join()?;
    let master = run.receive_master()?;
    run.wait_exec()?;
    debug!("process {pid} exec'd");
    // The container may be deleted or exec'd into again while this one runs.
    drop(found);
    if let Some(p) = &a.pid_file {
        pid_file::write(p, pid)?;
        debug!("pid file {} written", p.display());
    }
    let Some(sigfd) = sigfd else {
        // Left to the nearest subreaper above runlet (the shim's way).
        if let Some(child) = run.child.take() {
            child.release();
        }
        return Ok(0);
    };
    let mut child =
        (run.child.take()).ok_or_else(|| Error::msg(format!("process {pid}: no pidfd")))?;
    let exit = match master {
        Some(m) => {
            copy_winsize(&m);
            let _raw = RawMode::enter()?;
            relay(m, &mut child, &sigfd)?
        }
        None => wait_forwarding(&mut child, &sigfd)?,
    };
    debug!("process {pid} exited: {exit:?}");
    reap_orphans();
    Ok(exit.status())
}

/// runc refuses a stopped container, and a paused one unless told otherwise.
fn check_status(found: &Found, a: &ExecArgs) -> Result<()> {
    match found.live.status {
        Status::Stopped => Err(stopped(&found.saved)),
        Status::Paused if !a.ignore_paused => Err(Error::msg(
            "cannot exec in a paused container (use --ignore-paused to override)",
        )),
        _ => Ok(()),
    }
}

/// Everything decided before anything starts: the process, its console, the
/// container's cgroups and the encoded frame (a frame too large fails here).
struct Plan {
    process: Proc,
    filter: Option<Filter>,
    cgroups: CgroupManager,
    /// The v1 `tasks` files the helper enters itself (see EXEC_CGROUP_TASKS).
    tasks: Vec<PathBuf>,
    console: Console,
    frame: Vec<u8>,
    /// `-d`: runlet returns once the process has exec'd.
    detach: bool,
}

impl Plan {
    fn new(saved: &Saved, a: &ExecArgs) -> Result<Plan> {
        let layout = Layout::detect()?;
        let dirs: Vec<PathBuf> = saved.cgroup_paths.iter().map(Into::into).collect();
        let cgroups = CgroupManager::reopen(&layout, &dirs, Vec::new());
        let tasks: Vec<PathBuf> = cgroups
            .mounts(&layout)
            .into_iter()
            .filter(|m| m.fstype == "cgroup")
            .map(|m| m.host_path.join("tasks"))
            .collect();
        let mut process = exec_process::process(&saved.config, a)?;
        // runc: `-t` decides for a command line; with --process, the object's
        // `terminal` unless -t was given.
        match (&a.process, a.tty) {
            (_, Some(t)) => process.terminal = t,
            (None, None) => process.terminal = false,
            (Some(_), None) => {}
        }
        let console = terminal::prepare(process.terminal, a.console_socket.as_deref(), a.detach)?;
        let filter = crate::seccomp::from_config_text(&saved.config)?;
        let frame = exec_process::frame(&process, filter.as_ref(), &tasks, false)?;
        Ok(Plan {
            process,
            filter,
            cgroups,
            tasks,
            console,
            frame,
            detach: a.detach,
        })
    }
}

/// An exec under way: the helper, the sync socket to it, and once reported, the
/// process it forked inside the container.
struct Run {
    plan: Plan,
    helper: Child,
    chan: Channel,
    /// The kernel refused CLONE_INTO_CGROUP: runlet places the child by pid, and the
    /// child waits for `Resume` until it has.
    wait_resume: bool,
    child: Option<Child>,
}

impl Run {
    /// Spawns runlet-exec (sync socket on fd 3, /proc/<pid> on fd 4; born into the
    /// cgroup2 directory by CLONE_INTO_CGROUP) and sends it the `Process` frame.
    fn spawn(
        mut plan: Plan,
        proc_dir: OwnedFd,
        sigmask: SigSet,
        extra: Vec<OwnedFd>,
    ) -> Result<Run> {
        let (ours, theirs) = socket_pair("sync")?;
        let v2_dir = plan.cgroups.v2_dir_fd()?;
        let has_v2 = v2_dir.is_some();
        let helper = spawn(
            Spawn {
                ns_flags: 0,
                join: Vec::new(),
                around: Vec::new(),
                unshare: 0,
                userns: crate::process::spawn::UserNsStep::Host,
                tasks: Vec::new(),
                fork_pid1: false,
                cgroup: v2_dir,
                helper: helpers::memfd(Helper::Exec)?,
                sync: theirs,
                second: proc_dir,
                sigmask,
                extra,
                console: plan.console.for_helper.take(),
            },
            Helper::Exec,
        )?;
        debug!("runlet-exec {} spawned", helper.pid);
        let wait_resume = has_v2 && !helper.in_v2_cgroup;
        if wait_resume {
            let p = &plan;
            plan.frame = exec_process::frame(&p.process, p.filter.as_ref(), &p.tasks, true)?;
        }
        let mut chan = Channel::new(ours, "runlet-exec");
        if let Err(e) = chan.send(&plan.frame) {
            return Err(chan.last_word().unwrap_or(e));
        }
        debug!("Process sent to runlet-exec");
        Ok(Run {
            plan,
            helper,
            chan,
            wait_resume,
            child: None,
        })
    }

    /// The helper joins, forks and reports its child's host pid (`ExecPid`); runlet
    /// holds the child by a pidfd, places it in cgroup2 if it must (then `Resume`),
    /// and reaps the helper, which makes the child (without -d) runlet's own.
    fn join(&mut self) -> Result<i32> {
        let pid = self.exec_pid()?;
        // Held by a pidfd at once; killed on drop until it has exec'd. Without -d it
        // is ours (or the helper's) until we reap it. With -d it may already have
        // exec'd, exited and been reaped by the subreaper above us (containerd's shim
        // reaps at once): no pidfd then, and not a failure; its EOF or Error frame
        // says whether the exec happened.
        self.child = hold(pid, self.plan.detach)?;
        debug!("process {pid} forked inside the container");
        if self.wait_resume {
            // The child waits for Resume, so it cannot be gone yet.
            if self.child.is_none() {
                return Err(Error::msg(format!("process {pid} exited before Resume")));
            }
            self.plan.cgroups.place_v2(pid)?;
            debug!("process {pid} placed in the container's cgroup2 directory");
            if let Err(e) = self.chan.send(&empty_frame(FrameKind::Resume)) {
                return Err(self.chan.last_word().unwrap_or(e));
            }
        }
        // The child goes on as soon as the helper is gone.
        reap_helper(&mut self.helper)?;
        debug!("runlet-exec reaped");
        Ok(pid)
    }

    fn exec_pid(&mut self) -> Result<i32> {
        match self.chan.recv(STEP)? {
            Incoming::Frame(FrameKind::ExecPid, body) => Ok(ExecPid::decode(&body)
                .map_err(|e| Error::msg(format!("runlet-exec: {e}")))?
                .pid as i32),
            Incoming::Frame(FrameKind::Error, body) => Err(helper_error(&body)),
            Incoming::Frame(k, _) => Err(self.chan.unexpected("ExecPid", k)),
            Incoming::Eof => Err(ended_early(&mut self.helper)),
        }
    }

    /// With a terminal relayed by runlet: the child sends the master before it execs.
    fn receive_master(&mut self) -> Result<Option<OwnedFd>> {
        let Some(sock) = &self.plan.console.relay else {
            return Ok(None);
        };
        match recv_master(sock, STEP) {
            Ok(m) => Ok(Some(m)),
            // The child failed first: its report says why.
            Err(e) => match self.chan.recv(STEP) {
                Ok(Incoming::Frame(FrameKind::Error, body)) => Err(helper_error(&body)),
                _ => Err(e),
            },
        }
    }

    /// EOF means the program was exec'd; an `Error` frame that it was not.
    fn wait_exec(&mut self) -> Result<()> {
        match self.chan.recv(STEP)? {
            Incoming::Eof => Ok(()),
            Incoming::Frame(FrameKind::Error, body) => Err(helper_error(&body)),
            Incoming::Frame(k, _) => Err(self.chan.unexpected("EOF (exec)", k)),
        }
    }
}

/// runc's words for a stopped container, and why when its pid was reused.
fn stopped(saved: &Saved) -> Error {
    match proc::stat(saved.pid) {
        Ok(s) if s.start_time != saved.start_time => Error::msg(format!(
            "cannot exec in a stopped container: its init (pid {}) is gone and the pid now belongs to another process (start time {} instead of {})",
            saved.pid, s.start_time, saved.start_time
        )),
        _ => Error::msg("cannot exec in a stopped container"),
    }
}

/// The init's /proc/<pid> directory, checked through that fd: it stays bound to the
/// process it was opened for, so what the helper joins through it is the init.
fn open_init(saved: &Saved) -> Result<OwnedFd> {
    let path = format!("/proc/{}", saved.pid);
    let dir = match open(
        &path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(d) => d,
        Err(rustix::io::Errno::NOENT) => return Err(stopped(saved)),
        Err(e) => return Err(Error::io("open", &path, e.into())),
    };
    match proc::stat_at(dir.as_fd(), saved.pid) {
        Ok(s) if is_the_init(&s, saved.start_time) => Ok(dir),
        _ => Err(stopped(saved)),
    }
}

/// A pidfd of the exec'd process. With `detach`, a process already reaped by the
/// subreaper above runlet (ESRCH) is `None`: it ran; pid reuse is no concern, as the
/// pid is only written to the pid file, never signalled without the pidfd.
fn hold(pid: i32, detach: bool) -> Result<Option<Child>> {
    let p =
        Pid::from_raw(pid).ok_or_else(|| Error::msg(format!("runlet-exec reported pid {pid}")))?;
    match pidfd_open(p, PidfdFlags::empty()) {
        Ok(fd) => Ok(Some(Child::adopt(pid, fd))),
        Err(rustix::io::Errno::SRCH) if detach => {
            debug!("process {pid} already exited and was reaped by the subreaper");
            Ok(None)
        }
        Err(e) => Err(Error::sys(&format!("pidfd_open {pid}"), e)),
    }
}

/// The helper ended without reporting a child: its exit says why.
fn ended_early(helper: &mut Child) -> Error {
    let exit = helper.wait(false).ok().flatten();
    Error::msg(format!(
        "runlet-exec ended before reporting its child ({})",
        match exit {
            Some(Exit::Code(c)) => format!("exit status {c}"),
            Some(Exit::Signal(s)) => format!("killed by signal {s}"),
            None => "exit unknown".into(),
        }
    ))
}

/// Waits (with a deadline) for the helper, which exits right after `ExecPid`; its
/// child is then an orphan and, without -d, runlet's.
fn reap_helper(helper: &mut Child) -> Result<()> {
    let mut fds = [PollFd::new(&helper.pidfd, PollFlags::IN)];
    let exited = poll_until(&mut fds, Some(Instant::now() + HELPER_EXIT))
        .map_err(|e| Error::sys("poll runlet-exec pidfd", e))?;
    if !exited {
        return Err(Error::msg(format!(
            "runlet-exec {} did not exit after reporting its child",
            helper.pid
        )));
    }
    match helper.wait(false)? {
        Some(Exit::Code(0)) => Ok(()),
        other => Err(Error::msg(format!(
            "runlet-exec ended badly after reporting its child: {other:?}"
        ))),
    }
}
