//! `probe`: a tiny static program put into test rootfs; it reports what a
//! container sees, or behaves in a way a test wants to observe.
//!
//! Modes (argv[1], default `report`):
//!
//! - `report [--read P] [--write P] [--exec P] [--stat P] [--cat P] [--ls P]`
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
//!
//! std only; syscalls std lacks are declared from musl below.

use std::ffi::{c_char, c_int, c_long, c_ulong};
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::process::Command;

#[repr(C)]
struct Rlimit {
    cur: u64,
    max: u64,
}

#[repr(C)]
struct SigSet {
    bits: [c_ulong; 16],
}

extern "C" {
    fn getuid() -> u32;
    fn geteuid() -> u32;
    fn getgid() -> u32;
    fn getegid() -> u32;
    fn getgroups(size: c_int, list: *mut u32) -> c_int;
    fn gethostname(name: *mut c_char, len: usize) -> c_int;
    fn getrlimit(resource: c_int, rlim: *mut Rlimit) -> c_int;
    fn getsid(pid: c_int) -> c_int;
    fn getpgrp() -> c_int;
    fn umask(mask: u32) -> u32;
    fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
    fn prctl(option: c_int, ...) -> c_int;
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

const F_GETFD: c_int = 1;
const PR_GET_NO_NEW_PRIVS: c_int = 39;
const PR_GET_DUMPABLE: c_int = 3;
const SIG_BLOCK: c_int = 0;

const RLIMITS: [&str; 16] = [
    "CPU",
    "FSIZE",
    "DATA",
    "STACK",
    "CORE",
    "RSS",
    "NPROC",
    "NOFILE",
    "MEMLOCK",
    "AS",
    "LOCKS",
    "SIGPENDING",
    "MSGQUEUE",
    "NICE",
    "RTPRIO",
    "RTTIME",
];

const NAMESPACES: [&str; 8] = ["pid", "net", "ipc", "uts", "mnt", "cgroup", "user", "time"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map(String::as_str).unwrap_or("report");
    let rest = if args.is_empty() {
        &args[..]
    } else {
        &args[1..]
    };
    let code = match mode {
        "report" => report(rest),
        "exit" => rest.first().and_then(|s| s.parse().ok()).unwrap_or(0),
        "noop" => 0,
        "sleep" => {
            let secs: f64 = rest.first().and_then(|s| s.parse().ok()).unwrap_or(1.0);
            std::thread::sleep(std::time::Duration::from_secs_f64(secs));
            0
        }
        "wait-signal" => wait_signal(),
        "kill-self" => kill_self(rest),
        "crash" => crash(),
        "spawn-orphan" => spawn_orphan(rest),
        "say-stderr" => {
            eprintln!("{}", rest.join(" "));
            0
        }
        _ => {
            eprintln!("probe: unknown mode {mode:?}");
            2
        }
    };
    let _ = io::stdout().flush();
    std::process::exit(code);
}

/// Escape a value so one fact stays on one line.
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

fn errname(e: &io::Error) -> String {
    let n = match e.raw_os_error() {
        Some(n) => n,
        None => return format!("EOTHER({})", esc(&e.to_string())),
    };
    let name = match n {
        1 => "EPERM",
        2 => "ENOENT",
        5 => "EIO",
        6 => "ENXIO",
        8 => "ENOEXEC",
        9 => "EBADF",
        12 => "ENOMEM",
        13 => "EACCES",
        16 => "EBUSY",
        17 => "EEXIST",
        19 => "ENODEV",
        20 => "ENOTDIR",
        21 => "EISDIR",
        22 => "EINVAL",
        26 => "ETXTBSY",
        28 => "ENOSPC",
        30 => "EROFS",
        40 => "ELOOP",
        95 => "EOPNOTSUPP",
        _ => return format!("E{n}"),
    };
    name.to_string()
}

fn report(opts: &[String]) -> i32 {
    let out = io::stdout();
    let mut o = out.lock();
    // Facts first. A fact that cannot be read prints `error=<what> <errno>`.
    let _ = writeln!(o, "pid={}", std::process::id());
    let _ = writeln!(o, "ppid={}", std::os::unix::process::parent_id());
    // SAFETY: plain getters without arguments.
    let (uid, euid, gid, egid) = unsafe { (getuid(), geteuid(), getgid(), getegid()) };
    let _ = writeln!(o, "uid={uid}\neuid={euid}\ngid={gid}\negid={egid}");
    let mut groups = [0u32; 256];
    // SAFETY: the buffer holds 256 entries.
    let n = unsafe { getgroups(256, groups.as_mut_ptr()) };
    if n < 0 {
        let _ = writeln!(
            o,
            "error=getgroups {}",
            errname(&io::Error::last_os_error())
        );
    }
    let list: Vec<String> = groups[..n.max(0) as usize]
        .iter()
        .map(u32::to_string)
        .collect();
    // One line with the whole list (possibly empty), so "no groups" is a fact too.
    let _ = writeln!(o, "groups={}", list.join(","));
    let mut host = [0u8; 256];
    // SAFETY: the buffer is 256 bytes and we pass its length minus the NUL.
    if unsafe { gethostname(host.as_mut_ptr().cast(), 255) } == 0 {
        let end = host.iter().position(|&b| b == 0).unwrap_or(host.len());
        let _ = writeln!(
            o,
            "hostname={}",
            esc(&String::from_utf8_lossy(&host[..end]))
        );
    }
    match std::env::current_dir() {
        Ok(d) => {
            let _ = writeln!(o, "cwd={}", esc(&d.to_string_lossy()));
        }
        Err(e) => {
            let _ = writeln!(o, "error=cwd {}", errname(&e));
        }
    }
    for (k, v) in std::env::vars_os() {
        let _ = writeln!(
            o,
            "env={}={}",
            esc(&k.to_string_lossy()),
            esc(&v.to_string_lossy())
        );
    }
    // SAFETY: umask only swaps a process attribute; we restore it at once.
    let mask = unsafe {
        let m = umask(0o022);
        umask(m);
        m
    };
    let _ = writeln!(o, "umask={mask:04o}");
    // SAFETY: plain getters.
    let (sid, pgid) = unsafe { (getsid(0), getpgrp()) };
    let _ = writeln!(o, "sid={sid}\npgid={pgid}");
    // SAFETY: PR_GET_NO_NEW_PRIVS and PR_GET_DUMPABLE take no further argument.
    let (nnp, dumpable) = unsafe {
        (
            prctl(
                PR_GET_NO_NEW_PRIVS,
                0 as c_long,
                0 as c_long,
                0 as c_long,
                0 as c_long,
            ),
            prctl(
                PR_GET_DUMPABLE,
                0 as c_long,
                0 as c_long,
                0 as c_long,
                0 as c_long,
            ),
        )
    };
    let _ = writeln!(o, "no_new_privs={nnp}\ndumpable={dumpable}");
    match fs::read_to_string("/proc/self/status") {
        Ok(s) => {
            for line in s.lines() {
                if let Some((k, v)) = line.split_once(':') {
                    if k.starts_with("Cap") || k == "NoNewPrivs" || k == "Seccomp" {
                        let _ = writeln!(o, "{k}={}", v.trim());
                    }
                }
            }
        }
        Err(e) => {
            let _ = writeln!(o, "error=/proc/self/status {}", errname(&e));
        }
    }
    for (i, name) in RLIMITS.iter().enumerate() {
        let mut r = Rlimit { cur: 0, max: 0 };
        // SAFETY: r is a valid struct rlimit.
        if unsafe { getrlimit(i as c_int, &mut r) } == 0 {
            let f = |v: u64| {
                if v == u64::MAX {
                    "unlimited".to_string()
                } else {
                    v.to_string()
                }
            };
            let _ = writeln!(o, "rlimit={name} {} {}", f(r.cur), f(r.max));
        }
    }
    match fs::read_to_string("/proc/self/oom_score_adj") {
        Ok(s) => {
            let _ = writeln!(o, "oom_score_adj={}", s.trim());
        }
        Err(e) => {
            let _ = writeln!(o, "error=/proc/self/oom_score_adj {}", errname(&e));
        }
    }
    for ns in NAMESPACES {
        if let Ok(l) = fs::read_link(format!("/proc/self/ns/{ns}")) {
            let _ = writeln!(o, "ns={ns} {}", l.to_string_lossy());
        }
    }
    report_fds(&mut o);
    match fs::read_to_string("/proc/self/mountinfo") {
        Ok(s) => {
            for line in s.lines() {
                if let Some(m) = mount_fact(line) {
                    let _ = writeln!(o, "mount={m}");
                }
            }
        }
        Err(e) => {
            let _ = writeln!(o, "error=/proc/self/mountinfo {}", errname(&e));
        }
    }
    match fs::read_to_string("/proc/self/cgroup") {
        Ok(s) => {
            for line in s.lines() {
                let _ = writeln!(o, "cgroup={}", esc(line));
            }
        }
        Err(e) => {
            let _ = writeln!(o, "error=/proc/self/cgroup {}", errname(&e));
        }
    }
    report_netifs(&mut o);
    // Questions, answered in the order asked.
    let mut i = 0;
    while i < opts.len() {
        let (opt, path) = (opts[i].as_str(), opts.get(i + 1).map(String::as_str));
        i += 2;
        let Some(p) = path else {
            let _ = writeln!(o, "error=option {opt} needs a path");
            return 2;
        };
        let line = match opt {
            "--read" => format!("read={p} {}", ask_read(p)),
            "--write" => format!("write={p} {}", ask_write(p)),
            "--exec" => format!("exec={p} {}", ask_exec(p)),
            "--stat" => format!("stat={p} {}", ask_stat(p)),
            "--cat" => format!("cat={p} {}", ask_cat(p)),
            "--ls" => format!("ls={p} {}", ask_ls(p)),
            _ => {
                let _ = writeln!(o, "error=unknown option {opt}");
                return 2;
            }
        };
        let _ = writeln!(o, "{line}");
    }
    let _ = writeln!(o, "end=ok");
    0
}

/// `fd=N <target>` for each open fd, not counting the one used to list them.
fn report_fds(o: &mut impl Write) {
    let mut seen = Vec::new();
    match fs::read_dir("/proc/self/fd") {
        Ok(rd) => {
            for e in rd.flatten() {
                if let Ok(n) = e.file_name().to_string_lossy().parse::<c_int>() {
                    let target = fs::read_link(e.path()).map(|p| p.to_string_lossy().into_owned());
                    seen.push((n, target.unwrap_or_else(|e| errname(&e))));
                }
            }
        }
        Err(e) => {
            let _ = writeln!(o, "error=/proc/self/fd {}", errname(&e));
            return;
        }
    }
    // The directory's own fd is closed now; whatever still answers F_GETFD is real.
    seen.sort();
    for (n, target) in seen {
        // SAFETY: F_GETFD only queries the descriptor.
        if unsafe { fcntl(n, F_GETFD) } >= 0 {
            let _ = writeln!(o, "fd={n} {}", esc(&target));
        }
    }
}

/// `<mountpoint> <fstype> <mount options> <super options> <propagation or ->`
fn mount_fact(line: &str) -> Option<String> {
    let (left, right) = line.split_once(" - ")?;
    let l: Vec<&str> = left.split(' ').collect();
    let r: Vec<&str> = right.split(' ').collect();
    if l.len() < 6 || r.len() < 3 {
        return None;
    }
    let prop = if l.len() > 6 {
        l[6..].join(",")
    } else {
        "-".to_string()
    };
    Some(format!("{} {} {} {} {}", l[4], r[0], l[5], r[2], prop))
}

fn report_netifs(o: &mut impl Write) {
    let mut names = Vec::new();
    if let Ok(rd) = fs::read_dir("/sys/class/net") {
        for e in rd.flatten() {
            names.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    if names.is_empty() {
        if let Ok(s) = fs::read_to_string("/proc/net/dev") {
            for line in s.lines().skip(2) {
                if let Some((n, _)) = line.split_once(':') {
                    names.push(n.trim().to_string());
                }
            }
        }
    }
    names.sort();
    for n in names {
        let flags = fs::read_to_string(format!("/sys/class/net/{n}/flags"))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "?".to_string());
        let _ = writeln!(o, "netif={n} {flags}");
    }
}

/// `ok <bytes>` (at most 64 KiB read), `dir <entries>` or `err <ERRNO>`.
fn ask_read(p: &str) -> String {
    match fs::metadata(p) {
        Ok(m) if m.is_dir() => {
            return match fs::read_dir(p) {
                Ok(rd) => format!("dir {}", rd.count()),
                Err(e) => format!("err {}", errname(&e)),
            }
        }
        _ => {}
    }
    let mut f = match fs::File::open(p) {
        Ok(f) => f,
        Err(e) => return format!("err {}", errname(&e)),
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0;
    while total < buf.len() {
        match f.read(&mut buf[total..]) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) => return format!("err {}", errname(&e)),
        }
    }
    format!("ok {total}")
}

/// Open for writing (creating it if missing, never truncating): `ok` or `err <ERRNO>`.
fn ask_write(p: &str) -> String {
    match fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(p)
    {
        Ok(_) => "ok".to_string(),
        Err(e) => format!("err {}", errname(&e)),
    }
}

/// Run `P noop` (P is expected to be a probe): `ok <status>` or `err <ERRNO>`.
fn ask_exec(p: &str) -> String {
    match Command::new(p).arg("noop").status() {
        Ok(s) => format!("ok {}", s.code().unwrap_or(-1)),
        Err(e) => format!("err {}", errname(&e)),
    }
}

/// `<type> <mode octal> <uid> <gid> <major:minor>` and `-> target` for links.
fn ask_stat(p: &str) -> String {
    let m = match fs::symlink_metadata(p) {
        Ok(m) => m,
        Err(e) => return format!("err {}", errname(&e)),
    };
    let ft = m.file_type();
    let kind = if ft.is_symlink() {
        let t = fs::read_link(p)
            .map(|t| t.to_string_lossy().into_owned())
            .unwrap_or_default();
        return format!("link {}", esc(&t));
    } else if ft.is_dir() {
        "dir"
    } else if ft.is_char_device() {
        "char"
    } else if ft.is_block_device() {
        "block"
    } else if ft.is_fifo() {
        "fifo"
    } else if ft.is_socket() {
        "socket"
    } else {
        "file"
    };
    let rdev = m.rdev();
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & 0xffff_f000);
    let minor = (rdev & 0xff) | ((rdev >> 12) & 0xffff_ff00);
    format!(
        "{kind} {:04o} {} {} {major}:{minor}",
        m.mode() & 0o7777,
        m.uid(),
        m.gid()
    )
}

