//! `runlet exec`: a new process in a running container, through `runlet-exec`
//! (runc's setnsProcess). docs/exec.md gives the order and the reasons:
//!
//! 1. find the container (locked) and refuse a stopped one; build the `Process`
//!    frame (every capacity checked before anything starts);
//! 2. open the init's /proc/<pid> and check its start time through that fd, so the
//!    helper joins exactly that process or nothing;
//! 3. spawn runlet-exec (sync socket on fd 3, /proc/<pid> on fd 4; born into the
//!    cgroup2 directory by CLONE_INTO_CGROUP), send `Process`;
//! 4. the helper enters the v1 cgroups itself, joins, forks, reports the child's
//!    host pid (`ExecPid`) and exits; the child goes on once the helper is gone.
//!    runlet holds the child by a pidfd and reaps the helper; only when the helper
//!    was not born in the cgroup2 directory does the child wait for runlet to place
//!    it there and say `Resume`;
//! 5. EOF means the program was exec'd; an `Error` frame that it was not.
//!
//! Without `-d`, runlet (a child subreaper, so the orphaned child is its own) waits
//! for the process, passing on the signals it gets, and exits with its status.

use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::fs::{open, Mode, OFlags};
use rustix::process::{pidfd_open, Pid, PidfdFlags};
use wire::{empty_frame, ExecPid, FrameKind};

use crate::cgroup::{CgroupManager, Layout};
use crate::cli::{ExecArgs, Global};
use crate::cmd::run::{reap_orphans, wait_forwarding, FORWARDED};
use crate::cmd::{exec_process, find};
use crate::debug;
use crate::error::{Error, Result};
use crate::os::sys;
use crate::process::channel::{helper_error, socket_pair, Channel, Incoming};
use crate::process::helpers::{self, Helper};
use crate::process::proc;
use crate::process::spawn::{spawn_helper, Exit, Init, InitSpawn};
use crate::state::{is_the_init, Saved, Status};
use crate::terminal::relay::{copy_winsize, relay, RawMode, SIGWINCH};
use crate::terminal::{self, recv_master};

/// How long the helper may take for each step (joining, the exec).
const STEP: Duration = Duration::from_secs(60);
/// How long the helper may take to exit once it reported its child.
const HELPER_EXIT: Duration = Duration::from_secs(10);

