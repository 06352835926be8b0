//! createContainer and startContainer hooks, run by the init itself (docs/hooks.md):
//! fork, exec the hook with its args and env, feed it the state JSON the parent
//! rendered, pass its stdout and stderr on to the init's stderr (keeping the tail of
//! its stderr), and wait until its timeout, when it is killed. No heap: the pointer
//! arrays are statics, the tail a fixed buffer.

use core::ffi::{c_char, CStr};

use helper_rt::{fail, now_ms, sys, Context, Failure, Msg};
use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::Mode;
use rustix::io::Errno;
use rustix::net::{socketpair, AddressFamily, SendFlags, SocketFlags, SocketType};
use rustix::pipe::{pipe_with, PipeFlags};
use rustix::process::{
    kill_process, pidfd_open, umask, waitpid, Pid, PidfdFlags, Signal, WaitOptions,
};
use wire::limits::{MAX_HOOK_ARGS, MAX_HOOK_ENV};
use wire::{Bootstrap, Hook, HookWhen};

/// The umask a hook starts with (the init itself runs with 0 while it sets up).
const HOOK_UMASK: u32 = 0o022;
/// Exit code of the forked child when the hook cannot be exec'd.
const EXEC_FAILED: i32 = 127;
/// Bytes of a hook's stderr kept for the failure message.
const TAIL: usize = 240;

type Argv = heapless::Vec<*const c_char, { MAX_HOOK_ARGS + 2 }>;
type Envp = heapless::Vec<*const c_char, { MAX_HOOK_ENV + 1 }>;

/// One hook's argv and envp, pointing into the frame; refilled for each hook.
static mut ARGV: Argv = Argv::new();
static mut ENVP: Envp = Envp::new();

/// Runs every hook of `when`, in order; the first failure is returned.
pub fn run_all(bs: &Bootstrap<'static>, when: HookWhen) -> Result<(), Failure> {
    let state = match when {
        HookWhen::CreateContainer => bs.create_state,
        HookWhen::StartContainer => bs.start_state,
    };
    let mut report = Report {
        tail: [0; TAIL],
        len: 0,
    };
    for (i, h) in bs.hooks().filter(|h| h.when == when).enumerate() {
        report.len = 0;
        run_one(&h, state.map_or(&[][..], CStr::to_bytes), &mut report)
            .map_err(|end| end.failure(&h, i as u64, &report))?;
    }
    Ok(())
}

/// How a hook went wrong. (Large only on this error path, as `Failure` is.)
#[allow(clippy::large_enum_variant)]
enum End {
    Exec(Errno),
    Status(i32),
    Signal(i32),
    Timeout,
    /// A step of the init's own (pipe, fork, poll) failed.
    Init(Failure),
}

impl From<Failure> for End {
    fn from(f: Failure) -> Self {
        End::Init(f)
    }
}

/// What the parent prints: "<when> hook <i> (<path>) failed: <how>; stderr: <tail>".
struct Report {
    tail: [u8; TAIL],
    len: usize,
}

impl End {
    fn failure(self, h: &Hook<'_>, i: u64, report: &Report) -> Failure {
        let mut msg = Msg::new();
        msg.push(h.when.name().as_bytes())
            .push(b" hook ")
            .push_u64(i)
            .push(b" (")
            .push(h.path.to_bytes())
            .push(b") failed: ");
        let mut errno = 0;
        match self {
            End::Exec(e) => {
                msg.push(b"exec");
                errno = e.raw_os_error() as u32;
            }
            End::Status(c) => {
                msg.push(b"exit status ").push_u64(c as u64);
            }
            End::Signal(s) => {
                msg.push(b"killed by signal ").push_u64(s as u64);
            }
            End::Timeout => {
                msg.push(b"did not finish within its timeout of ")
                    .push_u64(h.timeout_s.into())
                    .push(b"s (killed)");
            }
            End::Init(f) => {
                msg.push(f.msg.as_bytes());
                errno = f.errno;
            }
        }
        report.quote(&mut msg);
        Failure { msg, errno }
    }
}

