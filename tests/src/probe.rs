//! `probe`: a tiny static program put into test rootfs; it reports what a
//! container sees, or behaves in a way a test wants to observe.
//!
//! Modes (`argv[1]`, default `report`):
//!
//! - `report [--read P] [--write P] [--overwrite P] [--exec P] [--stat P] [--cat P] [--ls P]`
//!   prints one `key=value` fact per line (repeated keys for lists), then the
//!   answers to the questions given as options, in order. See docs/testing.md.
//! - `exit N`: exit with status N at once.
//! - `noop`: exit 0 at once (the benchmark's process).
//! - `sleep SECS`: sleep, then exit 0.
//! - `wait-signal`: block SIGHUP/SIGINT/SIGQUIT/SIGTERM/SIGUSR1/SIGUSR2, print
//!   `ready`, wait for one of them, print `signal=N`, exit 0. (Blocking rather than
//!   a handler also works as PID 1 of a PID namespace.)
//! - `kill-self SIG`: send SIG to itself; if still alive a second later (PID 1 of
//!   a PID namespace ignores signals it sent itself), say so on stderr, exit 99.
//! - `crash`: die of a real SIGSEGV (forced by the kernel, so it kills PID 1 too).
//! - `spawn-orphan [SECS]`: fork a child that leaves the session, closes its
//!   stdio and sleeps SECS (default 300); print `orphan=PID` and exit 0 at once.
//! - `say-stderr TEXT`: print TEXT on stderr, exit 0.
//! - `family N`: fork N children that sleep; print `children=PID,...` and `ready`,
//!   then sleep (300 s) itself. For `kill --all`, which must reach all of them.
//!
//! - `fork-n N`, `alloc MIB`, `mknod-open PATH b|c MAJ MIN`: see `probe/cgroups.rs`.
//! - `net`, `listen PORT [COUNT]`, `connect ADDR PORT TEXT`: see `probe/net.rs`.
//! - `hook NAME FILE ...`, `hook-fail CODE TEXT`: act as an OCI hook (`probe/hook.rs`).
//! - `mkdir PATH`, `personality N`, `getppid-loop N`: one raw syscall each, for the
//!   seccomp tests and benchmark (probe/seccomp.rs).
//!
//! - `root-escape NAME`: try the chroot escape (probe/rootescape.rs).
//! - `tty-shell`, `tick`, `read-fds N`: terminals, pause, passed fds (probe/tty.rs).
//! - run as `runlet-init` or `runlet-exec` (argv[0]): a helper cut short in the
//!   middle of a frame (probe/fakehelper.rs).
//!
//! `report`'s facts are printed by `probe/report.rs`, the answers to its questions
//! by `probe/questions.rs`; the other modes are here.
//!
//! std only; syscalls std lacks are declared from musl where they are used.

#[path = "probe/cgroups.rs"]
mod cgroups;
#[path = "probe/fakehelper.rs"]
mod fakehelper;
#[path = "probe/floor.rs"]
mod floor;
#[path = "probe/hook.rs"]
mod hook;
#[path = "probe/net.rs"]
mod net;
#[path = "probe/questions.rs"]
mod questions;
#[path = "probe/report.rs"]
mod report;
#[path = "probe/rootescape.rs"]
mod rootescape;
#[path = "probe/seccomp.rs"]
mod seccomp;
#[path = "probe/tty.rs"]
mod tty;

use std::ffi::{c_int, c_ulong};
use std::io::{self, Write};
use std::str::FromStr;

#[repr(C)]
struct SigSet {
    bits: [c_ulong; 16],
}

extern "C" {
    fn kill(pid: c_int, sig: c_int) -> c_int;
    fn fork() -> c_int;
    fn setsid() -> c_int;
    fn close(fd: c_int) -> c_int;
    fn _exit(status: c_int) -> !;
    fn sigemptyset(set: *mut SigSet) -> c_int;
    fn sigaddset(set: *mut SigSet, sig: c_int) -> c_int;
    fn sigprocmask(how: c_int, set: *const SigSet, old: *mut SigSet) -> c_int;
    fn sigwait(set: *const SigSet, sig: *mut c_int) -> c_int;
}

const SIG_BLOCK: c_int = 0;

