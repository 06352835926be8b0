//! The container's cgroups: made in every hierarchy, processes placed, everything
//! killed and removed at the end.

use std::fs;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{fstatfs, open, Mode, OFlags};
use rustix::process::Signal;

use super::layout::{Hierarchy, Layout};
use super::path::{dir_in, DEFAULT_PARENT};
use super::{freezer, kill, write_file};
use crate::config::CgroupMount;
use crate::error::{Error, Result};

/// The container's cgroups: created in every hierarchy, removed on drop unless
/// `keep` was called.
pub struct CgroupManager {
    /// (hierarchy, the container's directory in it).
    pub(super) dirs: Vec<(Hierarchy, PathBuf)>,
    /// Directories this manager created, outermost first (removed innermost first).
    pub(super) created: Vec<PathBuf>,
    keep: bool,
}

impl CgroupManager {
    /// No cgroups at all: a rootless container whose user may not make any.
    pub fn none() -> CgroupManager {
        CgroupManager {
            dirs: Vec::new(),
            created: Vec::new(),
            keep: false,
        }
    }

    /// Made by `none`: a rootless container without cgroups.
    pub fn is_none(&self) -> bool {
        self.dirs.is_empty()
    }

    /// The directories the container's would be made in, each with the nearest one
    /// that exists already (where a `mkdir` has to be allowed).
    pub fn nearest_existing(&self) -> Vec<(PathBuf, PathBuf)> {
        self.dirs
            .iter()
            .map(|(_, d)| {
                let near = d.ancestors().find(|a| a.exists()).unwrap_or(Path::new("/"));
                (d.clone(), near.to_path_buf())
            })
            .collect()
    }

