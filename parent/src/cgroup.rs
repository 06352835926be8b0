//! runlet's own small cgroup manager: finds the host's hierarchies (v1, v2 or hybrid),
//! creates the container's cgroup in every one, places processes, removes it all.

use std::fs;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{open, Mode, OFlags};

use crate::config::CgroupMount;
use crate::error::{Error, Result};

/// One mounted hierarchy of the host.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    pub mountpoint: PathBuf,
    /// "" for cgroup2; the controllers or name= of a v1 hierarchy ("cpu", "name=systemd").
    pub controllers: String,
    pub v2: bool,
}

/// The host's layout, read from /proc/self/mountinfo.
#[derive(Debug, Clone)]
pub struct Layout {
    pub hierarchies: Vec<Hierarchy>,
}

impl Layout {
    pub fn detect() -> Result<Layout> {
        let p = "/proc/self/mountinfo";
        let text = fs::read_to_string(p).map_err(|e| Error::io("read", p, e))?;
        Ok(Layout::parse(&text))
    }

    fn parse(mountinfo: &str) -> Layout {
        let mut hierarchies: Vec<Hierarchy> = Vec::new();
        for line in mountinfo.lines() {
            // "id parent maj:min root mountpoint opts [optional...] - fstype source superopts"
            let Some((left, right)) = line.split_once(" - ") else {
                continue;
            };
            let mut r = right.split(' ');
            let (fstype, _source, superopts) = (r.next(), r.next(), r.next().unwrap_or(""));
            let mountpoint = match left.split(' ').nth(4) {
                Some(m) => PathBuf::from(unescape(m)),
                None => continue,
            };
            let h = match fstype {
                Some("cgroup2") => Hierarchy {
                    mountpoint,
                    controllers: String::new(),
                    v2: true,
                },
                Some("cgroup") => {
                    let c: Vec<&str> = superopts
                        .split(',')
                        .filter(|o| !matches!(*o, "rw" | "ro") && !o.starts_with("release_agent"))
                        .filter(|o| {
                            !matches!(
                                *o,
                                "noprefix" | "clone_children" | "xattr" | "cpuset_v2_mode"
                            )
                        })
                        .collect();
                    Hierarchy {
                        mountpoint,
                        controllers: c.join(","),
                        v2: false,
                    }
                }
                _ => continue,
            };
            // The same hierarchy mounted twice: the first mount serves.
            if !hierarchies
                .iter()
                .any(|x| x.v2 == h.v2 && x.controllers == h.controllers)
            {
                hierarchies.push(h);
            }
        }
        Layout { hierarchies }
    }

    /// A pure v2 host: one cgroup2 hierarchy and no v1 ones.
    pub fn is_pure_v2(&self) -> bool {
        self.hierarchies.len() == 1 && self.hierarchies[0].v2
    }
}

fn unescape(s: &str) -> String {
    s.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

/// The parent of every default container cgroup: runlet's own, so runlet removes it
/// when it is empty, whoever made it (containers come and go concurrently).
const DEFAULT_PARENT: &str = "runlet";

/// The container's cgroup path inside each hierarchy: `linux.cgroupsPath` when given
/// (a relative one is taken from the hierarchy's root, as runc does for its cgroupfs
/// driver), else `/runlet/<id>`. No component may climb out with "..".
pub fn cgroup_path(configured: Option<&str>, id: &str) -> Result<PathBuf> {
    let raw = configured
        .map(str::to_string)
        .unwrap_or_else(|| format!("/{DEFAULT_PARENT}/{id}"));
    let mut out = PathBuf::from("/");
    for c in Path::new(&raw).components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::RootDir | Component::CurDir => {}
            _ => {
                return Err(Error::msg(format!(
                    "linux.cgroupsPath {raw:?} must not contain \"..\""
                )))
            }
        }
    }
    if out == Path::new("/") {
        return Err(Error::msg(format!(
            "linux.cgroupsPath {raw:?} names the root cgroup"
        )));
    }
    Ok(out)
}

/// The container's cgroups: created in every hierarchy, removed on drop unless
/// `keep` was called.
pub struct CgroupManager {
    /// (hierarchy, the container's directory in it).
    dirs: Vec<(Hierarchy, PathBuf)>,
    /// Directories this manager created, outermost first (removed innermost first).
    created: Vec<PathBuf>,
    keep: bool,
}

impl CgroupManager {
    /// The container's directory in every hierarchy of `layout`; nothing is made yet.
    pub fn plan(layout: &Layout, path: &Path) -> CgroupManager {
        let rel = path.strip_prefix("/").unwrap_or(path);
        let dirs = layout
            .hierarchies
            .iter()
            .map(|h| (h.clone(), h.mountpoint.join(rel)))
            .collect();
        CgroupManager {
            dirs,
            created: Vec::new(),
            keep: false,
        }
    }

