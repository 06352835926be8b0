//! What the host looks like from the test process: cgroup and mount points,
//! namespaces, and the processes listed in /proc.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The mount points of the host's cgroup hierarchies (v1 controllers and v2).
pub fn cgroup_mounts() -> Vec<PathBuf> {
    cgroup_mounts_of(&["cgroup", "cgroup2"])
}

/// The mount points of the host's cgroup v1 hierarchies.
pub fn cgroup_v1_mounts() -> Vec<PathBuf> {
    cgroup_mounts_of(&["cgroup"])
}

fn cgroup_mounts_of(types: &[&str]) -> Vec<PathBuf> {
    let s = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut v: Vec<PathBuf> = s
        .lines()
        .filter_map(|l| {
            let (left, right) = l.split_once(" - ")?;
            let fstype = right.split(' ').next()?;
            let point = left.split(' ').nth(4)?;
            types.contains(&fstype).then(|| PathBuf::from(point))
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The pids listed in a cgroup dir's `cgroup.procs` (none when it cannot be read).
pub(super) fn cgroup_procs(dir: &Path) -> Vec<String> {
    fs::read_to_string(dir.join("cgroup.procs"))
        .unwrap_or_default()
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// Mount points of the test process's mount namespace.
pub fn host_mount_points() -> Vec<PathBuf> {
    let s = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    s.lines()
        .filter_map(|l| {
            l.split(' ')
                .nth(4)
                .map(|p| PathBuf::from(unescape_octal(p)))
        })
        .collect()
}

fn unescape_octal(s: &str) -> String {
    let b = s.as_bytes();
    let mut o = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 4 <= b.len() {
            if let Some(n) = std::str::from_utf8(&b[i + 1..i + 4])
                .ok()
                .and_then(|d| u8::from_str_radix(d, 8).ok())
            {
                o.push(n);
                i += 4;
                continue;
            }
        }
        o.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&o).into_owned()
}

/// The test process's own namespace link for `typ` (`net:[4026531840]`).
pub fn host_ns(typ: &str) -> String {
    fs::read_link(format!("/proc/self/ns/{typ}"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Every pid listed in /proc.
pub(super) fn proc_pids() -> impl Iterator<Item = u32> {
    fs::read_dir("/proc")
        .into_iter()
        .flat_map(|rd| rd.flatten())
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
}

/// The fields of `/proc/<pid>/stat` after the command name: state, ppid, ...
pub(super) fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(") ")?;
    Some(rest.split(' ').map(String::from).collect())
}

/// Pids (not ours) whose root directory is `dir` (same device and inode): the
/// processes of a container whose rootfs is `dir`.
pub fn processes_rooted_at(dir: &Path) -> Vec<u32> {
    let Ok(m) = fs::metadata(dir) else {
        return Vec::new();
    };
    let me = std::process::id();
    proc_pids()
        .filter(|&pid| pid != me)
        .filter(|pid| {
            fs::metadata(format!("/proc/{pid}/root"))
                .is_ok_and(|r| r.dev() == m.dev() && r.ino() == m.ino())
        })
        .collect()
}

/// Pids whose parent is `pid`.
pub fn children_of(pid: u32) -> Vec<u32> {
    proc_pids()
        .filter(|&p| {
            stat_fields(p).is_some_and(|f| f.get(1).map(String::as_str) == Some(&pid.to_string()))
        })
        .collect()
}

/// `comm` and state of a process, for messages.
pub fn describe_pid(pid: u32) -> String {
    let cmd = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
    let state = stat_fields(pid)
        .and_then(|f| f.into_iter().next())
        .unwrap_or_else(|| "?".into());
    format!("pid {pid} [{state}] {}", cmd.trim())
}
