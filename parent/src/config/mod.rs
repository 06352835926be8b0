//! The OCI bundle: `config.json` parsed, validated and turned into the init helper's
//! `Bootstrap` frame. Everything a helper will do is decided and checked here, so a
//! helper meets no input it has to judge.
//!
//! INTERFACE (used by the runtime modules; keep these names and shapes):
//! - `Config::load(bundle)`: parse + validate; one clear error naming the field.
//! - `Config` public fields below.
//! - `Config::bootstrap(&self, cgroup_mounts)`: the whole encoded `Bootstrap` frame.
//!
//! docs/config.md lists what is supported, refused and ignored.

pub mod blkio;
mod bootstrap;
mod caps;
mod devices;
mod diagnose;
mod hooks;
pub mod idmapped;
mod lsm;
mod mounts;
mod namespaces;
mod obj;
mod paths;
pub(crate) mod process;
pub mod resources;
mod resources_extra;
mod rlimits;
pub mod rootplan;
mod spec;
mod syntax;
mod sysctl;
pub mod userns;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use linux_raw_sys::general as g;

use crate::error::{Error, Result};

pub use hooks::{Hook, HookKind, Hooks};

pub(crate) use bootstrap::encode_process;

/// What runlet supports, for `runlet features`.
pub mod supported {
    pub use super::caps::names as capabilities;
    pub use super::mounts::option_names as mount_options;
}

/// A namespace of `linux.namespaces`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NsKind {
    Pid,
    Mount,
    Ipc,
    Uts,
    Network,
    Cgroup,
    User,
}

impl NsKind {
    /// The CLONE_NEW* flag.
    pub fn clone_flag(self) -> u64 {
        (match self {
            NsKind::Pid => g::CLONE_NEWPID,
            NsKind::Mount => g::CLONE_NEWNS,
            NsKind::Ipc => g::CLONE_NEWIPC,
            NsKind::Uts => g::CLONE_NEWUTS,
            NsKind::Network => g::CLONE_NEWNET,
            NsKind::Cgroup => g::CLONE_NEWCGROUP,
            NsKind::User => g::CLONE_NEWUSER,
        }) as u64
    }
    /// The name under /proc/<pid>/ns/ ("pid", "mnt", "ipc", "uts", "net", "cgroup").
    pub fn proc_name(self) -> &'static str {
        match self {
            NsKind::Pid => "pid",
            NsKind::Mount => "mnt",
            NsKind::Ipc => "ipc",
            NsKind::Uts => "uts",
            NsKind::Network => "net",
            NsKind::Cgroup => "cgroup",
            NsKind::User => "user",
        }
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

#[derive(Debug)]
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
    /// `linux.resources`, checked (applied by the cgroup module).
    pub resources: resources::Resources,
    /// `linux.intelRdt`, checked (applied by src/rdt.rs).
    pub intel_rdt: Option<crate::rdt::IntelRdt>,
    /// Join a new session keyring (runc's default; off with `--no-new-keyring`).
    pub new_keyring: bool,
    /// pivot_root, or move the rootfs over `/` and chroot (docs/initramfs.md).
    pub root: crate::config::rootplan::RootPlan,
    /// `hooks`, checked.
    pub hooks: Hooks,
    /// config.json as read (saved in the state for the hooks of later commands).
    pub source: String,
    /// `linux.uidMappings`/`gidMappings` of a new user namespace (docs/userns.md).
    pub userns: Option<userns::IdMaps>,
    /// Id-mapped bind mounts, with their maps (runlet attaches them: crate::idmap).
    pub idmapped: Vec<(idmapped::IdMapped, userns::IdMaps)>,
    /// `lo` and the veth pairs of the `run.runlet.net.*` annotations (docs/network.md).
    pub net: crate::net::Plan,
    /// The rest of what runlet-init gets, checked (`Default` for tests elsewhere).
    pub(crate) boot: validate::Boot,
}

impl Config {
    /// Reads and checks `<bundle>/config.json`. Warnings (unknown capabilities) go to
    /// stderr as `runlet: warning: ...`.
    pub fn load(bundle: &Path) -> Result<Config> {
        let (config, warnings) = Self::load_quiet(bundle)?;
        for w in warnings {
            eprintln!("runlet: warning: {w}");
        }
        Ok(config)
    }

    /// `load` that returns its warnings instead of printing them.
    pub(crate) fn load_quiet(bundle: &Path) -> Result<(Config, Vec<String>)> {
        let abs = std::path::absolute(bundle).map_err(|e| Error::io("bundle", bundle, e))?;
        let bundle = paths::clean_host(&abs);
        let file = bundle.join("config.json");
        let bytes = std::fs::read(&file).map_err(|e| Error::io("open", &file, e))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::msg("config.json: not UTF-8 text (JSON must be UTF-8)"))?;
        let spec: spec::Spec =
            miniserde::json::from_str(&text).map_err(|_| Error::msg(diagnose::explain(&text)))?;
        let (mut config, warnings) = validate::config(spec, bundle)?;
        config.source = text;
        Ok((config, warnings))
    }

    /// Whether the container gets a new namespace of this kind (listed without a path).
    /// Whether the container's mount namespace is its own (new), runlet's (no
    /// `mount` entry: docs/config.md) or one joined by path.
    pub fn mount_ns(&self) -> wire::SharedMount {
        match self.namespaces.iter().find(|n| n.kind == NsKind::Mount) {
            None => wire::SharedMount::Bound,
            Some(n) if n.path.is_some() => wire::SharedMount::Joined,
            Some(_) => wire::SharedMount::No,
        }
    }

    /// A `cgroup` mount the config leaves writable (no `ro`): it asks for the
    /// container's cgroup2 directory to be delegated to its root (docs/userns.md).
    pub fn cgroup_mount_writable(&self) -> bool {
        self.boot.mounts.iter().any(|m| {
            matches!(m, mounts::Entry::Cgroup { flags, .. } if flags & g::MS_RDONLY as u64 == 0)
        })
    }

    /// A user namespace, new or joined: the init's ids are not the host's.
    pub fn user_ns(&self) -> bool {
        self.namespaces.iter().any(|n| n.kind == NsKind::User)
    }

    pub fn new_namespace(&self, kind: NsKind) -> bool {
        self.namespaces
            .iter()
            .any(|n| n.kind == kind && n.path.is_none())
    }

    /// The `Bootstrap` frame (header included) for runlet-init. Call it before the
    /// container's process is created: it fails when the cgroup mounts expand past
    /// what runlet-init holds, or the frame is too large.
    pub fn bootstrap(&self, cgroup_mounts: &[CgroupMount]) -> Result<Vec<u8>> {
        bootstrap::encode(self, cgroup_mounts)
    }
}

#[cfg(test)]
mod tests;
