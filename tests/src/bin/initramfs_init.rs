//! `/init` of the initramfs demo and test (docs/initramfs.md): PID 1 of a booted
//! kernel whose root is the initramfs itself. Mounts /proc, /sys, /dev, cgroup2 and a
//! /run tmpfs, runs the steps of `/scenario` in order, then powers the machine off.
//! Everything it says starts with `@@ ` so a reader of the serial console can tell it
//! from what runlet and the containers print.
//!
//! `/scenario`, one step a line (`#` starts a comment):
//! - `run ARGV...`: run a program, print `@@ $ ARGV` before and `@@ exit=N` after
//!   (killed after 60 s).
//! - `ns PIDFILE`: print `@@ init ns=TYPE LINK` for the process in PIDFILE.
//! - `until-stopped ID`: poll `/runlet state ID` until it says "stopped" (20 s).
//! - `root`: print `@@ root=FSTYPE` of `/`, the machine's `@@ hostname=...` and
//!   `@@ host ns=TYPE LINK` of its namespaces.
//! - `try-pivot`: in a child with a mount namespace of its own, try what runc does
//!   (bind a directory onto itself, `pivot_root` into it); print `@@ pivot_root=...`.
//! - `under PIDFILE`: in a child, join the mount namespace of the process in PIDFILE,
//!   detach its root (as a container with CAP_SYS_ADMIN could) and join again: the
//!   kernel then roots the child at what lies below the container's root. Print
//!   `@@ under=MOUNTPOINT FSTYPE` for each mount seen there.
//! - `securityfs`: mount securityfs at /sys/kernel/security (the LSMs' files).
//! - `load FILE TARGET`: write FILE's bytes to TARGET in one write (an AppArmor
//!   profile to `.load`); print `@@ load=ok` or `@@ load=ERROR`.
//! - `enable-controllers C...`: add each controller to the cgroup2 root's
//!   `cgroup.subtree_control`, as systemd does on a pure v2 host; print
//!   `@@ subtree_control=...` after.
//! - `cat PATH`: print `@@ cat=PATH ok CONTENT` (lines joined by `|`) or
//!   `@@ cat=PATH err ERROR`.
//! - `insmod FILE`: load a kernel module (`.ko`, or `.ko.xz` the kernel decompresses)
//!   with finit_module; print `@@ insmod=ok` or `@@ insmod=ERROR`.
//! - `uname`: print `@@ machine=` of uname(2) (the architecture the kernel runs).

use std::ffi::{c_char, c_int, c_long, c_ulong, c_void, CString};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

extern "C" {
    fn mount(
        src: *const c_char,
        target: *const c_char,
        fstype: *const c_char,
        flags: c_ulong,
        data: *const c_void,
    ) -> c_int;
    fn reboot(cmd: c_int) -> c_int;
    fn sync();
    fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
    fn fork() -> c_int;
    fn _exit(code: c_int) -> !;
    fn unshare(flags: c_int) -> c_int;
    fn setns(fd: c_int, nstype: c_int) -> c_int;
    fn umount2(target: *const c_char, flags: c_int) -> c_int;
    fn syscall(n: c_long, ...) -> c_long;
}

const CLONE_NEWNS: c_int = 0x0002_0000;
const MNT_DETACH: c_int = 2;
const MS_BIND: c_ulong = 4096;
const MS_REC: c_ulong = 16384;
const MS_PRIVATE: c_ulong = 1 << 18;
const SYS_PIVOT_ROOT: c_long = linux_raw_sys::general::__NR_pivot_root as c_long;

const RB_POWER_OFF: c_int = 0x4321_fedc;
const WNOHANG: c_int = 1;
const MS_NOSUID: c_ulong = 2;
const MS_NODEV: c_ulong = 4;
const MS_NOEXEC: c_ulong = 8;
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

fn say(s: &str) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "@@ {s}");
    let _ = o.flush();
}

fn mount_fs(fstype: &str, target: &str, flags: c_ulong, data: &str) {
    let _ = std::fs::create_dir_all(target);
    let c = |s: &str| CString::new(s).unwrap_or_default();
    let (f, t, d) = (c(fstype), c(target), c(data));
    // SAFETY: NUL-terminated strings that live across the call.
    let r = unsafe { mount(f.as_ptr(), t.as_ptr(), f.as_ptr(), flags, d.as_ptr().cast()) };
    if r != 0 {
        say(&format!(
            "mount {fstype} on {target}: {}",
            std::io::Error::last_os_error()
        ));
    }
}

