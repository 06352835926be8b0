//! runlet's own small cgroup manager: finds the host's hierarchies (v1, v2 or
//! hybrid), creates the container's cgroup in every one, places processes, applies
//! `linux.resources`, reads usage back, kills and removes it all at the end.
//!
//! - `layout`: which hierarchies the host has;
//! - `path`: where the container's cgroup goes in each;
//! - `manager`: making, placing, removing ([`CgroupManager`]);
//! - `resources`: which hierarchy each resource goes to, controllers enabled;
//! - `v1`, `v2`: the files and values for each (v1 values translated for v2);
//! - `blkio`: blockIO's per-device weights and throttles, v1 and v2;
//! - `extra`: real-time cpu, `cpu.idle`, net_cls/net_prio, rdma;
//! - `kmem`: the deprecated kernel memory limits, where the host still has them;
//! - `devices_bpf`: the device rules as a cgroup v2 BPF program;
//! - `freezer`: `pause`/`resume` (v1 freezer or `cgroup.freeze`);
//! - `kill`: emptying the cgroups at teardown (`cgroup.kill`, freezer);
//! - `stats`: usage for `runlet events --stats`.
//!
//! docs/cgroups.md describes the behaviour.

mod blkio;
mod devices_bpf;
mod extra;
pub mod freezer;
mod kill;
mod kmem;
mod layout;
mod manager;
mod path;
mod resources;
pub mod stats;
mod v1;
mod v2;

use std::fs;
use std::path::{Path, PathBuf};

use layout::Hierarchy;
pub use layout::Layout;
pub use manager::CgroupManager;
pub use path::cgroup_path;

use crate::error::{Error, Result};

fn write_file(path: &Path, value: &str) -> Result<()> {
    fs::write(path, value).map_err(|e| Error::io(&format!("write {value:?} to"), path, e))
}

fn read_file(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| Error::io("read", path, e))
}

/// The container's directory in every hierarchy.
fn paths(dirs: &[(Hierarchy, PathBuf)]) -> Vec<PathBuf> {
    dirs.iter().map(|(_, d)| d.clone()).collect()
}

/// Pids still in the container's cgroups. Every container process is in every
/// hierarchy, so one is read: cgroup2 when there is one (its processes are there
/// from birth), else the first.
fn pids(dirs: &[(Hierarchy, PathBuf)]) -> Vec<i32> {
    let Some((_, dir)) = dirs.iter().find(|(h, _)| h.v2).or(dirs.first()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    procs_below(dir, &mut out);
    out
}

/// The pids in `dir`'s `cgroup.procs` and in every cgroup below it (a container its
/// cgroup was delegated to may have made some and moved its processes there).
fn procs_below(dir: &Path, out: &mut Vec<i32>) {
    let text = fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
    out.extend(text.lines().filter_map(|l| l.trim().parse::<i32>().ok()));
    for sub in manager::subdirs(dir) {
        procs_below(&sub, out);
    }
}

/// One file to write: which spec field asks for it (for errors), file, value, and a
/// file to write instead when the first does not exist.
#[derive(Debug, Clone)]
struct Write {
    pub field: &'static str,
    pub file: String,
    pub value: String,
    pub fallback: Option<(String, String)>,
}

impl Write {
    pub fn new(field: &'static str, file: &str, value: String) -> Write {
        Write {
            field,
            file: file.to_string(),
            value,
            fallback: None,
        }
    }
}
