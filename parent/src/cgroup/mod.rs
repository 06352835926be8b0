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
use std::path::Path;

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