fn main() {
    let argv0 = std::env::args().next().unwrap_or_default();
    if fakehelper::is_helper_name(&argv0) {
        std::process::exit(fakehelper::run(&argv0));
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map(String::as_str).unwrap_or("report");
    let rest = if args.is_empty() {
        &args[..]
    } else {
        &args[1..]
    };
    let code = match mode {
        "report" => report::report(rest),
        "exit" => first_arg(rest, 0),
        "noop" => 0,
        "sleep" => {
            let secs: f64 = first_arg(rest, 1.0);
            std::thread::sleep(std::time::Duration::from_secs_f64(secs));
            0
        }
        "wait-signal" => wait_signal(),
        "kill-self" => kill_self(rest),
        "crash" => crash(),
        "spawn-orphan" => spawn_orphan(rest),
        "family" => family(rest),
        "net" => net::net(&mut io::stdout().lock()),
        "listen" => net::listen(rest),
        "connect" => net::connect(rest),
        "hook" => hook::hook(rest),
        "hook-fail" => hook::hook_fail(rest),
        "root-escape" => rootescape::root_escape(rest),
        "unshare-run" => floor::unshare_run(rest),
        "say-stderr" => {
            eprintln!("{}", rest.join(" "));
            0
        }
        m => cgroups::main(m, rest)
            .or_else(|| seccomp::run(m, rest))
            .or_else(|| tty::run(m, rest))
            .unwrap_or_else(|| {
                eprintln!("probe: unknown mode {mode:?}");
                2
            }),
    };
    let _ = io::stdout().flush();
    std::process::exit(code);
}

/// The mode's first argument, or `default` when it is missing or does not parse.
fn first_arg<T: FromStr>(rest: &[String], default: T) -> T {
    rest.first().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn wait_signal() -> i32 {
    let mut set = SigSet { bits: [0; 16] };
    // SAFETY: set is a valid sigset_t (musl's is 128 bytes); single-threaded.
    unsafe {
        sigemptyset(&mut set);
        for s in [1, 2, 3, 15, 10, 12] {
            sigaddset(&mut set, s);
        }
        if sigprocmask(SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            eprintln!("probe: sigprocmask: {}", io::Error::last_os_error());
            return 1;
        }
    }
    println!("ready");
    let _ = io::stdout().flush();
    let mut sig: c_int = 0;
    // SAFETY: set and sig are valid.
    let r = unsafe { sigwait(&set, &mut sig) };
    if r != 0 {
        eprintln!("probe: sigwait: {}", io::Error::from_raw_os_error(r));
        return 1;
    }
    println!("signal={sig}");
    0
}

fn kill_self(rest: &[String]) -> i32 {
    let sig: c_int = first_arg(rest, 9);
    let _ = io::stdout().flush();
    // SAFETY: kill has no memory effects.
    unsafe { kill(std::process::id() as c_int, sig) };
    std::thread::sleep(std::time::Duration::from_secs(1));
    eprintln!(
        "probe: still alive 1 s after signal {sig} to myself (pid {})",
        std::process::id()
    );
    99
}

fn crash() -> i32 {
    let _ = io::stdout().flush();
    // A real fault: the kernel forces SIGSEGV even on the PID 1 of a namespace.
    // SAFETY: not safe at all; that is the point. Volatile so it is not optimized out.
    unsafe { std::ptr::write_volatile(std::ptr::null_mut::<u8>().wrapping_add(8), 1) };
    98
}

fn family(rest: &[String]) -> i32 {
    let n: usize = first_arg(rest, 2);
    let mut pids = Vec::new();
    for _ in 0..n {
        let _ = io::stdout().flush();
        // SAFETY: the process is single-threaded; the child only sleeps.
        let pid = unsafe { fork() };
        if pid < 0 {
            eprintln!("probe: fork: {}", io::Error::last_os_error());
            return 1;
        }
        if pid == 0 {
            std::thread::sleep(std::time::Duration::from_secs(300));
            // SAFETY: leaving without running the parent's atexit handlers.
            unsafe { _exit(0) };
        }
        pids.push(pid.to_string());
    }
    println!("children={}", pids.join(","));
    println!("ready");
    let _ = io::stdout().flush();
    std::thread::sleep(std::time::Duration::from_secs(300));
    0
}

fn spawn_orphan(rest: &[String]) -> i32 {
    let secs: u64 = first_arg(rest, 300);
    let _ = io::stdout().flush();
    // SAFETY: the process is single-threaded; the child only sleeps and _exits.
    let pid = unsafe { fork() };
    if pid < 0 {
        eprintln!("probe: fork: {}", io::Error::last_os_error());
        return 1;
    }
    if pid == 0 {
        // SAFETY: plain syscalls in the child.
        unsafe {
            setsid();
            close(0);
            close(1);
            close(2);
        }
        std::thread::sleep(std::time::Duration::from_secs(secs));
        // SAFETY: leaving without running the parent's atexit handlers.
        unsafe { _exit(0) };
    }
    println!("orphan={pid}");
    0
}
