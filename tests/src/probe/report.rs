//! `probe report`: the facts, one `key=value` per line (repeated keys for lists),
//! then the answers to the questions given as options (see `questions.rs`), then
//! `end=ok`. A fact that cannot be read prints `error=<what> <ERRNO>`.

use crate::questions;
use std::ffi::{c_char, c_int, c_long};
use std::fs;
use std::io::{self, Write};

#[repr(C)]
struct Rlimit {
    cur: u64,
    max: u64,
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
}

const F_GETFD: c_int = 1;
const PR_GET_NO_NEW_PRIVS: c_int = 39;
const PR_GET_DUMPABLE: c_int = 3;

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

/// Escape a value so one fact stays on one line.
pub fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

pub fn errname(e: &io::Error) -> String {
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
        11 => "EAGAIN",
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

pub fn report(opts: &[String]) -> i32 {
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
    let (nnp, dumpable) = (prctl_get(PR_GET_NO_NEW_PRIVS), prctl_get(PR_GET_DUMPABLE));
    let _ = writeln!(o, "no_new_privs={nnp}\ndumpable={dumpable}");
    if let Some(s) = read_fact_file(&mut o, "/proc/self/status") {
        for line in s.lines() {
            if let Some((k, v)) = line.split_once(':') {
                if k.starts_with("Cap") || k == "NoNewPrivs" || k == "Seccomp" {
                    let _ = writeln!(o, "{k}={}", v.trim());
                }
            }
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
    if let Some(s) = read_fact_file(&mut o, "/proc/self/oom_score_adj") {
        let _ = writeln!(o, "oom_score_adj={}", s.trim());
    }
    for ns in NAMESPACES {
        if let Ok(l) = fs::read_link(format!("/proc/self/ns/{ns}")) {
            let _ = writeln!(o, "ns={ns} {}", l.to_string_lossy());
        }
    }
    report_fds(&mut o);
    if let Some(s) = read_fact_file(&mut o, "/proc/self/mountinfo") {
        for line in s.lines() {
            if let Some(m) = mount_fact(line) {
                let _ = writeln!(o, "mount={m}");
            }
        }
    }
    if let Some(s) = read_fact_file(&mut o, "/proc/self/cgroup") {
        for line in s.lines() {
            let _ = writeln!(o, "cgroup={}", esc(line));
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
        let Some(line) = questions::answer(opt, p) else {
            let _ = writeln!(o, "error=unknown option {opt}");
            return 2;
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

/// The text of `path`, or None after printing `error=<path> <ERRNO>`.
fn read_fact_file(o: &mut impl Write, path: &str) -> Option<String> {
    match fs::read_to_string(path) {
        Ok(s) => Some(s),
        Err(e) => {
            let _ = writeln!(o, "error={path} {}", errname(&e));
            None
        }
    }
}

/// A `prctl` getter (one that takes no further argument).
fn prctl_get(option: c_int) -> c_int {
    // SAFETY: the getters passed here take no further argument and write no memory.
    unsafe { prctl(option, 0 as c_long, 0 as c_long, 0 as c_long, 0 as c_long) }
}
