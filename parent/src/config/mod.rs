//! The OCI bundle: `config.json` parsed, validated and turned into the init helper's
//! `Bootstrap` frame. Everything a helper will do is decided and checked here, so a
//! helper meets no input it has to judge.
//!
//! INTERFACE (used by the runtime modules; keep these names and shapes):
//! - `Config::load(bundle)`: parse + validate; one clear error naming the field.
//! - `Config` public fields below.
//! - `Config::bootstrap(&self, cgroup_mounts)`: the whole encoded `Bootstrap` frame.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::Result;

/// A namespace of `linux.namespaces`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NsKind {
    Pid,
    Mount,
    Ipc,
    Uts,
    Network,
    Cgroup,
}

impl NsKind {
    /// The CLONE_NEW* flag.
    pub fn clone_flag(self) -> u64 {
        todo!()
    }
    /// The name under /proc/<pid>/ns/ ("pid", "mnt", "ipc", "uts", "net", "cgroup").
    pub fn proc_name(self) -> &'static str {
        todo!()
    }
}

#[derive(Debug, Clone)]
pub struct Namespace {
    pub kind: NsKind,
    /// Join this namespace instead of making a new one.
    pub path: Option<PathBuf>,
}

/// One hierarchy the host has, as a `cgroup` mount in the container shows it.
#[derive(Debug, Clone)]
pub struct CgroupMount {
    /// Subdirectory under the mount's destination ("cpu", "memory", "systemd",
    /// "unified"); empty on a pure v2 host, where the hierarchy is mounted at the
    /// destination itself.
    pub name: String,
    /// "cgroup" or "cgroup2", for a fresh mount inside a new cgroup namespace.
    pub fstype: &'static str,
    /// Mount data for a fresh mount ("cpu", "none,name=systemd", "").
    pub data: String,
    /// The container's own cgroup directory in this hierarchy on the host: the bind
    /// source when the container has no cgroup namespace of its own.
    pub host_path: PathBuf,
}

pub struct Config {
    pub oci_version: String,
    /// Absolute bundle directory.
    pub bundle: PathBuf,
    /// Absolute root filesystem.
    pub rootfs: PathBuf,
    pub annotations: BTreeMap<String, String>,
    pub namespaces: Vec<Namespace>,
    /// `linux.cgroupsPath` as written, if any.
    pub cgroups_path: Option<String>,
}

impl Config {
    pub fn load(_bundle: &Path) -> Result<Config> {
        todo!()
    }

    /// Whether the container gets a new namespace of this kind (listed without a path).
    pub fn new_namespace(&self, kind: NsKind) -> bool {
        self.namespaces.iter().any(|n| n.kind == kind && n.path.is_none())
    }

    /// The `Bootstrap` frame (header included) for runlet-init.
    pub fn bootstrap(&self, _cgroup_mounts: &[CgroupMount]) -> Result<Vec<u8>> {
        todo!()
    }
}
