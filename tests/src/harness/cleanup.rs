//! Tearing a fixture down when it is dropped (also on panic): kill what the
//! container left, unmount, remove cgroup dirs, then the temp dir.

use super::host::{cgroup_procs, host_mount_points, processes_rooted_at};
use super::Fixture;
use crate::sys;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

impl Fixture {
    fn cleanup(&self) {
        // 1. Whatever the container left running, thawed first (a test that failed
        // with the container paused: a frozen task dies only once thawed).
        for c in self.cgroup_dirs() {
            let _ = fs::write(c.join("freezer.state"), "THAWED");
            let _ = fs::write(c.join("cgroup.freeze"), "0");
        }
        for _ in 0..50 {
            let mut pids = processes_rooted_at(&self.rootfs());
            for c in self.cgroup_dirs() {
                pids.extend(
                    cgroup_procs(&c)
                        .iter()
                        .filter_map(|p| p.parse::<u32>().ok()),
                );
            }
            if pids.is_empty() {
                break;
            }
            for p in pids {
                let _ = sys::send_signal(p, sys::SIGKILL);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // 2. Mounts under our dir, deepest first.
        for _ in 0..3 {
            let mut ms: Vec<PathBuf> = host_mount_points()
                .into_iter()
                .filter(|m| m.starts_with(&self.dir))
                .collect();
            if ms.is_empty() {
                break;
            }
            ms.sort_by_key(|m| std::cmp::Reverse(m.components().count()));
            for m in ms {
                let _ = sys::umount_detach(&m);
            }
        }
        // 3. Cgroup dirs (children first).
        for c in self.cgroup_dirs() {
            remove_cgroup_tree(&c);
        }
        // 4. The dir, unless something is still mounted in it (never delete through a mount).
        if host_mount_points().iter().any(|m| m.starts_with(&self.dir)) {
            eprintln!(
                "{}: not removing {}: still mounted",
                self.name,
                self.dir.display()
            );
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn remove_cgroup_tree(p: &Path) {
    if let Ok(rd) = fs::read_dir(p) {
        for e in rd.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                remove_cgroup_tree(&e.path());
            }
        }
    }
    for _ in 0..20 {
        if fs::remove_dir(p).is_ok() || !p.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.cleanup();
    }
}