/// Reaps any orphan that came to PID 1 (containers' inits after their runlet left).
fn reap_orphans() {
    let mut st = 0;
    // SAFETY: plain waitpid on any child, not blocking.
    while unsafe { waitpid(-1, &mut st, WNOHANG) } > 0 {}
}

fn run(argv: &[&str]) {
    say(&format!("$ {}", argv.join(" ")));
    let mut child = match Command::new(argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            say(&format!("spawn {}: {e}", argv[0]));
            say("exit=spawn-failed");
            return;
        }
    };
    let end = Instant::now() + STEP_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(s)) => {
                say(&format!("exit={}", s.code().unwrap_or(-1)));
                break;
            }
            Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                say("exit=timeout");
                break;
            }
        }
    }
    reap_orphans();
}

fn ns(pidfile: &str) {
    let pid = std::fs::read_to_string(pidfile).unwrap_or_default();
    for t in ["pid", "net", "ipc", "uts", "mnt", "cgroup"] {
        match std::fs::read_link(format!("/proc/{}/ns/{t}", pid.trim())) {
            Ok(l) => say(&format!("init ns={t} {}", l.display())),
            Err(e) => say(&format!("init ns={t} error {e}")),
        }
    }
}

fn until_stopped(id: &str) {
    let end = Instant::now() + Duration::from_secs(20);
    while Instant::now() < end {
        let out = Command::new("/runlet").args(["state", id]).output();
        if out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("\"stopped\"")) {
            say(&format!("{id} stopped"));
            reap_orphans();
            return;
        }
        reap_orphans();
        std::thread::sleep(Duration::from_millis(50));
    }
    say(&format!("{id} still not stopped after 20 s"));
}