    /// The container's directory in every hierarchy of `layout`; nothing is made yet.
    /// A relative `path` is taken below runlet's own cgroups (see `path`).
    pub fn plan(layout: &Layout, path: &Path) -> CgroupManager {
        let own = if path.is_relative() {
            fs::read_to_string("/proc/self/cgroup").unwrap_or_default()
        } else {
            String::new()
        };
        let dirs = layout
            .hierarchies
            .iter()
            .map(|h| (h.clone(), dir_in(h, path, &own)))
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

    /// The container's cgroup2 directory, if the host has a cgroup2 hierarchy.
    pub fn v2_directory(&self) -> Option<&Path> {
        self.dirs
            .iter()
            .find(|(h, _)| h.v2)
            .map(|(_, d)| d.as_path())
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
        // clone3 fails EBADF on any other directory: say which one it was.
        let magic = fstatfs(&fd)
            .map_err(|e| Error::io("statfs", dir, e.into()))?
            .f_type;
        if magic as u32 != linux_raw_sys::general::CGROUP2_SUPER_MAGIC {
            return Err(Error::msg(format!(
                "{} is not on a cgroup2 file system (its type is {magic:#x})",
                dir.display()
            )));
        }
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

    /// The `tasks` file of each v1 directory: a process in a user namespace enters
    /// them before it joins or becomes the namespace's root (crate::spawn), as
    /// itself ("0": no global lock, see `place_v2`), while the host's files are
    /// still its to write.
    pub fn v1_tasks(&self) -> Vec<PathBuf> {
        self.dirs
            .iter()
            .filter(|(h, _)| !h.v2)
            .map(|(_, d)| d.join("tasks"))
            .collect()
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

    /// Pids still in the container's cgroups.
    pub fn pids(&self) -> Vec<i32> {
        super::pids(&self.dirs)
    }

    /// Sends `sig` to every process in the container's cgroups (`kill --all`): see
    /// `kill::signal_all`.
    pub fn signal_all(&self, sig: Signal) -> Result<()> {
        kill::signal_all(&self.dirs, sig)
    }

    /// Freezes (`on`) or thaws every process of the container: see `freezer`.
    pub fn set_frozen(&self, on: bool) -> Result<()> {
        freezer::set_frozen(&self.paths(), on)
    }

    /// Kills whatever is left in the cgroups (a container sharing the host's PID
    /// namespace leaves orphans behind its init), waits until they are empty, then
    /// removes every directory this manager created. Gives up after a deadline with
    /// an error naming what stayed.
    pub fn destroy(&mut self) -> Result<()> {
        self.keep = true;
        let deadline = Instant::now() + Duration::from_secs(5);
        if !self.pids().is_empty() {
            kill::kill_all(&self.dirs, deadline)?;
        }
        loop {
            match self.remove_dirs() {
                Ok(()) => return Ok(()),
                Err((dir, e)) if Instant::now() >= deadline => {
                    return Err(Error::io("remove cgroup", dir, e));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    }

    /// The cgroups of a container made by an earlier runlet process (from the
    /// directories its state records), to read or change its limits. Each directory
    /// is matched to the hierarchy it lies in; nothing is removed on drop.
    pub fn existing(layout: &Layout, dirs: &[PathBuf]) -> CgroupManager {
        let dirs = dirs
            .iter()
            .filter_map(|d| {
                let h = layout
                    .hierarchies
                    .iter()
                    .filter(|h| d.starts_with(&h.mountpoint))
                    .max_by_key(|h| h.mountpoint.as_os_str().len())?;
                Some((h.clone(), d.clone()))
            })
            .collect();
        CgroupManager {
            dirs,
            created: Vec::new(),
            keep: true,
        }
    }

    fn remove_dirs(&mut self) -> std::result::Result<(), (PathBuf, io::Error)> {
        // The leaves first: they hold the processes and must go (with any cgroups a
        // delegated container made below its own, innermost first).
        for (_, dir) in &self.dirs {
            remove_below(dir);
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
    /// `ps`) from what `create` saved: its directories and the ones it made. Nothing
    /// is removed on drop; `destroy` removes them.
    pub fn reopen(layout: &Layout, dirs: &[PathBuf], created: Vec<PathBuf>) -> CgroupManager {
        let mut m = CgroupManager::existing(layout, dirs);
        m.created = created;
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

/// Removes the (empty) cgroups below `dir`, innermost first; what cannot go stays
/// for `remove_dir(dir)` to report.
fn remove_below(dir: &Path) {
    for sub in subdirs(dir) {
        remove_below(&sub);
        let _ = fs::remove_dir(&sub);
    }
}

/// The cgroups directly below `dir` (in cgroupfs, the directories).
pub(super) fn subdirs(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::Layout;
    use std::os::unix::process::ExitStatusExt;
    use std::process::Command;

    /// Root on a host with a v1 freezer and cgroup2 (this project's hybrid hosts):
    /// `signal_all` reaches a process in the cgroups through the freezer, and SIGKILL
    /// through `cgroup.kill`.
    #[test]
    fn signal_all_reaches_every_process() {
        let layout = Layout::detect().unwrap();
        let keep: Vec<_> = layout
            .hierarchies
            .iter()
            .filter(|h| h.v2 || h.has("freezer"))
            .cloned()
            .collect();
        if !rustix::process::geteuid().is_root() || keep.len() != 2 {
            eprintln!(
                "SKIP signal_all_reaches_every_process: needs root, a v1 freezer and cgroup2"
            );
            return;
        }
        let layout = Layout { hierarchies: keep };
        let path = format!("/runlet-unit-kill-{}", std::process::id());
        let mut m = CgroupManager::plan(&layout, Path::new(&path));
        m.create(true).unwrap();
        m.create(false).unwrap();
        for (sig, want) in [(Signal::TERM, 15), (Signal::KILL, 9)] {
            let mut child = Command::new("sleep").arg("30").spawn().unwrap();
            for d in m.paths() {
                write_file(&d.join("cgroup.procs"), &child.id().to_string()).unwrap();
            }
            m.signal_all(sig).unwrap();
            // `sleep 30` bounds this wait.
            assert_eq!(child.wait().unwrap().signal(), Some(want));
        }
        m.destroy().unwrap();
        assert!(m.paths().iter().all(|d| !d.exists()));
    }
}