impl Report {
    fn keep(&mut self, bytes: &[u8]) {
        let b = &bytes[bytes.len().saturating_sub(TAIL)..];
        let drop = (self.len + b.len()).saturating_sub(TAIL);
        self.tail.copy_within(drop..self.len, 0);
        self.len -= drop;
        self.tail[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
    }

    /// "; stderr: line / line" with blank lines left out.
    fn quote(&self, msg: &mut Msg) {
        let mut sep: &[u8] = b"; stderr: ";
        for line in self.tail[..self.len].split(|&c| c == b'\n') {
            if !line.trim_ascii().is_empty() {
                msg.push(sep).push(line.trim_ascii());
                sep = b" / ";
            }
        }
    }
}

fn run_one(h: &Hook<'static>, state: &[u8], report: &mut Report) -> Result<(), End> {
    let (argv, envp) = fill_arrays(h);
    // stdin a socket: our writes can say MSG_NOSIGNAL (a hook that exits without
    // reading must not take the init down with SIGPIPE).
    let (stdin_ours, stdin_theirs) = socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .ctx(&[b"socketpair for a hook's stdin"])?;
    let (err_r, err_w) = pipe_with(PipeFlags::CLOEXEC).ctx(&[b"pipe for a hook's stderr"])?;
    // Tells an exec failure (its errno) from the hook's own exit status 127.
    let (exec_r, exec_w) = pipe_with(PipeFlags::CLOEXEC).ctx(&[b"pipe for a hook's exec"])?;
    let pid = sys::fork_process().ctx(&[b"fork for a hook"])?;
    if pid == 0 {
        child(h, (argv, envp), (&stdin_theirs, &err_w, &exec_w));
    }
    drop((stdin_theirs, err_w, exec_w));
    // SAFETY: fork returned a positive pid for the child.
    let pid = unsafe { Pid::from_raw_unchecked(pid) };
    let waited = supervise(pid, h, state, stdin_ours, &err_r, report);
    if let Err(End::Timeout | End::Init(_)) = &waited {
        let _ = kill_process(pid, Signal::KILL);
    }
    let status = loop {
        match waitpid(Some(pid), WaitOptions::empty()) {
            Err(Errno::INTR) => continue,
            r => break r.ctx(&[b"wait for a hook"])?,
        }
    };
    waited?;
    let mut errno = [0u8; 4];
    if let Ok(4) = rustix::io::read(&exec_r, &mut errno) {
        return Err(End::Exec(Errno::from_raw_os_error(i32::from_le_bytes(
            errno,
        ))));
    }
    match status.map(|(_, s)| (s.exit_status(), s.terminating_signal())) {
        Some((Some(0), _)) => Ok(()),
        Some((Some(c), _)) => Err(End::Status(c)),
        Some((_, Some(s))) => Err(End::Signal(s)),
        _ => Err(End::Status(255)),
    }
}

/// argv (args as given; just the path when there are none) and envp of `h`.
fn fill_arrays(h: &Hook<'static>) -> (&'static Argv, &'static Envp) {
    let (argv, envp): (*mut Argv, *mut Envp) = (&raw mut ARGV, &raw mut ENVP);
    // SAFETY: the only references made to ARGV and ENVP; single-threaded.
    let (argv, envp) = unsafe { (&mut *argv, &mut *envp) };
    argv.clear();
    envp.clear();
    // Decoding capped args at MAX_HOOK_ARGS and env at MAX_HOOK_ENV: every push fits.
    let mut args = h.args().peekable();
    if args.peek().is_none() {
        let _ = argv.push(h.path.as_ptr());
    }
    for a in args {
        let _ = argv.push(a.as_ptr());
    }
    let _ = argv.push(core::ptr::null());
    for e in h.env() {
        let _ = envp.push(e.as_ptr());
    }
    let _ = envp.push(core::ptr::null());
    (argv, envp)
}

/// The forked child: stdin from the socket, stdout to the init's stderr, stderr
/// into the pipe; exec. Never returns.
fn child(
    h: &Hook<'static>,
    (argv, envp): (&Argv, &Envp),
    (stdin, err_w, exec_w): (&OwnedFd, &OwnedFd, &OwnedFd),
) -> ! {
    // SAFETY: fd 2 is the init's stderr, open for its life.
    let stderr = unsafe { BorrowedFd::borrow_raw(2) };
    let ok = rustix::stdio::dup2_stdin(stdin).is_ok()
        && rustix::stdio::dup2_stdout(stderr).is_ok()
        && rustix::stdio::dup2_stderr(err_w).is_ok();
    if ok {
        umask(Mode::from_raw_mode(HOOK_UMASK));
        // SAFETY: argv and envp are NULL-terminated arrays of pointers into FRAME,
        // filled by `fill_arrays` before the fork.
        let e = unsafe { sys::exec(h.path, argv.as_ptr(), envp.as_ptr()) };
        let _ = rustix::io::write(exec_w, &e.raw_os_error().to_le_bytes());
    }
    sys::exit(EXEC_FAILED)
}

/// Feeds stdin, passes stderr on, and waits for the exit (pidfd) until the deadline.
fn supervise(
    pid: Pid,
    h: &Hook<'_>,
    mut state: &[u8],
    stdin: OwnedFd,
    err_r: &OwnedFd,
    report: &mut Report,
) -> Result<(), End> {
    let deadline = now_ms() + u64::from(h.timeout_s) * 1000;
    let pidfd = pidfd_open(pid, PidfdFlags::empty()).ctx(&[b"pidfd_open a hook"])?;
    rustix::io::ioctl_fionbio(err_r, true).ctx(&[b"set O_NONBLOCK"])?;
    let mut stdin = Some(stdin);
    let mut err_open = true;
    loop {
        if state.is_empty() {
            stdin = None;
        }
        let left = deadline.saturating_sub(now_ms());
        if left == 0 {
            return Err(End::Timeout);
        }
        let ts = Timespec {
            tv_sec: (left / 1000) as i64,
            tv_nsec: ((left % 1000) * 1_000_000) as i64,
        };
        let mut fds = [
            PollFd::new(&pidfd, PollFlags::IN),
            PollFd::new(
                err_r,
                if err_open {
                    PollFlags::IN
                } else {
                    PollFlags::empty()
                },
            ),
            match &stdin {
                Some(s) => PollFd::new(s, PollFlags::OUT),
                None => PollFd::new(&pidfd, PollFlags::empty()),
            },
        ];
        match poll(&mut fds, Some(&ts)) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => return Err(fail(&[b"poll a hook"], Some(e)).into()),
        }
        let exited = !fds[0].revents().is_empty();
        if err_open {
            err_open = pass_on(err_r.as_fd(), report);
        }
        if let Some(s) = &stdin {
            match rustix::net::send(s, state, SendFlags::NOSIGNAL | SendFlags::DONTWAIT) {
                Ok(n) => state = &state[n..],
                Err(Errno::AGAIN | Errno::INTR) => {}
                // The hook does not read its stdin: fine.
                Err(_) => state = &[],
            }
        }
        if exited {
            if err_open {
                pass_on(err_r.as_fd(), report);
            }
            return Ok(());
        }
    }
}

/// Copies what is in the pipe to the init's stderr and the tail. False at EOF.
fn pass_on(fd: BorrowedFd<'_>, report: &mut Report) -> bool {
    // SAFETY: fd 2 is the init's stderr, open for its life.
    let stderr = unsafe { BorrowedFd::borrow_raw(2) };
    let mut buf = [0u8; 1024];
    loop {
        match rustix::io::read(fd, &mut buf) {
            Ok(0) => return false,
            Ok(n) => {
                let _ = rustix::io::write(stderr, &buf[..n]);
                report.keep(&buf[..n]);
            }
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => return true,
            Err(_) => return false,
        }
    }
}
