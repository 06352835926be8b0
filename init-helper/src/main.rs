//! `runlet-init`: the child side of a new container. Started by `runlet` as pid 1 of
//! the container's namespaces with the sync socket on fd 3 and the exec FIFO on fd 4,
//! it reads one `Bootstrap` frame, sets the container up from the inside, says `Ready`,
//! waits for `start` and execs the container's process. No heap: the frame lives in a
//! static buffer and is read in place. docs/init.md gives the order and the reasons.
#![no_std]
#![no_main]
// No heap: a Failure (a 512-byte message) travels by value on the error path only.
#![allow(clippy::result_large_err)]

mod devices;
mod hooks;
mod mounts;
mod netlink;
mod resolve;
mod rootfs;
mod rootmove;

use helper_rt::fds::HelperFds;
use helper_rt::image::{self, Argv, Envp, EXEC_FAILED_EXIT, PROCESS_UMASK};
use helper_rt::{path, process};

use core::convert::Infallible;

use helper_rt::{fail, sys, Channel, Context, Failure, Msg};
use rustix::fd::{AsFd, BorrowedFd, RawFd};
use rustix::fs::Mode;
use rustix::io::{read, Errno};
use rustix::process::{
    set_dumpable_behavior, set_parent_process_death_signal, setsid, umask, DumpableBehavior,
};
use wire::{Bootstrap, FrameKind, HookWhen, Seccomp, WireError};

use crate::mounts::Placement;
use crate::resolve::{resolve, Create};

/// How long the parent may take to send the `Bootstrap` frame.
const BOOTSTRAP_TIMEOUT_MS: u64 = 60_000;

// The fd after the sync socket (`fds.second()`) is the exec FIFO: one byte written to
// it is `runlet start`.
helper_rt::helper_main!(start);

fn start(chan: Channel, fds: HelperFds) -> ! {
    let Err(end) = run(&chan, fds);
    // A failed startContainer hook or exec happens after `start`, which may be a
    // process of its own that learns of it from the exec FIFO rather than from the
    // sync socket.
    // SAFETY: the exec FIFO, open for the life of the process.
    let fifo = end
        .after_start
        .then(|| unsafe { BorrowedFd::borrow_raw(fds.second()) });
    chan.report_as(end.kind, &end.failure, fifo);
    sys::exit(end.code)
}

/// How the init ends when it does not exec: what to report, as which frame kind,
/// with which exit code, and whether `start` had been given.
struct End {
    failure: Failure,
    kind: FrameKind,
    code: i32,
    after_start: bool,
}

impl End {
    fn setup(failure: Failure) -> End {
        End {
            failure,
            kind: FrameKind::Error,
            code: 1,
            after_start: false,
        }
    }

    /// A failed hook: `HookFailed`, so the parent destroys the container and runs
    /// the poststop hooks.
    fn hook(after_start: bool) -> impl FnOnce(Failure) -> End {
        move |failure| End {
            failure,
            kind: FrameKind::HookFailed,
            code: 1,
            after_start,
        }
    }
}

impl From<Failure> for End {
    fn from(f: Failure) -> End {
        End::setup(f)
    }
}

/// The whole start; returns only with how it ended.
fn run(chan: &Channel, fds: HelperFds) -> Result<Infallible, End> {
    let (bs, exe, argv, envp, late_filter) = setup(chan, fds)?;
    wait_for_start(fds.second()).map_err(End::setup)?;
    hooks::run_all(&bs, HookWhen::StartContainer).map_err(End::hook(true))?;
    umask(Mode::from_raw_mode(PROCESS_UMASK));
    // With no_new_privs, the filter goes on last: as few syscalls after it as possible.
    if let Some(f) = late_filter {
        helper_rt::seccomp::install(&f).map_err(|f| End {
            failure: f,
            kind: FrameKind::Error,
            code: 1,
            after_start: true,
        })?;
    }
    // SAFETY: argv and envp are NULL-terminated arrays of pointers into the frame, which
    // lives (unchanged) for the rest of the process.
    let e = unsafe { sys::exec(exe.as_cstr(), argv.as_ptr(), envp.as_ptr()) };
    Err(End {
        failure: fail(&[b"exec ", exe.bytes()], Some(e)),
        kind: FrameKind::Error,
        code: EXEC_FAILED_EXIT,
        after_start: true,
    })
}

/// What `setup` hands on to the exec: the frame, the executable, argv, envp, and the
/// seccomp filter still to install (with no_new_privs it waits until just before
/// execve).
type Setup = (
    Bootstrap<'static>,
    path::PathBuf,
    &'static Argv,
    &'static Envp,
    Option<Seccomp<'static>>,
);

