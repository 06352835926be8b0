//! What a finished container left behind: its state dir, cgroup dirs, host
//! mounts under the test's dir, processes with its root, zombie children.

use super::host::{
    cgroup_procs, describe_pid, host_mount_points, proc_pids, processes_rooted_at, stat_fields,
};
use super::run::in_flight;
use super::Fixture;
use std::collections::HashSet;
use std::fs;
use std::time::Duration;

/// Zombie children of the test process that no running test is about to reap.
pub fn stray_zombie_children() -> Vec<u32> {
    let me = std::process::id();
    // Held during the scan: spawning registers a child under this lock, so no child
    // of ours can exist unregistered meanwhile.
    let guard = in_flight();
    let in_flight: HashSet<u32> = guard.iter().copied().collect();
    proc_pids()
        .filter(|&pid| {
            let Some(f) = stat_fields(pid) else {
                return false;
            };
            f.len() > 1 && f[0] == "Z" && f[1].parse() == Ok(me) && !in_flight.contains(&pid)
        })
        .collect()
}

impl Fixture {
    /// Everything a finished container left behind, one description per item.
    pub fn leaks(&self) -> Vec<String> {
        let mut v = Vec::new();
        let st = self.state_dir();
        if st.exists() {
            let items: Vec<String> = fs::read_dir(&st)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            v.push(format!("state dir {} (holding {items:?})", st.display()));
        }
        for c in self.cgroup_dirs() {
            if c.exists() {
                v.push(format!(
                    "cgroup dir {} (procs: {:?})",
                    c.display(),
                    cgroup_procs(&c)
                ));
            }
        }
        for m in host_mount_points() {
            if m.starts_with(&self.dir) && !self.allowed_mounts.contains(&m) {
                v.push(format!("mount on the host at {}", m.display()));
            }
        }
        // A process exiting right now may still show its root for an instant.
        let mut procs = processes_rooted_at(&self.rootfs());
        for _ in 0..5 {
            if procs.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
            procs = processes_rooted_at(&self.rootfs());
        }
        for p in procs {
            v.push(format!(
                "process with the container's root: {}",
                describe_pid(p)
            ));
        }
        // A child another test runs with std's `output()`/`status()` (not through
        // `spawn`) is a zombie for the instant before std reaps it: only one that
        // stays a zombie is a leak.
        let mut zombies = stray_zombie_children();
        for _ in 0..5 {
            if zombies.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
            let now = stray_zombie_children();
            zombies.retain(|z| now.contains(z));
        }
        for z in zombies {
            v.push(format!(
                "zombie child of the test process: {}",
                describe_pid(z)
            ));
        }
        v
    }
}