fn root() {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    for l in info.lines() {
        let f: Vec<&str> = l.split(' ').collect();
        if f.get(4) == Some(&"/") {
            let fstype = f.iter().skip_while(|x| **x != "-").nth(1).unwrap_or(&"?");
            say(&format!("root={fstype} id={} parent={}", f[0], f[1]));
        }
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    say(&format!("hostname={}", host.trim()));
    for t in ["pid", "net", "ipc", "uts", "mnt", "cgroup"] {
        if let Ok(l) = std::fs::read_link(format!("/proc/self/ns/{t}")) {
            say(&format!("host ns={t} {}", l.display()));
        }
    }
}

/// Runs `f` in a forked child and waits for it (20 s at most).
fn in_child(f: impl FnOnce()) {
    // SAFETY: PID 1 is single-threaded here; the child only makes syscalls, prints
    // and exits.
    let pid = unsafe { fork() };
    if pid == 0 {
        f();
        let _ = std::io::stdout().flush();
        // SAFETY: ends the child without running the parent's exit handlers.
        unsafe { _exit(0) }
    }
    let end = Instant::now() + Duration::from_secs(20);
    let mut st = 0;
    // SAFETY: waiting for our own child.
    while pid > 0 && unsafe { waitpid(pid, &mut st, WNOHANG) } == 0 {
        if Instant::now() > end {
            say("child step timed out");
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn errno() -> std::io::Error {
    std::io::Error::last_os_error()
}

fn try_pivot() {
    in_child(|| {
        let c = |s: &str| CString::new(s).unwrap_or_default();
        let (root, dir, dot) = (c("/"), c("/tmp"), c("."));
        // SAFETY: NUL-terminated strings that live across each call.
        unsafe {
            if unshare(CLONE_NEWNS) != 0 {
                return say(&format!("pivot_root=unshare: {}", errno()));
            }
            let null = std::ptr::null();
            if mount(null, root.as_ptr(), null, MS_REC | MS_PRIVATE, null.cast()) != 0
                || mount(
                    dir.as_ptr(),
                    dir.as_ptr(),
                    null,
                    MS_BIND | MS_REC,
                    null.cast(),
                ) != 0
            {
                return say(&format!("pivot_root=mount: {}", errno()));
            }
            let _ = std::env::set_current_dir("/tmp");
            let r = syscall(SYS_PIVOT_ROOT, dot.as_ptr(), dot.as_ptr());
            say(&format!(
                "pivot_root={}",
                if r == 0 {
                    "ok".into()
                } else {
                    errno().to_string()
                }
            ));
        }
    })
}

fn under(pidfile: &str) {
    let pid = std::fs::read_to_string(pidfile).unwrap_or_default();
    let ns = match std::fs::File::open(format!("/proc/{}/ns/mnt", pid.trim())) {
        Ok(f) => f,
        Err(e) => return say(&format!("under=open mnt ns: {e}")),
    };
    in_child(|| {
        let root = CString::new("/").unwrap_or_default();
        // SAFETY: a valid fd and a NUL-terminated string.
        unsafe {
            if setns(ns.as_raw_fd(), CLONE_NEWNS) != 0 {
                return say(&format!("under=setns: {}", errno()));
            }
            if umount2(root.as_ptr(), MNT_DETACH) != 0 {
                return say(&format!("under=umount /: {}", errno()));
            }
            if setns(ns.as_raw_fd(), CLONE_NEWNS) != 0 {
                return say(&format!("under=setns again: {}", errno()));
            }
        }
        // Its own /proc went with the container's root: mount one to read the list.
        mount_fs("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
        let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        for l in info.lines() {
            let f: Vec<&str> = l.split(' ').collect();
            let fstype = f.iter().skip_while(|x| **x != "-").nth(1).unwrap_or(&"?");
            say(&format!("under={} {fstype}", f.get(4).unwrap_or(&"?")));
        }
        let marker = std::path::Path::new("/initramfs-marker").exists();
        say(&format!(
            "under-marker={}",
            if marker { "yes" } else { "no" }
        ));
    })
}

fn enable_controllers(names: &[&str]) {
    let f = "/sys/fs/cgroup/cgroup.subtree_control";
    for c in names {
        if let Err(e) = std::fs::write(f, format!("+{c}")) {
            say(&format!("enable {c}: {e}"));
        }
    }
    let now = std::fs::read_to_string(f).unwrap_or_default();
    say(&format!("subtree_control={}", now.trim()));
}

fn insmod(path: &str) {
    // MODULE_INIT_COMPRESSED_FILE: the kernel decompresses (CONFIG_MODULE_DECOMPRESS).
    let flags: c_long = if path.ends_with(".xz") { 4 } else { 0 };
    let nr = linux_raw_sys::general::__NR_finit_module as c_long;
    let r = std::fs::File::open(path).map(|f| {
        // SAFETY: an open fd, an empty NUL-terminated parameter string, flags.
        unsafe { syscall(nr, f.as_raw_fd() as c_long, c"".as_ptr(), flags) }
    });
    match r {
        Ok(0) => say("insmod=ok"),
        Ok(_) => say(&format!("insmod={}", std::io::Error::last_os_error())),
        Err(e) => say(&format!("insmod={path}: {e}")),
    }
}

fn cat(path: &str) {
    match std::fs::read_to_string(path) {
        Ok(t) => say(&format!("cat={path} ok {}", t.trim().replace('\n', "|"))),
        Err(e) => say(&format!("cat={path} err {:?}", e.kind())),
    }
}

fn main() {
    mount_fs("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
    mount_fs("sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
    mount_fs("devtmpfs", "/dev", MS_NOSUID, "mode=0755");
    mount_fs(
        "cgroup2",
        "/sys/fs/cgroup",
        MS_NOSUID | MS_NODEV | MS_NOEXEC,
        "",
    );
    mount_fs("tmpfs", "/run", MS_NOSUID | MS_NODEV, "mode=0755");
    say("initramfs init up");
    let scenario = std::fs::read_to_string("/scenario").unwrap_or_else(|e| {
        say(&format!("read /scenario: {e}"));
        String::new()
    });
    for line in scenario.lines().map(str::trim) {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.as_slice() {
            [] => {}
            [c, ..] if c.starts_with('#') => {}
            ["run", argv @ ..] if !argv.is_empty() => run(argv),
            ["ns", f] => ns(f),
            ["until-stopped", id] => until_stopped(id),
            ["root"] => root(),
            ["try-pivot"] => try_pivot(),
            ["under", f] => under(f),
            ["securityfs"] => mount_fs("securityfs", "/sys/kernel/security", 0, ""),
            ["load", f, target] => match std::fs::read(f).and_then(|b| std::fs::write(target, b)) {
                Ok(()) => say("load=ok"),
                Err(e) => say(&format!("load={e}")),
            },
            ["enable-controllers", c @ ..] => enable_controllers(c),
            ["cat", p] => cat(p),
            ["insmod", f] => insmod(f),
            ["uname"] => say(&format!("machine={}", std::env::consts::ARCH)),
            _ => say(&format!("bad scenario line {line:?}")),
        }
    }
    say("scenario done, powering off");
    // SAFETY: plain syscalls; PID 1 with CAP_SYS_BOOT.
    unsafe {
        sync();
        reboot(RB_POWER_OFF);
    }
    say(&format!("reboot: {}", std::io::Error::last_os_error()));
}