    /// Creates the container's directory in the cgroup2 hierarchy (`v2` true: before
    /// clone3, for CLONE_INTO_CGROUP) or in the v1 ones (while the init is already
    /// preparing its mounts; it enters them itself when told to go on).
    pub fn create(&mut self, v2: bool) -> Result<()> {
        let dirs: Vec<(Hierarchy, PathBuf)> = self
            .dirs
            .iter()
            .filter(|(h, _)| h.v2 == v2)
            .cloned()
            .collect();
        for (h, dir) in &dirs {
            self.mkdir_all(h, dir)?;
        }
        Ok(())
    }

    /// Makes `dir` and whatever parents are missing below the hierarchy's mount
    /// point, remembering what it made. Tries the leaf first: usually only it is new.
    /// Another container's teardown may remove an empty parent at any moment (runlet
    /// removes its default parent when it is empty), so a vanished directory is made
    /// again, a few times.
    fn mkdir_all(&mut self, h: &Hierarchy, dir: &Path) -> Result<()> {
        let parent = dir
            .parent()
            .filter(|p| p.starts_with(&h.mountpoint) && *p != h.mountpoint);
        for _ in 0..4 {
            match fs::create_dir(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound && parent.is_some() => {
                    self.mkdir_all(h, parent.unwrap())?;
                    continue;
                }
                Err(e) => return Err(Error::io("mkdir", dir, e)),
            }
            match copy_cpuset(h, dir) {
                Ok(()) => {
                    self.created.push(dir.to_path_buf());
                    return Ok(());
                }
                Err((_, _, e)) if e.kind() == io::ErrorKind::NotFound => continue,
                Err((call, path, e)) => return Err(Error::io(call, path, e)),
            }
        }
        Err(Error::msg(format!(
            "mkdir {}: removed again and again by a concurrent teardown",
            dir.display()
        )))
    }

    /// An fd of the container's cgroup2 directory, for clone3's CLONE_INTO_CGROUP.
    pub fn v2_dir_fd(&self) -> Result<Option<OwnedFd>> {
        let Some((_, dir)) = self.dirs.iter().find(|(h, _)| h.v2) else {
            return Ok(None);
        };
        let fd = open(
            dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::io("open", dir, e.into()))?;
        Ok(Some(fd))
    }

    /// Places `pid` in the cgroup2 hierarchy when it was not born there by
    /// CLONE_INTO_CGROUP. The v1 ones the init enters itself: a thread writing "0" to a
    /// `tasks` file moves only itself, and the kernel then skips its global
    /// threadgroup lock, whose first writer after an idle spell waits out an RCU grace
    /// period (10–30 ms) — which a write of a pid to `cgroup.procs` always takes.
    pub fn place_v2(&self, pid: i32) -> Result<()> {
        for (_, dir) in self.dirs.iter().filter(|(h, _)| h.v2) {
            write_file(&dir.join("cgroup.procs"), &pid.to_string())?;
        }
        Ok(())
    }

