//! `runlet-exec`: the child side of `runlet exec`. Started by `runlet` in the host's
//! namespaces with the sync socket on fd 3 and the container init's `/proc/<pid>`
//! directory on fd 4, it reads one `Process` frame, enters the container's v1
//! cgroups (it was born in the cgroup2 one), joins the init's namespaces and root,
//! forks (PID and time namespaces apply to children), reports the child's host pid
//! and exits. The child goes on once the helper is gone (and after runlet's `Resume`
//! when runlet still has to place it), applies the process settings and execs. No heap: the frame lives in a static buffer and is read in place.
//! docs/exec.md gives the order and the reasons.
#![no_std]
#![no_main]
// No heap: a Failure (a 512-byte message) travels by value on the error path only.
#![allow(clippy::result_large_err)]

mod join;

use core::convert::Infallible;
use core::ffi::CStr;

use helper_rt::fds::HelperFds;
use helper_rt::image::{self, Argv, Envp, EXEC_FAILED_EXIT, PROCESS_UMASK};
use helper_rt::process::{find_executable, set_rlimits, switch_user_orphan};
use helper_rt::{fail, sys, Channel, Context, Failure, Msg};
use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use rustix::fs::{open, Mode, OFlags};
use rustix::io::Errno;
use rustix::pipe::{pipe_with, PipeFlags};
use rustix::process::{kill_process, set_dumpable_behavior, umask, DumpableBehavior, Pid, Signal};
use wire::{ExecPid, ExecProcess, FrameKind, Seccomp, Sink, SliceSink, WireError};

/// How long runlet may take to send the `Process` frame, and then `Resume`.
const FRAME_TIMEOUT_MS: u64 = 60_000;

// fd 4 after the sync socket (`fds.second()`) is the init's /proc/<pid>.
helper_rt::helper_main!(start);

fn start(chan: Channel, fds: HelperFds) -> ! {
    let Err((f, code)) = run(&chan, fds);
    chan.report(&f);
    sys::exit(code)
}

/// The whole exec; returns only with a failure and the exit code that goes with it.
fn run(chan: &Channel, fds: HelperFds) -> Result<Infallible, (Failure, i32)> {
    let (x, argv, envp) = join(chan, fds).map_err(|f| (f, 1))?;
    // The child starts once the helper has exited (EOF on this pipe): after ExecPid,
    // so its own frames come behind it, and as an orphan.
    let (gate, gate_w) = pipe_with(PipeFlags::CLOEXEC)
        .ctx(&[b"pipe"])
        .map_err(|f| (f, 1))?;
    match sys::fork_process().ctx(&[b"fork"]).map_err(|f| (f, 1))? {
        0 => drop(gate_w),
        pid => {
            drop(gate);
            // The helper's part ends here: runlet reaps it, and the child, orphaned,
            // becomes runlet's (a child subreaper) or its caller's.
            if let Err(f) = report_pid(chan, pid) {
                // Nobody would learn of the child: it must not run.
                if let Some(child) = Pid::from_raw(pid) {
                    let _ = kill_process(child, Signal::KILL);
                }
                return Err((f, 1));
            }
            sys::exit(0)
        }
    }
    let (exe, late_filter) = prepare_child(chan, &gate, &x, fds).map_err(|f| (f, 1))?;
    umask(Mode::from_raw_mode(PROCESS_UMASK));
    // With no_new_privs, the filter goes on last, as in runlet-init.
    if let Some(f) = late_filter {
        helper_rt::seccomp::install(&f).map_err(|f| (f, 1))?;
    }
    // SAFETY: argv and envp are NULL-terminated arrays of pointers into the frame, which
    // lives (unchanged) for the rest of the process.
    let e = unsafe { sys::exec(exe.as_cstr(), argv.as_ptr(), envp.as_ptr()) };
    Err((fail(&[b"exec ", exe.bytes()], Some(e)), EXEC_FAILED_EXIT))
}

fn report_pid(chan: &Channel, pid: i32) -> Result<(), Failure> {
    let mut buf = [0u8; 16];
    let report = ExecPid { pid: pid as u32 };
    let n = report
        .encode(SliceSink::new(&mut buf))
        .map_err(|_| fail(&[b"encode ExecPid"], None))?
        .written();
    chan.send(&buf[..n])
}