pub fn exec(g: &Global, a: &ExecArgs) -> Result<i32> {
    // First: before runlet opens an fd of its own (runc's exec passes no
    // socket-activation fds).
    let passed = crate::process::fds::collect(a.preserve_fds, false)?;
    let found = find(&g.root, &a.id)?;
    if found.live.status == Status::Stopped {
        return Err(stopped(&found.saved));
    }
    if found.live.status == Status::Paused && !a.ignore_paused {
        return Err(Error::msg(
            "cannot exec in a paused container (use --ignore-paused to override)",
        ));
    }
    let layout = Layout::detect()?;
    let dirs: Vec<PathBuf> = found.saved.cgroup_paths.iter().map(Into::into).collect();
    let cgroups = CgroupManager::reopen(&layout, &dirs, Vec::new());
    // The helper enters the v1 hierarchies itself (see EXEC_CGROUP_TASKS).
    let tasks: Vec<PathBuf> = cgroups
        .mounts(&layout)
        .into_iter()
        .filter(|m| m.fstype == "cgroup")
        .map(|m| m.host_path.join("tasks"))
        .collect();
    let mut process = exec_process::process(&found.saved.config, a)?;
    // runc: `-t` decides for a command line; with --process, the object's
    // `terminal` unless -t was given.
    match (&a.process, a.tty) {
        (_, Some(t)) => process.terminal = t,
        (None, None) => process.terminal = false,
        (Some(_), None) => {}
    }
    let console = terminal::prepare(process.terminal, a.console_socket.as_deref(), a.detach)?;
    // Encoded now so that a frame too large fails before anything starts.
    let filter = crate::seccomp::from_config_text(&found.saved.config)?;
    let mut frame = exec_process::frame(&process, filter.as_ref(), &tasks, false)?;
    let proc_dir = open_init(&found.saved)?;
    if !a.detach {
        // The exec'd process is orphaned when the helper exits: it comes to us.
        rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
            .map_err(|e| Error::sys("prctl PR_SET_CHILD_SUBREAPER", e))?;
    }
    // Blocked before the clone so none is lost; the child restores the old mask.
    let sigs = [&FORWARDED[..], &[SIGWINCH]].concat();
    let forwarded: &[i32] = if a.detach { &[] } else { &sigs };
    let sigmask = sys::block_signals(forwarded).map_err(|e| Error::sys("sigprocmask", e))?;
    let sigfd = match a.detach {
        true => None,
        false => Some(sys::signal_fd(&sigs).map_err(|e| Error::sys("signalfd", e))?),
    };

    let (ours, theirs) = socket_pair("sync")?;
    let v2_dir = cgroups.v2_dir_fd()?;
    let has_v2 = v2_dir.is_some();
    let mut helper = spawn_helper(
        InitSpawn {
            ns_flags: 0,
            join: Vec::new(),
            join_pid: None,
            cgroup: v2_dir,
            helper: helpers::memfd(Helper::Exec)?,
            sync: theirs,
            fifo: proc_dir,
            sigmask,
            extra: passed.fds,
            console: console.for_helper,
        },
        c"runlet-exec",
    )?;
    debug!("runlet-exec {} spawned", helper.pid);
    // The kernel refused CLONE_INTO_CGROUP: runlet places the child by pid, and the
    // child waits for `Resume` until it has.
    let wait_resume = has_v2 && !helper.in_v2_cgroup;
    if wait_resume {
        frame = exec_process::frame(&process, filter.as_ref(), &tasks, true)?;
    }
    let mut chan = Channel::new(ours, "runlet-exec");
    if let Err(e) = chan.send(&frame) {
        return Err(chan.last_word().unwrap_or(e));
    }
    let pid = match chan.recv(STEP)? {
        Incoming::Frame(FrameKind::ExecPid, body) => {
            ExecPid::decode(&body)
                .map_err(|e| Error::msg(format!("runlet-exec: {e}")))?
                .pid as i32
        }
        Incoming::Frame(FrameKind::Error, body) => return Err(helper_error(&body)),
        Incoming::Frame(k, _) => return Err(chan.unexpected("ExecPid", k)),
        Incoming::Eof => return Err(ended_early(&mut helper)),
    };
    // Held by a pidfd at once. Without -d it is ours (or the helper's) until we reap
    // it; with -d it could in principle have exec'd, exited and been reaped by the
    // subreaper above us already, but its pid is not handed out again that soon
    // (sequential pid allocation). Killed on drop until it has exec'd.
    let pidfd = Pid::from_raw(pid)
        .ok_or_else(|| Error::msg(format!("runlet-exec reported pid {pid}")))
        .and_then(|p| {
            pidfd_open(p, PidfdFlags::empty())
                .map_err(|e| Error::sys(&format!("pidfd_open {pid}"), e))
        })?;
    let mut child = Init::adopt(pid, pidfd);
    debug!("process {pid} forked inside the container");
    if wait_resume {
        cgroups.place_v2(pid)?;
        debug!("process {pid} placed in the container's cgroup2 directory");
        if let Err(e) = chan.send(&empty_frame(FrameKind::Resume)) {
            return Err(chan.last_word().unwrap_or(e));
        }
    }
    // The child goes on as soon as the helper is gone; reaping it makes the child
    // ours (without -d) for the wait below.
    reap_helper(&mut helper)?;
    // With a terminal relayed by runlet: the child sends the master before it execs.
    let master = match &console.relay {
        Some(sock) => match recv_master(sock, STEP) {
            Ok(m) => Some(m),
            // The child failed first: its report says why.
            Err(e) => match chan.recv(STEP) {
                Ok(Incoming::Frame(FrameKind::Error, body)) => return Err(helper_error(&body)),
                _ => return Err(e),
            },
        },
        None => None,
    };
    match chan.recv(STEP)? {
        Incoming::Eof => {}
        Incoming::Frame(FrameKind::Error, body) => return Err(helper_error(&body)),
        Incoming::Frame(k, _) => return Err(chan.unexpected("EOF (exec)", k)),
    }
    debug!("process {pid} exec'd");
    // The container may be deleted or exec'd into again while this one runs.
    drop(found);
    if let Some(p) = &a.pid_file {
        write_pid_file(p, pid)?;
    }
    let Some(sigfd) = sigfd else {
        // Left to the nearest subreaper above runlet (the shim's way).
        child.release();
        return Ok(0);
    };
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

/// The helper ended without reporting a child: its exit says why.
fn ended_early(helper: &mut Init) -> Error {
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
fn reap_helper(helper: &mut Init) -> Result<()> {
    let deadline = Instant::now() + HELPER_EXIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::msg(format!(
                "runlet-exec {} did not exit after reporting its child",
                helper.pid
            )));
        }
        let t = Timespec {
            tv_sec: left.as_secs() as i64,
            tv_nsec: left.subsec_nanos() as i64,
        };
        let mut fds = [PollFd::new(&helper.pidfd, PollFlags::IN)];
        match poll(&mut fds, Some(&t)) {
            Ok(n) if n > 0 => break,
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(Error::sys("poll runlet-exec pidfd", e)),
        }
    }
    match helper.wait(false)? {
        Some(Exit::Code(0)) => Ok(()),
        other => Err(Error::msg(format!(
            "runlet-exec ended badly after reporting its child: {other:?}"
        ))),
    }
}

fn write_pid_file(p: &std::path::Path, pid: i32) -> Result<()> {
    let tmp = p.with_extension("runlet-tmp");
    std::fs::write(&tmp, pid.to_string())
        .and_then(|_| std::fs::rename(&tmp, p))
        .map_err(|e| Error::io("write pid file", p, e))
}