    /// The container's directory in every hierarchy.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.dirs.iter().map(|(_, d)| d.clone()).collect()
    }

    /// How a `cgroup` mount inside the container shows these hierarchies.
    pub fn mounts(&self, layout: &Layout) -> Vec<CgroupMount> {
        let pure_v2 = layout.is_pure_v2();
        self.dirs
            .iter()
            .map(|(h, dir)| {
                let name = if pure_v2 {
                    String::new()
                } else {
                    h.mountpoint
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                };
                let data = if h.v2 {
                    String::new()
                } else if h.controllers.starts_with("name=") {
                    format!("none,{}", h.controllers)
                } else {
                    h.controllers.clone()
                };
                CgroupMount {
                    name,
                    fstype: if h.v2 { "cgroup2" } else { "cgroup" },
                    data,
                    host_path: dir.clone(),
                }
            })
            .collect()
    }

    /// Pids still in the container's cgroup (read from the first hierarchy).
    pub fn pids(&self) -> Vec<i32> {
        let Some((_, dir)) = self.dirs.first() else {
            return Vec::new();
        };
        fs::read_to_string(dir.join("cgroup.procs"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }

    /// Kills whatever is left in the cgroup (a container sharing the host's PID
    /// namespace leaves orphans behind its init), then removes every directory this
    /// manager created. Gives up after a deadline with an error naming what stayed.
    pub fn destroy(&mut self) -> Result<()> {
        self.keep = true;
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let pids = self.pids();
            for &p in &pids {
                // SIGKILL by pid: these are the container's processes, confined to its
                // cgroup; a pid that exited meanwhile gives ESRCH, which is fine.
                let _ = rustix::process::kill_process(
                    rustix::process::Pid::from_raw(p).unwrap(),
                    rustix::process::Signal::KILL,
                );
            }
            match self.remove_dirs() {
                Ok(()) => return Ok(()),
                Err((dir, e)) if Instant::now() >= deadline => {
                    return Err(Error::io("remove cgroup", dir, e));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    }

    fn remove_dirs(&mut self) -> std::result::Result<(), (PathBuf, io::Error)> {
        // The leaves first: they hold the processes and must go.
        for (_, dir) in &self.dirs {
            match fs::remove_dir(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err((dir.clone(), e)),
            }
        }
        // Then the parents we made, if nothing else lives in them now, and runlet's
        // own default parent, which a concurrent container may have made.
        let leaves: Vec<&PathBuf> = self.dirs.iter().map(|(_, d)| d).collect();
        for d in self.created.iter().rev().filter(|d| !leaves.contains(d)) {
            let _ = fs::remove_dir(d);
        }
        for (h, _) in &self.dirs {
            let default_parent = h.mountpoint.join(DEFAULT_PARENT);
            if !self.created.contains(&default_parent) {
                let _ = fs::remove_dir(default_parent);
            }
        }
        Ok(())
    }

    /// Re-opens a container's cgroups in a later command (`delete`, `kill --all`,
    /// `ps`) from what `create` saved: its path and the directories it made. Nothing
    /// is removed on drop; `destroy` removes them.
    pub fn reopen(layout: &Layout, path: &Path, created: Vec<PathBuf>) -> CgroupManager {
        let mut m = CgroupManager::plan(layout, path);
        m.created = created;
        m.keep = true;
        m
    }

    /// The directories this manager made, outermost first (saved for `delete`).
    pub fn created(&self) -> &[PathBuf] {
        &self.created
    }

    /// The container outlives this command: leave its cgroups in place.
    pub fn release(&mut self) {
        self.keep = true;
    }
}

impl Drop for CgroupManager {
    fn drop(&mut self) {
        if !self.keep {
            let _ = self.destroy();
        }
    }
}

/// A new v1 cpuset cgroup has no cpus or mems: no process can join it until they are
/// set. They are copied from the nearest ancestor that has them, filling the
/// ancestors on the way (a concurrent runlet may have made the parent and not filled
/// it yet).
fn copy_cpuset(h: &Hierarchy, dir: &Path) -> std::result::Result<(), CallError> {
    if h.v2 || !h.controllers.split(',').any(|c| c == "cpuset") {
        return Ok(());
    }
    for f in ["cpuset.cpus", "cpuset.mems"] {
        fill_cpuset(h, dir, f)?;
    }
    Ok(())
}

/// The failed call, its path, and the error.
type CallError = (&'static str, PathBuf, io::Error);

fn fill_cpuset(h: &Hierarchy, dir: &Path, f: &str) -> std::result::Result<String, CallError> {
    let file = dir.join(f);
    let current = fs::read_to_string(&file).map_err(|e| ("read", file.clone(), e))?;
    if !current.trim().is_empty() || dir == h.mountpoint {
        return Ok(current.trim().to_string());
    }
    let parent = dir.parent().unwrap_or(&h.mountpoint);
    let v = fill_cpuset(h, parent, f)?;
    fs::write(&file, &v).map_err(|e| ("write", file, e))?;
    Ok(v)
}

fn write_file(path: &Path, value: &str) -> Result<()> {
    fs::write(path, value).map_err(|e| Error::io(&format!("write {value} to"), path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
30 23 0:26 / /sys/fs/cgroup rw,nosuid - tmpfs tmpfs rw,mode=755
31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu
32 30 0:28 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children
33 30 0:29 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
34 30 0:30 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
35 23 0:27 / /mnt/cpu-again rw,relatime - cgroup cgroup rw,cpu
";

    #[test]
    fn hybrid_layout() {
        let l = Layout::parse(HYBRID);
        let names: Vec<_> = l
            .hierarchies
            .iter()
            .map(|h| (h.mountpoint.clone(), h.controllers.clone()))
            .collect();
        assert_eq!(
            names,
            [
                ("/sys/fs/cgroup/cpu".into(), "cpu".to_string()),
                ("/sys/fs/cgroup/cpuset".into(), "cpuset".to_string()),
                ("/sys/fs/cgroup/systemd".into(), "name=systemd".to_string()),
                ("/sys/fs/cgroup/unified".into(), String::new()),
            ]
        );
        assert!(!l.is_pure_v2());
        assert!(l.hierarchies.iter().any(|h| h.v2));
    }

    #[test]
    fn pure_v2_layout() {
        let l = Layout::parse("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n");
        assert!(l.is_pure_v2());
    }

    #[test]
    fn paths_cannot_climb_out() {
        assert_eq!(cgroup_path(None, "x").unwrap(), Path::new("/runlet/x"));
        assert_eq!(cgroup_path(Some("a/b"), "x").unwrap(), Path::new("/a/b"));
        assert_eq!(
            cgroup_path(Some("/a//./b/"), "x").unwrap(),
            Path::new("/a/b")
        );
        assert!(cgroup_path(Some("/a/../../etc"), "x").is_err());
        assert!(cgroup_path(Some("/"), "x").is_err());
    }
}