/// `ok <content>` (escaped, at most 4 KiB) or `err <ERRNO>`.
fn ask_cat(p: &str) -> String {
    let mut f = match fs::File::open(p) {
        Ok(f) => f,
        Err(e) => return format!("err {}", errname(&e)),
    };
    let mut buf = Vec::new();
    match Read::by_ref(&mut f).take(4096).read_to_end(&mut buf) {
        Ok(_) => format!("ok {}", esc(String::from_utf8_lossy(&buf).trim_end())),
        Err(e) => format!("err {}", errname(&e)),
    }
}

/// `ok <name>,<name>...` sorted, or `err <ERRNO>`.
fn ask_ls(p: &str) -> String {
    match fs::read_dir(p) {
        Ok(rd) => {
            let mut v: Vec<String> = rd
                .flatten()
                .map(|e| String::from_utf8_lossy(e.file_name().as_bytes()).into_owned())
                .collect();
            v.sort();
            format!("ok {}", v.join(","))
        }
        Err(e) => format!("err {}", errname(&e)),
    }
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
    let sig: c_int = rest.first().and_then(|s| s.parse().ok()).unwrap_or(9);
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

fn spawn_orphan(rest: &[String]) -> i32 {
    let secs: u64 = rest.first().and_then(|s| s.parse().ok()).unwrap_or(300);
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