/// Steps 1–11 of docs/init.md: everything up to `Ready`.
fn setup(chan: &Channel, fds: HelperFds) -> Result<Setup, End> {
    set_dumpable_behavior(DumpableBehavior::NotDumpable).ctx(&[b"set PR_SET_DUMPABLE"])?;
    // A session of its own: no controlling terminal of the caller's, so the container
    // cannot push input into the host's shell (TIOCSTI). runc and crun do the same.
    setsid().ctx(&[b"setsid"])?;
    // The sync socket and exec FIFO must not reach the container, nor anything a
    // caller leaked; only the fds passed on on purpose (below them) do.
    sys::cloexec_from(fds.first_private()).ctx(&[b"mark fds close-on-exec"])?;
    // Device nodes and created directories get exactly the modes asked for.
    umask(Mode::empty());

    let buf = image::frame_buffer()?;
    let body: &'static [u8] = chan.expect(FrameKind::Bootstrap, buf, BOOTSTRAP_TIMEOUT_MS)?;
    let bs = Bootstrap::decode(body).map_err(bad_frame)?;
    // Closed, not only close-on-exec: mounts, hooks, the console and the cwd are
    // resolved before the exec, and a host directory fd on the way would lead out.
    fds.close_unowned(bs.process.terminal)
        .ctx(&[b"close inherited fds"])?;
    // A kernel without keys (ENOSYS) has no keyring to share either. Its SELinux
    // label first: it applies to keys made from then on.
    if bs.new_keyring {
        helper_rt::lsm::set_key_label(&bs.process)?;
        match sys::join_new_session_keyring() {
            Ok(()) | Err(Errno::NOSYS) => {}
            Err(e) => return Err(fail(&[b"join a new session keyring"], Some(e)).into()),
        }
    }
    let (argv, envp) = image::pointer_arrays(&bs.process)?;
    let p = &bs.process;

    let root = mounts::prepare_root(&bs)?;
    let mut placement = Placement::new();
    mounts::apply_all(root.as_fd(), &bs, chan, &mut placement)?;
    // After Resume: the parent has put the veth peers into our netns by then.
    netlink::setup(&bs)?;
    devices::create_all(root.as_fd(), &bs)?;
    // The host's /proc is still here: no need for the container to mount one.
    if let Some(v) = p.oom_score_adj {
        rootfs::write_file(c"/proc/self/oom_score_adj", v.to_bytes())
            .ctx(&[b"write oom_score_adj ", v.to_bytes()])?;
    }
    // Like runc, a missing cwd is created (as root, 0755) inside the rootfs.
    resolve(root.as_fd(), p.cwd, Create::Dir)?;
    // In the container's namespaces, with its mounts, before pivot_root.
    hooks::run_all(&bs, HookWhen::CreateContainer).map_err(End::hook(false))?;
    // After the createContainer hooks (crun's moment), through the host's /proc; the
    // startContainer hooks and the program run under them.
    helper_rt::lsm::set_exec_labels(p)?;
    rootfs::enter(root, &bs)?;
    // After the mounts and pivot_root, before the read-only and masked paths: the
    // container's own /dev/ptmx (runc's moment).
    if p.terminal {
        // SAFETY: with TERMINAL, runlet passes the console socket there.
        let socket = unsafe { BorrowedFd::borrow_raw(fds.console()) };
        helper_rt::console::setup(socket, p.console_size, true)?;
    }
    rootfs::finish(&bs)?;
    process::set_rlimits(p)?;
    if bs.rootfs_readonly {
        rootfs::make_root_readonly()?;
    }
    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: before the user
    // switch drops capabilities (runc's order). With it, just before execve.
    let mut late_filter = None;
    if let Some(f) = p.seccomp {
        if p.no_new_privs {
            late_filter = Some(f);
        } else {
            helper_rt::seccomp::install(&f)?;
        }
    }
    process::switch_user(p)?;
    // Resolved again inside the new root: no magic link, no way out (as runlet-exec).
    helper_rt::inroot::chdir_in_root(p.cwd)?;
    let exe = process::find_executable(p)?;

    // From here the container outlives `runlet create`. Cleared before `Ready`: once
    // the parent has `Ready` it may exit at once, and the signal must not be in
    // flight then. If the parent died before this, `Ready` fails (EPIPE) and so does
    // the init; if it dies after, its state.json (written before `Ready`) lets
    // `runlet delete` remove the container.
    set_parent_process_death_signal(None).ctx(&[b"clear PR_SET_PDEATHSIG"])?;
    chan.send_empty(FrameKind::Ready)?;
    Ok((bs, exe, argv, envp, late_filter))
}

/// Blocks until `runlet start` writes one byte to the exec FIFO. Unbounded by design.
fn wait_for_start(fifo: RawFd) -> Result<(), Failure> {
    // SAFETY: runlet hands the init the exec FIFO there, open for its life.
    let fifo = unsafe { BorrowedFd::borrow_raw(fifo) };
    let mut byte = [0u8; 1];
    loop {
        match read(fifo, &mut byte) {
            Ok(1) => return Ok(()),
            Ok(_) => return Err(fail(&[b"exec fifo closed before start"], None)),
            Err(Errno::INTR) => {}
            Err(e) => return Err(fail(&[b"read exec fifo"], Some(e))),
        }
    }
}

/// A frame the wire crate refused. The parent encodes with the same crate, so this is
/// a version mismatch or a bug; say which field.
fn bad_frame(e: WireError) -> Failure {
    let mut msg = Msg::new();
    msg.push(b"bad Bootstrap frame");
    let tag = e.tag();
    if let Some(t) = tag {
        msg.push(b": field ")
            .push(wire::tag::name(t).as_bytes())
            .push(b" (")
            .push_u64(t.into())
            .push(b")");
    }
    Failure { msg, errno: 0 }
}
