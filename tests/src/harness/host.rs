//! What the host looks like from the test process: cgroup and mount points,
//! namespaces, and the processes listed in /proc.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// Mount points with their file system type and super options: those under
/// /sys/fs/cgroup first (a container's rootfs may show the same hierarchy for a while),
/// else in mountinfo order.
fn mounts() -> Vec<(PathBuf, String, String)> {
    let s = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut v: Vec<(PathBuf, String, String)> = s
        .lines()
        .filter_map(|l| {
            let (left, right) = l.split_once(" - ")?;
            let mut r = right.split(' ');
            let (fstype, _, opts) = (r.next()?, r.next()?, r.next().unwrap_or(""));
            let point = PathBuf::from(unescape_octal(left.split(' ').nth(4)?));
            Some((point, fstype.to_string(), opts.to_string()))
        })
        .collect();
    v.sort_by_key(|(p, _, _)| !p.starts_with("/sys/fs/cgroup"));
    v
}

/// Where the v1 hierarchy carrying `controller` is mounted, if the host has one.
pub fn v1_mount(controller: &str) -> Option<PathBuf> {
    mounts()
        .into_iter()
        .find(|(_, t, o)| t == "cgroup" && o.split(',').any(|c| c == controller))
        .map(|(p, _, _)| p)
}

/// Where the host's cgroup2 hierarchy is mounted (/sys/fs/cgroup/unified on a hybrid
/// host, /sys/fs/cgroup on a pure v2 one), if it is.
pub fn cgroup2_mount() -> Option<PathBuf> {
    mounts()
        .into_iter()
        .find(|(_, t, _)| t == "cgroup2")
        .map(|(p, _, _)| p)
}

/// How a cgroup2 controller stands at the host's cgroup2 root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V2Controller {
    /// Offered and enabled for children (`cgroup.subtree_control`): runlet can use it.
    Enabled,
    /// Offered (`cgroup.controllers`) but the root does not enable it for children.
    NotEnabled,
    /// Not offered: bound to a v1 hierarchy, or not in this kernel.
    Absent,
}

/// Whether the host's cgroup2 root offers and enables `controller`.
pub fn v2_controller(controller: &str) -> V2Controller {
    let Some(m) = cgroup2_mount() else {
        return V2Controller::Absent;
    };
    let has = |f: &str| {
        fs::read_to_string(m.join(f))
            .unwrap_or_default()
            .split_whitespace()
            .any(|c| c == controller)
    };
    match (has("cgroup.controllers"), has("cgroup.subtree_control")) {
        (true, true) => V2Controller::Enabled,
        (true, false) => V2Controller::NotEnabled,
        _ => V2Controller::Absent,
    }
}

/// Which of `files` a new child cgroup of `mount` has: some files exist only below
/// the root, and only while the kernel feature behind them is there (BFQ's weight,
/// swap accounting). The child is the test's own and removed at once.
pub fn child_cgroup_has(mount: &Path, files: &[&str]) -> Vec<bool> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let d = mount.join(format!("runlet-hostcheck-{}-{n}", std::process::id()));
    fs::create_dir(&d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
    let has = files.iter().map(|f| d.join(f).exists()).collect();
    fs::remove_dir(&d).unwrap_or_else(|e| panic!("rmdir {}: {e}", d.display()));
    has
}