/// Everything before the fork: the frame, the v1 cgroups, then the container's
/// namespaces and root.
fn join(
    chan: &Channel,
    fds: HelperFds,
) -> Result<(ExecProcess<'static>, &'static Argv, &'static Envp), Failure> {
    set_dumpable_behavior(DumpableBehavior::NotDumpable).ctx(&[b"set PR_SET_DUMPABLE"])?;
    // The helper's own fds must not reach the container, nor anything a caller
    // leaked; only the fds passed on on purpose (below them) do.
    sys::cloexec_from(fds.first_private()).ctx(&[b"mark fds close-on-exec"])?;

    let buf = image::frame_buffer()?;
    let body: &'static [u8] = chan.expect(FrameKind::Process, buf, FRAME_TIMEOUT_MS)?;
    let x = ExecProcess::decode(body).map_err(bad_frame)?;
    // Closed, not only close-on-exec: the child walks the cwd and the PATH inside the
    // container before its exec, and a directory fd of the host's on the way would
    // lead out (CVE-2024-21626).
    fds.close_unowned(x.process.terminal)
        .ctx(&[b"close inherited fds"])?;
    // The v1 cgroups first, while the host's paths are in reach: the child inherits
    // them, so nothing of the exec runs outside the container's limits.
    for tasks in x.cgroup_tasks() {
        write_file(tasks, b"0").ctx(&[b"enter cgroup: write 0 to ", tasks.to_bytes()])?;
    }
    let (argv, envp) = image::pointer_arrays(&x.process)?;
    // Through the host's /proc, before the mount namespace changes what /proc is.
    if let Some(v) = x.process.oom_score_adj {
        write_file(c"/proc/self/oom_score_adj", v.to_bytes())
            .ctx(&[b"write oom_score_adj ", v.to_bytes()])?;
    }
    // The forked child inherits them and its exec takes them on.
    helper_rt::lsm::set_exec_labels(&x.process)?;
    // SAFETY: runlet hands the exec helper the init's /proc/<pid> there; it is owned
    // (and closed) here, before the helper enters the container: the host's /proc
    // must not be reachable from inside through /proc/self/fd.
    let proc_dir = unsafe { OwnedFd::from_raw_fd(fds.second()) };
    let target = join::open(proc_dir.as_fd())?;
    drop(proc_dir);
    join::enter(&target)?;
    // The namespace and root fds go too: the child forks with none of the host's.
    drop(target);
    Ok((x, argv, envp))
}

/// The forked child, inside the PID namespace: waits for the helper to exit (and
/// for `Resume` when runlet still places it), then takes on the process's settings.
/// Returns the program to exec.
fn prepare_child<'a>(
    chan: &Channel,
    gate: &OwnedFd,
    x: &ExecProcess<'a>,
    fds: HelperFds,
) -> Result<(helper_rt::path::PathBuf, Option<Seccomp<'a>>), Failure> {
    wait_eof(gate, FRAME_TIMEOUT_MS)?;
    if x.wait_resume {
        // EOF (runlet gone) or the deadline ends the child instead.
        let mut resume = [0u8; 8];
        chan.expect(FrameKind::Resume, &mut resume, FRAME_TIMEOUT_MS)?;
    }
    let p = &x.process;
    if p.terminal {
        // A session of its own, so the pty can become its controlling terminal;
        // the container's /dev/ptmx (the child is in its root already).
        rustix::process::setsid().ctx(&[b"setsid"])?;
        // SAFETY: with TERMINAL, runlet passes the console socket there.
        let socket = unsafe { BorrowedFd::borrow_raw(fds.console()) };
        helper_rt::console::setup(socket, p.console_size, false)?;
    }
    set_rlimits(p)?;
    // Without no_new_privs, loading the filter needs CAP_SYS_ADMIN: before the user
    // switch (runc's order, as in runlet-init). With it, just before execve.
    let mut late_filter = None;
    if let Some(f) = p.seccomp {
        if p.no_new_privs {
            late_filter = Some(f);
        } else {
            helper_rt::seccomp::install(&f)?;
        }
    }
    switch_user_orphan(p)?;
    // Inside the container's root, as runlet-init resolves process.cwd.
    helper_rt::inroot::chdir_in_root(p.cwd)?;
    Ok((find_executable(p)?, late_filter))
}

/// Waits until every writer of `pipe` has closed it.
fn wait_eof(pipe: &OwnedFd, timeout_ms: u64) -> Result<(), Failure> {
    let ts = Timespec {
        tv_sec: (timeout_ms / 1000) as i64,
        tv_nsec: 0,
    };
    loop {
        let mut fds = [PollFd::new(pipe, PollFlags::IN)];
        match poll(&mut fds, Some(&ts)) {
            Ok(0) => return Err(fail(&[b"runlet-exec did not exit after fork"], None)),
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => return Err(fail(&[b"poll gate pipe"], Some(e))),
        }
        let mut b = [0u8; 1];
        match rustix::io::read(pipe, &mut b) {
            Ok(0) => return Ok(()),
            Ok(_) | Err(Errno::INTR) | Err(Errno::AGAIN) => {}
            Err(e) => return Err(fail(&[b"read gate pipe"], Some(e))),
        }
    }
}

fn write_file(path: &CStr, bytes: &[u8]) -> Result<(), rustix::io::Errno> {
    let fd = open(path, OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty())?;
    rustix::io::write(&fd, bytes)?;
    Ok(())
}

/// A frame the wire crate refused: a version mismatch or a bug; say which field (by
/// number: the table of names would cost runlet-exec a kilobyte; wire/src/tag.rs).
fn bad_frame(e: WireError) -> Failure {
    let mut msg = Msg::new();
    msg.push(b"bad Process frame");
    if let Some(t) = e.tag() {
        msg.push(b": field ").push_u64(t.into());
    }
    Failure { msg, errno: 0 }
}
